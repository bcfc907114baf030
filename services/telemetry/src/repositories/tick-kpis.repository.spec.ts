import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KPI_NAMES } from '@duet/sim-core';
import { describe, expect, it } from 'vitest';
import { TickKpisRepository } from './tick-kpis.repository';

describe('TickKpisRepository', () => {
  it('reads and writes a tick_kpis column for every sim-core KPI, in the migrations that create and add them', () => {
    const migrations = join(__dirname, '..', '..', 'migrations');
    const migration = readFileSync(join(migrations, '0001_create_telemetry.sql'), 'utf8');
    const table = migration.slice(migration.indexOf('CREATE TABLE tick_kpis'), migration.indexOf('PRIMARY KEY (run_id, tick)'));
    // Later migrations add KPIs with ALTER TABLE, whatever their place in KPI_NAMES.
    const added = readdirSync(migrations)
      .filter((file) => file > '0001' && file.endsWith('.sql'))
      .map((file) => readFileSync(join(migrations, file), 'utf8'))
      .join('\n');
    const columns = [
      ...[...table.matchAll(/^\s+(\w+) bigint NOT NULL,$/gm)].map((match) => match[1]),
      ...[...added.matchAll(/ADD COLUMN (\w+) bigint NOT NULL/g)].map((match) => match[1]),
    ];
    expect(columns.sort()).toEqual(KPI_NAMES.map((name) => TickKpisRepository.columnOf(name)).sort());
    expect(TickKpisRepository.columnOf('flowsToPersonalAllowed')).toBe('flows_to_personal_allowed');
  });
});
