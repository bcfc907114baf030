import { Inject, Injectable } from '@nestjs/common';
import { Database, type Queryable } from '@duet/service-kit';
import type { LeakLedgerCell } from '@duet/sim-core';
import type { FinalStatePart } from '../domain/run-assembly';

/** Each role's final per-handset state of one shard, kept until its run completes. */
@Injectable()
export class FinalStatesRepository {
  constructor(@Inject(Database) private readonly database: Database) {}

  async insert(runId: string, part: FinalStatePart): Promise<void> {
    const columns = Object.fromEntries(Object.entries(part.columns).map(([name, values]) => [name, Array.from(values)]));
    await this.database.query(
      'INSERT INTO telemetry.final_state_parts (run_id, shard, role, handset_ids, columns, leaks) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING',
      [runId, part.shard, part.role, Array.from(part.handsetIds), JSON.stringify(columns), JSON.stringify(part.leaks ?? [])],
    );
  }

  async load(runId: string): Promise<FinalStatePart[]> {
    const { rows } = await this.database.query<{
      shard: number;
      role: number;
      handset_ids: number[];
      columns: Record<string, number[]>;
      leaks: LeakLedgerCell[];
    }>('SELECT shard, role, handset_ids, columns, leaks FROM telemetry.final_state_parts WHERE run_id = $1 ORDER BY shard, role', [runId]);
    return rows.map((row) => ({ shard: row.shard, role: row.role, handsetIds: row.handset_ids, columns: row.columns, leaks: row.leaks }));
  }

  async deleteRun(client: Queryable, runId: string): Promise<void> {
    await client.query('DELETE FROM telemetry.final_state_parts WHERE run_id = $1', [runId]);
  }
}
