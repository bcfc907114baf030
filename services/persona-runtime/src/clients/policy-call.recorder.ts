// What a load test measures of a policy authority, per run (docs/decisions/0007-load-testing.md):
// per RPC method, HDR histograms of latency (from the intended send time, and from the actual one),
// calls, retries and errors by gRPC status; and where the server's answers differ from the
// reference model (divergences). Both the batch and the per-handset gateways record here.
import { build, type Histogram } from 'hdr-histogram-js';
import type { Divergence, DivergenceFigures, DivergenceKind } from '../domain/divergence';
import { PolicyGateway } from '../domain/ports';

/** The batch RPCs (one call per shard and tick) and the per-handset ones (one call per agent). */
export type PolicyMethod = 'EnrollBatch' | 'CheckInBatch' | 'Enroll' | 'CheckIn';
const METHODS: readonly PolicyMethod[] = ['EnrollBatch', 'CheckInBatch', 'Enroll', 'CheckIn'];

const MICROSECONDS_PER_MILLISECOND = 1000;
const SIGNIFICANT_DIGITS = 3; // HDR precision: values within 0.1 % of what was recorded
const DIVERGENCES_KEPT = 100; // the first ones, in full; the rest are counted

/** Latency percentiles in milliseconds, read from an HDR histogram of microseconds. */
export interface LatencyPercentiles {
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly meanMs: number;
}

/** One method's calls over a run. */
export interface RpcFigures extends LatencyPercentiles {
  /** Attempts, each retry included. */
  readonly calls: number;
  /** Attempts that failed (the error reached the caller, or was retried). */
  readonly errors: number;
  /** errors / calls; 0 without calls. */
  readonly errorRate: number;
  /** Failed attempts by gRPC status name (UNAVAILABLE, UNAUTHENTICATED ...). */
  readonly errorsByCode: Readonly<Record<string, number>>;
  /** Attempts that repeated a failed one (after a backoff). */
  readonly retries: number;
  /** Handsets carried by the calls that succeeded (rows of a batch; 1 per per-handset call). */
  readonly handsets: number;
  /**
   * Latency counted from when the call went out, ignoring how late it was against its schedule.
   * The main figures, in a real-time run, count from the intended send time, so a slow server that
   * delays the schedule cannot hide its waits (coordinated omission, corrected as wrk2 and k6 do).
   */
  readonly serviceTime: LatencyPercentiles;
}

export interface PolicyLoadFigures {
  readonly rpc: Readonly<Record<PolicyMethod, RpcFigures>>;
  /** Whether latencies count from intended send times (a real-time run) or from actual ones. */
  readonly fromIntendedStart: boolean;
  readonly divergences: DivergenceFigures;
}

class MethodRecorder {
  readonly latency: Histogram = newHistogram();
  readonly serviceTime: Histogram = newHistogram();
  calls = 0;
  errors = 0;
  retries = 0;
  handsets = 0;
  readonly errorsByCode: Record<string, number> = {};
}

class RunRecorder {
  readonly methods = new Map<PolicyMethod, MethodRecorder>();
  fromIntendedStart = false;
  divergenceCount = 0;
  readonly divergencesByKind: Partial<Record<DivergenceKind, number>> = {};
  readonly firstDivergences: Divergence[] = [];

  method(method: PolicyMethod): MethodRecorder {
    let recorder = this.methods.get(method);
    if (recorder === undefined) this.methods.set(method, (recorder = new MethodRecorder()));
    return recorder;
  }
}

function newHistogram(): Histogram {
  // Auto-resizing: a load test's worst latency is not known in advance.
  return build({ numberOfSignificantValueDigits: SIGNIFICANT_DIGITS, autoResize: true, lowestDiscernibleValue: 1 });
}

/** One attempt of a call, as the gateway saw it. */
export interface Attempt {
  readonly runId: string;
  readonly method: PolicyMethod;
  /** Wall milliseconds from the intended send time to the answer (the service time plus how late it went out). */
  readonly latencyMs: number;
  /** Wall milliseconds from the actual send to the answer. */
  readonly serviceMs: number;
  /** Whether the call had a schedule to be late against (a real-time run). */
  readonly scheduled: boolean;
  /** Handsets the call carried when it succeeded. */
  readonly handsets: number;
  /** gRPC status name of a failed attempt; undefined when it succeeded. */
  readonly errorCode?: string;
  /** Whether it repeats a failed attempt. */
  readonly retry?: boolean;
}

export class PolicyCallRecorder {
  private readonly runs = new Map<string, RunRecorder>();

