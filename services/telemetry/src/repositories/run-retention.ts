// Retention of telemetry's runs (`duet runs prune --older-than`): a run that ended before the
// cut-off, or started before it and never ended, goes with every row of it, in one transaction.
import type { Database } from '@duet/service-kit';

// Tables keyed by run without a foreign key to runs (parts and batches may come before STARTED).
const RUN_TABLES = ['tick_kpi_parts', 'final_state_parts', 'event_batches', 'pending_event_batches', 'policy_applications'] as const;

/** Deletes the runs (and their rows) that ended, or started without ending, before `before`; returns their ids. */
export async function pruneTelemetryRuns(database: Database, before: Date): Promise<string[]> {
  return database.transaction(async (client) => {
    const { rows } = await client.query<{ run_id: string }>(
      'SELECT run_id FROM telemetry.runs WHERE coalesce(finished_at, started_at) < $1 ORDER BY started_at FOR UPDATE',
      [before],
    );
    const runIds = rows.map((row) => row.run_id);
    if (runIds.length === 0) return runIds;
    for (const table of RUN_TABLES) await client.query(`DELETE FROM telemetry.${table} WHERE run_id = ANY($1::text[])`, [runIds]);
    await client.query('DELETE FROM telemetry.runs WHERE run_id = ANY($1::text[])', [runIds]); // tick_kpis and series cascade
    return runIds;
  });
}
