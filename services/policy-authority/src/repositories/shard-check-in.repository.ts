import { Injectable } from '@nestjs/common';
import { Database, integerArray } from '@duet/service-kit';

export interface ShardCheckIn {
  readonly tick: number;
  readonly batchSha256: Buffer;
  readonly assignedRevisions: readonly number[];
}

/** What a policy-authority instance last saw of a shard: its row's tick (-1: none) and device writes. */
export interface ShardVersion {
  readonly tick: number;
  readonly deviceWrites: number;
}

/** A handset's stored report: applied revision and mask (undefined before its first check-in). */
export interface DeviceReport {
  readonly shard: number | undefined;
  readonly appliedRevision: number;
  readonly complianceMask: number | undefined;
}

export interface ShardCheckInBatch extends ShardCheckIn {
  readonly runId: string;
  readonly shard: number;
  /** The run's last revision the assigned revisions were computed with. */
  readonly lastRevision: number;
  /** The shard as the changes below were computed against: stored only if it still is. */
  readonly expected: ShardVersion;
  readonly handsetIds: readonly number[];
  readonly appliedRevisions: readonly number[];
  readonly complianceMasks: readonly number[];
  readonly batteryPermille: readonly number[];
  /** Rows (indexes into the columns) whose applied revision or mask differ from the stored report. */
  readonly changedRows: readonly number[];
  /** Of changedRows, those whose mask differs (or that check in for the first time): a compliance record each. */
  readonly maskChangedRows: readonly number[];
  /** AMAPI NonComplianceDetail[] of every mask of maskChangedRows, by mask. */
  readonly detailsByMask: Readonly<Record<number, unknown>>;
}

/**
 * Check-in batches of shards: every accepted batch as one row of columns (table
 * policy_authority.check_in_batches), the last of each shard (.shard_check_ins), and, in the same
 * statement, the device rows and compliance records of the handsets whose report changed.
 */
@Injectable()
export class ShardCheckInRepository {
  constructor(private readonly database: Database) {}

