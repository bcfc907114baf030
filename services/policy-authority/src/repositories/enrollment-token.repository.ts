import { Injectable } from '@nestjs/common';
import { Database } from '@duet/service-kit';
import type { EnrollmentTokenGrant } from '../domain/enrollment-token';

/** Enrollment tokens by the SHA-256 of their value (table policy_authority.enrollment_tokens). */
@Injectable()
export class EnrollmentTokenRepository {
  constructor(private readonly database: Database) {}

  async insert(valueSha256: Buffer, token: EnrollmentTokenGrant): Promise<void> {
    await this.database.query(
      `INSERT INTO policy_authority.enrollment_tokens (token_sha256, run_id, group_name, created_tick, expires_tick) VALUES ($1, $2, $3, $4, $5)`,
      [valueSha256, token.runId, token.group, token.tick, token.expiresTick],
    );
  }

  /** The last tick any enrollment token of the run is accepted at; undefined when the run has none. */
  async lastTickOf(runId: string): Promise<number | undefined> {
    const { rows } = await this.database.query<{ last_tick: string | null }>(
      'SELECT max(expires_tick) AS last_tick FROM policy_authority.enrollment_tokens WHERE run_id = $1',
      [runId],
    );
    return rows[0]?.last_tick == null ? undefined : Number(rows[0].last_tick);
  }

  async find(valueSha256: Buffer): Promise<EnrollmentTokenGrant | undefined> {
    const { rows } = await this.database.query<{ run_id: string; group_name: string; created_tick: string; expires_tick: string }>(
      'SELECT run_id, group_name, created_tick, expires_tick FROM policy_authority.enrollment_tokens WHERE token_sha256 = $1',
      [valueSha256],
    );
    const row = rows[0];
    return row === undefined ? undefined : { runId: row.run_id, group: row.group_name, tick: Number(row.created_tick), expiresTick: Number(row.expires_tick) };
  }
}
