// The port a run's outcome and progress, and `duet compare`'s runs by id, are read through: runs
// as telemetry stored them, from the embedded telemetry in this process or a telemetry's HTTP API.
import type { RunView } from '@duet/telemetry';

/** A run as telemetry stored it. */
export type StoredRun = Pick<RunView, 'runId' | 'scenario' | 'seed' | 'handsets' | 'phase' | 'ticksCompleted' | 'digest' | 'summary' | 'failure'>;

export interface TelemetryRuns {
  /** Where telemetry is, for messages. */
  readonly where: string;
  /** The run; undefined when telemetry knows no such run. Throws TelemetryUnreachable when it cannot ask. */
  find(runId: string, options?: { readonly timeoutMs?: number }): Promise<StoredRun | undefined>;
}

/** Telemetry could not be asked (not listening, timed out, or answered with an error). */
export class TelemetryUnreachable extends Error {
  constructor(where: string, why: string) {
    super(`telemetry at ${where}: ${why}`);
    this.name = 'TelemetryUnreachable';
  }
}
