import { Inject, Injectable } from '@nestjs/common';
import { Database, type Queryable } from '@duet/service-kit';
import { KPI_COUNT, KPI_NAMES, type KpiName } from '@duet/sim-core';
import type { FinalTick, TickPart } from '../domain/run-assembly';

// One column per KPI, named like the KPI in snake_case (migrations/0001_create_telemetry.sql).
const KPI_COLUMNS: Readonly<Record<KpiName, string>> = Object.fromEntries(
  KPI_NAMES.map((name) => [name, name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`)]),
) as Record<KpiName, string>;
const COLUMN_LIST = KPI_NAMES.map((name) => KPI_COLUMNS[name]).join(', ');
const ROWS_PER_INSERT = 1_000; // 30 parameters a row, well under PostgreSQL's 65,535

/** Final ticks (tick_kpis) and the parts of ticks not final yet (tick_kpi_parts). */
@Injectable()
export class TickKpisRepository {
  constructor(@Inject(Database) private readonly database: Database) {}

  static columnOf(kpi: KpiName): string {
    return KPI_COLUMNS[kpi];
  }

  async insertParts(client: Queryable, runId: string, parts: readonly TickPart[]): Promise<void> {
    if (parts.length === 0) return;
    await client.query(
      `INSERT INTO telemetry.tick_kpi_parts (run_id, tick, shard, role, kpis)
       SELECT $1, part.tick, part.shard, part.role, ARRAY(SELECT jsonb_array_elements_text(part.kpis)::bigint)
       FROM jsonb_to_recordset($2::jsonb) AS part(tick integer, shard integer, role smallint, kpis jsonb)
       ON CONFLICT DO NOTHING`,
      [runId, JSON.stringify(parts.map((part) => ({ tick: part.tick, shard: part.shard, role: part.role, kpis: Array.from(part.values) })))],
    );
  }

  async loadParts(runId: string): Promise<TickPart[]> {
    const { rows } = await this.database.query<{ tick: number; shard: number; role: number; kpis: string[] }>(
      'SELECT tick, shard, role, kpis FROM telemetry.tick_kpi_parts WHERE run_id = $1 ORDER BY tick, shard, role',
      [runId],
    );
    return rows.map((row) => ({ tick: row.tick, shard: row.shard, role: row.role, values: row.kpis.map(Number) }));
  }

  async deletePartsBefore(client: Queryable, runId: string, tick: number): Promise<void> {
    await client.query('DELETE FROM telemetry.tick_kpi_parts WHERE run_id = $1 AND tick < $2', [runId, tick]);
  }

  async insertTicks(client: Queryable, runId: string, ticks: readonly FinalTick[]): Promise<void> {
    for (let start = 0; start < ticks.length; start += ROWS_PER_INSERT) {
      const chunk = ticks.slice(start, start + ROWS_PER_INSERT);
      const values: unknown[] = [runId];
      const rows = chunk.map((tick) => {
        const first = values.length + 1;
        values.push(tick.tick, ...tick.values);
        return `($1, ${Array.from({ length: KPI_COUNT + 1 }, (_, i) => `$${first + i}`).join(', ')})`;
      });
      await client.query(`INSERT INTO telemetry.tick_kpis (run_id, tick, ${COLUMN_LIST}) VALUES ${rows.join(', ')} ON CONFLICT DO NOTHING`, values);
    }
  }

  /** Final ticks in order, as stored. */
  async loadTicks(runId: string): Promise<FinalTick[]> {
    const { rows } = await this.database.query<Record<string, string | number>>(
      `SELECT tick, ${COLUMN_LIST} FROM telemetry.tick_kpis WHERE run_id = $1 ORDER BY tick`,
      [runId],
    );
    return rows.map((row) => ({ tick: Number(row.tick), values: Float64Array.from(KPI_NAMES, (name) => Number(row[KPI_COLUMNS[name]])) }));
  }

  /** Each KPI summed over the run's final ticks. */
  async totals(runId: string): Promise<Record<KpiName, number>> {
    const { rows } = await this.database.query<Record<string, string | null>>(
      `SELECT ${KPI_NAMES.map((name) => `sum(${KPI_COLUMNS[name]}) AS ${KPI_COLUMNS[name]}`).join(', ')} FROM telemetry.tick_kpis WHERE run_id = $1`,
      [runId],
    );
    return Object.fromEntries(KPI_NAMES.map((name) => [name, Number(rows[0][KPI_COLUMNS[name]] ?? 0)])) as Record<KpiName, number>;
  }

  /** One KPI over final ticks from..to (inclusive). */
  async series(runId: string, kpi: KpiName, fromTick: number, toTick: number): Promise<{ ticks: number[]; values: number[] }> {
    const column = KPI_COLUMNS[kpi]; // from the fixed list above, never from the caller
    const { rows } = await this.database.query<{ tick: number; value: string }>(
      `SELECT tick, ${column} AS value FROM telemetry.tick_kpis WHERE run_id = $1 AND tick BETWEEN $2 AND $3 ORDER BY tick`,
      [runId, fromTick, toTick],
    );
    return { ticks: rows.map((row) => row.tick), values: rows.map((row) => Number(row.value)) };
  }
}
