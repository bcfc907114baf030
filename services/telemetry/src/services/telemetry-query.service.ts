import { Inject, Injectable } from '@nestjs/common';
import type { KpiName, RunSummary } from '@duet/sim-core';
import { QueryError } from '../domain/errors';
import { checkRunId, runIdProblem } from '../domain/run-id';
import type { SeriesQuery } from '../domain/series-query';
import { RunsRepository, runIdentityOf, type RunIdentity, type RunPhaseName, type RunRow } from '../repositories/runs.repository';
import { SeriesRepository } from '../repositories/series.repository';
import { TickKpisRepository } from '../repositories/tick-kpis.repository';

/** A run as the query API shows it. */
export interface RunView extends RunIdentity {
  readonly phase: RunPhaseName;
  /** Ticks final on every shard and role. */
  readonly ticksCompleted: number;
  /** Set once COMPLETED. */
  readonly digest?: string;
  /** Set once COMPLETED: the same summary the in-process simulation prints. */
  readonly summary?: RunSummary;
  /** Set once FAILED. */
  readonly failure?: string;
  readonly startedAt: Date;
  readonly finishedAt?: Date;
}

/** One run with every KPI summed over its final ticks. */
export interface RunDetails extends RunView {
  readonly totals: Readonly<Record<KpiName, number>>;
}

export interface RunPage {
  readonly runs: RunView[];
  /** Empty on the last page. */
  readonly nextPageToken: string;
}

export interface SeriesView {
  /** The KPI read (lowerCamelCase), for a KPI series. */
  readonly kpi?: string;
  /** The event kind counted (EventKind name), for an event series. */
  readonly eventKind?: string;
  /** One per value of the split dimension (ascending), or one for the whole fleet. */
  readonly series: { readonly dimensions: Readonly<Record<string, string>>; readonly ticks: number[]; readonly values: number[] }[];
}

const DEFAULT_PAGE_SIZE = 50; // runs per page when the caller does not say
const MAX_PAGE_SIZE = 500;

/** Reads runs and series: the query API's service, and what the embedded composition root asks for a run's digest and summary. */
@Injectable()
export class TelemetryQueryService {
  constructor(
    @Inject(RunsRepository) private readonly runs: RunsRepository,
    @Inject(TickKpisRepository) private readonly tickKpis: TickKpisRepository,
    @Inject(SeriesRepository) private readonly eventSeries: SeriesRepository,
  ) {}

  /** The run, or RunNotFoundError. */
  async getRun(runId: string): Promise<RunDetails> {
    const row = await this.findRun(runId);
    return { ...toView(row), totals: await this.tickKpis.totals(runId) };
  }

  /** The run's digest and summary once it has COMPLETED; undefined before (or for an unknown run). */
  async completedRun(runId: string): Promise<{ digest: string; summary: RunSummary } | undefined> {
    checkRunId(runId);
    const row = await this.runs.find(runId);
    return row?.phase === 'COMPLETED' ? { digest: row.digest!, summary: row.summary! } : undefined;
  }

  async listRuns(request: { scenario?: string; pageSize?: number; pageToken?: string }): Promise<RunPage> {
    const pageSize = request.pageSize === undefined || request.pageSize === 0 ? DEFAULT_PAGE_SIZE : request.pageSize;
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE)
      throw new QueryError([{ parameter: 'page_size', rule: 'range', message: `must be an integer in 1..${MAX_PAGE_SIZE}, got ${request.pageSize}` }]);
    if (request.scenario) checkRunId(request.scenario, 'scenario'); // a scenario name obeys the same rules
    const rows = await this.runs.list({
      scenario: request.scenario || undefined,
      limit: pageSize + 1,
      after: request.pageToken ? decodePageToken(request.pageToken) : undefined,
    });
    const page = rows.slice(0, pageSize);
    const last = page[page.length - 1];
    return { runs: page.map(toView), nextPageToken: rows.length > pageSize ? encodePageToken(last) : '' };
  }

  async querySeries(query: SeriesQuery): Promise<SeriesView> {
    const run = await this.findRun(query.runId);
    const lastTick = Math.max(run.ticksCompleted - 1, query.measure.type === 'event' ? await this.eventSeries.lastTick(run.runId) : -1);
    const toTick = query.toTick ?? lastTick;
    if (query.measure.type === 'kpi')
      return { kpi: query.measure.kpi, series: [{ dimensions: {}, ...(await this.tickKpis.series(run.runId, query.measure.kpi, query.fromTick, toTick)) }] };

    // Event series are dense over the range asked (0 where nothing happened), up to the last tick seen.
    const end = Math.min(toTick, lastTick);
    const ticks = Array.from({ length: Math.max(0, end - query.fromTick + 1) }, (_, i) => query.fromTick + i);
    const dimension = query.dimension?.name ?? 'persona'; // every event has exactly one persona: their sum is every event
    const rows = await this.eventSeries.query(run.runId, dimension, query.measure.eventKind, query.fromTick, end, query.dimension?.values);
    const split = query.dimension?.split ?? false;
    const byValue = new Map<string, number[]>();
    for (const value of split ? (query.dimension?.values ?? []) : [])
      byValue.set(
        value,
        ticks.map(() => 0),
      );
    for (const row of rows) {
      const key = split ? row.value : '';
      let values = byValue.get(key);
      if (values === undefined) byValue.set(key, (values = ticks.map(() => 0)));
      values[row.tick - query.fromTick] += row.count;
    }
    if (!split && byValue.size === 0)
      byValue.set(
        '',
        ticks.map(() => 0),
      );
    return {
      eventKind: query.measure.eventKindName,
      series: [...byValue.keys()].sort().map((value) => ({ dimensions: split ? { [dimension]: value } : {}, ticks, values: byValue.get(value)! })),
    };
  }

  private findRun(runId: string): Promise<RunRow> {
    checkRunId(runId);
    return this.runs.get(runId);
  }
}

function toView(row: RunRow): RunView {
  return {
    ...runIdentityOf(row),
    phase: row.phase,
    ticksCompleted: row.ticksCompleted,
    digest: row.digest,
    summary: row.summary,
    failure: row.failure,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
  };
}

// Page tokens are opaque to callers: the last run of the page, for keyset paging.
function encodePageToken(row: RunRow): string {
  return Buffer.from(JSON.stringify([row.startedAt.toISOString(), row.runId])).toString('base64url');
}

function decodePageToken(token: string): { startedAt: Date; runId: string } {
  try {
    const [startedAt, runId] = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as [string, string];
    const date = new Date(startedAt);
    if (typeof runId === 'string' && runIdProblem(runId) === undefined && !Number.isNaN(date.getTime())) return { startedAt: date, runId };
  } catch {
    // reported below
  }
  throw new QueryError([{ parameter: 'page_token', rule: 'token', message: 'is not a token this service gave out' }]);
}
