import { Pool, type PoolClient, type QueryResultRow } from 'pg';
import { postgresClientTls } from './config';

/** What a repository needs from PostgreSQL: queries and transactions (the storage port). */
export interface Queryable {
  query<Row extends QueryResultRow = QueryResultRow>(text: string, values?: readonly unknown[]): Promise<{ rows: Row[]; rowCount: number | null }>;
}

/**
 * PostgreSQL through `pg`. The same code serves a server on the network (networked mode) and the
 * embedded server the embedded mode starts (see embedded-postgres.ts): only the URL differs.
 */
export class Database implements Queryable {
  private readonly pool: Pool;
  private lastError: Error | undefined;

  constructor(
    readonly url: string,
    options: { maxConnections?: number } = {},
  ) {
    // A URL that says how to use TLS (sslmode, sslrootcert: the local stack's) is taken as it is; one
    // that does not (Kubernetes: the operator's Secret) verifies the server against PGSSLROOTCERT when set.
    const ssl = /[?&]sslmode=/.test(url) ? undefined : postgresClientTls();
    this.pool = new Pool({ connectionString: url, max: options.maxConnections ?? 8, connectionTimeoutMillis: 10_000, ...(ssl ? { ssl } : {}) });
    // An idle client losing its server must not crash the process; health reports it.
    this.pool.on('error', (error) => (this.lastError = error));
  }

  async query<Row extends QueryResultRow = QueryResultRow>(text: string, values?: readonly unknown[]) {
    try {
      const result = await this.pool.query<Row>(text, values as unknown[]);
      this.lastError = undefined;
      return result;
    } catch (error) {
      this.lastError = error as Error;
      throw error;
    }
  }

  /** Runs `work` in one transaction: all of it is stored, or none (docs/design.md#quality-bars). */
  async transaction<T>(work: (client: Queryable) => Promise<T>): Promise<T> {
    const client: PoolClient = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client as Queryable);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** Healthy when the last query succeeded; `check` probes the server. */
  healthy(): boolean {
    return this.lastError === undefined;
  }

  async check(): Promise<boolean> {
    try {
      await this.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/**
 * An integer array parameter as PostgreSQL's array literal, `{1,2,3}`. node-postgres writes a JS
 * array element by element, quoting and escaping each as text, which at check-in batches of
 * thousands of rows per tick was a measurable share of a run; integers need none of it.
 */
export function integerArray(values: ArrayLike<number>): string {
  let literal = '{';
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (!Number.isSafeInteger(value)) throw new TypeError(`integerArray: element ${i} is ${value}, not an integer`);
    literal += i === 0 ? value : `,${value}`;
  }
  return `${literal}}`;
}

// Errors that say PostgreSQL is not reachable now (restarting, down, out of connections), not that
// the request was wrong: socket errors, SQLSTATE class 08 (connection), 53 (resources) and 57P
// (operator intervention: shutdown, crash shutdown, cannot connect now).
const TRANSIENT_SOCKET_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTCONN', 'EHOSTUNREACH']);

/** Whether a failed query may succeed when tried again shortly: the caller should retry, not fail. */
export function isTransientDatabaseError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (TRANSIENT_SOCKET_ERRORS.has(code) || code.startsWith('08') || code.startsWith('53') || code.startsWith('57P'))) return true;
  return /Connection terminated|connection timeout|Client has encountered a connection error/i.test(error.message);
}
