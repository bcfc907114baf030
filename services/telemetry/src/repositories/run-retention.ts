// Retention of telemetry's runs (`duet runs prune --older-than`): a run that ended before the
// cut-off, or started before it and never ended, goes with every row of it, and so do the parts of
// runs that never started, received before the cut-off; in one transaction.
import type { Database } from '@duet/service-kit';

// Tables keyed by run without a foreign key to runs (parts and batches may come before STARTED).
const RUN_TABLES = ['tick_kpi_parts', 'final_state_parts', 'event_batches', 'pending_event_batches', 'policy_applications'] as const;
// Those holding what came before a STARTED, with the time it came (migrations/0003).
const BEFORE_STARTED_TABLES = ['tick_kpi_parts', 'final_state_parts', 'pending_event_batches'] as const;

/** Deletes the runs (and their rows) that ended, or started without ending, before `before`; returns their ids. */
export async function pruneTelemetryRuns(database: Database, before: Date): Promise<string[]> {
  return database.transaction(async (client) => {
    const { rows } = await client.query<{ run_id: string }>(
      'SELECT run_id FROM telemetry.runs WHERE coalesce(finished_at, started_at) < $1 ORDER BY started_at FOR UPDATE',
      [before],
    );
    const runIds = rows.map((row) => row.run_id);
    // Parts and batches of runs that never started (their STARTED never came), as old as those runs.
    for (const table of BEFORE_STARTED_TABLES) {
      await client.query(
        `DELETE FROM telemetry.${table} AS kept WHERE kept.received_at < $1 AND NOT EXISTS (SELECT 1 FROM telemetry.runs WHERE runs.run_id = kept.run_id)`,
        [before],
      );
    }
    if (runIds.length === 0) return runIds;
    for (const table of RUN_TABLES) await client.query(`DELETE FROM telemetry.${table} WHERE run_id = ANY($1::text[])`, [runIds]);
    await client.query('DELETE FROM telemetry.runs WHERE run_id = ANY($1::text[])', [runIds]); // tick_kpis and series cascade
    return runIds;
  });
}
