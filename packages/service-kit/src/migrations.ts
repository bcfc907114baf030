import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Database } from './database';

// A small migration runner: numbered SQL files (`0001_create_policies.sql`) applied in order,
// each in its own transaction, recorded in `<schema>.schema_migrations`, under an advisory lock
// so two instances starting at once do not both apply them. Each service owns one PostgreSQL
// schema, so services can share a server (the embedded mode does). Applied files are never
// edited: add a new one.

const LOCK_KEY = 0x6475_6574; // "duet"

export async function migrate(database: Database, directory: string, schema: string): Promise<string[]> {
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`schema must be a lower-case SQL identifier, got "${schema}"`);
  const files = readdirSync(directory)
    .filter((file) => /^\d{4}_[\w-]+\.sql$/.test(file))
    .sort();
  const applied: string[] = [];
  await database.transaction(async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [LOCK_KEY]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${schema}.schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = new Set((await client.query<{ name: string }>(`SELECT name FROM ${schema}.schema_migrations`)).rows.map((row) => row.name));
    for (const file of files) {
      if (done.has(file)) continue;
      await client.query(`SET LOCAL search_path TO ${schema}`);
      await client.query(readFileSync(join(directory, file), 'utf8'));
      await client.query(`INSERT INTO ${schema}.schema_migrations (name) VALUES ($1)`, [file]);
      applied.push(file);
    }
  });
  return applied;
}
