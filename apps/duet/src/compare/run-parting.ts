// Where two measured runs part: the first tick at which any fleet KPI series differs, and, when
// one run is a fork of the other (`duet run --fork-from`), its fork point. A fork's series equal
// the earlier run's before its fork point, so the parting tick is at or after it.
import { clockLabel } from '../report/line-chart';
import type { ComparedRun } from './compared-run';

export interface RunParting {
  /** First tick where a fleet KPI series differs; null when they are the same over the shorter run. */
  readonly tick: number | null;
  /** That tick as simulated time of day (A's clock). */
  readonly time: string | null;
  /** The series that differ at that tick. */
  readonly kpis: readonly string[];
  /** Ticks both runs have series for. */
  readonly comparedTicks: number;
  /** When one run is forked from the other: which one, and its fork point. */
  readonly forkPoint?: { readonly forked: 'A' | 'B'; readonly tick: number; readonly time: string };
}

/** Undefined when either run has no per-tick series (a run read from telemetry). */
export function partingOf(a: ComparedRun, b: ComparedRun): RunParting | undefined {
  if (a.series === undefined || b.series === undefined || a.timing === undefined) return undefined;
  const seriesA = a.series;
  const seriesB = b.series;
  const names = Object.keys(seriesA).filter((name) => name in seriesB);
  const comparedTicks = Math.min(...names.map((name) => Math.min(seriesA[name].length, seriesB[name].length)));
  const timing = a.timing;
  const time = (tick: number) => clockLabel(timing.startMinuteOfDay + (tick * timing.tickSeconds) / 60);
  let tick: number | null = null;
  for (let t = 0; t < comparedTicks && tick === null; t++) if (names.some((name) => seriesA[name][t] !== seriesB[name][t])) tick = t;
  const forked =
    b.forkedFrom !== undefined && b.forkedFrom.runId === a.runId ? 'B' : a.forkedFrom !== undefined && a.forkedFrom.runId === b.runId ? 'A' : undefined;
  const point = forked === 'B' ? b.forkedFrom : forked === 'A' ? a.forkedFrom : undefined;
  return {
    tick,
    time: tick === null ? null : time(tick),
    kpis: tick === null ? [] : names.filter((name) => seriesA[name][tick] !== seriesB[name][tick]),
    comparedTicks: names.length === 0 ? 0 : comparedTicks,
    forkPoint: point === undefined ? undefined : { forked: forked!, tick: point.atTick, time: point.atTime },
  };
}
