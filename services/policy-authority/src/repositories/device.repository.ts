import { Injectable } from '@nestjs/common';
import { Database, integerArray, type Queryable } from '@duet/service-kit';

export interface Enrollment {
  readonly runId: string;
  /** Shard the handsets enrolled from; undefined for one-at-a-time enrollments. */
  readonly shard: number | undefined;
  readonly tick: number;
  readonly handsetIds: readonly number[];
  readonly groups: readonly string[];
  readonly models: readonly string[];
}

export interface DeviceState {
  readonly group: string;
  /** Shard it enrolled from; undefined for one-at-a-time enrollments. */
  readonly shard: number | undefined;
  /** Tick of the stored report; a one-at-a-time check-in stores each, so its last. */
  readonly lastCheckInTick: number | undefined;
  /** Mask of the last check-in; undefined before the first. */
  readonly complianceMask: number | undefined;
}

export interface CheckIn {
  readonly runId: string;
  readonly handsetId: number;
  readonly tick: number;
  readonly appliedRevision: number;
  readonly complianceMask: number;
  readonly batteryPermille: number;
}

/** Enrolled handsets (table policy_authority.devices) and one-at-a-time check-ins. */
@Injectable()
export class DeviceRepository {
  constructor(private readonly database: Database) {}

  /**
   * Enrolls handsets; a handset enrolled before starts over (a re-provisioned business world),
   * unless nothing differs, so a redelivered enrollment changes nothing.
   */
  async enroll(enrollment: Enrollment): Promise<void> {
    // A handset that starts over loses its report: the shards it was and is enrolled from count a
    // device write, so instances holding their reports in memory read them again.
    await this.database.query(
      `WITH enrolled AS (
         INSERT INTO policy_authority.devices (run_id, handset_id, group_name, model, shard, enrolled_tick)
         SELECT $1, input.handset_id, input.group_name, input.model, $2, $3
         FROM unnest($4::bigint[], $5::text[], $6::text[]) AS input (handset_id, group_name, model)
         ON CONFLICT (run_id, handset_id) DO UPDATE
         SET group_name = EXCLUDED.group_name, model = EXCLUDED.model, shard = EXCLUDED.shard, enrolled_tick = EXCLUDED.enrolled_tick,
             reported_tick = NULL, applied_revision = 0, compliance_mask = NULL, battery_permille = NULL
         WHERE (devices.group_name, devices.model, devices.enrolled_tick) IS DISTINCT FROM (EXCLUDED.group_name, EXCLUDED.model, EXCLUDED.enrolled_tick)
            OR devices.shard IS DISTINCT FROM EXCLUDED.shard
         RETURNING handset_id, shard, xmax <> 0 AS started_over -- xmax is set on a row the conflict updated
       ),
       -- The statement's other parts read the rows as they were before it: the old shard.
       restarted AS (
         SELECT before.shard AS old_shard, enrolled.shard AS new_shard FROM enrolled CROSS JOIN LATERAL (
           SELECT shard FROM policy_authority.devices WHERE run_id = $1 AND handset_id = enrolled.handset_id LIMIT 1
         ) before
         WHERE enrolled.started_over
       )
       ${countDeviceWrites('SELECT old_shard FROM restarted UNION SELECT new_shard FROM restarted')}`,
      [enrollment.runId, enrollment.shard ?? null, enrollment.tick, enrollment.handsetIds, enrollment.groups, enrollment.models],
    );
  }

  /** Group of each of the handsets that is enrolled in the run. */
  async groupsOf(runId: string, handsetIds: readonly number[]): Promise<Map<number, string>> {
    const { rows } = await this.database.query<{ handset_id: string; group_name: string }>(
      'SELECT handset_id, group_name FROM policy_authority.devices WHERE run_id = $1 AND handset_id = ANY($2::bigint[])',
      [runId, handsetIds],
    );
    return new Map(rows.map((row) => [Number(row.handset_id), row.group_name]));
  }

