import { Inject, Injectable } from '@nestjs/common';
import { Database, type Queryable } from '@duet/service-kit';
import type { RunSummary } from '@duet/sim-core';
import { RunNotFoundError } from '../domain/errors';

export type RunPhaseName = 'STARTED' | 'COMPLETED' | 'FAILED';

/** What identifies a run and its size: the fields every view of a run shares. */
export interface RunIdentity {
  readonly runId: string;
  readonly scenario: string;
  readonly seed: number;
  readonly handsets: number;
  readonly ticks: number;
  readonly shards: number;
  readonly tickSeconds: number;
}

/** The identity fields of a run (or anything that carries them), and nothing else. */
export function runIdentityOf(run: RunIdentity): RunIdentity {
  const { runId, scenario, seed, handsets, ticks, shards, tickSeconds } = run;
  return { runId, scenario, seed, handsets, ticks, shards, tickSeconds };
}

export interface NewRun extends RunIdentity {
  /** Parsed config JSON; undefined when it was not valid JSON. */
  readonly config: unknown;
  readonly phase: RunPhaseName;
  readonly failure?: string;
}

export interface RunRow extends NewRun {
  readonly ticksCompleted: number;
  readonly digest?: string;
  readonly summary?: RunSummary;
  readonly startedAt: Date;
  readonly finishedAt?: Date;
  readonly completionPublished: boolean;
}

interface StoredRun {
  run_id: string;
  scenario: string;
  seed: string;
  handsets: number;
  ticks: number;
  shards: number;
  tick_seconds: number;
  config: unknown;
  phase: RunPhaseName;
  ticks_completed: number;
  digest: string | null;
  summary: RunSummary | null;
  failure: string | null;
  started_at: Date;
  finished_at: Date | null;
  completion_published_at: Date | null;
}

const COLUMNS =
  'run_id, scenario, seed, handsets, ticks, shards, tick_seconds, config, phase, ticks_completed, digest, summary, failure, started_at, finished_at, completion_published_at';

/** The runs table: one row per run, from STARTED to COMPLETED or FAILED. */
@Injectable()
export class RunsRepository {
  constructor(@Inject(Database) private readonly database: Database) {}

  /** Stores a new run; false when it was stored before (a redelivered STARTED). */
  async insert(run: NewRun, client: Queryable = this.database): Promise<boolean> {
    const result = await client.query(
      `INSERT INTO telemetry.runs (run_id, scenario, seed, handsets, ticks, shards, tick_seconds, config, phase, failure, finished_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, CASE WHEN $9 = 'FAILED' THEN now() END)
       ON CONFLICT (run_id) DO NOTHING`,
      [
        run.runId,
        run.scenario,
        run.seed,
        run.handsets,
        run.ticks,
        run.shards,
        run.tickSeconds,
        run.config === undefined ? null : JSON.stringify(run.config),
        run.phase,
        run.failure ?? null,
      ],
    );
    return result.rowCount === 1;
  }

  async find(runId: string): Promise<RunRow | undefined> {
    const { rows } = await this.database.query<StoredRun>(`SELECT ${COLUMNS} FROM telemetry.runs WHERE run_id = $1`, [runId]);
    return rows.length === 0 ? undefined : toRow(rows[0]);
  }

  /** The run, or RunNotFoundError (HTTP 404, gRPC NOT_FOUND) when nobody started it. */
  async get(runId: string): Promise<RunRow> {
    const row = await this.find(runId);
    if (row === undefined) throw new RunNotFoundError(runId);
    return row;
  }

  /** Runs newest first, after the given one (keyset paging). */
  async list(options: { scenario?: string; limit: number; after?: { startedAt: Date; runId: string } }): Promise<RunRow[]> {
    const { rows } = await this.database.query<StoredRun>(
      `SELECT ${COLUMNS} FROM telemetry.runs
       WHERE ($1::text IS NULL OR scenario = $1)
         AND ($2::timestamptz IS NULL OR (started_at, run_id) < ($2, $3))
       ORDER BY started_at DESC, run_id DESC
       LIMIT $4`,
      [options.scenario ?? null, options.after?.startedAt ?? null, options.after?.runId ?? null, options.limit],
    );
    return rows.map(toRow);
  }

  async setTicksCompleted(client: Queryable, runId: string, ticksCompleted: number): Promise<void> {
    await client.query('UPDATE telemetry.runs SET ticks_completed = $2 WHERE run_id = $1', [runId, ticksCompleted]);
  }

  async complete(client: Queryable, runId: string, digest: string, summary: RunSummary): Promise<void> {
    await client.query(
      `UPDATE telemetry.runs SET phase = 'COMPLETED', digest = $2, summary = $3, finished_at = now() WHERE run_id = $1 AND phase = 'STARTED'`,
      [runId, digest, JSON.stringify(summary)],
    );
  }

  /** The run's COMPLETED is in the outbox (published once the transaction commits). */
  async markCompletionPublished(client: Queryable, runId: string): Promise<void> {
    await client.query('UPDATE telemetry.runs SET completion_published_at = now() WHERE run_id = $1', [runId]);
  }

  /** Marks a run that has not completed as FAILED; false when it had completed or failed already. */
  async fail(runId: string, failure: string, client: Queryable = this.database): Promise<boolean> {
    const result = await client.query(`UPDATE telemetry.runs SET phase = 'FAILED', failure = $2, finished_at = now() WHERE run_id = $1 AND phase = 'STARTED'`, [
      runId,
      failure,
    ]);
    return result.rowCount === 1;
  }
}

function toRow(stored: StoredRun): RunRow {
  return {
    runId: stored.run_id,
    scenario: stored.scenario,
    seed: Number(stored.seed),
    handsets: stored.handsets,
    ticks: stored.ticks,
    shards: stored.shards,
    tickSeconds: stored.tick_seconds,
    config: stored.config ?? undefined,
    phase: stored.phase,
    ticksCompleted: stored.ticks_completed,
    digest: stored.digest ?? undefined,
    summary: stored.summary ?? undefined,
    failure: stored.failure ?? undefined,
    startedAt: stored.started_at,
    finishedAt: stored.finished_at ?? undefined,
    completionPublished: stored.completion_published_at !== null,
  };
}
