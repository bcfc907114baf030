import { describe, expect, it } from 'vitest';
import { decodeCheckpointState, decodeDemand, encodeCheckpointState, encodeDemand, encodeGrant } from '@duet/service-kit';
import { DemandBatch, GuestState, Persona, Simulation, ledgerCells, prepareRun, type SimulationConfig } from '@duet/sim-core';
import { ExchangeRefused, ShardExchange, type TickReport } from './shard-exchange';

const CONFIG: SimulationConfig = { seed: 3, ticks: 30, shards: 2, startMinuteOfDay: 480, fleet: { handsets: 40, enrollmentWindowMinutes: 5 } };

function exchangeOf(config = CONFIG, shard = 0) {
  const reports: TickReport[] = [];
  const sut = new ShardExchange(prepareRun(config), shard, (report) => reports.push({ ...report, events: report.events }));
  return { sut, reports };
}

describe('ShardExchange', () => {
  it('processes a tick only once both personas have submitted their demand', async () => {
    const { sut, reports } = exchangeOf();
    let personalDone = false;
    const personal = sut.submit(Persona.PERSONAL, 0).then(() => (personalDone = true));
    await Promise.resolve();
    expect(personalDone).toBe(false);
    expect(sut.awaiting).toEqual([Persona.BUSINESS]);
    await sut.submit(Persona.BUSINESS, 0);
    await personal;
    expect(sut.nextTick).toBe(1);
    expect(reports.map((report) => report.tick)).toEqual([0]);
  });

  it('refuses a demand for a tick out of order, naming demand.tick and the rule', async () => {
    const { sut } = exchangeOf();
    await expect(sut.submit(Persona.PERSONAL, 3)).rejects.toMatchObject({ reason: 'out-of-order', path: 'demand.tick', rule: 'next-tick' });
  });

  it('answers a repeated call for the tick just processed without processing again', async () => {
    const { sut, reports } = exchangeOf();
    await Promise.all([sut.submit(Persona.PERSONAL, 0), sut.submit(Persona.BUSINESS, 0)]);
    await expect(sut.submit(Persona.BUSINESS, 0)).resolves.toBe('replayed');
    expect(reports).toHaveLength(1);
    expect(sut.nextTick).toBe(1);
  });

  it('refuses an unknown persona and ticks past the end of the run', async () => {
    const { sut } = exchangeOf({ ...CONFIG, ticks: 1 });
    await expect(sut.submit(7, 0)).rejects.toBeInstanceOf(ExchangeRefused);
    await Promise.all([sut.submit(Persona.PERSONAL, 0), sut.submit(Persona.BUSINESS, 0)]);
    await expect(sut.submit(Persona.PERSONAL, 1)).rejects.toMatchObject({ reason: 'finished' });
  });

  it('grants exactly what the in-process simulation grants, through the wire codec', async () => {
    // Long and busy enough for business items to reach the personal persona.
    const config = { ...CONFIG, ticks: 120, fleet: { ...CONFIG.fleet, businessIntensity: 3 } };
    const simulation = new Simulation(config);
    const shard = simulation.shards[1];
    const { sut } = exchangeOf(config, 1);
    const keys = (tick: number, persona: number) => ({ runId: 'r', shard: 1, tick, persona });
    for (let tick = 0; tick < config.ticks; tick++) {
      simulation.step();
      // Replay the core's demands of this tick through the codec into the exchange.
      for (const [persona, demand] of [
        [Persona.PERSONAL, shard.personalDemand],
        [Persona.BUSINESS, shard.businessDemand],
      ] as const) {
        decodeDemand(encodeDemand(keys(tick, persona), shard.fleet.ids, demand), sut.fleet.ids, (id) => sut.indexOf(id), sut.demands[persona]);
      }
      await Promise.all([sut.submit(Persona.PERSONAL, tick), sut.submit(Persona.BUSINESS, tick)]);
      const wire = encodeGrant(keys(tick, Persona.BUSINESS), sut.fleet.ids, sut.grants[Persona.BUSINESS], sut.demands[Persona.BUSINESS]).grant!;
      expect(Array.from(wire.guestState)).toEqual(Array.from(shard.businessGrant.guestState));
      expect(Array.from(wire.cpuMhzGranted)).toEqual(Array.from(shard.businessGrant.cpuMhz));
      expect(Array.from(wire.batteryPermille)).toEqual(Array.from(shard.businessGrant.batteryPermille));
    }
    expect(Array.from(sut.state.batteryMicroAh)).toEqual(Array.from(shard.hypervisor.batteryMicroAh));
    expect(sut.state.guestState.some((state) => state === GuestState.RUNNING)).toBe(true);
    // Per-persona cost and the data-leak ledger as the core has them, and carried by a checkpoint to another instance.
    expect(Array.from(sut.state.businessMicroAh)).toEqual(Array.from(shard.hypervisor.businessMicroAh));
    expect(ledgerCells(sut.state)).toEqual(ledgerCells(shard.hypervisor));
    expect(ledgerCells(sut.state).length).toBeGreaterThan(0);
    const taker = exchangeOf(config, 1).sut;
    taker.restore(decodeCheckpointState(encodeCheckpointState(sut.snapshot())));
    expect(Array.from(taker.state.personalMicroAh)).toEqual(Array.from(sut.state.personalMicroAh));
    expect(Array.from(taker.state.businessMicroAh)).toEqual(Array.from(sut.state.businessMicroAh));
    expect(ledgerCells(taker.state)).toEqual(ledgerCells(sut.state));
  });

  it('rejects a demand whose handsets are not the shard’s, naming the field', () => {
    const { sut } = exchangeOf();
    const demand = new DemandBatch(3);
    const request = encodeDemand({ runId: 'r', shard: 0, tick: 0, persona: Persona.PERSONAL }, Uint32Array.of(1, 2, 3), demand);
    expect(() => decodeDemand(request, sut.fleet.ids, (id) => sut.indexOf(id), sut.demands[Persona.PERSONAL])).toThrow(/demand\.handset_ids.*shard-handsets/);
  });
});
