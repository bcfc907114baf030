// The pure core on several worker threads: each thread steps a group of the run's shards through
// every tick on its own, and this side sums their per-tick KPIs in tick order and scatters their
// final state by handset id. A config-driven run (bench, sweeps) has nothing that crosses shards
// within a tick, so the threads need no per-tick barrier; the KPIs are integer sums, so the digest
// equals the in-process Simulation's for any thread and shard count
// (docs/design.md#time-shards-and-determinism).
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import {
  KPI_COUNT,
  RunDigest,
  addLedgerCells,
  emptyLedger,
  prepareRun,
  summarizeRun,
  type LeakLedgerCell,
  type RunSummary,
  type SimulationConfig,
  type TickKpis,
} from '@duet/sim-core';

/** Ticks a worker steps before it posts their KPIs (one transfer per chunk, not per tick). */
export const TICKS_PER_CHUNK = 32;

export interface ShardGroupJob {
  readonly config: SimulationConfig;
  readonly shards: readonly number[];
}

export type ShardGroupMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'ticks'; readonly from: number; readonly count: number; readonly values: Float64Array }
  | {
      readonly type: 'done';
      /** Retained bytes of the worker's heap and ArrayBuffers over its baseline, after a full GC. */
      readonly retainedBytes: number;
      /** Per shard of the group: handset ids, the final state columns in the same order, and the data-leak ledger. */
      readonly state: readonly { readonly ids: Uint32Array; readonly columns: Record<string, ArrayLike<number>>; readonly leaks: readonly LeakLedgerCell[] }[];
    }
  | { readonly type: 'failed'; readonly message: string };

export interface ParallelCoreRun {
  readonly summary: RunSummary;
  readonly threads: number;
  /** Worker start and shard construction, until every thread was ready. */
  readonly setupSeconds: number;
  /** From the start signal until the last thread's KPIs were merged. */
  readonly runSeconds: number;
  /** CPU time of the whole process (every thread) over the run. */
  readonly cpuSeconds: number;
  /** Summed over the threads (each measured in its own heap). */
  readonly workerRetainedBytes: number;
}

/** Shard s goes to thread s mod threads; more threads than shards would idle, so they are not started. */
export function shardGroups(shards: number, threads: number): number[][] {
  const groups: number[][] = Array.from({ length: Math.max(1, Math.min(threads, shards)) }, () => []);
  for (let shard = 0; shard < shards; shard++) groups[shard % groups.length].push(shard);
  return groups;
}

/** Runs `config` on `threads` worker threads; `onTick` sees the fleet's KPIs tick by tick, in order. */
export async function runCoreOnThreads(config: SimulationConfig, threads: number, onTick?: (kpis: TickKpis) => void): Promise<ParallelCoreRun> {
  const prepared = prepareRun(config); // validates here, before any thread starts
  const handsets = prepared.fleet.handsets;
  const groups = shardGroups(config.shards, threads);
  const setupStart = performance.now();
  const workers = groups.map((shards) => new Worker(join(__dirname, 'shard-group.worker.js'), { workerData: { config, shards } satisfies ShardGroupJob }));
  const queues: { from: number; count: number; values: Float64Array }[][] = groups.map(() => []);
  const digest = new RunDigest();
  const totals = new Float64Array(KPI_COUNT);
  let last = new Float64Array(KPI_COUNT);
  let nextTick = 0;
  let runStart = 0;
  const finalState: Record<string, Float64Array> = {};
  const ledger = emptyLedger();
  let workerRetainedBytes = 0;

  // Every tick whose KPIs all threads have posted, in tick order.
  const merge = () => {
    while (nextTick < config.ticks && queues.every((queue) => queue.length > 0)) {
      const values = new Float64Array(KPI_COUNT);
      for (const queue of queues) {
        const chunk = queue[0];
        const offset = (nextTick - chunk.from) * KPI_COUNT;
        for (let k = 0; k < KPI_COUNT; k++) values[k] += chunk.values[offset + k];
        if (nextTick === chunk.from + chunk.count - 1) queue.shift();
      }
      digest.addTick(nextTick, values);
      for (let k = 0; k < KPI_COUNT; k++) totals[k] += values[k];
      last = values;
      onTick?.({ tick: nextTick, values });
      nextTick++;
    }
  };

  try {
    const ready = workers.map((worker) => new Promise<void>((resolve) => worker.once('message', () => resolve())));
    const done = workers.map(
      (worker, w) =>
        new Promise<void>((resolve, reject) => {
          worker.on('message', (message: ShardGroupMessage) => {
            if (message.type === 'ticks') {
              queues[w].push(message);
              merge();
            } else if (message.type === 'done') {
              workerRetainedBytes += message.retainedBytes;
              for (const { ids, columns, leaks } of message.state) {
                scatterColumns(finalState, handsets, ids, columns);
                addLedgerCells(ledger, leaks);
              }
              resolve();
            } else if (message.type === 'failed') reject(new Error(`core thread for shards ${groups[w].join(',')} failed: ${message.message}`));
          });
          worker.on('error', (error) => reject(new Error(`core thread for shards ${groups[w].join(',')} failed: ${error.message}`)));
          worker.on('exit', (code) => reject(new Error(`core thread for shards ${groups[w].join(',')} exited with code ${code} before it finished`)));
        }),
    );
    await Promise.race([Promise.all(ready), Promise.all(done)]);
    runStart = performance.now();
    const cpuStart = process.cpuUsage();
    for (const worker of workers) worker.postMessage('start');
    await Promise.all(done);
    const runEnd = performance.now();
    const cpu = process.cpuUsage(cpuStart);
    if (nextTick !== config.ticks) throw new Error(`the core threads posted ${nextTick} of ${config.ticks} ticks`);
    const summary = summarizeRun({
      handsets,
      ticks: config.ticks,
      shards: config.shards,
      seed: config.seed,
      tickSeconds: prepared.clock.tickSeconds,
      totals,
      last,
      finalState,
      digest: digest.finish(finalState),
      ledger,
    });
    return {
      summary,
      threads: groups.length,
      setupSeconds: (runStart - setupStart) / 1000,
      runSeconds: (runEnd - runStart) / 1000,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      workerRetainedBytes,
    };
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
}

function scatterColumns(into: Record<string, Float64Array>, handsets: number, ids: Uint32Array, columns: Record<string, ArrayLike<number>>): void {
  for (const [name, values] of Object.entries(columns)) {
    const column = (into[name] ??= new Float64Array(handsets));
    for (let i = 0; i < ids.length; i++) column[ids[i]] = values[i];
  }
}
