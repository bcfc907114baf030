import type { RunSummary, SimulationConfig } from '@duet/sim-core';
import type { EventBus } from '@duet/service-kit';

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
