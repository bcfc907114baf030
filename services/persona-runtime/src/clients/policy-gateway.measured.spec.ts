import { describe, expect, it } from 'vitest';
import { policy } from '@duet/contracts';
import { PeerUnavailable, PolicyGateway } from '../domain/ports';
import { MeasuredPolicyGateway } from './policy-gateway.measured';

/** A gateway whose answers take a given time on a manual clock, and fail when told to. */
class ScriptedGateway extends PolicyGateway {
  failNext = false;
  constructor(
    private readonly clock: { now: number },
    private readonly takesMilliseconds: number,
  ) {
    super();
  }

  async enrollBatch(request: policy.EnrollBatchRequest): Promise<policy.EnrollBatchResponse> {
    this.clock.now += this.takesMilliseconds;
    return { deviceCredentials: request.handsetIds.map(String), assignedRevision: request.handsetIds.map(() => 1) };
  }

  async checkInBatch(request: policy.CheckInBatchRequest): Promise<policy.CheckInBatchResponse> {
    this.clock.now += this.takesMilliseconds;
    if (this.failNext) {
      this.failNext = false;
      throw new PeerUnavailable('policy-authority', 'UNAVAILABLE');
    }
    return { assignedRevision: request.handsetIds.map(() => 1) };
  }
}

const checkIns = (runId: string, handsets: number) =>
  policy.CheckInBatchRequest.fromPartial({ runId, handsetIds: Array.from({ length: handsets }, (_, i) => i) });

describe('MeasuredPolicyGateway', () => {
  it('records each call’s latency per method, the handsets it carried, and passes answers through', async () => {
    const clock = { now: 1000 };
    const sut = new MeasuredPolicyGateway(new ScriptedGateway(clock, 12), () => clock.now);
    const answer = await sut.checkInBatch(checkIns('run-a', 3));
    await sut.checkInBatch(checkIns('run-a', 2));
    await sut.enrollBatch(policy.EnrollBatchRequest.fromPartial({ runId: 'run-a', handsetIds: [7] }));
    expect(answer.assignedRevision).toEqual([1, 1, 1]);
    const figures = sut.figures('run-a')!;
    expect(figures.fromIntendedStart).toBe(false);
    expect(figures.rpc.CheckInBatch).toMatchObject({ calls: 2, errors: 0, errorRate: 0, handsets: 5 });
    expect(figures.rpc.CheckInBatch.p50Ms).toBeCloseTo(12, 1);
    expect(figures.rpc.CheckInBatch.p99Ms).toBeCloseTo(12, 1);
    expect(figures.rpc.CheckInBatch.maxMs).toBeCloseTo(12, 1);
    expect(figures.rpc.EnrollBatch).toMatchObject({ calls: 1, handsets: 1 });
    expect(figures.rpc.CheckInBatch.p99Ms).toBeLessThanOrEqual(figures.rpc.CheckInBatch.maxMs);
  });

  it('counts latency from the intended send time when the tick started late (coordinated omission)', async () => {
    const clock = { now: 1000 };
    const sut = new MeasuredPolicyGateway(new ScriptedGateway(clock, 5), () => clock.now);
    // The tick started 200 ms after it was due: the server had kept the schedule behind.
    await sut.checkInBatch(checkIns('late', 1), { tickLagMilliseconds: 200 });
    const figures = sut.figures('late')!;
    expect(figures.fromIntendedStart).toBe(true);
    expect(figures.rpc.CheckInBatch.p99Ms).toBeCloseTo(205, 0);
    expect(figures.rpc.CheckInBatch.serviceTime.p99Ms).toBeCloseTo(5, 1);
  });

  it('adds nothing for a paced tick that started on time, yet marks the figures as from intended send times', async () => {
    const clock = { now: 1000 };
    const sut = new MeasuredPolicyGateway(new ScriptedGateway(clock, 4), () => clock.now);
    await sut.checkInBatch(checkIns('on-time', 1), { tickLagMilliseconds: 0 });
    expect(sut.figures('on-time')!.rpc.CheckInBatch.p50Ms).toBeCloseTo(4, 1);
    expect(sut.figures('on-time')!.fromIntendedStart).toBe(true);
  });

  it('counts failed attempts as errors and rethrows them', async () => {
    const clock = { now: 0 };
    const inner = new ScriptedGateway(clock, 1);
    const sut = new MeasuredPolicyGateway(inner, () => clock.now);
    inner.failNext = true;
    await expect(sut.checkInBatch(checkIns('flaky', 4))).rejects.toBeInstanceOf(PeerUnavailable);
    await sut.checkInBatch(checkIns('flaky', 4));
    expect(sut.figures('flaky')!.rpc.CheckInBatch).toMatchObject({ calls: 2, errors: 1, errorRate: 0.5, handsets: 4 });
  });

  it('keeps runs apart and forgets a run once read', async () => {
    const clock = { now: 0 };
    const sut = new MeasuredPolicyGateway(new ScriptedGateway(clock, 1), () => clock.now);
    await sut.checkInBatch(checkIns('one', 1));
    await sut.checkInBatch(checkIns('two', 2));
    expect(sut.figures('one')!.rpc.CheckInBatch.handsets).toBe(1);
    expect(sut.figures('two')!.rpc.CheckInBatch.handsets).toBe(2);
    expect(sut.figures('one')!.rpc.EnrollBatch).toMatchObject({ calls: 0, p99Ms: 0 });
    sut.forget('one');
    expect(sut.figures('one')).toBeUndefined();
    expect(sut.figures('never')).toBeUndefined();
  });
});
