import type { PolicyLoadFigures } from '@duet/persona-runtime';
import type { PolicyAdmin } from '../clients/policy-admin';
import { GrpcPolicyAdmin } from '../clients/policy-admin.grpc';
import { InProcessPolicyAdmin } from '../clients/policy-admin.in-process';
import { InProcessTelemetryRuns } from '../clients/telemetry-runs.in-process';
import { startEmbeddedStack, type EmbeddedStack, type Traffic } from '../embedded/embedded-stack';
import { ServicesTarget } from './run-target';

/** A policy authority to load-test: where its gRPC API listens and its admin token. */
export interface LoadTestTarget {
  readonly policyAuthority: string;
  readonly adminToken: string;
  /** One batch RPC per shard and tick, or each agent's own unary calls. */
  readonly traffic: Traffic;
  /** HTTP/2 connections of per-handset traffic. */
  readonly connections?: number;
  /** The CA (PEM file, DUET_TLS_CA) its TLS certificate is verified with; plaintext when undefined. */
  readonly caFile?: string;
}

/**
 * The embedded adapter of RunTarget: every service in this process; with a load-test target, the
 * business agents and the run's policy timeline go to that policy authority over gRPC instead.
 */
export class EmbeddedTarget extends ServicesTarget {
  readonly name = 'embedded' as const;

  private constructor(
    private readonly stack: EmbeddedStack,
    admin: PolicyAdmin,
  ) {
    super(admin, new InProcessTelemetryRuns(stack.app));
  }

  static async start(dataDir: string, httpPort?: number, load?: LoadTestTarget): Promise<EmbeddedTarget> {
    const remoteAdmin = load === undefined ? undefined : await GrpcPolicyAdmin.connect(load.policyAuthority, load.adminToken, load.caFile);
    try {
      const stack = await startEmbeddedStack({
        dataDir,
        httpPort,
        policyAuthority: load === undefined ? undefined : { address: load.policyAuthority, adminToken: load.adminToken, caFile: load.caFile },
        traffic: load?.traffic,
        connections: load?.connections,
      });
      return new EmbeddedTarget(stack, remoteAdmin ?? new InProcessPolicyAdmin(stack.app));
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

  async close(): Promise<void> {
    this.admin.close();
    await this.stack.close();
  }
}
