import { describe, expect, it } from 'vitest';
import type { Divergence } from '../domain/divergence';
import { PolicyCallRecorder } from './policy-call.recorder';
import { jitter } from './policy-gateway.per-handset';

describe('PolicyCallRecorder', () => {
  it('counts attempts, retries and errors by status per method, and times only the answered ones', () => {
    const sut = new PolicyCallRecorder();
    const base = { runId: 'run-a', method: 'CheckIn' as const, scheduled: true, handsets: 1 };
    sut.record({ ...base, latencyMs: 40, serviceMs: 10, errorCode: 'UNAVAILABLE' });
    sut.record({ ...base, latencyMs: 90, serviceMs: 30, retry: true });
    sut.record({ ...base, latencyMs: 20, serviceMs: 20, errorCode: 'UNAUTHENTICATED' });
    sut.record({ ...base, method: 'Enroll', latencyMs: 5, serviceMs: 5 });
    const figures = sut.figures('run-a')!;
    expect(figures.fromIntendedStart).toBe(true);
    expect(figures.rpc.CheckIn).toMatchObject({ calls: 3, retries: 1, errors: 2, handsets: 1, errorsByCode: { UNAVAILABLE: 1, UNAUTHENTICATED: 1 } });
    expect(figures.rpc.CheckIn.maxMs).toBeCloseTo(90, 0);
    expect(figures.rpc.CheckIn.serviceTime.maxMs).toBeCloseTo(30, 0);
    expect(figures.rpc.Enroll).toMatchObject({ calls: 1, errors: 0, errorRate: 0 });
    expect(figures.rpc.CheckInBatch.calls).toBe(0);
    expect(sut.figures('run-b')).toBeUndefined();
  });

  it('counts divergences by kind and keeps the first hundred in full', () => {
    const sut = new PolicyCallRecorder();
    const divergence = (handsetId: number, kind: Divergence['kind']): Divergence => ({
      kind,
      tick: 3,
      handsetId,
      field: 'assigned_revision',
      expected: '1',
      received: '2',
    });
    sut.diverged(
      'run-a',
      Array.from({ length: 150 }, (_, i) => divergence(i, i % 3 === 0 ? 'command' : 'policy-revision')),
    );
    const { divergences } = sut.figures('run-a')!;
    expect(divergences.total).toBe(150);
    expect(divergences.byKind).toEqual({ command: 50, 'policy-revision': 100 });
    expect(divergences.first.map((each) => each.handsetId)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });
});

describe('jitter', () => {
  it('spreads handsets over [0, 1), the same for the same run, handset and tick', () => {
    const values = Array.from({ length: 10_000 }, (_, id) => jitter('run-a', id, 7));
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
    // Roughly uniform: each tenth of the spread gets about a tenth of the handsets.
    for (let decile = 0; decile < 10; decile++) {
      const share = values.filter((value) => Math.floor(value * 10) === decile).length / values.length;
      expect(share).toBeGreaterThan(0.08);
      expect(share).toBeLessThan(0.12);
    }
    expect(jitter('run-a', 42, 7)).toBe(values[42]);
    expect(jitter('run-a', 42, 8)).not.toBe(values[42]);
  });
});
