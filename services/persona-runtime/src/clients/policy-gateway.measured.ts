// Load measurement of the policy authority's batch RPCs (docs/decisions/0007-load-testing.md): a
// decorator of the PolicyGateway port, around the gRPC adapter (a load test of any server
// implementing duet.policy.v1) or the in-process one, that records each call in a
// PolicyCallRecorder per run and method. It changes nothing in what the calls carry or answer.
import type { policy } from '@duet/contracts';
import { grpcStatusName } from '@duet/service-kit';
import { PolicyGateway, type CheckInBatchAnswer, type EnrollBatchAnswer, type PolicyCallSchedule } from '../domain/ports';
import { RecordedPolicyGateway, type PolicyMethod } from './policy-call.recorder';

export class MeasuredPolicyGateway extends RecordedPolicyGateway {
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
  if (typeof code === 'number') return grpcStatusName(code);
  return (error as { name?: string }).name === 'PeerUnavailable' ? 'UNAVAILABLE' : 'ERROR';
}
