import { Injectable } from '@nestjs/common';
import { Database, integerArray, type Queryable } from '@duet/service-kit';

export interface ShardCheckIn {
  readonly tick: number;
  readonly batchSha256: Buffer;
  readonly assignedRevisions: readonly number[];
}

export interface ShardCheckInBatch extends ShardCheckIn {
  readonly runId: string;
  readonly shard: number;
  /** The run's last revision the assigned revisions were computed with. */
  readonly lastRevision: number;
  readonly handsetIds: readonly number[];
  readonly appliedRevisions: readonly number[];
  readonly complianceMasks: readonly number[];
  readonly batteryPermille: readonly number[];
  /** AMAPI NonComplianceDetail[] of every mask in complianceMasks, by mask. */
  readonly detailsByMask: Readonly<Record<number, unknown>>;
}

/**
 * Check-in batches of shards: the last batch of each shard (table policy_authority.shard_check_ins),
 * and, in the same statement, the devices it updates and the compliance records it adds.
 */
@Injectable()
export class ShardCheckInRepository {
  constructor(private readonly database: Database) {}

  /**
   * Stores a batch in one statement, so all of it is stored or none: the shard's row moves to the
   * batch's tick, each device takes its row, and a compliance record is added where the mask
   * differs from the stored one (always at a device's first check-in). Stores nothing and returns
   * false when the shard already holds this tick or a later one, or when the run published a
   * revision after `lastRevision`. The rows' handsets must be enrolled.
   */
  async record(batch: ShardCheckInBatch): Promise<boolean> {
    return this.database.transaction(async (client) => {
      // A batch holds a few thousand of the run's devices: the planner, costing a hash join over
      // every device of the run below as many index lookups, scanned the whole table twice per
      // batch (~300 ms at 100,000 handsets against ~40 ms for the lookups). SET LOCAL ends with
      // this transaction, so no other statement is affected.
      await client.query('SET LOCAL enable_hashjoin = off');
      await client.query('SET LOCAL enable_mergejoin = off');
      return this.store(client, batch);
    });
  }

  private async store(client: Queryable, batch: ShardCheckInBatch): Promise<boolean> {
    const { rows } = await client.query<{ accepted: string }>(
      `WITH accepted AS (
         INSERT INTO policy_authority.shard_check_ins (run_id, shard, tick, batch_sha256, assigned_revisions)
         SELECT $1, $2, $3, $4, $5::integer[]
         WHERE coalesce((SELECT last_revision FROM policy_authority.runs WHERE run_id = $1), 0) = $6
         ON CONFLICT (run_id, shard) DO UPDATE
         SET tick = EXCLUDED.tick, batch_sha256 = EXCLUDED.batch_sha256, assigned_revisions = EXCLUDED.assigned_revisions
         WHERE shard_check_ins.tick < EXCLUDED.tick
         RETURNING 1
       ),
       input AS (
         SELECT * FROM unnest($7::bigint[], $8::integer[], $9::integer[], $10::integer[])
           AS input (handset_id, applied_revision, compliance_mask, battery_permille)
       ),
       previous AS (
         SELECT d.handset_id, d.compliance_mask FROM policy_authority.devices d JOIN input USING (handset_id) WHERE d.run_id = $1
       ),
       updated AS (
         UPDATE policy_authority.devices d
         SET last_check_in_tick = $3, applied_revision = input.applied_revision, compliance_mask = input.compliance_mask, battery_permille = input.battery_permille
         FROM input WHERE d.run_id = $1 AND d.handset_id = input.handset_id AND EXISTS (SELECT FROM accepted)
       ),
       recorded AS (
         INSERT INTO policy_authority.compliance_records (run_id, handset_id, tick, revision, compliance_mask, non_compliance_details)
         SELECT $1, input.handset_id, $3, input.applied_revision, input.compliance_mask, $11::jsonb -> input.compliance_mask::text
         FROM input JOIN previous USING (handset_id)
         WHERE previous.compliance_mask IS DISTINCT FROM input.compliance_mask AND EXISTS (SELECT FROM accepted)
         ON CONFLICT DO NOTHING
       )
       SELECT count(*) AS accepted FROM accepted`,
      [
        batch.runId,
        batch.shard,
        batch.tick,
        batch.batchSha256,
        integerArray(batch.assignedRevisions),
        batch.lastRevision,
        integerArray(batch.handsetIds),
        integerArray(batch.appliedRevisions),
        integerArray(batch.complianceMasks),
        integerArray(batch.batteryPermille),
        JSON.stringify(batch.detailsByMask),
      ],
    );
    return rows[0].accepted === '1';
  }

  /** The shard's last stored batch. */
  async last(runId: string, shard: number): Promise<ShardCheckIn | undefined> {
    const { rows } = await this.database.query<{ tick: string; batch_sha256: Buffer; assigned_revisions: number[] }>(
      'SELECT tick, batch_sha256, assigned_revisions FROM policy_authority.shard_check_ins WHERE run_id = $1 AND shard = $2',
      [runId, shard],
    );
    const row = rows[0];
    return row === undefined ? undefined : { tick: Number(row.tick), batchSha256: row.batch_sha256, assignedRevisions: row.assigned_revisions };
  }
}
