import { describe, expect, it } from 'vitest';
import { CounterRandom, Stream } from '../engine/random';
import type { ValidationIssue } from '../errors';
import { resolveFleet } from './fleet';
import { FleetSchedule, NEVER, type PowerLossSpec, type RampStageSpec, type ServiceRestartSpec } from './fleet-schedule';

const random = new CounterRandom(11);
const FLEET = resolveFleet({
  handsets: 1000,
  regions: [
    { name: 'emea', weight: 3 },
    { name: 'amer', weight: 1 },
  ],
  groups: [
    { name: 'sales', weight: 1 },
    { name: 'engineering', weight: 1 },
  ],
});

function resolve(specs: { ramp?: RampStageSpec[]; powerLosses?: PowerLossSpec[]; serviceRestarts?: ServiceRestartSpec[] }) {
  const issues: ValidationIssue[] = [];
  const sut = FleetSchedule.resolve(FLEET, random, specs, issues);
  return { sut, issues };
}

const regionOf = (id: number) => random.pick(FLEET.regionCumulative, id, 0, Stream.FLEET_REGION, 0);
const groupOf = (id: number) => random.pick(FLEET.groupCumulative, id, 0, Stream.FLEET_GROUP, 0);

describe('FleetSchedule ramp', () => {
  const { sut } = resolve({
    ramp: [
      { ticks: 30, handsets: 200 },
      { ticks: 120, handsets: 1000 },
    ],
  });

  it('starts from no handsets and moves linearly to each stage target, then holds the last one', () => {
    expect(sut.handsetsPresentAt(0)).toBe(0);
    expect(sut.handsetsPresentAt(15)).toBe(100);
    expect(sut.handsetsPresentAt(30)).toBe(200);
    expect(sut.handsetsPresentAt(90)).toBe(600);
    expect(sut.handsetsPresentAt(150)).toBe(1000);
    expect(sut.handsetsPresentAt(10_000)).toBe(1000);
  });

  it('gives each join rank the first tick at which the count passes it', () => {
    for (let rank = 0; rank < 1000; rank++) {
      const tick = sut.firstPresentTick(rank);
      expect(sut.handsetsPresentAt(tick)).toBeGreaterThan(rank);
      if (tick > 0) expect(sut.handsetsPresentAt(tick - 1)).toBeLessThanOrEqual(rank);
    }
  });

  it('ranks every handset once, in an order unrelated to ids', () => {
    const ranks = new Set(Array.from({ length: 1000 }, (_, id) => sut.joinRank(id)));
    expect(ranks.size).toBe(1000);
    const firstTenIds = Array.from({ length: 10 }, (_, id) => sut.joinRank(id));
    expect(firstTenIds).not.toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('jumps at a stage of zero duration, ramps down, and never admits ranks above the last target', () => {
    const { sut: steps } = resolve({
      ramp: [
        { ticks: 0, handsets: 100 },
        { ticks: 10, handsets: 100 },
        { ticks: 10, handsets: 0 },
        { ticks: 0, handsets: 500 },
      ],
    });
    expect(steps.handsetsPresentAt(0)).toBe(100);
    expect(steps.handsetsPresentAt(15)).toBe(50);
    expect(steps.handsetsPresentAt(20)).toBe(500);
    expect(steps.firstPresentTick(99)).toBe(0);
    expect(steps.firstPresentTick(100)).toBe(20);
    expect(steps.firstPresentTick(500)).toBe(NEVER);
  });

  it('has every handset in from tick 0 without a ramp', () => {
    const { sut: always } = resolve({});
    expect(always.handsetsPresentAt(0)).toBe(1000);
    expect(always.firstPresentTick(999)).toBe(0);
    expect(always.joinRank(999)).toBe(0);
  });
});

describe('FleetSchedule power losses', () => {
  it('takes down exactly the asked number of handsets, only in the asked region and group', () => {
    const { sut, issues } = resolve({ powerLosses: [{ handsets: 40, region: 'amer', group: 'sales', fromTick: 5, toTick: 9 }] });
    expect(issues).toEqual([]);
    const batch = Array.from({ length: 1000 }, (_, id) => id).filter((id) => sut.powerLossMaskOf(id, regionOf(id), groupOf(id)) !== 0);
    expect(batch).toHaveLength(40);
    expect(batch.every((id) => regionOf(id) === 1 && groupOf(id) === 0)).toBe(true);
  });

  it('takes a percent of the matching handsets, rounded', () => {
    const { sut } = resolve({ powerLosses: [{ percent: 10, region: 'emea', fromTick: 0, toTick: 1 }] });
    const matching = Array.from({ length: 1000 }, (_, id) => id).filter((id) => regionOf(id) === 0);
    const batch = matching.filter((id) => sut.powerLossMaskOf(id, regionOf(id), groupOf(id)) !== 0);
    expect(batch).toHaveLength(Math.round(matching.length / 10));
  });

  it('is in effect from fromTick up to, not including, toTick, one bit per fault', () => {
    const { sut } = resolve({
      powerLosses: [
        { handsets: 1, fromTick: 5, toTick: 9 },
        { handsets: 1, fromTick: 8, toTick: 12 },
      ],
    });
    expect([4, 5, 8, 9, 12].map((tick) => sut.powerLossesAt(tick))).toEqual([0, 1, 3, 2, 0]);
  });

  it('lists every problem with its path: unknown region and group, more handsets than match, to before from', () => {
    const { issues } = resolve({
      powerLosses: [
        { handsets: 5, region: 'mars', group: 'pirates', fromTick: 0, toTick: 5 },
        { handsets: 5000, fromTick: 0, toTick: 5 },
        { percent: 10, fromTick: 6, toTick: 6 },
        { handsets: 1, percent: 1, fromTick: 0, toTick: 1 },
      ],
      ramp: [{ ticks: 10, handsets: 1001 }],
      serviceRestarts: [{ service: 'telemetry', tick: 3, downTicks: -1 }],
    });
    expect(issues.map((issue) => `${issue.path} [${issue.rule}]`)).toEqual([
      'ramp.0.handsets [range]',
      'powerLosses.0.region [enum]',
      'powerLosses.0.group [enum]',
      'powerLosses.1.handsets [max]',
      'powerLosses.2.toTick [greater-than-fromTick]',
      'powerLosses.3.handsets [one-of]',
      'serviceRestarts.0.service [enum]',
      'serviceRestarts.0.downTicks [min]',
    ]);
  });
});

describe('FleetSchedule service restarts', () => {
  const { sut } = resolve({
    serviceRestarts: [
      { service: 'hypervisor-core', tick: 10, downTicks: 2 },
      { service: 'policy-authority', tick: 20, downTicks: 3 },
    ],
  });

  it('stops the guests when hypervisor-core restarts and keeps them from booting while it is away', () => {
    expect([9, 10, 11].map((tick) => sut.guestsRestartAt(tick))).toEqual([false, true, false]);
    expect([9, 10, 11, 12].map((tick) => sut.hypervisorDownAt(tick))).toEqual([false, true, true, false]);
  });

  it('has the agents reconnect when hypervisor-core restarts and when policy-authority is back', () => {
    expect([10, 20, 23].map((tick) => sut.agentsReconnectAt(tick))).toEqual([true, false, true]);
  });
});
