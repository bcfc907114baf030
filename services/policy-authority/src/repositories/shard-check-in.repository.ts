import { Injectable } from '@nestjs/common';
import { Database, integerArray } from '@duet/service-kit';

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
    const { rows } = await this.database.query<{ accepted: string }>(
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
       -- One index lookup per row, whatever the planner's statistics say: LIMIT keeps the lateral
       -- subquery from being flattened into a join, which the planner (with statistics taken
       -- while the run was still enrolling) turned into scans of every device of the run per
       -- batch. FOR UPDATE locks each row as read, so the update by ctid below finds it unchanged.
       previous AS (
         SELECT input.*, d.row_id, d.compliance_mask AS previous_mask
         FROM input CROSS JOIN LATERAL (
           SELECT ctid AS row_id, compliance_mask FROM policy_authority.devices
           WHERE run_id = $1 AND handset_id = input.handset_id LIMIT 1 FOR UPDATE
         ) d
       ),
       updated AS (
         UPDATE policy_authority.devices d
         SET last_check_in_tick = $3, applied_revision = previous.applied_revision, compliance_mask = previous.compliance_mask, battery_permille = previous.battery_permille
         FROM previous WHERE d.ctid = previous.row_id AND EXISTS (SELECT FROM accepted)
       ),
       recorded AS (
         INSERT INTO policy_authority.compliance_records (run_id, handset_id, tick, revision, compliance_mask, non_compliance_details)
         SELECT $1, previous.handset_id, $3, previous.applied_revision, previous.compliance_mask, $11::jsonb -> previous.compliance_mask::text
         FROM previous
         WHERE previous.previous_mask IS DISTINCT FROM previous.compliance_mask AND EXISTS (SELECT FROM accepted)
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
