import { describe, expect, it } from 'vitest';
import { EventKind, GuestState } from './model/enums';
import { Kpi, kpiRecord } from './measure/tick-kpis';
import { twoRegionFleet } from './model/shard.fixture';
import { Simulation, type SimulationConfig } from './simulation';

// Ramp, power losses and service restarts seen through the whole simulation: the KPIs a user
// watches move as the fault says, recover after it, and stay independent of the shard count.
const OFFICE_HOURS = 8 * 60;
const HANDSETS = 300;

function config(overrides: Partial<SimulationConfig> = {}): SimulationConfig {
  return { seed: 7, ticks: 240, shards: 1, startMinuteOfDay: OFFICE_HOURS, fleet: { handsets: HANDSETS, enrollmentWindowMinutes: 10 }, ...overrides };
}

/** Runs the config and returns each tick's KPIs by name, and the ticks of every event kind counted. */
function series(configuration: SimulationConfig) {
  const events = new Map<number, number[]>();
  const sim = new Simulation(configuration, {
    sinks: [
      {
        onEvents: (_shard, buffer) => {
          for (let e = 0; e < buffer.length; e++) {
            const kind = buffer.kind[e];
            (events.get(kind) ?? events.set(kind, []).get(kind)!).push(buffer.tick);
          }
        },
      },
    ],
  });
  const ticks: ReturnType<typeof kpiRecord>[] = [];
  sim.run((kpis) => ticks.push(kpiRecord(kpis)));
  return { sim, ticks, events: (kind: number) => events.get(kind) ?? [] };
}

describe('a power loss', () => {
  const loss = { handsets: 60, fromTick: 120, toTick: 150 };
  const run = series(config({ powerLosses: [loss] }));
  const baseline = series(config());

  it('takes exactly its batch offline from `from` and brings it back at `to`, without counting it as flat batteries', () => {
    const { ticks } = run;
    expect(ticks[119].handsetsOnline).toBe(baseline.ticks[119].handsetsOnline);
    expect(ticks[120].handsetsOnline).toBe(baseline.ticks[120].handsetsOnline - 60);
    expect(ticks[149].handsetsOnline).toBe(baseline.ticks[149].handsetsOnline - 60);
    expect(ticks[150].handsetsOnline).toBe(baseline.ticks[150].handsetsOnline);
    expect(ticks[130].batteryEmpty).toBe(baseline.ticks[130].batteryEmpty);
    expect(run.events(EventKind.HANDSET_POWERED_OFF)).toEqual(new Array(60).fill(120));
    expect(run.events(EventKind.HANDSET_BOOTED).filter((tick) => tick === 150)).toHaveLength(60);
  });

  it('stops the batch’s business worlds, which boot again once power is back', () => {
    const { ticks } = run;
    expect(ticks[120].guestRunning).toBeLessThanOrEqual(baseline.ticks[120].guestRunning - 55);
    expect(ticks[150].guestRunning).toBe(ticks[149].guestRunning);
    // Power on at 150, boot starts at 151, runs after GUEST_BOOT_SECONDS (90 s: two ticks).
    expect(ticks[155].guestRunning).toBe(baseline.ticks[155].guestRunning);
  });

  it('charges no battery of the batch while it lasts', () => {
    const { sim } = run;
    const shard = sim.shards[0];
    const batch = Array.from(shard.fleet.powerLossMask.keys()).filter((i) => shard.fleet.powerLossMask[i] !== 0);
    expect(batch).toHaveLength(60);
    const during = series(config({ powerLosses: [loss], ticks: 140 })).sim.shards[0];
    expect(batch.every((i) => during.hypervisor.charging[i] === 0 && during.hypervisor.powered[i] === 0)).toBe(true);
  });
});

describe('a hypervisor-core restart', () => {
  const run = series(config({ serviceRestarts: [{ service: 'hypervisor-core', tick: 120, downTicks: 2 }] }));

  it('stops every business world at once and boots them after it is back', () => {
    const { ticks } = run;
    expect(ticks[119].guestRunning).toBeGreaterThan(250);
    expect(ticks[120].guestRunning).toBe(0);
    expect(ticks[121].guestRunning).toBe(0);
    // Back at 122: boot starts at 122 and takes two ticks.
    expect(ticks[123].guestRunning).toBe(0);
    expect(ticks[124].guestRunning).toBe(ticks[119].guestRunning);
  });

  it('has every enrolled agent check in as soon as its world runs again', () => {
    const { ticks } = run;
    expect(ticks[124].checkIns).toBe(ticks[119].enrolled);
    expect(ticks[120].checkIns + ticks[121].checkIns + ticks[122].checkIns + ticks[123].checkIns).toBe(0);
  });
});

