import { Inject, Injectable } from '@nestjs/common';
import { Database, type Queryable } from '@duet/service-kit';
import type { EventBatch } from '../domain/event-aggregation';

export interface KeyedEventBatch {
  readonly key: string;
  readonly batch: EventBatch;
}

/** Event batches that arrived before their run's STARTED message (topics are not ordered together). */
@Injectable()
export class PendingEventBatchesRepository {
  constructor(@Inject(Database) private readonly database: Database) {}

  async store(runId: string, batches: readonly KeyedEventBatch[]): Promise<void> {
    if (batches.length === 0) return;
    await this.database.query(
      `INSERT INTO telemetry.pending_event_batches (run_id, shard, tick, batch_key, events)
       SELECT $1, pending.shard, pending.tick, pending.key, pending.events
       FROM jsonb_to_recordset($2::jsonb) AS pending(shard integer, tick integer, key text, events jsonb)
       ON CONFLICT DO NOTHING`,
      [
        runId,
        JSON.stringify(
          batches.map(({ key, batch }) => ({
            shard: batch.shard,
            tick: batch.tick,
            key,
            events: {
              role: batch.role,
              kind: Array.from(batch.kind),
              handsetId: Array.from(batch.handsetId),
              persona: Array.from(batch.persona),
              a: Array.from(batch.a),
              b: Array.from(batch.b),
            },
          })),
        ),
      ],
    );
  }

  async load(runId: string): Promise<KeyedEventBatch[]> {
    const { rows } = await this.database.query<{ shard: number; tick: number; batch_key: string; events: Omit<EventBatch, 'shard' | 'tick'> }>(
      'SELECT shard, tick, batch_key, events FROM telemetry.pending_event_batches WHERE run_id = $1 ORDER BY tick, shard, batch_key',
      [runId],
    );
    return rows.map((row) => ({ key: row.batch_key, batch: { shard: row.shard, tick: row.tick, ...row.events } }));
  }

  async deleteRun(client: Queryable, runId: string): Promise<void> {
    await client.query('DELETE FROM telemetry.pending_event_batches WHERE run_id = $1', [runId]);
  }
}