  /** The enrolled ones of the handsets, locked until the transaction ends (in id order, so concurrent callers cannot deadlock). */
  async lockAll(client: Queryable, runId: string, handsetIds: readonly number[]): Promise<Map<number, DeviceState>> {
    const { rows } = await client.query<{
      handset_id: string;
      group_name: string;
      shard: string | null;
      reported_tick: string | null;
      compliance_mask: number | null;
    }>(
      `SELECT handset_id, group_name, shard, reported_tick, compliance_mask FROM policy_authority.devices
       WHERE run_id = $1 AND handset_id = ANY($2::bigint[]) ORDER BY handset_id FOR UPDATE`,
      [runId, integerArray(handsetIds)],
    );
    return new Map(
      rows.map((row) => [
        Number(row.handset_id),
        {
          group: row.group_name,
          shard: row.shard === null ? undefined : Number(row.shard),
          lastCheckInTick: row.reported_tick === null ? undefined : Number(row.reported_tick),
          complianceMask: row.compliance_mask ?? undefined,
        },
      ]),
    );
  }

  /**
   * Records one-at-a-time check-ins of locked devices of one run (one handset each), in one
   * statement per table: the reports, a device write on each shard they enrolled from, and a
   * compliance record for each check-in in `details` (the caller saw its mask change).
   */
  async recordCheckIns(
    client: Queryable,
    runId: string,
    checkIns: readonly CheckIn[],
    shards: ReadonlySet<number>,
    details: ReadonlyMap<CheckIn, unknown[]>,
  ): Promise<void> {
    if (checkIns.length === 0) return;
    await client.query(
      `UPDATE policy_authority.devices SET reported_tick = input.tick, applied_revision = input.applied_revision,
         compliance_mask = input.compliance_mask, battery_permille = input.battery_permille
       FROM unnest($2::bigint[], $3::bigint[], $4::integer[], $5::integer[], $6::integer[])
         AS input (handset_id, tick, applied_revision, compliance_mask, battery_permille)
       WHERE devices.run_id = $1 AND devices.handset_id = input.handset_id`,
      [
        runId,
        integerArray(checkIns.map((checkIn) => checkIn.handsetId)),
        integerArray(checkIns.map((checkIn) => checkIn.tick)),
        integerArray(checkIns.map((checkIn) => checkIn.appliedRevision)),
        integerArray(checkIns.map((checkIn) => checkIn.complianceMask)),
        integerArray(checkIns.map((checkIn) => checkIn.batteryPermille)),
      ],
    );
    if (shards.size > 0) await client.query(countDeviceWrites('SELECT unnest($2::bigint[])'), [runId, integerArray([...shards])]);
    if (details.size === 0) return;
    const recorded = [...details.keys()];
    await client.query(
      `INSERT INTO policy_authority.compliance_records (run_id, handset_id, tick, revision, compliance_mask, non_compliance_details)
       SELECT $1, input.handset_id, input.tick, input.revision, input.compliance_mask, input.details::jsonb
       FROM unnest($2::bigint[], $3::bigint[], $4::integer[], $5::integer[], $6::text[]) AS input (handset_id, tick, revision, compliance_mask, details)
       ON CONFLICT DO NOTHING`,
      [
        runId,
        integerArray(recorded.map((checkIn) => checkIn.handsetId)),
        integerArray(recorded.map((checkIn) => checkIn.tick)),
        integerArray(recorded.map((checkIn) => checkIn.appliedRevision)),
        integerArray(recorded.map((checkIn) => checkIn.complianceMask)),
        recorded.map((checkIn) => JSON.stringify(details.get(checkIn))),
      ],
    );
  }

  /** Shard each handset enrolled from, where it enrolled from one. */
  async shardsOf(runId: string, handsetIds: readonly number[]): Promise<Map<number, number>> {
    const { rows } = await this.database.query<{ handset_id: string; shard: string }>(
      'SELECT handset_id, shard FROM policy_authority.devices WHERE run_id = $1 AND handset_id = ANY($2::bigint[]) AND shard IS NOT NULL',
      [runId, handsetIds],
    );
    return new Map(rows.map((row) => [Number(row.handset_id), Number(row.shard)]));
  }
}

/**
 * A statement counting one device write on each shard (of run $1) that `shards` yields, NULLs
 * skipped: see shard_check_ins.device_writes (migration 0003). A shard without a batch yet gets its
 * row, at tick -1.
 */
function countDeviceWrites(shards: string): string {
  return `INSERT INTO policy_authority.shard_check_ins (run_id, shard, tick, batch_sha256, assigned_revisions, device_writes)
  SELECT $1, written.shard, -1, '\\x'::bytea, '{}'::integer[], 1 FROM (${shards}) AS written (shard) WHERE written.shard IS NOT NULL
  ON CONFLICT (run_id, shard) DO UPDATE SET device_writes = shard_check_ins.device_writes + 1`;
}
