import { describe, expect, it } from 'vitest';
import { columnsOf, holdsColumns } from './engine/columns';
import { twoRegionFleet } from './model/shard.fixture';
import { Simulation, type SimulationConfig } from './simulation';

const HANDSETS = 240;

/** A morning with a ramp, a VPN push, an outage, a power loss, a restart and a command: every kind of schedule. */
const MORNING: SimulationConfig = {
  seed: 11,
  ticks: 200,
  shards: 3,
  startMinuteOfDay: 8 * 60,
  fleet: twoRegionFleet(HANDSETS),
  ramp: [
    { ticks: 30, handsets: 120 },
    { ticks: 30, handsets: HANDSETS },
  ],
  policies: [
    { tick: 0, policy: { name: 'policies/base' } },
    { tick: 90, policy: { name: 'policies/vpn', alwaysOnVpnPackage: { packageName: 'com.example.vpn', lockdownEnabled: false } } },
  ],
  outages: [{ region: 'amer', fromTick: 100, toTick: 130 }],
  powerLosses: [{ percent: 20, region: 'emea', fromTick: 140, toTick: 150 }],
  serviceRestarts: [{ service: 'hypervisor-core', tick: 160, downTicks: 3 }],
  commands: [{ tick: 70, handsets: [3, 4, 5], type: 'LOCK' }],
};

/** Runs `config` to `tick`, snapshots, and goes on in a fresh simulation restored from it. */
function forkedAt(config: SimulationConfig, tick: number) {
  const earlier = new Simulation(config);
  const history: Float64Array[] = [];
  while (earlier.tick < tick) history.push(earlier.step().values);
  const fork = new Simulation(config);
  fork.restore(earlier.snapshot(), history);
  const after: Float64Array[] = [];
  while (!fork.done) after.push(fork.step().values);
  return { summary: fork.summary(), after };
}

describe('Simulation snapshot and restore', () => {
  const scratch = new Simulation(MORNING);
  const series: Float64Array[] = [];
  const summary = scratch.run((kpis) => series.push(kpis.values));

  it.each([
    ['during the ramp', 20],
    ['right after a command', 71],
    ['inside the outage', 115],
    ['inside the power loss', 145],
    ['at the last tick', 199],
  ])('goes on %s (tick %i) to the digest, summary and series of the run from scratch', (_, tick) => {
    const fork = forkedAt(MORNING, tick);
    expect(fork.summary).toEqual(summary);
    expect(fork.after).toEqual(series.slice(tick));
  });

  it('carries every typed column of every part of every shard, and copies them', () => {
    const simulation = new Simulation(MORNING);
    for (let t = 0; t < 50; t++) simulation.step();
    const shard = simulation.shards[1];
    const snapshot = shard.snapshot();
    // A part of a shard that holds columns and is not named derived is state: a column it gains is
    // in the snapshot without more code. The derived parts are listed here so that a new part is a
    // decision, not an accident.
    const parts = Object.entries(shard);
    const carried = shard.stateParts().map(([name]) => name);
    expect(parts.filter(([name]) => !carried.includes(name)).map(([name]) => name)).toEqual(['fleet', 'events', 'commandsByTick', 'answers', 'agentView']);
    for (const [name, part] of parts) {
      if (!carried.includes(name)) continue;
      for (const [key, column] of Object.entries(columnsOf(name, part))) {
        expect(snapshot[key], key).toEqual(column);
        expect(snapshot[key], key).not.toBe(column);
      }
    }
    expect(carried).toEqual(expect.arrayContaining(['hypervisor', 'personal', 'business', 'agent', 'personalGrant', 'businessGrant']));
    expect(holdsColumns(shard.commandsByTick)).toBe(false); // from the config: restore drops the ticks done
  });

  it('restores a column whatever its values (every column overwritten)', () => {
    const source = new Simulation(MORNING);
    for (let t = 0; t < 10; t++) source.step();
    const snapshot = source.snapshot();
    for (const state of snapshot.shards)
      for (const column of Object.values(state)) if (ArrayBuffer.isView(column)) (column as Uint8Array).forEach((_, i, a) => (a[i] = (i * 7 + 3) % 100));
    const target = new Simulation(MORNING);
    target.restore(
      snapshot,
      Array.from({ length: 10 }, () => new Float64Array(source.step().values.length)),
    );
    target.shards.forEach((shard, s) => {
      for (const [key, column] of Object.entries(shard.snapshot())) expect(column, key).toEqual(snapshot.shards[s][key]);
    });
  });

  it('refuses a snapshot of another layout or without its KPIs, naming what differs', () => {
    const source = new Simulation(MORNING);
    source.step();
    const snapshot = source.snapshot();
    expect(() => new Simulation({ ...MORNING, shards: 2 }).restore(snapshot, [new Float64Array(28)])).toThrow(/3 shards, the run 2/);
    expect(() => new Simulation(MORNING).restore(snapshot, [])).toThrow(/at tick 1 but 0 ticks of KPIs/);
    const bigger = new Simulation({ ...MORNING, fleet: { ...MORNING.fleet, handsets: HANDSETS + 30 } });
    expect(() => bigger.restore(snapshot, [new Float64Array(28)])).toThrow(/checkpoint column hypervisor\.\w+ has \d+/);
    const started = new Simulation(MORNING);
    started.step();
    expect(() => started.restore(snapshot, [new Float64Array(28)])).toThrow(/has not started/);
  });
});
