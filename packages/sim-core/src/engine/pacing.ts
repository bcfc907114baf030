// Pacing (docs/design.md#time-shards-and-determinism): as fast as possible for what-if runs, or real time × factor for load
// tests, where tick t is due at start + t × tickSeconds / factor on the wall clock and the run
// reports its lag instead of drifting silently. The wall clock is injected (conventions.md principle 6).

export interface WallClock {
  /** Milliseconds, monotonic. */
  now(): number;
  sleep(milliseconds: number): Promise<void>;
}

export const systemClock: WallClock = {
  now: () => performance.now(),
  sleep: (milliseconds) => new Promise((resolve) => setTimeout(resolve, milliseconds)),
};

export type Pacing = { readonly mode: 'as-fast-as-possible' } | { readonly mode: 'real-time'; readonly speedFactor: number };

export interface Pacer {
  /** Waits until tick `tick` is due; returns how late it starts, in wall milliseconds (0 when on time). */
  awaitTick(tick: number): Promise<number>;
}

export function createPacer(pacing: Pacing, tickSeconds: number, clock: WallClock = systemClock): Pacer {
  if (pacing.mode === 'as-fast-as-possible') return { awaitTick: async () => 0 };
  if (!(pacing.speedFactor > 0)) throw new RangeError(`pacing.speedFactor must be > 0, got ${pacing.speedFactor}`);
  const tickMilliseconds = (tickSeconds * 1000) / pacing.speedFactor;
  let start: number | undefined;
  return {
    async awaitTick(tick) {
      start ??= clock.now() - tick * tickMilliseconds;
      const due = start + tick * tickMilliseconds;
      const early = due - clock.now();
      if (early > 0) {
        await clock.sleep(early);
        return 0;
      }
      return Math.max(0, -early); // +0, never -0, when exactly on time
    },
  };
}
