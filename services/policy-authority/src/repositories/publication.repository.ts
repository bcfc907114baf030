import { Injectable } from '@nestjs/common';
import { Database, type Queryable } from '@duet/service-kit';
import type { PolicyDocument } from '../domain/policy-document';
import type { Publication } from '../domain/revision-timeline';

export interface StoredPublication extends Publication {
  readonly runId: string;
  readonly policyName: string;
  readonly policyVersion: number;
}

export interface PublicationWithDocument extends StoredPublication {
  readonly document: PolicyDocument;
}

interface PublicationRow {
  run_id: string;
  revision: number;
  policy_name: string;
  policy_version: number;
  group_names: string[] | null;
  effective_tick: string; // bigint
}

const COLUMNS = 'p.run_id, p.revision, p.policy_name, p.policy_version, p.group_names, p.effective_tick';

/** Runs' revision counters and publications (tables policy_authority.runs and .publications). */
@Injectable()
export class PublicationRepository {
  constructor(private readonly database: Database) {}

  /** Takes the run's next revision; the run's row stays locked until the transaction ends. */
  async nextRevision(client: Queryable, runId: string): Promise<number> {
    const { rows } = await client.query<{ last_revision: number }>(
      `INSERT INTO policy_authority.runs (run_id, last_revision) VALUES ($1, 1)
       ON CONFLICT (run_id) DO UPDATE SET last_revision = runs.last_revision + 1
       RETURNING last_revision`,
      [runId],
    );
    return rows[0].last_revision;
  }

  async insert(client: Queryable, publication: StoredPublication): Promise<void> {
    await client.query(
      `INSERT INTO policy_authority.publications (run_id, revision, policy_name, policy_version, group_names, effective_tick)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [publication.runId, publication.revision, publication.policyName, publication.policyVersion, publication.groups ?? null, publication.effectiveTick],
    );
  }

  /** The run's last revision; 0 when it published nothing. */
  async lastRevision(runId: string, client: Queryable = this.database): Promise<number> {
    const { rows } = await client.query<{ last_revision: number }>('SELECT last_revision FROM policy_authority.runs WHERE run_id = $1', [runId]);
    return rows[0]?.last_revision ?? 0;
  }

  /** Every publication of the run, by revision. */
  async listForRun(runId: string, client: Queryable = this.database): Promise<StoredPublication[]> {
    const { rows } = await client.query<PublicationRow>(`SELECT ${COLUMNS} FROM policy_authority.publications p WHERE p.run_id = $1 ORDER BY p.revision`, [
      runId,
    ]);
    return rows.map(toPublication);
  }

  /** Every publication of the run with its policy document, by revision. */
  async listWithDocuments(runId: string): Promise<PublicationWithDocument[]> {
    const { rows } = await this.database.query<PublicationRow & { document: PolicyDocument }>(
      `SELECT ${COLUMNS}, d.document FROM policy_authority.publications p
       JOIN policy_authority.policies d ON d.name = p.policy_name AND d.version = p.policy_version
       WHERE p.run_id = $1 ORDER BY p.revision`,
      [runId],
    );
    return rows.map((row) => ({ ...toPublication(row), document: row.document }));
  }

  /** One publication with its policy document. */
  async findWithDocument(runId: string, revision: number): Promise<PublicationWithDocument | undefined> {
    const { rows } = await this.database.query<PublicationRow & { document: PolicyDocument }>(
      `SELECT ${COLUMNS}, d.document FROM policy_authority.publications p
       JOIN policy_authority.policies d ON d.name = p.policy_name AND d.version = p.policy_version
       WHERE p.run_id = $1 AND p.revision = $2`,
      [runId, revision],
    );
    return rows[0] === undefined ? undefined : { ...toPublication(rows[0]), document: rows[0].document };
  }
}

function toPublication(row: PublicationRow): StoredPublication {
  return {
    runId: row.run_id,
    revision: row.revision,
    policyName: row.policy_name,
    policyVersion: row.policy_version,
    groups: row.group_names ?? undefined,
    effectiveTick: Number(row.effective_tick),
  };
}
