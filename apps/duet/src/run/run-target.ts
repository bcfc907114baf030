import type { RunSummary, SimulationConfig } from '@duet/sim-core';
import type { EventBus } from '@duet/service-kit';
import { publishRunPolicy, runEnrollmentToken, type PolicyAdmin } from '../clients/policy-admin';
import type { TelemetryRuns } from '../clients/telemetry-runs';

/** A run's terminal state as telemetry recorded it. */
export interface RunOutcome {
  readonly runId: string;
  readonly phase: 'COMPLETED' | 'FAILED';
  readonly digest: string;
  readonly summary?: RunSummary;
  readonly failure?: string;
}

/**
 * Where `duet run` runs a scenario (a port with two adapters): the embedded stack in this process,
 * or the local stack's separate services over gRPC, HTTP and Kafka. The orchestration around it
 * (publish the policy timeline, start, follow progress, read the outcome) is the same for both.
 */
export interface RunTarget {
  readonly name: 'embedded' | 'local';
  /** The event bus the run's services talk on (in-process or Kafka). */
  readonly bus: EventBus;
  /** Publishes a policy for a run through policy-authority's admin API; returns its run-scoped revision. */
  publishPolicy(runId: string, policy: unknown, groups: readonly string[] | undefined, effectiveTick: number): Promise<number>;
  /** An enrollment token valid for the whole run (re-provisioned handsets enroll late). */
  createEnrollmentToken(runId: string, durationTicks: number): Promise<string>;
  /** The run as telemetry stored it, once COMPLETED or FAILED. */
  outcome(runId: string): Promise<RunOutcome>;
  /**
   * Where telemetry's stored run stands now, when the target can ask (undefined before telemetry
   * has it): what `duet run` falls back on when its own consumers missed messages (a broker restart).
   */
  progress?(runId: string): Promise<{ readonly phase: 'STARTED' | 'COMPLETED' | 'FAILED'; readonly ticksCompleted: number } | undefined>;
  /** Addresses a person can open while the run goes (health, query API). */
  readonly addresses: Readonly<Record<string, string>>;
  close(): Promise<void>;
}

export interface RunRequest {
  readonly runId: string;
  readonly scenario: string;
  readonly config: SimulationConfig;
}

/**
 * What both targets do alike, through the two ports a run uses: its policy timeline and enrollment
 * token through a PolicyAdmin, its outcome and progress from TelemetryRuns.
 */
export abstract class ServicesTarget implements RunTarget {
  abstract readonly name: RunTarget['name'];
  abstract readonly bus: EventBus;
  abstract readonly addresses: Readonly<Record<string, string>>;

  protected constructor(
    protected readonly admin: PolicyAdmin,
    protected readonly runs: TelemetryRuns,
  ) {}

  publishPolicy(runId: string, document: unknown, groups: readonly string[] | undefined, effectiveTick: number): Promise<number> {
    return publishRunPolicy(this.admin, runId, document, groups, effectiveTick);
  }

  createEnrollmentToken(runId: string, durationTicks: number): Promise<string> {
    return runEnrollmentToken(this.admin, runId, durationTicks);
  }

  async outcome(runId: string): Promise<RunOutcome> {
    // Telemetry stores the run before it announces COMPLETED; read it back.
    const run = await this.runs.find(runId);
    if (run === undefined) throw new Error(`telemetry at ${this.runs.where} knows no run ${runId}`);
    return { runId, phase: run.phase === 'COMPLETED' ? 'COMPLETED' : 'FAILED', digest: run.digest ?? '', summary: run.summary, failure: run.failure };
  }

  async progress(runId: string): Promise<{ readonly phase: 'STARTED' | 'COMPLETED' | 'FAILED'; readonly ticksCompleted: number } | undefined> {
    const run = await this.runs.find(runId, { timeoutMs: PROGRESS_TIMEOUT_MS }).catch(() => undefined);
    return run === undefined ? undefined : { phase: run.phase, ticksCompleted: run.ticksCompleted };
  }

  abstract close(): Promise<void>;
}

const PROGRESS_TIMEOUT_MS = 5_000; // a progress poll; the next one tries again
