import {
  EnrollmentTokenService,
  PolicyCatalogueService,
  PublicationService,
  TelemetryQueryService,
  startEmbeddedStack,
  type EmbeddedStack,
} from '../embedded/embedded-stack';
import type { RunOutcome, RunTarget } from './run-target';

/** The embedded adapter of RunTarget: every service in this process. */
export class EmbeddedTarget implements RunTarget {
  readonly name = 'embedded' as const;

  private constructor(private readonly stack: EmbeddedStack) {}

  static async start(dataDir: string, httpPort?: number): Promise<EmbeddedTarget> {
    return new EmbeddedTarget(await startEmbeddedStack({ dataDir, httpPort }));
  }

  get bus() {
    return this.stack.bus;
  }

  get addresses() {
    return { health: `${this.stack.url}/readyz`, runs: `${this.stack.url}/v1/runs` };
  }

  async publishPolicy(runId: string, policy: unknown, groups: readonly string[] | undefined, effectiveTick: number): Promise<number> {
    const created = await this.stack.app.get(PolicyCatalogueService).createPolicyDocument(policy);
    const published = await this.stack.app.get(PublicationService).publishPolicy({
      runId,
      name: created.policy!.name,
      version: created.policy!.version,
      groups: [...(groups ?? [])],
      effectiveTick,
    });
    return published.revision;
  }

  async createEnrollmentToken(runId: string, durationTicks: number): Promise<string> {
    const response = await this.stack.app.get(EnrollmentTokenService).createEnrollmentToken({ runId, group: '', tick: 0, durationTicks });
    return response.enrollmentToken!.value;
  }

  async outcome(runId: string): Promise<RunOutcome> {
    const run = await this.stack.app.get(TelemetryQueryService).getRun(runId);
    return { runId, phase: run.phase === 'COMPLETED' ? 'COMPLETED' : 'FAILED', digest: run.digest ?? '', summary: run.summary, failure: run.failure };
  }

  close(): Promise<void> {
    return this.stack.close();
  }
}
