// A run as `duet compare` sees it: where it came from, its KPI values and the thresholds it was
// judged by. Read from a report file or, by id, from telemetry (which keeps summaries, not series).
import type { ForkedFrom } from '../fork/fork-plan';
import type { ThresholdResult } from '../thresholds/threshold';

export interface ComparedRun {
  /** What the user named: a report path or a run id. */
  readonly label: string;
  readonly source: 'report' | 'telemetry';
  readonly scenario: string;
  readonly seed: number;
  readonly handsets: number;
  readonly digest: string;
  /** Registry KPIs; series KPIs are null when `measured` is false. */
  readonly kpis: Readonly<Record<string, number | null>>;
  /** Whether the run was measured tick by tick (reports are; runs read from telemetry are not). */
  readonly measured: boolean;
  /** The thresholds its scenario set, as judged in the run. */
  readonly thresholds: readonly ThresholdResult[];
  /** The run's id, where known. */
  readonly runId?: string;
  /** Fleet KPIs per tick (reports only), with the clock to read ticks by. */
  readonly series?: Readonly<Record<string, readonly number[]>>;
  readonly timing?: { readonly tickSeconds: number; readonly startMinuteOfDay: number };
  /** The earlier run this one was forked from. */
  readonly forkedFrom?: ForkedFrom;
}

export class CompareInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CompareInputError';
  }
}
