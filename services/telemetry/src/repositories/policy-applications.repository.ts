import { Inject, Injectable } from '@nestjs/common';
import { Database, type Queryable } from '@duet/service-kit';
import type { PolicyApplication } from '../domain/policy-history';

/** Policy versions handsets applied, so the policy_version dimension survives a restart. */
@Injectable()
export class PolicyApplicationsRepository {
  constructor(@Inject(Database) private readonly database: Database) {}

  async insert(client: Queryable, runId: string, applications: readonly PolicyApplication[]): Promise<void> {
    if (applications.length === 0) return;
    await client.query(
      `INSERT INTO telemetry.policy_applications (run_id, handset_id, tick, version)
       SELECT $1, * FROM unnest($2::integer[], $3::integer[], $4::bigint[])
       ON CONFLICT DO NOTHING`,
      [runId, applications.map((one) => one.handsetId), applications.map((one) => one.tick), applications.map((one) => one.version)],
    );
  }

  async load(runId: string): Promise<PolicyApplication[]> {
    const { rows } = await this.database.query<{ handset_id: number; tick: number; version: string }>(
      'SELECT handset_id, tick, version FROM telemetry.policy_applications WHERE run_id = $1',
      [runId],
    );
    return rows.map((row) => ({ handsetId: row.handset_id, tick: row.tick, version: Number(row.version) }));
  }
}
