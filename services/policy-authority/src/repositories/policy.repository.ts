import { Injectable } from '@nestjs/common';
import { Database } from '@duet/service-kit';
import type { PolicyDocument } from '../domain/policy-document';

export interface StoredPolicy {
  readonly name: string;
  readonly version: number;
  readonly document: PolicyDocument;
}

const UNIQUE_VIOLATION = '23505'; // PostgreSQL error code
const VERSION_ATTEMPTS = 5; // concurrent stores of one name race for the next version; the loser retries

/** Every stored version of every policy document (table policy_authority.policies). */
@Injectable()
export class PolicyRepository {
  constructor(private readonly database: Database) {}

  /** Stores the document as the name's next version (1 for a new name), `version` set inside it. */
  async insertNextVersion(name: string, document: Readonly<Record<string, unknown>>): Promise<StoredPolicy> {
    for (let attempt = 1; ; attempt++) {
      try {
        const { rows } = await this.database.query<{ version: number; document: PolicyDocument }>(
          `INSERT INTO policy_authority.policies (name, version, document)
           SELECT $1, next.version, jsonb_set($2::jsonb, '{version}', to_jsonb(next.version))
           FROM (SELECT coalesce(max(version), 0) + 1 AS version FROM policy_authority.policies WHERE name = $1) AS next
           RETURNING version, document`,
          [name, JSON.stringify({ ...document, name })],
        );
        return { name, version: rows[0].version, document: rows[0].document };
      } catch (error) {
        if ((error as { code?: string }).code !== UNIQUE_VIOLATION || attempt === VERSION_ATTEMPTS) throw error;
      }
    }
  }

  /** The policy at `version`, or at its latest version when `version` is 0. */
  async find(name: string, version: number): Promise<StoredPolicy | undefined> {
    const { rows } = await this.database.query<StoredPolicy>(
      `SELECT name, version, document FROM policy_authority.policies
       WHERE name = $1 AND ($2::integer = 0 OR version = $2::integer)
       ORDER BY version DESC LIMIT 1`,
      [name, version],
    );
    return rows[0];
  }

  /** Latest version of each policy named after `afterName`, by name. */
  async listLatest(afterName: string, limit: number): Promise<StoredPolicy[]> {
    const { rows } = await this.database.query<StoredPolicy>(
      `SELECT DISTINCT ON (name) name, version, document FROM policy_authority.policies
       WHERE name > $1 ORDER BY name, version DESC LIMIT $2`,
      [afterName, limit],
    );
    return rows;
  }
}
