// Retention of policy-authority's per-run rows (`duet runs prune --older-than`): the runs telemetry
// pruned go here too, every table keyed by run, in one transaction (children before the runs row).
import type { Database } from '@duet/service-kit';

const RUN_TABLES = ['check_in_batches', 'commands', 'compliance_records', 'shard_check_ins', 'devices', 'enrollment_tokens', 'publications', 'runs'] as const;

/** Deletes every row of these runs; returns how many rows went. */
export async function prunePolicyAuthorityRuns(database: Database, runIds: readonly string[]): Promise<number> {
  if (runIds.length === 0) return 0;
  return database.transaction(async (client) => {
    let deleted = 0;
    for (const table of RUN_TABLES) {
      const result = await client.query(`DELETE FROM policy_authority.${table} WHERE run_id = ANY($1::text[])`, [runIds]);
      deleted += result.rowCount ?? 0;
    }
    return deleted;
  });
}
