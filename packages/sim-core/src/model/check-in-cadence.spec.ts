import { describe, expect, it } from 'vitest';
import { CounterRandom } from '../engine/random';
import type { ValidationIssue } from '../errors';
import { kpiRecord } from '../measure/tick-kpis';
import { Simulation, type SimulationConfig } from '../simulation';
import { CheckInCadence, checkCadence, type AgentCadenceSpec } from './check-in-cadence';
import { EventKind } from './enums';
import { SimulationClock } from './time';

const MINUTE = 60;
const cadence = (spec: AgentCadenceSpec = {}, seed = 1, tickSeconds = 60) =>
  new CheckInCadence(spec, new SimulationClock(tickSeconds), new CounterRandom(seed));

describe('CheckInCadence: phases after enrollment', () => {
  const sut = cadence();

  it('checks in every 3 minutes for the first 15 minutes, then every 15 minutes for 2 hours, then at the steady interval (Intune)', () => {
    const steady = 480;
    expect(sut.intervalSeconds(100, 100, steady)).toBe(3 * MINUTE);
    expect(sut.intervalSeconds(114, 100, steady)).toBe(3 * MINUTE); // 14 min after enrollment
    expect(sut.intervalSeconds(115, 100, steady)).toBe(15 * MINUTE); // the first phase boundary
    expect(sut.intervalSeconds(234, 100, steady)).toBe(15 * MINUTE); // 2 h 14 min
    expect(sut.intervalSeconds(235, 100, steady)).toBe(480 * MINUTE); // 2 h 15 min: steady
  });

  it('never slows a policy that asks for a shorter interval than a phase', () => {
    expect(sut.intervalSeconds(20, 0, 5)).toBe(5 * MINUTE);
    expect(sut.intervalSeconds(0, 0, 2)).toBe(2 * MINUTE);
  });

  it('counts phases in simulated time whatever the tick length', () => {
    const coarse = cadence({ jitterPercent: 0 }, 1, 300);
    expect(coarse.checkInWaitTicks(7, 2, 0, 480)).toBe(1); // 10 min after enrollment: 3 min, at least one tick
    expect(coarse.checkInWaitTicks(7, 3, 0, 480)).toBe(3); // 15 min: 15 min = 3 ticks of 5 min
    expect(coarse.checkInWaitTicks(7, 27, 0, 480)).toBe(96); // 2 h 15 min: 8 h
  });

  it('goes steady at once with no phases', () => {
    expect(cadence({ checkInPhases: [] }).intervalSeconds(0, 0, 480)).toBe(480 * MINUTE);
  });
});

describe('CheckInCadence: jitter', () => {
  const waits = (seed: number, spec: AgentCadenceSpec = {}) => Array.from({ length: 2000 }, (_, id) => cadence(spec, seed).checkInWaitTicks(id, 500, 0, 480));

  it('spreads the steady 8 h wait over ±10 % of it, evenly around it', () => {
    const spread = waits(11);
    expect(Math.min(...spread)).toBeGreaterThanOrEqual(432);
    expect(Math.max(...spread)).toBeLessThanOrEqual(528);
    expect(Math.min(...spread)).toBeLessThan(440);
    expect(Math.max(...spread)).toBeGreaterThan(520);
    const mean = spread.reduce((sum, wait) => sum + wait, 0) / spread.length;
    expect(mean).toBeGreaterThan(476);
    expect(mean).toBeLessThan(484);
    expect(new Set(spread).size).toBeGreaterThan(80);
  });

  it('draws the same waits for the same seed, other waits for another, none with jitter 0', () => {
    expect(waits(11)).toEqual(waits(11));
    expect(waits(12)).not.toEqual(waits(11));
    expect(new Set(waits(11, { jitterPercent: 0 }))).toEqual(new Set([480]));
  });

  it('draws each handset its own wait at each check-in', () => {
    const sut = cadence({}, 3);
    const atTicks = Array.from({ length: 50 }, (_, k) => sut.checkInWaitTicks(42, 500 + k, 0, 480));
    expect(new Set(atTicks).size).toBeGreaterThan(20);
  });
});

describe('CheckInCadence: backoff', () => {
  const exact = cadence({ jitterPercent: 0 });

  it('doubles from 1 minute per failure in a row, up to the 1 h cap', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 40, 255].map((failures) => exact.retryWaitTicks(1, 0, failures))).toEqual([1, 2, 4, 8, 16, 32, 60, 60, 60, 60]);
  });

  it('never waits past the regular check-in it replaces', () => {
    expect([1, 2, 3, 4, 5, 6].map((failures) => exact.retryWaitTicks(1, 0, failures, 15 * MINUTE))).toEqual([1, 2, 4, 8, 15, 15]);
  });

  it('follows the scenario’s first wait and cap, and jitters each retry', () => {
    const custom = cadence({ jitterPercent: 0, backoffFirstMinutes: 5, backoffMaxMinutes: 30 });
    expect([1, 2, 3, 4].map((failures) => custom.retryWaitTicks(1, 0, failures))).toEqual([5, 10, 20, 30]);
    const jittered = Array.from({ length: 500 }, (_, id) => cadence({ backoffFirstMinutes: 40, backoffMaxMinutes: 40 }).retryWaitTicks(id, 9, 1));
    expect(Math.min(...jittered)).toBeGreaterThanOrEqual(36);
    expect(Math.max(...jittered)).toBeLessThanOrEqual(44);
    expect(new Set(jittered).size).toBeGreaterThan(5);
  });
});

