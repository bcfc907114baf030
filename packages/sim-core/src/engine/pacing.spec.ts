import { describe, expect, it } from 'vitest';
import { createPacer, type WallClock } from './pacing';

/** A wall clock the test drives: `sleep` advances time at once and records how long it slept. */
class FakeWallClock implements WallClock {
  readonly sleeps: number[] = [];

  constructor(public time: number) {}

  now(): number {
    return this.time;
  }

  async sleep(milliseconds: number): Promise<void> {
    this.sleeps.push(milliseconds);
    this.time += milliseconds;
  }

  advance(milliseconds: number): void {
    this.time += milliseconds;
  }
}

const TICK_SECONDS = 60; // simulated seconds per tick

describe('createPacer, as fast as possible', () => {
  it('never waits and reports no lateness', async () => {
    const clock = new FakeWallClock(1000);
    const sut = createPacer({ mode: 'as-fast-as-possible' }, TICK_SECONDS, clock);
    for (let tick = 0; tick < 100; tick++) expect(await sut.awaitTick(tick)).toBe(0);
    expect(clock.sleeps).toEqual([]);
    expect(clock.time).toBe(1000);
  });
});

describe('createPacer, real time', () => {
  // 60 simulated seconds per tick at 60× real time: one tick per wall second.
  const pacing = { mode: 'real-time', speedFactor: 60 } as const;

  it('starts the first tick at once, without sleeping', async () => {
    const clock = new FakeWallClock(5000);
    const sut = createPacer(pacing, TICK_SECONDS, clock);
    expect(await sut.awaitTick(0)).toBeCloseTo(0, 9);
    expect(clock.sleeps).toEqual([]);
  });

  it('reports +0, not -0, for a tick that starts exactly on time', async () => {
    const clock = new FakeWallClock(5000);
    const sut = createPacer(pacing, TICK_SECONDS, clock);
    expect(await sut.awaitTick(0)).toBe(0);
  });

  it('waits until tick t is due at start + t × tickSeconds / speedFactor', async () => {
    const clock = new FakeWallClock(5000);
    const sut = createPacer(pacing, TICK_SECONDS, clock);
    await sut.awaitTick(0);
    expect(await sut.awaitTick(1)).toBe(0);
    expect(clock.time).toBe(6000);
    clock.advance(250); // the tick's work took a quarter of its budget
    expect(await sut.awaitTick(2)).toBe(0);
    expect(clock.sleeps).toEqual([1000, 750]);
    expect(clock.time).toBe(7000);
  });

  it('returns the lateness in wall milliseconds when the clock ran past the due time, without sleeping', async () => {
    const clock = new FakeWallClock(0);
    const sut = createPacer(pacing, TICK_SECONDS, clock);
    await sut.awaitTick(0);
    clock.advance(1500);
    expect(await sut.awaitTick(1)).toBe(500);
    expect(clock.sleeps).toEqual([]);
  });

  it('keeps the schedule anchored to the start instead of drifting after a late tick', async () => {
    const clock = new FakeWallClock(0);
    const sut = createPacer(pacing, TICK_SECONDS, clock);
    await sut.awaitTick(0);
    clock.advance(1500);
    await sut.awaitTick(1); // 500 ms late
    expect(await sut.awaitTick(2)).toBe(0);
    expect(clock.sleeps).toEqual([500]); // tick 2 is due at 2000, not at 1500 + 1000
    expect(clock.time).toBe(2000);
  });

  it('scales the tick length by the speed factor', async () => {
    const clock = new FakeWallClock(0);
    const sut = createPacer({ mode: 'real-time', speedFactor: 2 }, 1, clock);
    await sut.awaitTick(0);
    await sut.awaitTick(1);
    await sut.awaitTick(2);
    expect(clock.sleeps).toEqual([500, 500]);
  });

  it('anchors a run that resumes at a later tick so that tick is due now', async () => {
    const clock = new FakeWallClock(10_000);
    const sut = createPacer(pacing, TICK_SECONDS, clock);
    expect(await sut.awaitTick(50)).toBeCloseTo(0, 9);
    expect(await sut.awaitTick(51)).toBe(0);
    expect(clock.sleeps).toEqual([1000]);
  });

  it.each([0, -1, Number.NaN])('rejects a speed factor of %s', (speedFactor) => {
    expect(() => createPacer({ mode: 'real-time', speedFactor }, TICK_SECONDS, new FakeWallClock(0))).toThrow(RangeError);
  });
});
