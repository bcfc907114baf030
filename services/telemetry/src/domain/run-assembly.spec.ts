import { KPI_COUNT, Kpi, Simulation, shardOf } from '@duet/sim-core';
import { describe, expect, it } from 'vitest';
import { events } from '@duet/contracts';
import { SMALL_RUN_CONFIG, shuffled, simulateRun } from '../../test/simulated-run';
import { PartError } from './errors';
import { Role, RunAssembly, type RunPlan } from './run-assembly';

const PLAN: RunPlan = { runId: 'run-1', seed: 1, handsets: 4, ticks: 3, shards: 2, tickSeconds: 60 };

function kpis(entries: Partial<Record<keyof typeof Kpi, number>>): Float64Array {
  const values = new Float64Array(KPI_COUNT);
  for (const [name, value] of Object.entries(entries)) values[Kpi[name as keyof typeof Kpi]] = value;
  return values;
}

function partsOfTick(tick: number, handsetsOnline = 1) {
  return [0, 1].flatMap((shard) =>
    [Role.HYPERVISOR, Role.PERSONAL, Role.BUSINESS].map((role) => ({ tick, shard, role, values: kpis({ handsetsOnline, events: role }) })),
  );
}

function thrown(work: () => unknown): unknown {
  try {
    work();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('RunAssembly', () => {
  it('uses the Role codes of duet.events.v1.Role', () => {
    expect(Role).toEqual({ HYPERVISOR: events.Role.ROLE_HYPERVISOR, PERSONAL: events.Role.ROLE_PERSONAL, BUSINESS: events.Role.ROLE_BUSINESS });
  });

  it('finalises ticks in order once every part of them and of earlier ticks is in, whatever order the parts arrive in', () => {
    const sut = new RunAssembly(PLAN);
    const parts = shuffled([...partsOfTick(0), ...partsOfTick(1, 2), ...partsOfTick(2, 3)], 11);
    const final: number[] = [];
    for (const part of parts) {
      expect(sut.addTickPart(part)).toBe('added');
      const ticks = sut.takeFinalTicks();
      final.push(...ticks.map((tick) => tick.tick));
      expect(sut.ticksCompleted).toBe(final.length);
    }
    expect(final).toEqual([0, 1, 2]);
    expect(sut.totals[Kpi.handsetsOnline]).toBe(6 * (1 + 2 + 3));
    expect(sut.totals[Kpi.events]).toBe(3 * 2 * (1 + 2 + 3));
  });

  it('holds a complete tick back until every earlier tick is complete', () => {
    const sut = new RunAssembly(PLAN);
    for (const part of partsOfTick(1)) sut.addTickPart(part);
    expect(sut.takeFinalTicks()).toEqual([]);
    for (const part of partsOfTick(0)) sut.addTickPart(part);
    expect(sut.takeFinalTicks().map((tick) => tick.tick)).toEqual([0, 1]);
  });

  it('ignores a part delivered twice, before and after its tick is final', () => {
    const sut = new RunAssembly(PLAN);
    const [first, ...rest] = partsOfTick(0);
    expect(sut.addTickPart(first)).toBe('added');
    expect(sut.addTickPart({ ...first, values: kpis({ handsetsOnline: 100 }) })).toBe('duplicate');
    for (const part of rest) sut.addTickPart(part);
    const [tick] = sut.takeFinalTicks();
    expect(tick.values[Kpi.handsetsOnline]).toBe(6);
    expect(sut.addTickPart(first)).toBe('duplicate');
    expect(sut.totals[Kpi.handsetsOnline]).toBe(6);
  });

  it('rejects a part outside the run, naming the field and the rule', () => {
    const sut = new RunAssembly(PLAN);
    const error = thrown(() => sut.addTickPart({ tick: 3, shard: 2, role: 0, values: [1, 2] }));
    expect(error).toBeInstanceOf(PartError);
    expect((error as PartError).issues.map((issue) => `${issue.parameter} [${issue.rule}]`)).toEqual([
      'shard [range]',
      'role [enum]',
      'tick [range]',
      'kpis [length]',
    ]);
    const elsewhere = [0, 1, 2, 3].find((id) => shardOf(id, PLAN.shards) === 1)!;
    expect(() => sut.addFinalStatePart({ shard: 0, role: Role.PERSONAL, handsetIds: [elsewhere], columns: {} })).toThrow(
      `handset ${elsewhere} is not in shard 0`,
    );
  });

  it('refuses a final-state column named __proto__, and Object.prototype stays as it was', () => {
    const sut = new RunAssembly(PLAN);
    const mine = [0, 1, 2, 3].find((id) => shardOf(id, PLAN.shards) === 0)!;
    const columns = JSON.parse('{"__proto__": [7], "constructor": [8]}') as Record<string, number[]>;
    const error = thrown(() => sut.addFinalStatePart({ shard: 0, role: Role.PERSONAL, handsetIds: [mine], columns }));
    expect(error).toBeInstanceOf(PartError);
    expect((error as PartError).issues.map((issue) => `${issue.parameter} [${issue.rule}]`)).toEqual(['columns.__proto__ [name]']);
    expect(Object.getOwnPropertyNames(Object.prototype).filter((name) => /^\d+$/.test(name))).toEqual([]);
    expect(({} as Record<string, unknown>)[mine]).toBeUndefined();
  });

  it('assembles from shuffled role parts the digest and summary of the in-process simulation', () => {
    const run = simulateRun(SMALL_RUN_CONFIG);
    const sut = new RunAssembly({
      runId: 'small',
      seed: SMALL_RUN_CONFIG.seed,
      handsets: SMALL_RUN_CONFIG.fleet.handsets,
      ticks: SMALL_RUN_CONFIG.ticks,
      shards: SMALL_RUN_CONFIG.shards,
      tickSeconds: SMALL_RUN_CONFIG.tickSeconds!,
    });
    const final: number[] = [];
    const parts = shuffled(run.tickParts);
    for (const part of [...parts.slice(0, 40), parts[3], ...parts.slice(40), parts[100]]) {
      sut.addTickPart(part);
      for (const tick of sut.takeFinalTicks()) {
        final.push(tick.tick);
        expect(Array.from(tick.values)).toEqual(Array.from(run.ticks[tick.tick]));
      }
    }
    expect(final).toEqual([...Array(SMALL_RUN_CONFIG.ticks).keys()]);
    expect(sut.complete).toBe(false);
    for (const part of shuffled(run.finalStateParts)) sut.addFinalStatePart(part);
    expect(sut.addFinalStatePart(run.finalStateParts[0])).toBe('duplicate');
    expect(sut.complete).toBe(true);

    const result = sut.finish();
    expect(result.digest).toBe(new Simulation(SMALL_RUN_CONFIG).run().digest);
    expect(result.summary).toEqual(run.summary);
    // The data-leak ledger travels with the hypervisor's parts (none of this run's flows is lost).
    expect(result.summary.leakLedger.length).toBeGreaterThan(0);
    expect(result.summary.leakLedger.reduce((sum, entry) => sum + entry.count, 0)).toBe(result.summary.kpis.businessItemsInPersonal);
  });

  it('refuses a ledger cell of a flow into the business persona, naming it', () => {
    const sut = new RunAssembly(PLAN);
    const error = thrown(() =>
      sut.addFinalStatePart({
        shard: 0,
        role: Role.HYPERVISOR,
        handsetIds: [],
        columns: {},
        leaks: [{ flowKind: 2, policyRevision: 1, count: 3, firstTick: 0, lastTick: 1 }],
      }),
    );
    expect(error).toBeInstanceOf(PartError);
    expect((error as PartError).issues.map((issue) => `${issue.parameter} [${issue.rule}]`)).toEqual(['leaks.0 [cell]']);
  });

  it('continues from stored final ticks to the same digest (a restart)', () => {
    const run = simulateRun(SMALL_RUN_CONFIG);
    const plan = { runId: 'small', seed: SMALL_RUN_CONFIG.seed, handsets: 90, ticks: 48, shards: 3, tickSeconds: 300 };
    const sut = new RunAssembly(plan);
    run.ticks.slice(0, 20).forEach((values, tick) => sut.restoreFinalTick(tick, values));
    for (const part of run.tickParts) sut.addTickPart(part);
    sut.takeFinalTicks();
    for (const part of run.finalStateParts) sut.addFinalStatePart(part);
    expect(sut.finish().digest).toBe(run.digest);
  });
});
