import { describe, expect, it } from 'vitest';
import { judgePacing, pacingWarning, percentile } from './pacing-report';

const REAL_TIME = { mode: 'real-time', speedFactor: 60 } as const; // 60 s ticks → one every 1000 ms

describe('judgePacing', () => {
  it('judges a run whose ticks all started within a few milliseconds as keeping pace', () => {
    const sut = judgePacing(REAL_TIME, 60, [0, 0, 1, 2, 0, 3, 0, 0, 1, 0]);
    expect(sut).toMatchObject({ mode: 'real-time', speedFactor: 60, tickWallMs: 1000, keptPace: true });
    expect(sut.lag).toEqual({ p50Ms: 0, p99Ms: 3, maxMs: 3 });
    expect(pacingWarning(sut)).toBeUndefined();
  });

  it('judges a run whose p99 lag passes 10 % of a tick as losing pace, with a warning naming the figures', () => {
    const lags = Array.from({ length: 100 }, (_, tick) => (tick >= 98 ? 150 : 0)); // two ticks 150 ms late of 1000
    const sut = judgePacing(REAL_TIME, 60, lags);
    expect(sut.keptPace).toBe(false);
    expect(sut.lag!.p99Ms).toBe(150);
    expect(pacingWarning(sut)).toMatch(/could not keep real-time pace ×60 .* p99 150 ms, max 150 ms.*not trustworthy/);
  });

  it('judges one tick a whole tick late as losing pace even when the p99 is small', () => {
    const lags = Array.from({ length: 1000 }, (_, tick) => (tick === 500 ? 1000 : 0));
    const sut = judgePacing(REAL_TIME, 60, lags);
    expect(sut.lag!.p99Ms).toBe(0);
    expect(sut.keptPace).toBe(false);
  });

  it('keeps pace at exactly 10 % of a tick, and loses it just past', () => {
    expect(judgePacing(REAL_TIME, 60, [100]).keptPace).toBe(true);
    expect(judgePacing(REAL_TIME, 60, [100.5]).keptPace).toBe(false);
  });

  it('says lag does not apply to a run as fast as possible', () => {
    const sut = judgePacing({ mode: 'as-fast-as-possible' }, 60, [5, 9]);
    expect(sut).toEqual({ mode: 'as-fast-as-possible', speedFactor: null, tickWallMs: null, lag: null, keptPace: null, rule: null });
    expect(pacingWarning(sut)).toBeUndefined();
  });

  it('does not call a run with no completed tick paced', () => {
    expect(judgePacing(REAL_TIME, 60, []).keptPace).toBe(false);
  });
});

describe('percentile', () => {
  it('takes the nearest rank', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(sorted, 50)).toBe(50);
    expect(percentile(sorted, 99)).toBe(99);
    expect(percentile(sorted, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 99)).toBe(0);
  });
});