describe('a policy-authority restart', () => {
  const run = series(config({ serviceRestarts: [{ service: 'policy-authority', tick: 120, downTicks: 5 }] }));

  it('refuses every check-in while down, and every enrolled agent checks in the tick it is back', () => {
    const { ticks } = run;
    for (let tick = 120; tick < 125; tick++) expect(ticks[tick].checkInsUnreachable).toBe(ticks[tick].checkIns);
    expect(ticks[125].checkInsUnreachable).toBe(0);
    expect(ticks[125].checkIns).toBe(ticks[125].enrolled);
    expect(ticks[125].enrolled).toBeGreaterThan(250);
  });
});

describe('a ramp', () => {
  const ramp = [
    { ticks: 30, handsets: 60 },
    { ticks: 60, handsets: HANDSETS },
  ];
  const run = series(config({ ramp }));

  it('has as many handsets online as the stages say, tick by tick, and none flat', () => {
    const schedule = run.sim.fleet.schedule;
    for (const kpis of run.ticks) {
      expect(kpis.handsetsOnline).toBe(schedule.handsetsPresentAt(kpis.tick));
      expect(kpis.batteryEmpty).toBe(0);
    }
    expect(run.ticks[0].handsetsOnline).toBe(0);
    expect(run.ticks[15].handsetsOnline).toBe(30);
    expect(run.ticks[60].handsetsOnline).toBe(180);
    expect(run.ticks[239].handsetsOnline).toBe(HANDSETS);
  });

  it('enrolls no handset before it joins, and counts absent ones in no guest state', () => {
    for (const kpis of run.ticks) {
      expect(kpis.enrolled).toBeLessThanOrEqual(kpis.handsetsOnline);
      const guests = kpis.guestProvisioning + kpis.guestRunning + kpis.guestSuspended + kpis.guestLocked + kpis.guestWiped;
      expect(guests).toBe(kpis.handsetsOnline);
    }
    expect(run.ticks[239].enrolled).toBe(HANDSETS);
    expect(run.events(EventKind.HANDSET_BOOTED)).toHaveLength(HANDSETS);
  });

  it('starts no session on a handset before it joins', () => {
    const shard = run.sim.shards[0];
    const late = Array.from(shard.fleet.joinRank.keys()).filter((i) => shard.fleet.joinRank[i] >= 200);
    const early = series(config({ ramp, ticks: 60 })).sim.shards[0];
    expect(late.every((i) => early.personal.sessions[i] === 0 && early.hypervisor.guestState[i] === GuestState.NOT_PROVISIONED)).toBe(true);
  });

  it('gives the digest of a run without a ramp when the only stage brings the whole fleet in at tick 0', () => {
    expect(new Simulation(config({ ramp: [{ ticks: 0, handsets: HANDSETS }] })).run().digest).toBe(new Simulation(config()).run().digest);
  });
});

describe('faults and ramp together', () => {
  it('give the same digest and summary for 1, 3 and 7 shards', () => {
    const faults: Partial<SimulationConfig> = {
      fleet: twoRegionFleet(HANDSETS),
      ramp: [
        { ticks: 20, handsets: 150 },
        { ticks: 40, handsets: HANDSETS },
      ],
      powerLosses: [{ percent: 30, region: 'amer', fromTick: 90, toTick: 130 }],
      serviceRestarts: [
        { service: 'hypervisor-core', tick: 150, downTicks: 3 },
        { service: 'policy-authority', tick: 180, downTicks: 10 },
      ],
    };
    const summaries = [1, 3, 7].map((shards) => ({ ...new Simulation(config({ ...faults, shards })).run(), shards: 'any' }));
    expect(summaries[1]).toEqual(summaries[0]);
    expect(summaries[2]).toEqual(summaries[0]);
    expect(summaries[0].digest).not.toBe(new Simulation(config()).run().digest);
  });

  it('keeps the KPI vector shape: the new faults add no KPI', () => {
    expect(Kpi.handsetsOnline).toBe(0);
    // 28, the agents' enrollmentFailures and agentsBackingOff, then ten appended by per-persona cost and the data-leak ledger.
    expect(Object.keys(Kpi)).toHaveLength(40);
    expect(Kpi.events).toBe(29);
  });
});
