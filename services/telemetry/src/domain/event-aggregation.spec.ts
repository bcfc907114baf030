import { EventKind, Kpi, Persona } from '@duet/sim-core';
import { describe, expect, it } from 'vitest';
import { SMALL_RUN_CONFIG, shuffled, simulateRun } from '../../test/simulated-run';
import { PartError } from './errors';
import {
  EventAggregator,
  checkEventBatch,
  checkEventBatchIdentity,
  eventBatchKey,
  expectedEventBatches,
  type EventBatch,
  type SeriesCount,
} from './event-aggregation';
import { FleetDimensions } from './fleet-dimensions';
import { PolicyHistory } from './policy-history';

function batch(tick: number, events: [kind: number, handset: number, persona: number, a?: number][], role = 2): EventBatch {
  return {
    shard: 0,
    tick,
    role,
    kind: events.map((event) => event[0]),
    handsetId: events.map((event) => event[1]),
    persona: events.map((event) => event[2]),
    a: events.map((event) => event[3] ?? 0),
    b: events.map(() => 0),
  };
}

function total(counts: readonly SeriesCount[], dimension: string, eventKind: number, value?: string): number {
  return counts
    .filter((count) => count.dimension === dimension && count.eventKind === eventKind && (value === undefined || count.value === value))
    .reduce((sum, count) => sum + count.count, 0);
}

describe('EventAggregator', () => {
  const fleet = FleetDimensions.fromConfig(SMALL_RUN_CONFIG);

  it('counts every event once in each dimension, matching the KPIs the roles measured', () => {
    const run = simulateRun(SMALL_RUN_CONFIG);
    const sut = new EventAggregator(fleet, new PolicyHistory());
    const counts = shuffled(run.eventBatches).flatMap((one) => sut.aggregate([one]).counts);
    const sessions = run.ticks.reduce((sum, values) => sum + values[Kpi.sessionsStarted], 0);
    const checkIns = run.ticks.reduce((sum, values) => sum + values[Kpi.checkIns], 0);
    expect(sessions).toBeGreaterThan(0);
    for (const dimension of ['model', 'region', 'group', 'persona', 'policy_version']) {
      expect(total(counts, dimension, EventKind.SESSION_STARTED)).toBe(sessions);
      expect(total(counts, dimension, EventKind.CHECK_IN)).toBe(checkIns);
    }
    expect(new Set(counts.filter((count) => count.dimension === 'model').map((count) => count.value))).toEqual(
      new Set(['optimus-one', 'optimus-2x', 'optimus-black']),
    );
    expect(new Set(counts.filter((count) => count.dimension === 'policy_version').map((count) => count.value))).toEqual(new Set(['0', '1', '2']));
  });

  it('attributes an event to the policy version its handset held when the tick began, whatever order the batches of a tick arrive in', () => {
    const events = [
      batch(5, [[EventKind.POLICY_APPLIED, 7, Persona.BUSINESS, 3]]),
      batch(5, [[EventKind.CROSS_PERSONA_FLOW, 7, Persona.PERSONAL]]),
      batch(6, [[EventKind.CROSS_PERSONA_FLOW, 7, Persona.PERSONAL]]),
    ];
    for (const order of [events, [events[1], events[0], events[2]]]) {
      const sut = new EventAggregator(fleet, new PolicyHistory());
      const counts = order.flatMap((one) => sut.aggregate([one]).counts).filter((count) => count.dimension === 'policy_version');
      expect(counts.filter((count) => count.eventKind === EventKind.CROSS_PERSONA_FLOW).map(({ tick, value }) => ({ tick, value }))).toEqual(
        expect.arrayContaining([
          { tick: 5, value: '0' },
          { tick: 6, value: '3' },
        ]),
      );
    }
  });

  it('hands out each policy application once, to be stored with the counts', () => {
    const sut = new EventAggregator(fleet, new PolicyHistory());
    const applied = batch(2, [[EventKind.POLICY_APPLIED, 1, Persona.BUSINESS, 4]]);
    expect(sut.aggregate([applied]).applications).toEqual([{ handsetId: 1, tick: 2, version: 4 }]);
    expect(sut.aggregate([applied]).applications).toEqual([]);
  });

  it('counts the handset-level events under the persona "handset"', () => {
    const sut = new EventAggregator(fleet, new PolicyHistory());
    const { counts } = sut.aggregate([batch(0, [[EventKind.BATTERY_EMPTY, 3, 0]])]);
    expect(total(counts, 'persona', EventKind.BATTERY_EMPTY, 'handset')).toBe(1);
    expect(total(counts, 'model', EventKind.BATTERY_EMPTY, fleet.modelOf(3))).toBe(1);
  });
});

describe('eventBatchKey', () => {
  it('is equal for a redelivered batch and differs between the roles of one shard and tick, even when both are empty', () => {
    const one = batch(1, [[EventKind.SESSION_STARTED, 2, Persona.PERSONAL]]);
    expect(eventBatchKey({ ...one })).toBe(eventBatchKey(one));
    expect(eventBatchKey(batch(1, [], 1))).not.toBe(eventBatchKey(batch(1, [], 2)));
    expect(eventBatchKey(batch(1, [], 3))).not.toBe(eventBatchKey(batch(2, [], 3)));
    expect(eventBatchKey({ ...batch(1, [], 3), shard: 1 })).not.toBe(eventBatchKey(batch(1, [], 3)));
  });

  it('makes a complete run one batch per role, shard and tick', () => {
    expect(expectedEventBatches({ ticks: 10, shards: 2 })).toBe(60);
  });
});

describe('checkEventBatchIdentity', () => {
  it("rejects a batch that cannot be one of the run's, naming each field", () => {
    const run = { ticks: 5, shards: 2 };
    expect(() => checkEventBatchIdentity(batch(4, [], 3), run)).not.toThrow();
    expect(() => checkEventBatchIdentity(batch(4, [], 0), run)).toThrow('role: must be a Role that emits events (1, 2, 3), got 0 [enum]');
    expect(() => checkEventBatchIdentity(batch(5, [], 1), run)).toThrow('tick: must be a tick of the run, 0..4, got 5 [range]');
    expect(() => checkEventBatchIdentity({ ...batch(0, [], 1), shard: 2 }, run)).toThrow('shard: must be a shard of the run, 0..1, got 2 [range]');
  });
});

describe('checkEventBatch', () => {
  it('rejects columns of different lengths and unknown handsets, naming the field', () => {
    expect(() => checkEventBatch({ ...batch(0, [[1, 2, 1]]), a: [] }, 10)).toThrow(PartError);
    expect(() => checkEventBatch({ ...batch(0, [[1, 2, 1]]), a: [] }, 10)).toThrow('a: must have one value per event (1), got 0 [length]');
    expect(() => checkEventBatch(batch(0, [[1, 12, 1]]), 10)).toThrow('handset_id.0: must be a handset id in 0..9, got 12 [range]');
    expect(() => checkEventBatch(batch(0, [[1, 2, 9]]), 10)).toThrow('persona.0');
  });
});

describe('PolicyHistory', () => {
  it('gives the last version applied at an earlier tick, and 0 before any', () => {
    const sut = new PolicyHistory();
    sut.record({ handsetId: 1, tick: 10, version: 2 });
    sut.record({ handsetId: 1, tick: 4, version: 1 });
    expect([3, 4, 5, 10, 11].map((tick) => sut.versionAt(1, tick))).toEqual([0, 0, 1, 1, 2]);
    expect(sut.versionAt(2, 100)).toBe(0);
  });
});
