import { Injectable } from '@nestjs/common';
import type { Queryable } from '@duet/service-kit';

export interface StoredCommand {
  readonly commandId: string;
  readonly runId: string;
  readonly handsetId: number;
  readonly shard: number;
  readonly type: number;
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

  /** Commands of a handset due by `tick` and not acknowledged, oldest first. */
  async pending(client: Queryable, runId: string, handsetId: number, tick: number): Promise<StoredCommand[]> {
    const { rows } = await client.query<CommandRow>(
      `SELECT command_id, run_id, handset_id, shard, command_type, tick FROM policy_authority.commands
       WHERE run_id = $1 AND handset_id = $2 AND acknowledged_tick IS NULL AND tick <= $3 ORDER BY command_id`,
      [runId, handsetId, tick],
    );
    return rows.map(toCommand);
  }

  /** Marks commands of a handset executed; ids that are not numbers or not the handset's are ignored. */
  async acknowledge(client: Queryable, runId: string, handsetId: number, commandIds: readonly string[], tick: number): Promise<void> {
    const ids = commandIds.filter((id) => /^\d{1,18}$/.test(id));
    if (ids.length === 0) return;
    await client.query(
      `UPDATE policy_authority.commands SET acknowledged_tick = $4
       WHERE run_id = $1 AND handset_id = $2 AND command_id = ANY($3::bigint[]) AND acknowledged_tick IS NULL`,
      [runId, handsetId, ids, tick],
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
