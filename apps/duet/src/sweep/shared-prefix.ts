// A sweep's shared prefix: when every combination runs alike up to some tick (they differ only in
// what happens later, e.g. when a policy lands), that prefix is simulated once, with a checkpoint
// at its end, and every combination forks from it instead of starting at tick 0. The fork is
// exact (fork = from scratch, tests/scenarios/fork.spec.ts), so results do not change, only time.
import { join } from 'node:path';
import type { SimulationConfig } from '@duet/sim-core';
import { clearCheckpoints, fileCheckpointSink, recordCheckpointedRun } from '../fork/checkpoint-directory';
import { timeOfTick } from '../fork/fork-plan';
import { commonPrefixTicks } from '../fork/scenario-prefix';
import { lastPolicyPush, measureRun } from '../report/run-measurement';

/** What sweep.json says of the prefix the combinations share. */
export interface SharedPrefix {
  /** Ticks 0..ticks-1 were simulated once; every combination forks at `ticks`. */
  readonly ticks: number;
  readonly time: string;
  /** The prefix's checkpoints, relative to the sweep's --out directory (absent without one). */
  readonly dir?: string;
}

/**
 * The tick up to which every config runs alike and from which each can be restored (a checkpoint
 * there must track the same policy rollout as the combination, fork-plan.ts); 0 when they share
 * nothing or there is only one.
 */
export function sharedPrefixTicks(configs: readonly SimulationConfig[]): number {
  if (configs.length < 2) return 0;
  const [first, ...others] = configs;
  let ticks = Math.min(...others.map((config) => commonPrefixTicks(first, config)));
  const push = lastPolicyPush(first);
  for (const config of others) {
    const own = lastPolicyPush(config);
    if (own !== undefined && (own.index !== push?.index || own.tick !== push.tick)) ticks = Math.min(ticks, own.tick);
  }
  return ticks;
}

export const PREFIX_DIRECTORY = 'prefix';

/** Simulates the prefix of `config` once and leaves its checkpoint at `ticks` in `dir`. */
export function runSharedPrefix(config: SimulationConfig, ticks: number, dir: string): void {
  clearCheckpoints(dir);
  const prefix = { ...config, ticks };
  const measurement = measureRun(prefix, undefined, { checkpoints: fileCheckpointSink(dir, ticks) });
  recordCheckpointedRun(dir, { runId: 'sweep-prefix', scenario: 'sweep prefix', digest: measurement.summary.digest, every: ticks, config: prefix });
}

export function sharedPrefix(ticks: number, config: SimulationConfig, out: string | undefined): SharedPrefix {
  return { ticks, time: timeOfTick(ticks, config), dir: out === undefined ? undefined : PREFIX_DIRECTORY };
}

export function prefixDirectory(out: string | undefined, scratch: string): string {
  return out === undefined ? scratch : join(out, PREFIX_DIRECTORY);
}