  /**
   * Stores a batch in one statement, so all of it is stored or none: the shard's row moves to the
   * batch's tick, the batch is appended, changed handsets' rows take their report and mask changes
   * add a compliance record. Stores nothing and returns false when the shard already holds this
   * tick or a later one, when its row is not at `expected` any more (another instance stored a
   * batch, or a device row was written otherwise), or when the run published a revision after
   * `lastRevision`. The rows' handsets must be enrolled.
   */
  async record(batch: ShardCheckInBatch): Promise<boolean> {
    const changed = batch.changedRows;
    const maskChanged = new Set(batch.maskChangedRows);
    const { rows } = await this.database.query<{ accepted: string }>(
      `WITH accepted AS (
         INSERT INTO policy_authority.shard_check_ins (run_id, shard, tick, batch_sha256, assigned_revisions)
         SELECT $1, $2, $3, $4, $5::integer[]
         WHERE coalesce((SELECT last_revision FROM policy_authority.runs WHERE run_id = $1), 0) = $6
         ON CONFLICT (run_id, shard) DO UPDATE
         SET tick = EXCLUDED.tick, batch_sha256 = EXCLUDED.batch_sha256, assigned_revisions = EXCLUDED.assigned_revisions
         WHERE shard_check_ins.tick < EXCLUDED.tick AND shard_check_ins.tick = $7::bigint AND shard_check_ins.device_writes = $8::bigint
         RETURNING 1
       ),
       logged AS (
         INSERT INTO policy_authority.check_in_batches (run_id, shard, tick, handset_ids, applied_revisions, compliance_masks, battery_permille)
         SELECT $1, $2, $3, $9::bigint[], $10::integer[], $11::integer[], $12::integer[] WHERE EXISTS (SELECT FROM accepted)
       ),
       changed AS (
         SELECT * FROM unnest($13::bigint[], $14::integer[], $15::integer[], $16::integer[], $17::boolean[])
           AS changed (handset_id, applied_revision, compliance_mask, battery_permille, mask_changed)
       ),
       -- One index lookup per changed row, whatever the planner's statistics say: LIMIT keeps the
       -- lateral subquery from being flattened into a join, which the planner (with statistics
       -- taken while the run was still enrolling) turned into a hash of every device of the run.
       located AS (
         SELECT changed.*, d.row_id FROM changed CROSS JOIN LATERAL (
           SELECT ctid AS row_id FROM policy_authority.devices WHERE run_id = $1 AND handset_id = changed.handset_id LIMIT 1
         ) d
       ),
       updated AS (
         UPDATE policy_authority.devices d
         SET reported_tick = $3, applied_revision = located.applied_revision, compliance_mask = located.compliance_mask, battery_permille = located.battery_permille
         FROM located WHERE d.ctid = located.row_id AND EXISTS (SELECT FROM accepted)
       ),
       recorded AS (
         INSERT INTO policy_authority.compliance_records (run_id, handset_id, tick, revision, compliance_mask, non_compliance_details)
         SELECT $1, changed.handset_id, $3, changed.applied_revision, changed.compliance_mask, $18::jsonb -> changed.compliance_mask::text
         FROM changed WHERE changed.mask_changed AND EXISTS (SELECT FROM accepted)
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
        batch.expected.tick,
        batch.expected.deviceWrites,
        integerArray(batch.handsetIds),
        integerArray(batch.appliedRevisions),
        integerArray(batch.complianceMasks),
        integerArray(batch.batteryPermille),
        integerArray(changed.map((row) => batch.handsetIds[row])),
        integerArray(changed.map((row) => batch.appliedRevisions[row])),
        integerArray(changed.map((row) => batch.complianceMasks[row])),
        integerArray(changed.map((row) => batch.batteryPermille[row])),
        `{${changed.map((row) => (maskChanged.has(row) ? 't' : 'f')).join(',')}}`,
        JSON.stringify(batch.detailsByMask),
      ],
    );
    return rows[0].accepted === '1';
  }

  /** The shard's last stored batch. */
  /**
   * Whether the shard's batch of an earlier tick was stored with exactly these rows: a shard that
   * another instance of its persona runtime takes over re-simulates the ticks after its checkpoint
   * and sends their batches again.
   */
  async holdsBatch(runId: string, shard: number, tick: number, rows: StoredBatchRows): Promise<boolean> {
    const { rows: found } = await this.database.query<{ same: boolean }>(
      `SELECT handset_ids = $4::bigint[] AND applied_revisions = $5::integer[] AND compliance_masks = $6::integer[] AND battery_permille = $7::integer[] AS same
       FROM policy_authority.check_in_batches WHERE run_id = $1 AND shard = $2 AND tick = $3`,
      [
        runId,
        shard,
        tick,
        integerArray(rows.handsetIds),
        integerArray(rows.appliedRevisions),
        integerArray(rows.complianceMasks),
        integerArray(rows.batteryPermille),
      ],
    );
    return found[0]?.same === true;
  }

  async last(runId: string, shard: number): Promise<ShardCheckIn | undefined> {
    const { rows } = await this.database.query<{ tick: string; batch_sha256: Buffer; assigned_revisions: number[] }>(
      'SELECT tick, batch_sha256, assigned_revisions FROM policy_authority.shard_check_ins WHERE run_id = $1 AND shard = $2 AND tick >= 0',
      [runId, shard],
    );
    const row = rows[0];
    return row === undefined ? undefined : { tick: Number(row.tick), batchSha256: row.batch_sha256, assignedRevisions: row.assigned_revisions };
  }

  /**
   * The shard's version and the stored report of each handset enrolled from it. The version is
   * read first, so the reports are at least as recent: a write in between only leaves the version
   * stale, and the next store refuses it.
   */
  async shardReports(runId: string, shard: number): Promise<{ version: ShardVersion; reports: Map<number, DeviceReport> }> {
    const version = await this.database.query<{ tick: string; device_writes: string }>(
      'SELECT tick, device_writes FROM policy_authority.shard_check_ins WHERE run_id = $1 AND shard = $2',
      [runId, shard],
    );
    const devices = await this.database.query<{ handset_id: string; applied_revision: number; compliance_mask: number | null }>(
      'SELECT handset_id, applied_revision, compliance_mask FROM policy_authority.devices WHERE run_id = $1 AND shard = $2',
      [runId, shard],
    );
    const reports = new Map<number, DeviceReport>();
    for (const device of devices.rows) {
      reports.set(Number(device.handset_id), { shard, appliedRevision: device.applied_revision, complianceMask: device.compliance_mask ?? undefined });
    }
    const row = version.rows[0];
    return { version: row === undefined ? NO_BATCH_YET : { tick: Number(row.tick), deviceWrites: Number(row.device_writes) }, reports };
  }

  /** The stored report of each of the handsets enrolled in the run, whatever shard they enrolled from. */
  async reportsOf(runId: string, handsetIds: readonly number[]): Promise<Map<number, DeviceReport>> {
    const { rows } = await this.database.query<{ handset_id: string; shard: string | null; applied_revision: number; compliance_mask: number | null }>(
      'SELECT handset_id, shard, applied_revision, compliance_mask FROM policy_authority.devices WHERE run_id = $1 AND handset_id = ANY($2::bigint[])',
      [runId, integerArray(handsetIds)],
    );
    return new Map(
      rows.map((row) => [
        Number(row.handset_id),
        { shard: row.shard === null ? undefined : Number(row.shard), appliedRevision: row.applied_revision, complianceMask: row.compliance_mask ?? undefined },
      ]),
    );
  }
}

export const NO_BATCH_YET: ShardVersion = { tick: -1, deviceWrites: 0 };

/** The columns of a check-in batch as stored in check_in_batches. */
export interface StoredBatchRows {
  readonly handsetIds: readonly number[];
  readonly appliedRevisions: readonly number[];
  readonly complianceMasks: readonly number[];
  readonly batteryPermille: readonly number[];
}
