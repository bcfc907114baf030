// Spec support shared by the model specs (not built into dist: tsconfig excludes *.fixture.ts).
import { CounterRandom } from '../engine/random';
import { EventBuffer } from './events';
import { FleetShard, resolveFleet } from './fleet';
import { PolicyRegistry } from './policy-timeline';
import { SimulationClock } from './time';

export const TICK_SECONDS = 60; // simulated seconds per tick
export const OPTIMUS_ONE = [{ name: 'optimus-one', weight: 1 }];

/** A fleet in two regions of unequal size that enrolls within 10 minutes: what the fault specs cut by region. */
export function twoRegionFleet(handsets: number) {
  return {
    handsets,
    enrollmentWindowMinutes: 10,
    regions: [
      { name: 'emea', weight: 2 },
      { name: 'amer', weight: 1 },
    ],
  };
}

/** One event of a tick, as a plain object a spec can compare. */
export interface RecordedEvent {
  readonly tick: number;
  readonly kind: number;
  readonly handset: number;
  readonly persona: number;
  readonly a: number;
  readonly b: number;
}

/** The events a step wrote into `events`, as plain objects. */
export function recordEvents(events: EventBuffer): RecordedEvent[] {
  const recorded: RecordedEvent[] = [];
  const { tick, kind, handset, persona, a, b } = events;
  for (let k = 0; k < events.length; k++) recorded.push({ tick, kind: kind[k], handset: handset[k], persona: persona[k], a: a[k], b: b[k] });
  return recorded;
}

/**
 * One shard of optimus-one handsets for a model's spec: its clock, randomness, policy registry and
 * fleet, and the log of every event its steps wrote.
 */
export abstract class ShardFixture {
  readonly clock: SimulationClock;
  readonly random: CounterRandom;
  readonly registry = new PolicyRegistry();
  readonly fleet: FleetShard;
  readonly log: RecordedEvent[] = [];
  protected readonly events = new EventBuffer();

  protected constructor(seed: number, handsets: number, tickSeconds = TICK_SECONDS) {
    this.clock = new SimulationClock(tickSeconds);
    this.random = new CounterRandom(seed);
    this.fleet = new FleetShard(resolveFleet({ handsets, models: OPTIMUS_ONE }), 0, 1, this.random, tickSeconds);
  }

  /** Runs one step of the model for `tick` and logs the events it wrote. */
  protected record(tick: number, step: () => void): RecordedEvent[] {
    this.events.clear(tick);
    step();
    const recorded = recordEvents(this.events);
    this.log.push(...recorded);
    return recorded;
  }
}
