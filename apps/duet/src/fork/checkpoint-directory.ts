// A run directory's checkpoints (`duet run --out DIR`): DIR/checkpoints/tick-NNNNNNNNN.ckpt every K
// ticks of the measured run, in the scale-out checkpoint format (service-kit checkpoint.codec),
// and DIR/checkpoints/run.json, written when the run completes: its id, digest, resolved scenario
// and interval, which a fork checks its own scenario against.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeCheckpointState, encodeCheckpointState, type CheckpointState } from '@duet/service-kit';
import type { SimulationConfig } from '@duet/sim-core';
import type { CheckpointSink } from './run-checkpoint';

export const CHECKPOINT_RUN_FORMAT = 'duet-checkpoints/1';
/** Ticks between two checkpoints of `duet run --out` (an hour of the default 60 s ticks). */
export const DEFAULT_CHECKPOINT_EVERY = 60;

const CHECKPOINT_FILE = /^tick-(\d{9})\.ckpt$/;

/** What run.json says of the run that wrote the checkpoints. */
export interface CheckpointedRun {
  readonly format: typeof CHECKPOINT_RUN_FORMAT;
  readonly runId: string;
  readonly scenario: string;
  readonly digest: string;
  /** Ticks between two checkpoints. */
  readonly every: number;
  /** The run's resolved scenario, as the core ran it. */
  readonly config: SimulationConfig;
}

/** A run directory that cannot be forked from, and why (exit 2). */
export class ForkError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ForkError';
  }
}

export function checkpointsOf(dir: string): string {
  return join(dir, 'checkpoints');
}

/**
 * Empties DIR/checkpoints before a run writes its own, or removes it when the run keeps none: a
 * run directory holds its own run's checkpoints or none, never an earlier run's beside its report.
 */
export function clearCheckpoints(dir: string, keeping = true): void {
  rmSync(checkpointsOf(dir), { recursive: true, force: true });
  if (keeping) mkdirSync(checkpointsOf(dir), { recursive: true });
}

/** Writes each checkpoint into DIR/checkpoints as it comes (on whichever thread measures the run). */
export function fileCheckpointSink(dir: string, every: number): CheckpointSink {
  return {
    every,
    write(tick, state) {
      writeFileSync(join(checkpointsOf(dir), `tick-${String(tick).padStart(9, '0')}.ckpt`), encodeCheckpointState(state));
    },
  };
}

/** Marks DIR's checkpoints as those of a completed run. */
export function recordCheckpointedRun(dir: string, run: Omit<CheckpointedRun, 'format'>): void {
  writeFileSync(join(checkpointsOf(dir), 'run.json'), `${JSON.stringify({ format: CHECKPOINT_RUN_FORMAT, ...run })}\n`);
}

/** The completed run in DIR and the ticks of its checkpoints, ascending; a ForkError says what is missing. */
export function readCheckpointedRun(dir: string): { readonly run: CheckpointedRun; readonly ticks: readonly number[] } {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new ForkError(`--fork-from ${dir}: no such directory`);
  const file = join(checkpointsOf(dir), 'run.json');
  if (!existsSync(file))
    throw new ForkError(`--fork-from ${dir}: no checkpointed run there (no checkpoints/run.json): give the --out directory of a completed \`duet run\``);
  let run: CheckpointedRun;
  try {
    run = JSON.parse(readFileSync(file, 'utf8')) as CheckpointedRun;
  } catch (error) {
    throw new ForkError(`--fork-from ${dir}: ${file} is not JSON: ${(error as Error).message}`);
  }
  if (run?.format !== CHECKPOINT_RUN_FORMAT)
    throw new ForkError(`--fork-from ${dir}: ${file} has format ${JSON.stringify(run?.format)}, expected ${CHECKPOINT_RUN_FORMAT}`);
  const ticks = readdirSync(checkpointsOf(dir))
    .flatMap((name) => {
      const match = CHECKPOINT_FILE.exec(name);
      return match === null ? [] : [Number(match[1])];
    })
    .sort((a, b) => a - b);
  if (ticks.length === 0)
    throw new ForkError(
      `--fork-from ${dir}: the run kept no checkpoints (${run.config.ticks} ticks, one every ${run.every}): run it again with a smaller --checkpoint-every`,
    );
  return { run, ticks };
}

export function readCheckpoint(dir: string, tick: number): CheckpointState {
  const file = join(checkpointsOf(dir), `tick-${String(tick).padStart(9, '0')}.ckpt`);
  try {
    return decodeCheckpointState(readFileSync(file));
  } catch (error) {
    throw new ForkError(`--fork-from ${dir}: cannot read the checkpoint ${file}: ${(error as Error).message}`);
  }
}
