// Where a fork starts (`duet run SCENARIO --fork-from DIR --at TIME`): TIME as a tick of the run,
// the earlier run's last checkpoint at or before it, and the check that this scenario runs alike
// until TIME. From that checkpoint the core re-simulates to TIME (the same ticks as the earlier
// run) and goes on with this scenario.
import type { SimulationConfig } from '@duet/sim-core';
import { clockLabel } from '../report/line-chart';
import { lastPolicyPush } from '../report/run-measurement';
import { durationSeconds } from '../scenario/duration';
import { ForkError, readCheckpoint, readCheckpointedRun, type CheckpointedRun } from './checkpoint-directory';
import type { ResumePoint } from './run-checkpoint';
import { describeDifference, firstDifferenceBefore } from './scenario-prefix';

export interface ForkPlan {
  readonly dir: string;
  readonly source: CheckpointedRun;
  /** The fork point: the first tick where this run may differ from the earlier one. */
  readonly atTick: number;
  /** The checkpoint the run restores (0: none before the fork point, it starts from tick 0). */
  readonly checkpointTick: number;
  readonly resume?: ResumePoint;
}

/** What report.json records of a forked run. */
export interface ForkedFrom {
  readonly dir: string;
  readonly runId: string;
  readonly digest: string;
  readonly atTick: number;
  /** The fork point as simulated time of day (HH:MM, "dN HH:MM" after the first day). */
  readonly atTime: string;
  readonly checkpointTick: number;
}

const TIME_OF_DAY = /^([01]?\d|2[0-3]):([0-5]\d)$/;

/**
 * A tick of `config` from --at: a time of day HH:MM (its first occurrence from the start on), a
 * duration from the start as the scenario's `at` fields take it (90m, 8h), or a tick number.
 */
export function forkTick(at: string, config: SimulationConfig): number {
  const tickSeconds = config.tickSeconds ?? 60;
  const clock = TIME_OF_DAY.exec(at.trim());
  if (clock !== null) {
    const minute = Number(clock[1]) * 60 + Number(clock[2]);
    return Math.ceil((((minute - (config.startMinuteOfDay ?? 0) + 1440) % 1440) * 60) / tickSeconds);
  }
  if (/^\d+$/.test(at.trim())) return Number(at);
  const seconds = durationSeconds(at);
  if (seconds === undefined)
    throw new ForkError(`--at ${JSON.stringify(at)}: must be a time of day (08:00), a duration from the start (8h, 90m) or a tick number`);
  return Math.floor(seconds / tickSeconds);
}

export function timeOfTick(tick: number, config: SimulationConfig): string {
  return clockLabel((config.startMinuteOfDay ?? 0) + (tick * (config.tickSeconds ?? 60)) / 60);
}

/** Plans the fork of `config` from the run in `dir` at `at`; a ForkError says why it cannot be. */
export function planFork(dir: string, at: string, config: SimulationConfig): ForkPlan {
  const { run: source, ticks } = readCheckpointedRun(dir);
  const atTick = forkTick(at, config);
  const point = `--at ${at} (tick ${atTick}, ${timeOfTick(atTick, config)})`;
  if (atTick > source.config.ticks)
    throw new ForkError(
      `${point} is beyond the earlier run in ${dir}: it ran ${source.config.ticks} ticks, until ${timeOfTick(source.config.ticks, source.config)}`,
    );
  if (atTick > config.ticks) throw new ForkError(`${point} is beyond this run's ${config.ticks} ticks`);
  const difference = firstDifferenceBefore(source.config, config, atTick);
  if (difference !== undefined)
    throw new ForkError(`${point}: the scenario differs from the earlier run's in ${dir} before the fork point: ${describeDifference(difference)}`);
  // The measurement tracks the last policy push's rollout: when this scenario's is another push,
  // the checkpoint must come before that push starts (fork/run-checkpoint.ts).
  const before = lastPolicyPush(source.config);
  const now = lastPolicyPush(config);
  const samePush = before?.index === now?.index && before?.tick === now?.tick;
  const limit = samePush || now === undefined ? atTick : Math.min(atTick, now.tick);
  const checkpointTick = ticks.filter((tick) => tick <= limit).at(-1) ?? 0;
  return {
    dir,
    source,
    atTick,
    checkpointTick,
    resume: checkpointTick === 0 ? undefined : { tick: checkpointTick, state: readCheckpoint(dir, checkpointTick) },
  };
}

export function forkedFrom(plan: ForkPlan, config: SimulationConfig): ForkedFrom {
  return {
    dir: plan.dir,
    runId: plan.source.runId,
    digest: plan.source.digest,
    atTick: plan.atTick,
    atTime: timeOfTick(plan.atTick, config),
    checkpointTick: plan.checkpointTick,
  };
}
