// Load measurement of the policy authority's batch RPCs (docs/decisions/0007-load-testing.md): a
// decorator of the PolicyGateway port, around the gRPC adapter (a load test of any server
// implementing duet.policy.v1) or the in-process one, that records each call in a
// PolicyCallRecorder per run and method. It changes nothing in what the calls carry or answer.
import type { policy } from '@duet/contracts';
import { PolicyGateway, type CheckInBatchAnswer, type EnrollBatchAnswer, type PolicyCallSchedule } from '../domain/ports';
import { PolicyCallRecorder, type Divergence, type PolicyLoadFigures, type PolicyMethod } from './policy-call.recorder';

export class MeasuredPolicyGateway extends PolicyGateway {
  private readonly recorder = new PolicyCallRecorder();

  constructor(
    private readonly inner: PolicyGateway,
    /** Wall milliseconds, monotonic: the clock of PolicyCallSchedule. */
    private readonly now: () => number = () => performance.now(),
  ) {
    super();
  }

  enrollBatch(request: policy.EnrollBatchRequest, schedule?: PolicyCallSchedule): Promise<EnrollBatchAnswer> {
    return this.measure(request.runId, 'EnrollBatch', request.handsetIds.length, schedule, () => this.inner.enrollBatch(request, schedule));
  }

  checkInBatch(request: policy.CheckInBatchRequest, schedule?: PolicyCallSchedule): Promise<CheckInBatchAnswer> {
    return this.measure(request.runId, 'CheckInBatch', request.handsetIds.length, schedule, () => this.inner.checkInBatch(request, schedule));
  }

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

  private async measure<T>(
    runId: string,
    method: PolicyMethod,
    handsets: number,
    schedule: PolicyCallSchedule | undefined,
    call: () => Promise<T>,
  ): Promise<T> {
    const started = this.now();
    const lateBy = Math.max(0, schedule?.tickLagMilliseconds ?? 0);
    const scheduled = schedule?.tickLagMilliseconds !== undefined;
    try {
      const result = await call();
      const serviceMs = this.now() - started;
      this.recorder.record({ runId, method, latencyMs: serviceMs + lateBy, serviceMs, scheduled, handsets });
      return result;
    } catch (error) {
      const serviceMs = this.now() - started;
      this.recorder.record({ runId, method, latencyMs: serviceMs + lateBy, serviceMs, scheduled, handsets, errorCode: statusName(error) });
      throw error;
    }
  }
}

/** The gRPC status name of a failed call (UNAVAILABLE ...), or the error's name. */
export function statusName(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'number') return GRPC_STATUS_NAMES[code] ?? String(code);
  return (error as { name?: string }).name === 'PeerUnavailable' ? 'UNAVAILABLE' : 'ERROR';
}

const GRPC_STATUS_NAMES = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
];
