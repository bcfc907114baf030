import { Injectable } from '@nestjs/common';
import { integerArray, type Queryable } from '@duet/service-kit';

export interface StoredCommand {
  readonly commandId: string;
  readonly runId: string;
  readonly handsetId: number;
  readonly shard: number;
  readonly type: number;
  readonly tick: number;
}

/** Command ids a handset reports executed at its check-in of `tick`. */
export interface CommandsExecuted {
  readonly handsetId: number;
  readonly commandIds: readonly string[];
  readonly tick: number;
}

interface CommandRow {
  command_id: string;
  run_id: string;
  handset_id: string;
  shard: string;
  command_type: number;
  tick: string;
}

/** Remote commands (table policy_authority.commands). */
@Injectable()
export class CommandRepository {
  /** Stores one command per handset; returns them in the order of `handsetIds`. */
  async insert(
    client: Queryable,
    runId: string,
    type: number,
    tick: number,
    handsetIds: readonly number[],
    shards: readonly number[],
  ): Promise<StoredCommand[]> {
    const { rows } = await client.query<CommandRow>(
      `INSERT INTO policy_authority.commands (run_id, handset_id, shard, command_type, tick)
       SELECT $1, input.handset_id, input.shard, $2, $3
       FROM unnest($4::bigint[], $5::bigint[]) WITH ORDINALITY AS input (handset_id, shard, row_number)
       ORDER BY input.row_number
       RETURNING command_id, run_id, handset_id, shard, command_type, tick`,
      [runId, type, tick, handsetIds, shards],
    );
    const byHandset = new Map(rows.map((row) => [Number(row.handset_id), toCommand(row)]));
    return handsetIds.map((id) => byHandset.get(id)!);
  }

  /** Commands of the handsets not acknowledged, oldest first; the caller keeps those due by each check-in's tick. */
  async pendingFor(client: Queryable, runId: string, handsetIds: readonly number[]): Promise<StoredCommand[]> {
    const { rows } = await client.query<CommandRow>(
      `SELECT command_id, run_id, handset_id, shard, command_type, tick FROM policy_authority.commands
       WHERE run_id = $1 AND handset_id = ANY($2::bigint[]) AND acknowledged_tick IS NULL ORDER BY command_id`,
      [runId, integerArray(handsetIds)],
    );
    return rows.map(toCommand);
  }

  /** Marks commands executed at each check-in; ids that are not numbers or not the handset's are ignored. */
  async acknowledge(client: Queryable, runId: string, executed: readonly CommandsExecuted[]): Promise<void> {
    const handsetIds: number[] = [];
    const commandIds: string[] = [];
    const ticks: number[] = [];
    for (const { handsetId, commandIds: ids, tick } of executed) {
      for (const id of ids) {
        if (!/^\d{1,18}$/.test(id)) continue;
        handsetIds.push(handsetId);
        commandIds.push(id);
        ticks.push(tick);
      }
    }
    if (commandIds.length === 0) return;
    await client.query(
      `UPDATE policy_authority.commands SET acknowledged_tick = input.tick
       FROM unnest($2::bigint[], $3::bigint[], $4::bigint[]) AS input (handset_id, command_id, tick)
       WHERE commands.run_id = $1 AND commands.handset_id = input.handset_id AND commands.command_id = input.command_id
         AND commands.acknowledged_tick IS NULL`,
      [runId, integerArray(handsetIds), `{${commandIds.join(',')}}`, integerArray(ticks)],
    );
  }
}

function toCommand(row: CommandRow): StoredCommand {
  return {
    commandId: String(row.command_id),
    runId: row.run_id,
    handsetId: Number(row.handset_id),
    shard: Number(row.shard),
    type: row.command_type,
    tick: Number(row.tick),
  };
}
