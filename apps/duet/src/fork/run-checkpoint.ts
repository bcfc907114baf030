// A checkpoint of a measured run: the simulation's state between two ticks (every shard's
// columns) and the measurement's accumulators (the series so far, the trackers), in the
// scale-out checkpoint format (service-kit's checkpoint.codec: named typed columns, deflated).
import type { CheckpointState, TypedColumn } from '@duet/service-kit';
import type { ColumnState, SimulationSnapshot } from '@duet/sim-core';

/** Where a measured run continues from: its checkpoint state, taken before `tick`. */
export interface ResumePoint {
  readonly tick: number;
  readonly state: CheckpointState;
}

/** Receives a checkpoint of the run before `tick` (every `every` ticks). */
export interface CheckpointSink {
  readonly every: number;
  write(tick: number, state: CheckpointState): void;
}

const SHARD_PREFIX = 'shard.';

export function simulationState(snapshot: SimulationSnapshot): CheckpointState {
  const state: CheckpointState = { tick: snapshot.tick, shards: snapshot.shards.length };
  snapshot.shards.forEach((shard, s) => {
    for (const [key, value] of Object.entries(shard)) state[`${SHARD_PREFIX}${s}.${key}`] = value;
  });
  return state;
}

export function simulationSnapshot(state: CheckpointState): SimulationSnapshot {
  const shards: ColumnState[] = Array.from({ length: numberOf(state, 'shards') }, () => ({}));
  for (const [key, value] of Object.entries(state)) {
    if (!key.startsWith(SHARD_PREFIX)) continue;
    const dot = key.indexOf('.', SHARD_PREFIX.length);
    const shard = Number(key.slice(SHARD_PREFIX.length, dot));
    if (!(shard in shards)) throw new RangeError(`checkpoint part ${key}: shard ${shard} is not one of its ${shards.length}`);
    shards[shard][key.slice(dot + 1)] = value;
  }
  return { tick: numberOf(state, 'tick'), shards };
}

export function numberOf(state: CheckpointState, name: string): number {
  const value = state[name];
  if (typeof value !== 'number') throw new RangeError(`checkpoint lacks the number ${name}`);
  return value;
}

export function columnOf(state: CheckpointState, name: string): TypedColumn {
  const value = state[name];
  if (!ArrayBuffer.isView(value)) throw new RangeError(`checkpoint lacks column ${name}`);
  return value;
}

/** A series so far, from a checkpoint, checked to hold one value per tick before it. */
export function seriesOf(state: CheckpointState, name: string, ticks: number): number[] {
  const column = columnOf(state, name);
  if (column.length !== ticks) throw new RangeError(`checkpoint series ${name} has ${column.length} values, expected ${ticks} (one per tick before it)`);
  return Array.from(column);
}
