import {
  EnrollmentTokenService,
  PolicyCatalogueService,
  PublicationService,
  TelemetryQueryService,
  startEmbeddedStack,
  type EmbeddedStack,
} from '../embedded/embedded-stack';
import type { policy } from '@duet/contracts';
import type { PolicyLoadFigures } from '@duet/persona-runtime';
import { GrpcPolicyAdmin } from './policy-admin.grpc';
import type { RunOutcome, RunTarget } from './run-target';

/** A policy authority to load-test: where its gRPC API listens and its admin token. */
export interface LoadTestTarget {
  readonly policyAuthority: string;
  readonly adminToken: string;
}

/**
 * The PolicyAdminService calls a run makes to publish its policy timeline and get its enrollment
 * token: the embedded policy-authority's services in this process, or any server over gRPC.
 */
export interface PolicyAdmin {
  /** Stores an AMAPI policy document as its name's next version. */
  createPolicy(document: unknown): Promise<policy.CreatePolicyResponse>;
  publishPolicy(request: policy.PublishPolicyRequest): Promise<policy.PublishPolicyResponse>;
  createEnrollmentToken(request: policy.CreateEnrollmentTokenRequest): Promise<policy.CreateEnrollmentTokenResponse>;
  close(): void;
}

/** The embedded policy-authority's services, called in this process. */
class InProcessPolicyAdmin implements PolicyAdmin {
  constructor(private readonly stack: EmbeddedStack) {}

  createPolicy(document: unknown): Promise<policy.CreatePolicyResponse> {
    return this.stack.app.get(PolicyCatalogueService).createPolicyDocument(document);
  }

  publishPolicy(request: policy.PublishPolicyRequest): Promise<policy.PublishPolicyResponse> {
    return this.stack.app.get(PublicationService).publishPolicy(request);
  }

  createEnrollmentToken(request: policy.CreateEnrollmentTokenRequest): Promise<policy.CreateEnrollmentTokenResponse> {
    return this.stack.app.get(EnrollmentTokenService).createEnrollmentToken(request);
  }

  close(): void {}
}

/**
 * The embedded adapter of RunTarget: every service in this process; with a load-test target, the
 * business agents and the run's policy timeline go to that policy authority over gRPC instead.
 */
export class EmbeddedTarget implements RunTarget {
  readonly name = 'embedded' as const;

  private constructor(
    private readonly stack: EmbeddedStack,
    private readonly admin: PolicyAdmin,
  ) {}

  static async start(dataDir: string, httpPort?: number, load?: LoadTestTarget): Promise<EmbeddedTarget> {
    const remoteAdmin = load === undefined ? undefined : await GrpcPolicyAdmin.connect(load.policyAuthority, load.adminToken);
    try {
      const stack = await startEmbeddedStack({
        dataDir,
        httpPort,
        policyAuthority: load === undefined ? undefined : { address: load.policyAuthority, adminToken: load.adminToken },
      });
      return new EmbeddedTarget(stack, remoteAdmin ?? new InProcessPolicyAdmin(stack));
    } catch (error) {
      remoteAdmin?.close();
      throw error;
    }
  }

  /** The run's policy calls as the business agents measured them; undefined before any. */
  policyFigures(runId: string): PolicyLoadFigures | undefined {
    return this.stack.policyCalls.figures(runId);
  }

  get bus() {
    return this.stack.bus;
  }

  get addresses() {
    return { health: `${this.stack.url}/readyz`, runs: `${this.stack.url}/v1/runs`, dashboard: `${this.stack.url}/dashboard` };
  }

  async publishPolicy(runId: string, document: unknown, groups: readonly string[] | undefined, effectiveTick: number): Promise<number> {
    const created = (await this.admin.createPolicy(document)).policy!;
    const published = await this.admin.publishPolicy({ runId, name: created.name, version: created.version, groups: [...(groups ?? [])], effectiveTick });
    return published.revision;
  }

  async createEnrollmentToken(runId: string, durationTicks: number): Promise<string> {
    const response = await this.admin.createEnrollmentToken({ runId, group: '', tick: 0, durationTicks });
    return response.enrollmentToken!.value;
  }

  async outcome(runId: string): Promise<RunOutcome> {
    const run = await this.stack.app.get(TelemetryQueryService).getRun(runId);
    return { runId, phase: run.phase === 'COMPLETED' ? 'COMPLETED' : 'FAILED', digest: run.digest ?? '', summary: run.summary, failure: run.failure };
  }

  async close(): Promise<void> {
    this.admin.close();
    await this.stack.close();
  }
}
