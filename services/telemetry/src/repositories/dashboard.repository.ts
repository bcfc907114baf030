import { Inject, Injectable } from '@nestjs/common';
import { Database } from '@duet/service-kit';
import { KPI_NAMES, type KpiName } from '@duet/sim-core';
import { TickKpisRepository } from './tick-kpis.repository';

/** The dashboard's KPIs per point: each the mean over the ticks of a bucket. */
export const BUCKET_KPIS = [
  'handsetsOnline',
  'batteryEmpty',
  'batteryLow',
  'batteryPermilleSum',
  'guestProvisioning',
  'guestRunning',
  'guestSuspended',
  'guestLocked',
  'guestWiped',
  'enrolled',
  'compliant',
  'events',
  'leaksCopyWorkToPersonal',
  'leaksShareWorkToPersonal',
  'leaksWorkContactLookup',
  'leaksScreenCaptureWorkToPersonal',
] as const satisfies readonly KpiName[];
export type BucketKpi = (typeof BUCKET_KPIS)[number];

export interface TickBucket {
  /** First tick of the bucket (a multiple of the step). */
  readonly tick: number;
  /** Final ticks in the bucket (fewer than the step at the edges of a range). */
  readonly ticks: number;
  readonly means: Readonly<Record<BucketKpi, number>>;
}

export interface StoredTick {
  readonly tick: number;
  readonly kpis: Readonly<Record<KpiName, number>>;
}

export interface BreakdownCount {
  readonly value: string;
  readonly eventKind: number;
  readonly count: number;
}

const column = (kpi: KpiName) => TickKpisRepository.columnOf(kpi); // from the fixed KPI list, never from the caller
const ALL_COLUMNS = KPI_NAMES.map(column).join(', ');

/** Read-only queries the dashboard needs beyond the query API's: bucketed series, recent ticks, breakdowns. */
@Injectable()
export class DashboardRepository {
  constructor(@Inject(Database) private readonly database: Database) {}

  /** Final ticks from..to grouped by `step` ticks, each KPI averaged over its bucket. */
  async buckets(runId: string, fromTick: number, toTick: number, step: number): Promise<TickBucket[]> {
    const { rows } = await this.database.query<Record<string, string>>(
      `SELECT (tick / $4) * $4 AS tick, count(*) AS ticks, ${BUCKET_KPIS.map((kpi) => `avg(${column(kpi)}) AS ${column(kpi)}`).join(', ')}
       FROM telemetry.tick_kpis WHERE run_id = $1 AND tick BETWEEN $2 AND $3
       GROUP BY 1 ORDER BY 1`,
      [runId, fromTick, toTick, step],
    );
    return rows.map((row) => ({
      tick: Number(row.tick),
      ticks: Number(row.ticks),
      means: Object.fromEntries(BUCKET_KPIS.map((kpi) => [kpi, Number(row[column(kpi)])])) as Record<BucketKpi, number>,
    }));
  }

  /** Every KPI of the final ticks from `fromTick` on, oldest first, at most `limit`. */
  async ticksFrom(runId: string, fromTick: number, limit: number): Promise<StoredTick[]> {
    const { rows } = await this.database.query<Record<string, string | number>>(
      `SELECT tick, ${ALL_COLUMNS} FROM telemetry.tick_kpis WHERE run_id = $1 AND tick >= $2 ORDER BY tick LIMIT $3`,
      [runId, fromTick, limit],
    );
    return rows.map(toStoredTick);
  }

  /** The last final tick at or before `toTick`, with every KPI; undefined before the first. */
  async lastTick(runId: string, toTick: number): Promise<StoredTick | undefined> {
    const { rows } = await this.database.query<Record<string, string | number>>(
      `SELECT tick, ${ALL_COLUMNS} FROM telemetry.tick_kpis WHERE run_id = $1 AND tick <= $2 ORDER BY tick DESC LIMIT 1`,
      [runId, toTick],
    );
    return rows.length === 0 ? undefined : toStoredTick(rows[0]);
  }

  /** Events of the given kinds per value of one dimension, summed over ticks from..to. */
  async breakdown(runId: string, dimension: string, eventKinds: readonly number[], fromTick: number, toTick: number): Promise<BreakdownCount[]> {
    const { rows } = await this.database.query<{ value: string; event_kind: number; count: string }>(
      `SELECT value, event_kind, sum(count) AS count FROM telemetry.series
       WHERE run_id = $1 AND dimension = $2 AND event_kind = ANY($3::smallint[]) AND tick BETWEEN $4 AND $5
       GROUP BY value, event_kind ORDER BY value, event_kind`,
      [runId, dimension, eventKinds, fromTick, toTick],
    );
    return rows.map((row) => ({ value: row.value, eventKind: row.event_kind, count: Number(row.count) }));
  }
}

function toStoredTick(row: Record<string, string | number>): StoredTick {
  return { tick: Number(row.tick), kpis: Object.fromEntries(KPI_NAMES.map((name) => [name, Number(row[column(name)])])) as Record<KpiName, number> };
}
