import { Injectable } from '@nestjs/common';
import { Database } from '@duet/service-kit';

export interface ComplianceFilter {
  readonly runId: string;
  /** '' = every group. */
  readonly group: string;
  readonly nonCompliantOnly: boolean;
  /** Empty = every handset. */
  readonly handsetIds: readonly number[];
}

export interface ComplianceRow {
  readonly handsetId: number;
  readonly group: string;
  readonly tick: number;
  readonly revision: number;
  readonly complianceMask: number;
  /** Publication of the revision; undefined for revision 0. */
  readonly policyName: string | undefined;
  readonly policyVersion: number | undefined;
}

interface Row {
  handset_id: string;
  group_name: string;
  tick: string;
  revision: number;
  compliance_mask: number;
  policy_name: string | null;
  policy_version: number | null;
}

/** Handsets' compliance: the latest from policy_authority.devices, the history from .compliance_records. */
@Injectable()
export class ComplianceRepository {
  constructor(private readonly database: Database) {}

  /**
   * Each checked-in handset's current compliance, by handset id, after `afterHandsetId`: its stored
   * report, with the tick of the check-in that reported it (the last that changed its revision or mask).
   */
  async latest(filter: ComplianceFilter, afterHandsetId: number, limit: number): Promise<ComplianceRow[]> {
    const { rows } = await this.database.query<Row>(
      `SELECT d.handset_id, d.group_name, d.reported_tick AS tick, d.applied_revision AS revision, d.compliance_mask, p.policy_name, p.policy_version
       FROM policy_authority.devices d
       LEFT JOIN policy_authority.publications p ON p.run_id = d.run_id AND p.revision = d.applied_revision
       WHERE d.run_id = $1 AND d.reported_tick IS NOT NULL
         AND ($2 = '' OR d.group_name = $2) AND (NOT $3 OR d.compliance_mask <> 0)
         AND (cardinality($4::bigint[]) = 0 OR d.handset_id = ANY($4::bigint[]))
         AND d.handset_id > $5
       ORDER BY d.handset_id LIMIT $6`,
      [filter.runId, filter.group, filter.nonCompliantOnly, filter.handsetIds, afterHandsetId, limit],
    );
    return rows.map(toComplianceRow);
  }

  /** Every stored record, by handset id then tick, after (`afterHandsetId`, `afterTick`). */
  async history(filter: ComplianceFilter, afterHandsetId: number, afterTick: number, limit: number): Promise<ComplianceRow[]> {
    const { rows } = await this.database.query<Row>(
      `SELECT r.handset_id, d.group_name, r.tick, r.revision, r.compliance_mask, p.policy_name, p.policy_version
       FROM policy_authority.compliance_records r
       JOIN policy_authority.devices d ON d.run_id = r.run_id AND d.handset_id = r.handset_id
       LEFT JOIN policy_authority.publications p ON p.run_id = r.run_id AND p.revision = r.revision
       WHERE r.run_id = $1
         AND ($2 = '' OR d.group_name = $2) AND (NOT $3 OR r.compliance_mask <> 0)
         AND (cardinality($4::bigint[]) = 0 OR r.handset_id = ANY($4::bigint[]))
         AND (r.handset_id, r.tick) > ($5, $6)
       ORDER BY r.handset_id, r.tick LIMIT $7`,
      [filter.runId, filter.group, filter.nonCompliantOnly, filter.handsetIds, afterHandsetId, afterTick, limit],
    );
    return rows.map(toComplianceRow);
  }
}

function toComplianceRow(row: Row): ComplianceRow {
  return {
    handsetId: Number(row.handset_id),
    group: row.group_name,
    tick: Number(row.tick),
    revision: row.revision,
    complianceMask: row.compliance_mask,
    policyName: row.policy_name ?? undefined,
    policyVersion: row.policy_version ?? undefined,
  };
}
