// Load measurement of the policy authority (docs/decisions/0007-load-testing.md): a decorator of
// the PolicyGateway port, around the gRPC adapter (a load test of any server implementing
// duet.policy.v1) or the in-process one, that records each call's latency in HDR histograms and
// counts errors, per run and method. It changes nothing in what the calls carry or answer.
import { build, type Histogram } from 'hdr-histogram-js';
import type { policy } from '@duet/contracts';
import { PolicyGateway, type PolicyCallSchedule } from '../domain/ports';

export type PolicyMethod = 'EnrollBatch' | 'CheckInBatch';
const METHODS: readonly PolicyMethod[] = ['EnrollBatch', 'CheckInBatch'];

const MICROSECONDS_PER_MILLISECOND = 1000;
const SIGNIFICANT_DIGITS = 3; // HDR precision: values within 0.1 % of what was recorded

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
  /** Attempts that failed (the error reached the caller). */
  readonly errors: number;
  /** errors / calls; 0 without calls. */
  readonly errorRate: number;
  /** Handsets carried by the calls that succeeded (rows of the batches). */
  readonly handsets: number;
  /**
   * Latency counted from when the call went out, ignoring how late its tick started. The main
   * figures, in a real-time run, add how late the call's tick started against the schedule: they
   * count from the intended send time, so a slow server that delays the schedule cannot hide its
   * waits (coordinated omission, corrected as wrk2 and k6 do).
   */
  readonly serviceTime: LatencyPercentiles;
}

export interface PolicyLoadFigures {
  readonly rpc: Readonly<Record<PolicyMethod, RpcFigures>>;
  /** Whether latencies count from intended send times (a real-time run) or from actual ones. */
  readonly fromIntendedStart: boolean;
}

class MethodRecorder {
  readonly latency: Histogram = newHistogram();
  readonly serviceTime: Histogram = newHistogram();
  calls = 0;
  errors = 0;
  handsets = 0;
}

function newHistogram(): Histogram {
  // Auto-resizing: a load test's worst latency is not known in advance.
  return build({ numberOfSignificantValueDigits: SIGNIFICANT_DIGITS, autoResize: true, lowestDiscernibleValue: 1 });
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

export class MeasuredPolicyGateway extends PolicyGateway {
  private readonly runs = new Map<string, { methods: Map<PolicyMethod, MethodRecorder>; fromIntendedStart: boolean }>();

  constructor(
    private readonly inner: PolicyGateway,
    /** Wall milliseconds, monotonic: the clock of PolicyCallSchedule. */
    private readonly now: () => number = () => performance.now(),
  ) {
    super();
  }

  enrollBatch(request: policy.EnrollBatchRequest, schedule?: PolicyCallSchedule): Promise<policy.EnrollBatchResponse> {
    return this.measure(request.runId, 'EnrollBatch', request.handsetIds.length, schedule, () => this.inner.enrollBatch(request, schedule));
  }

  checkInBatch(request: policy.CheckInBatchRequest, schedule?: PolicyCallSchedule): Promise<policy.CheckInBatchResponse> {
    return this.measure(request.runId, 'CheckInBatch', request.handsetIds.length, schedule, () => this.inner.checkInBatch(request, schedule));
  }

  /** The run's figures so far; undefined when it made no call through this gateway. */
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
          handsets: recorder.handsets,
          ...percentiles(recorder.latency),
          serviceTime: percentiles(recorder.serviceTime),
        };
        return [method, figures];
      }),
    ) as Record<PolicyMethod, RpcFigures>;
    return { rpc, fromIntendedStart: run.fromIntendedStart };
  }

  /** Drops a run's histograms (the CLI calls it once it has read them). */
  forget(runId: string): void {
    for (const recorder of this.runs.get(runId)?.methods.values() ?? []) {
      recorder.latency.destroy();
      recorder.serviceTime.destroy();
    }
    this.runs.delete(runId);
  }

  private recorder(runId: string, method: PolicyMethod): { recorder: MethodRecorder; run: { fromIntendedStart: boolean } } {
    let run = this.runs.get(runId);
    if (run === undefined) {
      run = { methods: new Map(), fromIntendedStart: false };
      this.runs.set(runId, run);
    }
    let recorder = run.methods.get(method);
    if (recorder === undefined) {
      recorder = new MethodRecorder();
      run.methods.set(method, recorder);
    }
    return { recorder, run };
  }

  private async measure<T>(
    runId: string,
    method: PolicyMethod,
    handsets: number,
    schedule: PolicyCallSchedule | undefined,
    call: () => Promise<T>,
  ): Promise<T> {
    const { recorder, run } = this.recorder(runId, method);
    const started = this.now();
    const lateBy = schedule?.tickLagMilliseconds;
    if (lateBy !== undefined) run.fromIntendedStart = true;
    recorder.calls++;
    try {
      const result = await call();
      const ended = this.now();
      recorder.handsets += handsets;
      recorder.serviceTime.recordValue(toMicroseconds(ended - started));
      recorder.latency.recordValue(toMicroseconds(ended - started + Math.max(0, lateBy ?? 0)));
      return result;
    } catch (error) {
      recorder.errors++;
      throw error;
    }
  }
}

/** Whole microseconds, at least 1 (an HDR histogram records positive integers). */
function toMicroseconds(milliseconds: number): number {
  return Math.max(1, Math.round(milliseconds * MICROSECONDS_PER_MILLISECOND));
}
