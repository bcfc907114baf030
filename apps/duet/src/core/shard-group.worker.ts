// Entry of a core thread (started by parallel-core.ts): builds its group of shards, says it is
// ready, and on the start signal steps them through every tick, posting the KPIs chunk by chunk,
// then its retained memory and final state.
import { parentPort, workerData } from 'node:worker_threads';
import { KPI_COUNT, ShardGroup, agentFinalState, hypervisorFinalState, ledgerCells, personaFinalState, prepareRun } from '@duet/sim-core';
import { retainedBytes } from '../memory';
import { TICKS_PER_CHUNK, type ShardGroupJob, type ShardGroupMessage } from './parallel-core';

const port = parentPort!;
const { config, shards } = workerData as ShardGroupJob;
try {
  const baseline = retainedBytes();
  const group = new ShardGroup(prepareRun(config), shards);
  port.once('message', () => {
    try {
      run(group, baseline);
    } catch (error) {
      fail(error);
    }
  });
  port.postMessage({ type: 'ready' } satisfies ShardGroupMessage);
} catch (error) {
  fail(error);
}

function run(group: ShardGroup, baseline: number): void {
  for (let from = 0; from < config.ticks; from += TICKS_PER_CHUNK) {
    const count = Math.min(TICKS_PER_CHUNK, config.ticks - from);
    const values = new Float64Array(count * KPI_COUNT);
    for (let t = 0; t < count; t++) group.step(from + t, values.subarray(t * KPI_COUNT, (t + 1) * KPI_COUNT), []);
    port.postMessage({ type: 'ticks', from, count, values } satisfies ShardGroupMessage, [values.buffer]);
  }
  const retained = retainedBytes() - baseline;
  const state = group.shards.map((shard) => ({
    ids: shard.fleet.ids,
    columns: {
      ...hypervisorFinalState(shard.hypervisor),
      ...personaFinalState(shard.personal),
      ...personaFinalState(shard.business),
      ...agentFinalState(shard.agent),
    },
    leaks: ledgerCells(shard.hypervisor),
  }));
  port.postMessage({ type: 'done', retainedBytes: retained, state } satisfies ShardGroupMessage);
}

function fail(error: unknown): void {
  port.postMessage({ type: 'failed', message: error instanceof Error ? error.message : String(error) } satisfies ShardGroupMessage);
}
