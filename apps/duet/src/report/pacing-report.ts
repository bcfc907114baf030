// Whether a real-time run kept pace (docs/design.md#time-shards-and-determinism: a load test that cannot keep pace says so instead
// of drifting silently). Each tick's lag is how late its latest shard and persona started it against
// the schedule `start + tick × tickSeconds / speedFactor`; the run kept pace when
//   - the 99th percentile of the ticks' lags is at most 10 % of a paced tick, and
//   - no tick started a whole paced tick late (or later).
// A run that did not keep pace offered the back end less load than the scenario asks for, and its
// latency figures mix the back end's slowness with the simulator's own: they are not trustworthy.
import { DEFAULT_TICK_SECONDS, type Pacing, type SimulationConfig } from '@duet/sim-core';

export const P99_LAG_SHARE_OF_TICK = 0.1; // of a paced tick's wall time
export const MAX_LAG_TICKS = 1; // paced ticks
export const KEPT_PACE_RULE = `p99 tick lag ≤ ${P99_LAG_SHARE_OF_TICK * 100} % of a paced tick and every tick less than ${MAX_LAG_TICKS} paced tick late`;

export interface PacingReport {
  readonly mode: Pacing['mode'];
  /** Simulated seconds per wall second; null when not paced. */
  readonly speedFactor: number | null;
  /** Wall milliseconds a tick is given; null when not paced. */
  readonly tickWallMs: number | null;
  /** Over the ticks, how late each started, in wall milliseconds; null when not paced. */
  readonly lag: { readonly p50Ms: number; readonly p99Ms: number; readonly maxMs: number } | null;
  /** Whether the run kept its schedule by KEPT_PACE_RULE; null when not paced (nothing to keep). */
  readonly keptPace: boolean | null;
  readonly rule: string | null;
}

const round = (value: number) => Math.round(value * 1000) / 1000;

/** The value at percentile p (0..100) of ascending `sorted`, nearest rank. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export function pacingOf(config: SimulationConfig): Pacing {
  return config.pacing ?? { mode: 'as-fast-as-possible' };
}

/** Judges a run's per-tick lags (wall milliseconds, index = tick) against its pacing. */
export function judgePacing(pacing: Pacing, tickSeconds: number | undefined, tickLagsMilliseconds: readonly number[]): PacingReport {
  if (pacing.mode !== 'real-time') return { mode: pacing.mode, speedFactor: null, tickWallMs: null, lag: null, keptPace: null, rule: null };
  const tickWallMs = ((tickSeconds ?? DEFAULT_TICK_SECONDS) * 1000) / pacing.speedFactor;
  const sorted = [...tickLagsMilliseconds].sort((a, b) => a - b);
  const lag = { p50Ms: round(percentile(sorted, 50)), p99Ms: round(percentile(sorted, 99)), maxMs: round(sorted[sorted.length - 1] ?? 0) };
  const keptPace = sorted.length > 0 && lag.p99Ms <= P99_LAG_SHARE_OF_TICK * tickWallMs && lag.maxMs < MAX_LAG_TICKS * tickWallMs;
  return { mode: pacing.mode, speedFactor: pacing.speedFactor, tickWallMs: round(tickWallMs), lag, keptPace, rule: KEPT_PACE_RULE };
}

/** The warning a run that lost pace prints; undefined when it kept pace or was not paced. */
export function pacingWarning(report: PacingReport): string | undefined {
  if (report.keptPace !== false) return undefined;
  return (
    `WARNING: the run could not keep real-time pace ×${report.speedFactor} (a tick every ${report.tickWallMs} ms): ` +
    `tick lag p99 ${report.lag!.p99Ms} ms, max ${report.lag!.maxMs} ms (kept pace means ${report.rule}). ` +
    'It offered less load than the scenario asks for, and its latency figures are not trustworthy.'
  );
}
