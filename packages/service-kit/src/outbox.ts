// The transactional outbox (docs/architecture.md#store-then-publish): a service that stores
// something and must announce it on Kafka writes the messages into its schema's outbox table (id
// bigserial, topic, key, shard, value bytea, created_at; each service's migrations create it) in the
// same transaction as the data, and a relay publishes them after the commit, in the order they were
// written, deleting each batch once Kafka has acknowledged it. So a message is published if and
// only if its data committed: never for a transaction rolled back, and eventually (the relay tries
// again with backoff, and at every start) for one whose publish failed or whose process died.
// At-least-once: a relay that dies between the acknowledgement and the delete publishes that batch
// again; every consumer is idempotent.
import type { TopicName } from '@duet/contracts';
import { Logger } from '@nestjs/common';
import { join } from 'node:path';
import type { Database, Queryable } from './database';
import { migrate } from './migrations';
import type { EventBus, OutgoingMessage } from './event-bus';
import { isTransientError } from './transient-errors';

const BATCH_ROWS = 500;
const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 30_000;

interface OutboxRow {
  id: string;
  topic: TopicName; // as enqueue wrote it
  key: string;
  shard: number | null;
  value: Buffer;
}

/** The outbox table's migrations, applied in the schema of each service that uses an Outbox. */
const OUTBOX_MIGRATIONS = join(__dirname, '..', 'migrations');

export class Outbox {
  /** Creates (or brings up to date) the outbox table in a service's schema. */
  static migrate(database: Database, schema: string): Promise<string[]> {
    return migrate(database, OUTBOX_MIGRATIONS, schema);
  }

  private readonly logger = new Logger('outbox');
  private relaying: Promise<void> = Promise.resolve();
  private retry: NodeJS.Timeout | undefined;
  private retryMs = FIRST_RETRY_MS;
  private closed = false;

  constructor(
    private readonly database: Database,
    private readonly bus: EventBus,
    /** The service's schema (a lower-case SQL identifier), whose `outbox` table this is. */
    private readonly schema: string,
  ) {
    if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`schema must be a lower-case SQL identifier, got "${schema}"`);
  }

  /** Writes messages to the outbox inside the caller's transaction: they go out once it commits. */
  async enqueue(client: Queryable, topic: TopicName, messages: readonly OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const values: unknown[] = [];
    const rows = messages.map((message, i) => {
      values.push(topic, message.key, message.shard ?? null, Buffer.from(message.value.buffer, message.value.byteOffset, message.value.byteLength));
      return `($${i * 4 + 1}, $${i * 4 + 2}, $${i * 4 + 3}, $${i * 4 + 4})`;
    });
    await client.query(`INSERT INTO ${this.schema}.outbox (topic, key, shard, value) VALUES ${rows.join(', ')}`, values);
  }

  /**
   * Publishes everything in the outbox, oldest first; resolves once it is empty. A failure is not
   * thrown (the data is stored; publishing is the relay's job): it is logged and tried again with
   * backoff. Call it after each commit that enqueued, and once at start-up.
   */
  relay(): Promise<void> {
    this.relaying = this.relaying.then(() => this.drain());
    return this.relaying;
  }

  /** Messages still waiting to be published. */
  async pending(): Promise<number> {
    const { rows } = await this.database.query<{ count: string }>(`SELECT count(*) AS count FROM ${this.schema}.outbox`);
    return Number(rows[0].count);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    await this.relaying;
  }

  private async drain(): Promise<void> {
    if (this.closed) return;
    try {
      for (;;) {
        // FOR UPDATE: a second relay (another instance) waits, then finds these rows gone.
        const published = await this.database.transaction(async (client) => {
          const { rows } = await client.query<OutboxRow>(
            `SELECT id, topic, key, shard, value FROM ${this.schema}.outbox ORDER BY id LIMIT ${BATCH_ROWS} FOR UPDATE`,
          );
          for (const run of byConsecutiveTopic(rows)) {
            await this.bus.publish(
              run[0].topic,
              run.map((row) => ({ key: row.key, value: row.value, ...(row.shard === null ? {} : { shard: row.shard }) })),
            );
          }
          // These rows exactly: one with a lower id may commit later than they did, and is not published yet.
          if (rows.length > 0) await client.query(`DELETE FROM ${this.schema}.outbox WHERE id = ANY($1::bigint[])`, [rows.map((row) => row.id)]);
          return rows.length;
        });
        if (published < BATCH_ROWS) break;
      }
      this.retryMs = FIRST_RETRY_MS;
    } catch (error) {
      const retryMs = this.retryMs;
      this.retryMs = Math.min(MAX_RETRY_MS, retryMs * 2);
      this.logger.warn(
        `relay failed${isTransientError(error) ? ' (a dependency is away)' : ''}: ${(error as Error).message}; trying again in ${retryMs / 1000} s`,
      );
      clearTimeout(this.retry);
      this.retry = setTimeout(() => void this.relay(), retryMs);
      this.retry.unref();
    }
  }
}

/** Rows in id order, cut where the topic changes: each run is one publish, the order kept. */
function byConsecutiveTopic(rows: readonly OutboxRow[]): OutboxRow[][] {
  const runs: OutboxRow[][] = [];
  for (const row of rows) {
    const last = runs.at(-1);
    if (last !== undefined && last[0].topic === row.topic) last.push(row);
    else runs.push([row]);
  }
  return runs;
}
