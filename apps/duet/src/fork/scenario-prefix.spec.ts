import { describe, expect, it } from 'vitest';
import type { SimulationConfig } from '@duet/sim-core';
import { forkTick } from './fork-plan';
import { commonPrefixTicks, describeDifference, firstDifferenceBefore } from './scenario-prefix';

const BASE: SimulationConfig = {
  seed: 1,
  ticks: 300,
  shards: 2,
  startMinuteOfDay: 7 * 60,
  fleet: { handsets: 100 },
  ramp: [
    { ticks: 30, handsets: 40 },
    { ticks: 60, handsets: 100 },
  ],
  policies: [
    { tick: 0, policy: { name: 'policies/base' } },
    { tick: 120, policy: { name: 'policies/vpn' } },
  ],
  commands: [{ tick: 50, handsets: [1], type: 'LOCK' }],
  outages: [{ region: 'default', fromTick: 200, toTick: 220 }],
  powerLosses: [{ handsets: 10, fromTick: 150, toTick: 160 }],
};

const at = (tick: number, changed: Partial<SimulationConfig>) => firstDifferenceBefore(BASE, { ...BASE, ...changed }, tick);

describe('firstDifferenceBefore', () => {
  it('counts a timed entry only from its own tick, by position', () => {
    const later = { policies: [BASE.policies![0], { tick: 180, policy: { name: 'policies/vpn' } }] };
    expect(at(120, later)).toBeUndefined();
    expect(at(121, later)).toEqual({ path: 'policies.1.tick', earlier: 120, now: 180 });
    expect(at(150, { powerLosses: [] })).toBeUndefined();
    expect(at(151, { powerLosses: [] })?.path).toBe('powerLosses.0');
    expect(at(51, { commands: [{ tick: 50, handsets: [2], type: 'LOCK' }] })?.path).toBe('commands.0.handsets.0');
    expect(at(200, { outages: [] })).toBeUndefined();
    // A push added in front shifts the others: their revisions change from tick 0 on.
    expect(at(1, { policies: [{ tick: 250, policy: { name: 'policies/x' } }, ...BASE.policies!] })?.path).toBe('policies.0.tick');
  });

  it('compares a ramp stage whole from its start, and the whole-run fields from tick 1', () => {
    expect(at(31, { ramp: [BASE.ramp![0], { ticks: 60, handsets: 90 }] })).toEqual({ path: 'ramp.1.handsets', earlier: 100, now: 90 });
    expect(at(30, { ramp: [BASE.ramp![0], { ticks: 60, handsets: 90 }] })).toBeUndefined();
    expect(at(1, { ramp: undefined })?.path).toBe('ramp');
    expect(at(1, { fleet: { handsets: 100, regions: [{ name: 'emea', weight: 1 }] } })?.path).toBe('fleet.regions');
    expect(at(0, { seed: 2 })).toBeUndefined();
    expect(at(1, { agents: { jitterPercent: 20 } })?.path).toBe('agents.jitterPercent');
    expect(at(1, { agents: {} })).toBeUndefined();
    expect(at(1, { ticks: 10, pacing: { mode: 'real-time', speedFactor: 2 } })).toBeUndefined();
  });

  it('names the field with both values, cut to a readable length', () => {
    const long = 'x'.repeat(200);
    const difference = at(1, { fleet: { handsets: 100, groups: [{ name: long, weight: 1 }] } })!;
    expect(describeDifference(difference)).toMatch(/^fleet\.groups: "\(absent\)" in the earlier run, "\[\{\\"name\\":\\"x+… \(\d+ characters\)" now$/);
  });
});

describe('commonPrefixTicks', () => {
  it('is the last tick up to which two configs run alike', () => {
    expect(commonPrefixTicks(BASE, { ...BASE, policies: [BASE.policies![0], { tick: 180, policy: { name: 'policies/vpn' } }] })).toBe(120);
    expect(commonPrefixTicks(BASE, { ...BASE, seed: 2 })).toBe(0);
    expect(commonPrefixTicks(BASE, { ...BASE, ticks: 250 })).toBe(250);
  });
});

describe('forkTick', () => {
  it('reads a time of day from the start, a duration or a tick', () => {
    expect(forkTick('08:00', BASE)).toBe(60);
    expect(forkTick('06:59', BASE)).toBe(1439); // the next day
    expect(forkTick('90m', BASE)).toBe(90);
    expect(forkTick('42', BASE)).toBe(42);
    expect(() => forkTick('noon', BASE)).toThrow(/--at "noon": must be a time of day/);
  });
});
