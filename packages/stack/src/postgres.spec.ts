// Starts a real PostgreSQL server through startPostgres (Debian's binaries, as the postgres user
// when root) and runs queries as the application role.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runningPostmaster, startPostgres, type PostgresHandle } from './postgres';
import { findRepoRoot, freePort, isPidAlive, quietLog } from './process';

// apt-get install postgresql on a machine without it takes a minute or more.
const SETUP_TIMEOUT_MS = 300_000;

async function query<T>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

describe('startPostgres', () => {
  const repoRoot = findRepoRoot();
  const dataDir = join(repoRoot, '.duet', 'test-stack', `postgres-${process.pid}-${Date.now()}`);
  let port: number;
  let server: PostgresHandle | undefined;

  beforeAll(async () => {
    port = await freePort();
    server = await startPostgres({ dataDir, port, log: quietLog });
  }, SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await server?.stop();
    rmSync(server?.dataDir ?? dataDir, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('initializes a cluster and serves the duet role and database on 127.0.0.1', async () => {
    expect(server?.initialized).toBe(true);
    expect(server?.url).toBe(`postgres://duet@127.0.0.1:${port}/duet`);
    const [row] = await query<{ user: string; db: string; fsync: string; listen: string }>(
      server!.url,
      "SELECT current_user AS user, current_database() AS db, current_setting('fsync') AS fsync, current_setting('listen_addresses') AS listen",
    );
    expect(row).toEqual({ user: 'duet', db: 'duet', fsync: 'off', listen: '127.0.0.1' });

    await query(server!.url, 'CREATE TABLE handset (id int PRIMARY KEY, persona text NOT NULL)');
    await query(server!.url, "INSERT INTO handset SELECT n, CASE WHEN n % 2 = 0 THEN 'personal' ELSE 'business' END FROM generate_series(1, 1000) AS n");
    const counts = await query<{ persona: string; n: string }>(server!.url, 'SELECT persona, count(*) AS n FROM handset GROUP BY persona ORDER BY persona');
    expect(counts).toEqual([
      { persona: 'business', n: '500' },
      { persona: 'personal', n: '500' },
    ]);
  });

  it('is idempotent on the same data dir: adopts a running server, and restarts without initdb', async () => {
    const again = await startPostgres({ dataDir, port, log: quietLog });
    expect(again.reused).toBe(true);
    expect(again.pid).toBe(server!.pid);

    const firstPid = server!.pid;
    await server!.stop();
    expect(isPidAlive(firstPid)).toBe(false);
    expect(runningPostmaster(server!.dataDir)).toBeUndefined();

    server = await startPostgres({ dataDir, port, log: quietLog });
    expect(server.initialized).toBe(false);
    expect(server.reused).toBe(false);
    const [row] = await query<{ n: string }>(server.url, 'SELECT count(*) AS n FROM handset');
    expect(row.n).toBe('1000');
  }, 60_000);
});
