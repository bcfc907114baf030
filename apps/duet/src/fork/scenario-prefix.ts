// Whether two runs' resolved scenarios give the same ticks up to a point: what a fork needs of the
// run it continues, and what lets a sweep's variants share a prefix. A field counts only where it
// can act on a tick before that point: the seed, the fleet, the shards, the tick length, the
// agents' cadence and the start act on every tick; a policy push, a command, an outage, a power loss, a restart or a ramp
// stage acts from its own tick on. Entries are compared by position, because the position is part
// of the run (a push's revision, a power loss's seeded batch).
import { isDeepStrictEqual } from 'node:util';
import { quoted } from '@duet/service-kit';
import { DEFAULT_TICK_SECONDS, type SimulationConfig } from '@duet/sim-core';

/** The first field whose values differ, with both (the earlier run's first). */
export interface ScenarioDifference {
  readonly path: string;
  readonly earlier: unknown;
  readonly now: unknown;
}

type Timed = readonly unknown[] | undefined;

/** The first difference between two configs that acts on a tick before `tick`; undefined when they run alike until then. */
export function firstDifferenceBefore(earlierConfig: SimulationConfig, nowConfig: SimulationConfig, tick: number): ScenarioDifference | undefined {
  if (tick <= 0) return undefined;
  // As stored in a run directory: JSON, where an absent field and an undefined one are the same.
  const earlier = canonical(earlierConfig);
  const now = canonical(nowConfig);
  const whole: [string, unknown, unknown][] = [
    ['seed', earlier.seed, now.seed],
    ['shards', earlier.shards, now.shards],
    ['tickSeconds', earlier.tickSeconds ?? DEFAULT_TICK_SECONDS, now.tickSeconds ?? DEFAULT_TICK_SECONDS],
    ['startMinuteOfDay', earlier.startMinuteOfDay ?? 0, now.startMinuteOfDay ?? 0],
    ['fleet', earlier.fleet, now.fleet],
    // The agents' cadence acts on every check-in: phases, jitter and backoff from the first tick.
    ['agents', earlier.agents ?? {}, now.agents ?? {}],
  ];
  for (const [path, a, b] of whole) {
    const difference = firstDifference(path, a, b);
    if (difference !== undefined) return difference;
  }
  return (
    timedDifference('policies', earlier.policies, now.policies, (entry) => (entry as { tick: number }).tick, tick) ??
    timedDifference('commands', earlier.commands, now.commands, (entry) => (entry as { tick: number }).tick, tick) ??
    timedDifference('outages', earlier.outages, now.outages, (entry) => (entry as { fromTick: number }).fromTick, tick) ??
    timedDifference('powerLosses', earlier.powerLosses, now.powerLosses, (entry) => (entry as { fromTick: number }).fromTick, tick) ??
    timedDifference('serviceRestarts', earlier.serviceRestarts, now.serviceRestarts, (entry) => (entry as { tick: number }).tick, tick) ??
    rampDifference(earlier, now, tick)
  );
}

/** The last tick up to which two configs run alike (at most the shorter run's ticks). */
export function commonPrefixTicks(a: SimulationConfig, b: SimulationConfig): number {
  // Alike up to T implies alike up to every earlier tick: the largest such T by bisection.
  let low = 0;
  let high = Math.min(a.ticks, b.ticks);
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (firstDifferenceBefore(a, b, middle) === undefined) low = middle;
    else high = middle - 1;
  }
  return low;
}

/** "path: VALUE in the earlier run, VALUE now", values cut to a readable length. */
export function describeDifference(difference: ScenarioDifference): string {
  return `${difference.path}: ${quoted(shown(difference.earlier))} in the earlier run, ${quoted(shown(difference.now))} now`;
}

function canonical(config: SimulationConfig): SimulationConfig {
  return JSON.parse(JSON.stringify(config)) as SimulationConfig;
}

function shown(value: unknown): string {
  return value === undefined ? '(absent)' : JSON.stringify(value);
}

function timedDifference(path: string, earlier: Timed, now: Timed, startOf: (entry: unknown) => number, tick: number): ScenarioDifference | undefined {
  const a = earlier ?? [];
  const b = now ?? [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const acts = (i < a.length && startOf(a[i]) < tick) || (i < b.length && startOf(b[i]) < tick);
    if (acts) {
      const difference = firstDifference(`${path}.${i}`, a[i], b[i]);
      if (difference !== undefined) return difference;
    }
  }
  return undefined;
}

/** A ramp stage acts from its start to its end (it moves toward its target): compared whole when it starts before `tick`. */
function rampDifference(earlier: SimulationConfig, now: SimulationConfig, tick: number): ScenarioDifference | undefined {
  if ((earlier.ramp === undefined) !== (now.ramp === undefined)) return firstDifference('ramp', earlier.ramp, now.ramp);
  const a = earlier.ramp ?? [];
  const b = now.ramp ?? [];
  let start = 0;
  for (let i = 0; i < Math.max(a.length, b.length) && start < tick; i++) {
    const difference = firstDifference(`ramp.${i}`, a[i], b[i]);
    if (difference !== undefined) return difference;
    start += a[i].ticks;
  }
  return undefined;
}

/** The deepest first path where two JSON-shaped values differ. */
function firstDifference(path: string, a: unknown, b: unknown): ScenarioDifference | undefined {
  if (isDeepStrictEqual(a, b)) return undefined;
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null && Array.isArray(a) === Array.isArray(b)) {
    const keys = Array.isArray(a)
      ? Array.from({ length: Math.max(a.length, (b as unknown[]).length) }, (_, i) => String(i))
      : [...new Set([...Object.keys(a), ...Object.keys(b)])];
    for (const key of keys) {
      const difference = firstDifference(`${path}.${key}`, (a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]);
      if (difference !== undefined) return difference;
    }
  }
  return { path, earlier: a, now: b };
}
