import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KPI_NAMES } from '@duet/sim-core';
import { describe, expect, it } from 'vitest';
import { TickKpisRepository } from './tick-kpis.repository';

describe('TickKpisRepository', () => {
  it('reads and writes a tick_kpis column for every sim-core KPI, in the migrations that create and add them', () => {
    const migrations = join(__dirname, '..', '..', 'migrations');
    const migration = readFileSync(join(migrations, '0001_create_telemetry.sql'), 'utf8');
    const table = migration.slice(migration.indexOf('CREATE TABLE tick_kpis'), migration.indexOf('PRIMARY KEY (run_id, tick)'));
    const added = readFileSync(join(migrations, '0004_persona_cost_and_leak_ledger.sql'), 'utf8');
    const columns = [
      ...[...table.matchAll(/^\s+(\w+) bigint NOT NULL,$/gm)].map((match) => match[1]),
      ...[...added.matchAll(/ADD COLUMN (\w+) bigint NOT NULL/g)].map((match) => match[1]),
    ];
    expect(columns).toEqual(KPI_NAMES.map((name) => TickKpisRepository.columnOf(name)));
    expect(TickKpisRepository.columnOf('flowsToPersonalAllowed')).toBe('flows_to_personal_allowed');
  });
});
