import { Inject, Injectable } from '@nestjs/common';
import { Database, integerArray, type Queryable } from '@duet/service-kit';
import type { Dimension, SeriesCount } from '../domain/event-aggregation';

export interface EventSeriesRow {
  readonly value: string;
  readonly tick: number;
  readonly count: number;
}

/** Event counts per tick, kind and dimension value, and the batches already counted. */
@Injectable()
export class SeriesRepository {
  constructor(@Inject(Database) private readonly database: Database) {}

  /** Records batches as counted; returns the keys that were not recorded before. */
  async claimBatches(client: Queryable, runId: string, batches: readonly { shard: number; tick: number; key: string }[]): Promise<Set<string>> {
    if (batches.length === 0) return new Set();
    const { rows } = await client.query<{ batch_key: string }>(
      `INSERT INTO telemetry.event_batches (run_id, shard, tick, batch_key)
       SELECT $1, * FROM unnest($2::integer[], $3::integer[], $4::text[])
       ON CONFLICT DO NOTHING
       RETURNING batch_key`,
      [runId, integerArray(batches.map((batch) => batch.shard)), integerArray(batches.map((batch) => batch.tick)), batches.map((batch) => batch.key)],
    );
    return new Set(rows.map((row) => row.batch_key));
  }

  /** Batches of the run recorded as counted. */
  async countBatches(runId: string): Promise<number> {
    const { rows } = await this.database.query<{ batches: string }>('SELECT count(*) AS batches FROM telemetry.event_batches WHERE run_id = $1', [runId]);
    return Number(rows[0].batches);
  }

  /** Adds counts in one statement; the counts must hold each (tick, dimension, value, kind) once. */
  async addCounts(client: Queryable, runId: string, counts: readonly SeriesCount[]): Promise<void> {
    if (counts.length === 0) return;
    await client.query(
      `INSERT INTO telemetry.series (run_id, tick, dimension, value, event_kind, count)
       SELECT $1, * FROM unnest($2::integer[], $3::text[], $4::text[], $5::smallint[], $6::bigint[])
       ON CONFLICT (run_id, dimension, event_kind, value, tick) DO UPDATE SET count = telemetry.series.count + EXCLUDED.count`,
      [
        runId,
        integerArray(counts.map((count) => count.tick)),
        counts.map((count) => count.dimension),
        counts.map((count) => count.value),
        integerArray(counts.map((count) => count.eventKind)),
        integerArray(counts.map((count) => count.count)),
      ],
    );
  }

  /** Counts of one event kind per value of one dimension, ticks from..to, ordered by value and tick. */
  async query(runId: string, dimension: Dimension, eventKind: number, fromTick: number, toTick: number, values?: readonly string[]): Promise<EventSeriesRow[]> {
    const { rows } = await this.database.query<{ value: string; tick: number; count: string }>(
      `SELECT value, tick, count FROM telemetry.series
       WHERE run_id = $1 AND dimension = $2 AND event_kind = $3 AND tick BETWEEN $4 AND $5 AND ($6::text[] IS NULL OR value = ANY($6))
       ORDER BY value, tick`,
      [runId, dimension, eventKind, fromTick, toTick, values ?? null],
    );
    return rows.map((row) => ({ value: row.value, tick: row.tick, count: Number(row.count) }));
  }

  /** The last tick any event of the run was counted at; -1 before the first. */
  async lastTick(runId: string): Promise<number> {
    const { rows } = await this.database.query<{ last: number | null }>('SELECT max(tick) AS last FROM telemetry.event_batches WHERE run_id = $1', [runId]);
    return rows[0].last ?? -1;
  }
}