  record(attempt: Attempt): void {
    const run = this.run(attempt.runId);
    if (attempt.scheduled) run.fromIntendedStart = true;
    const recorder = run.method(attempt.method);
    recorder.calls++;
    if (attempt.retry === true) recorder.retries++;
    if (attempt.errorCode !== undefined) {
      recorder.errors++;
      recorder.errorsByCode[attempt.errorCode] = (recorder.errorsByCode[attempt.errorCode] ?? 0) + 1;
      return;
    }
    recorder.handsets += attempt.handsets;
    recorder.serviceTime.recordValue(toMicroseconds(attempt.serviceMs));
    recorder.latency.recordValue(toMicroseconds(attempt.latencyMs));
  }

  diverged(runId: string, divergences: readonly Divergence[]): void {
    if (divergences.length === 0) return;
    const run = this.run(runId);
    for (const divergence of divergences) {
      run.divergenceCount++;
      run.divergencesByKind[divergence.kind] = (run.divergencesByKind[divergence.kind] ?? 0) + 1;
      if (run.firstDivergences.length < DIVERGENCES_KEPT) run.firstDivergences.push(divergence);
    }
  }

  /** The run's figures so far; undefined when nothing was recorded for it. */
  figures(runId: string): PolicyLoadFigures | undefined {
    const run = this.runs.get(runId);
    if (run === undefined) return undefined;
    const rpc = Object.fromEntries(
      METHODS.map((method) => {
        const recorder = run.methods.get(method) ?? new MethodRecorder();
        const figures: RpcFigures = {
          calls: recorder.calls,
          errors: recorder.errors,
          errorRate: recorder.calls === 0 ? 0 : Math.round((recorder.errors / recorder.calls) * 1e6) / 1e6,
          errorsByCode: { ...recorder.errorsByCode },
          retries: recorder.retries,
          handsets: recorder.handsets,
          ...percentiles(recorder.latency),
          serviceTime: percentiles(recorder.serviceTime),
        };
        return [method, figures];
      }),
    ) as Record<PolicyMethod, RpcFigures>;
    return {
      rpc,
      fromIntendedStart: run.fromIntendedStart,
      divergences: { total: run.divergenceCount, byKind: { ...run.divergencesByKind }, first: [...run.firstDivergences] },
    };
  }

  /** Drops a run's histograms (the CLI calls it once it has read them). */
  forget(runId: string): void {
    for (const recorder of this.runs.get(runId)?.methods.values() ?? []) {
      recorder.latency.destroy();
      recorder.serviceTime.destroy();
    }
    this.runs.delete(runId);
  }

  private run(runId: string): RunRecorder {
    let run = this.runs.get(runId);
    if (run === undefined) this.runs.set(runId, (run = new RunRecorder()));
    return run;
  }
}

function percentiles(histogram: Histogram): LatencyPercentiles {
  if (histogram.totalCount === 0) return { p50Ms: 0, p90Ms: 0, p95Ms: 0, p99Ms: 0, maxMs: 0, meanMs: 0 };
  const maxMs = histogram.maxValue / MICROSECONDS_PER_MILLISECOND;
  // A percentile reads as its bucket's highest equivalent value, which may pass the maximum by < 0.1 %.
  const at = (percentile: number) => Math.min(maxMs, histogram.getValueAtPercentile(percentile) / MICROSECONDS_PER_MILLISECOND);
  return {
    p50Ms: at(50),
    p90Ms: at(90),
    p95Ms: at(95),
    p99Ms: at(99),
    maxMs,
    meanMs: Math.round((histogram.mean / MICROSECONDS_PER_MILLISECOND) * 1000) / 1000,
  };
}

/** Whole microseconds, at least 1 (an HDR histogram records positive integers). */
function toMicroseconds(milliseconds: number): number {
  return Math.max(1, Math.round(milliseconds * MICROSECONDS_PER_MILLISECOND));
}

/**
 * A PolicyGateway that records its calls (latency per method, errors, retries) and the divergences
 * the runner reports, for the run's load report.
 */
export abstract class RecordedPolicyGateway extends PolicyGateway {
  protected readonly recorder = new PolicyCallRecorder();

  override diverged(runId: string, divergences: readonly Divergence[]): void {
    this.recorder.diverged(runId, divergences);
  }

  /** The run's figures so far; undefined when it made no call through this gateway. */
  figures(runId: string): PolicyLoadFigures | undefined {
    return this.recorder.figures(runId);
  }

  /** Drops a run's histograms (the CLI calls it once it has read them). */
  forget(runId: string): void {
    this.recorder.forget(runId);
  }
}