describe('checkCadence', () => {
  const problems = (spec: AgentCadenceSpec) => {
    const issues: ValidationIssue[] = [];
    checkCadence(spec, issues);
    return issues.map(({ path, rule }) => `${path} ${rule}`);
  };

  it('accepts the defaults and sensible settings', () => {
    expect(problems({})).toEqual([]);
    expect(problems({ checkInPhases: [], jitterPercent: 0, backoffFirstMinutes: 0.5, backoffMaxMinutes: 0.5 })).toEqual([]);
  });

  it('names every field out of range', () => {
    expect(
      problems({
        checkInPhases: [
          { everyMinutes: 0, forMinutes: 15 },
          { everyMinutes: 15, forMinutes: -1 },
        ],
        jitterPercent: 60,
        backoffFirstMinutes: 10,
        backoffMaxMinutes: 5,
      }),
    ).toEqual([
      'agents.checkInPhases.0.everyMinutes range',
      'agents.checkInPhases.1.forMinutes range',
      'agents.jitterPercent range',
      'agents.backoffMaxMinutes at-least-first',
    ]);
    expect(problems({ backoffFirstMinutes: 2000 })).toEqual(['agents.backoffFirstMinutes range']);
  });

  it('is what the simulation checks its config with', () => {
    expect(() => new Simulation({ ...CONFIG, agents: { jitterPercent: -1 } })).toThrow(/agents\.jitterPercent/);
  });
});

// A fleet that enrolls at 08:00 while the policy authority is down, then has its region cut off.
const CONFIG: SimulationConfig = {
  seed: 16,
  ticks: 360,
  shards: 1,
  startMinuteOfDay: 480,
  fleet: { handsets: 200, regions: [{ name: 'emea', weight: 1 }], enrollmentWindowMinutes: 5 },
  policies: [{ tick: 0, policy: { name: 'policies/steady-30', duet: { checkInIntervalMinutes: 30 } } }],
  outages: [
    { region: 'emea', fromTick: 0, toTick: 40 },
    { region: 'emea', fromTick: 260, toTick: 290 },
  ],
};

function run(config: SimulationConfig) {
  const failedEnrollments: { tick: number; a: number; b: number }[] = [];
  const simulation = new Simulation(config, {
    sinks: [
      {
        onEvents: (_shard, events) => {
          for (let e = 0; e < events.length; e++)
            if (events.kind[e] === EventKind.ENROLLMENT_FAILED) failedEnrollments.push({ tick: events.tick, a: events.a[e], b: events.b[e] });
        },
      },
    ],
  });
  const ticks: ReturnType<typeof kpiRecord>[] = [];
  simulation.run((kpis) => ticks.push(kpiRecord(kpis)));
  return { simulation, ticks, failedEnrollments };
}

describe('agents through a fault window', () => {
  const { simulation, ticks, failedEnrollments } = run(CONFIG);

  it('retries a failed enrollment after a doubling backoff, and every agent enrolls once the authority is reachable', () => {
    expect(failedEnrollments.length).toBeGreaterThan(200);
    const firsts = failedEnrollments.filter((failure) => failure.a === 1);
    expect(firsts).toHaveLength(200);
    // Waits are 1, 2, 4, 8, 16, 32 min (±10 %, rounded to ticks) for the 1st..6th failure in a row.
    for (const failure of failedEnrollments) {
      const wait = 2 ** (failure.a - 1);
      expect(failure.b).toBeGreaterThanOrEqual(Math.max(1, Math.round(wait * 0.9)));
      expect(failure.b).toBeLessThanOrEqual(Math.round(wait * 1.1));
    }
    expect(failedEnrollments.every((failure) => failure.tick < 40)).toBe(true);
    const enrolledBy = ticks.findIndex((kpis) => kpis.enrolled === 200);
    expect(enrolledBy).toBeGreaterThan(40);
    expect(enrolledBy).toBeLessThanOrEqual(40 + 35); // the longest wait so far: 32 min + 10 %
    expect(ticks.reduce((sum, kpis) => sum + kpis.enrollmentFailures, 0)).toBe(failedEnrollments.length);
  });

  it('counts the agents backing off, none once every call succeeds again', () => {
    expect(Math.max(...ticks.slice(0, 40).map((kpis) => kpis.agentsBackingOff))).toBe(200);
    expect(ticks[259].agentsBackingOff).toBe(0);
    expect(ticks[289].agentsBackingOff).toBeGreaterThan(150);
    expect(ticks[359].agentsBackingOff).toBe(0);
    expect(Array.from(simulation.shards[0].agent.failedAttempts).every((failures) => failures === 0)).toBe(true);
  });

  it('checks in at the enrollment phases first (3, then 15 min apart), then at the policy’s 30 min', () => {
    // Just after enrollment many check-ins per tick; after 2 h 15 min, 200 agents every ~30 min: about 7 a tick.
    const early = ticks.slice(45, 60).reduce((sum, kpis) => sum + kpis.checkIns, 0) / 15;
    const steady = ticks.slice(215, 255).reduce((sum, kpis) => sum + kpis.checkIns, 0) / 40;
    expect(early).toBeGreaterThan(3 * steady);
    expect(steady).toBeGreaterThan(4);
    expect(steady).toBeLessThan(10);
  });

  it('gives the same KPIs and digest on 1 or 3 shards', () => {
    const sharded = run({ ...CONFIG, shards: 3 });
    expect(sharded.ticks).toEqual(ticks);
    expect(sharded.simulation.digest()).toBe(simulation.digest());
  });
});
