import { Inject, Injectable } from '@nestjs/common';
import { Metrics } from '@duet/service-kit';
import { EventKind, type KpiName, type RunSummary, type SimulationConfig } from '@duet/sim-core';
import { stepFor, type BreakdownDimension, type CompareQuery, type PanelsQuery, type RunsQuery } from '../domain/dashboard-query';
import { FleetDimensions } from '../domain/fleet-dimensions';
import { checkRunId } from '../domain/run-id';
import { DashboardRepository, type StoredTick, type TickBucket } from '../repositories/dashboard.repository';
import { RunsRepository, runIdentityOf, type RunIdentity, type RunPhaseName, type RunRow } from '../repositories/runs.repository';
import { TickKpisRepository } from '../repositories/tick-kpis.repository';

/** A run as the dashboard's run picker and headers show it. */
export interface DashboardRun extends RunIdentity {
  /** Simulated time of day at tick 0, in seconds after midnight (the scenario's `start`). */
  readonly startSecondOfDay: number;
  readonly phase: RunPhaseName;
  readonly ticksCompleted: number;
  readonly digest?: string;
  readonly failure?: string;
  readonly startedAt: Date;
  readonly finishedAt?: Date;
}

export interface DashboardStats {
  readonly ticksCompleted: number;
  readonly ticks: number;
  readonly handsets: number;
  /** At the last final tick; null before the first. */
  readonly handsetsOnline: number | null;
  /** Compliant ÷ enrolled at the last final tick (0..1); null while nobody is enrolled. */
  readonly complianceRate: number | null;
  readonly batteryMeanPercent: number | null;
  /** Handset events per wall-clock second since the run started (until it finished). */
  readonly eventsPerSecond: number | null;
  /** How late the last tick started against real-time pacing, from this process's metrics; null when no service here runs ticks. */
  readonly tickLagSeconds: number | null;
  readonly wallSeconds: number;
}

export interface DashboardSeries {
  /** First tick of each point; each value is the mean over the point's ticks. */
  readonly ticks: number[];
  readonly complianceRate: (number | null)[];
  readonly batteryMeanPercent: number[];
  readonly eventsPerTick: number[];
  readonly handsetsOnline: number[];
  readonly guest: Readonly<Record<GuestState, number[]>>;
  /** Business items into the personal persona per tick, by flow (the data-leak ledger's KPIs). */
  readonly leaks: Readonly<Record<LeakFlow, number[]>>;
}

export interface BatteryBand {
  readonly name: 'empty' | 'low' | 'ok';
  readonly label: string;
  /** Share of the fleet (0..1) per point. */
  readonly share: number[];
}

export interface Breakdown {
  readonly dimension: BreakdownDimension;
  readonly columns: readonly { readonly eventKind: string; readonly label: string }[];
  readonly rows: { readonly value: string; readonly handsets: number; readonly counts: number[] }[];
}

/** Gauges of the fleet now, from this process's metrics: present while the run is in progress and a hypervisor or persona runtime runs in this process. */
export interface LivePanels {
  /** Handsets per battery band (upper bound as a ratio 0..1), after their last tick. */
  readonly batteryLevels: { readonly atMost: number; readonly handsets: number }[];
  readonly nonCompliant: { readonly reason: string; readonly handsets: number }[];
}

export interface Panels {
  readonly run: DashboardRun;
  readonly range: { readonly fromTick: number; readonly toTick: number; readonly step: number };
  readonly stats: DashboardStats;
  readonly series: DashboardSeries;
  readonly battery: { readonly ticks: number[]; readonly bands: BatteryBand[] };
  readonly breakdown: Breakdown;
  readonly live?: LivePanels;
  /** Once COMPLETED: the summary's KPIs (the same the CLI prints). */
  readonly summary?: RunSummary['kpis'];
}

export interface ComparedKpi {
  readonly name: string;
  readonly label: string;
  readonly unit: string;
  readonly a: number | null;
  readonly b: number | null;
  /** b − a. */
  readonly delta: number | null;
  /** (b − a) ÷ |a|; null when a is 0 or unknown. */
  readonly relative: number | null;
}

export interface Comparison {
  readonly a: DashboardRun;
  readonly b: DashboardRun;
  readonly step: number;
  readonly kpis: ComparedKpi[];
  /** Points at the same ticks for both runs (null where a run has no final tick yet). */
  readonly series: {
    readonly ticks: number[];
    readonly a: Readonly<Record<ComparedSeries, (number | null)[]>>;
    readonly b: Readonly<Record<ComparedSeries, (number | null)[]>>;
  };
}

type GuestState = 'provisioning' | 'running' | 'suspended' | 'locked' | 'wiped';
type LeakFlow = 'copy' | 'share' | 'contacts' | 'screenshots';

const LEAK_KPIS: readonly [LeakFlow, 'leaksCopyWorkToPersonal' | 'leaksShareWorkToPersonal' | 'leaksWorkContactLookup' | 'leaksScreenCaptureWorkToPersonal'][] =
  [
    ['copy', 'leaksCopyWorkToPersonal'],
    ['share', 'leaksShareWorkToPersonal'],
    ['contacts', 'leaksWorkContactLookup'],
    ['screenshots', 'leaksScreenCaptureWorkToPersonal'],
  ];
type ComparedSeries = 'complianceRate' | 'batteryMeanPercent' | 'eventsPerTick';

const GUEST_KPIS: readonly [GuestState, 'guestProvisioning' | 'guestRunning' | 'guestSuspended' | 'guestLocked' | 'guestWiped'][] = [
  ['provisioning', 'guestProvisioning'],
  ['running', 'guestRunning'],
  ['suspended', 'guestSuspended'],
  ['locked', 'guestLocked'],
  ['wiped', 'guestWiped'],
];

// The breakdown table's columns: event kinds counted per region, group and model.
const BREAKDOWN_COLUMNS: readonly [number, string, string][] = [
  [EventKind.SESSION_STARTED, 'SESSION_STARTED', 'Sessions'],
  [EventKind.SESSION_DEGRADED, 'SESSION_DEGRADED', 'Degraded'],
  [EventKind.SESSION_BLOCKED_BY_POLICY, 'SESSION_BLOCKED_BY_POLICY', 'Blocked by policy'],
  [EventKind.CROSS_PERSONA_FLOW, 'CROSS_PERSONA_FLOW', 'Cross-persona flows'],
  [EventKind.COMPLIANCE_CHANGED, 'COMPLIANCE_CHANGED', 'Compliance changes'],
  [EventKind.ENFORCEMENT_ACTION, 'ENFORCEMENT_ACTION', 'Enforcement actions'],
  [EventKind.BATTERY_EMPTY, 'BATTERY_EMPTY', 'Battery empty'],
];

const BATTERY_LOW_PERCENT = 15; // sim-core BATTERY_LOW_PERMILLE (150 ‰), the KPI batteryLow's threshold
const FLEET_CACHE_SIZE = 8; // runs whose per-value handset counts are kept
const MAX_TICKS_PER_QUERY = 2 ** 31 - 1;

/** Builds the dashboard's panels from what telemetry stores (and, for the fleet now, its process metrics). */
@Injectable()
export class DashboardService {
  private readonly fleetCounts = new Map<string, Readonly<Record<BreakdownDimension, Map<string, number>>>>();

  constructor(
    @Inject(RunsRepository) private readonly runs: RunsRepository,
    @Inject(TickKpisRepository) private readonly tickKpis: TickKpisRepository,
    @Inject(DashboardRepository) private readonly dashboard: DashboardRepository,
    @Inject(Metrics) private readonly metrics: Metrics,
  ) {}

  async listRuns(query: RunsQuery): Promise<{ runs: DashboardRun[] }> {
    return { runs: (await this.runs.list({ limit: query.limit })).map(toDashboardRun) };
  }

  /** The run, or RunNotFoundError. */
  findRun(runId: string): Promise<RunRow> {
    checkRunId(runId);
    return this.runs.get(runId);
  }

  async panels(query: PanelsQuery): Promise<Panels> {
    const row = await this.findRun(query.runId);
    const toTick = Math.min(query.toTick ?? MAX_TICKS_PER_QUERY, row.ticksCompleted - 1);
    const step = stepFor(query.step, Math.max(0, toTick - query.fromTick + 1));
    const [buckets, last, totals, breakdown, live, tickLag] = await Promise.all([
      toTick >= query.fromTick ? this.dashboard.buckets(row.runId, query.fromTick, toTick, step) : Promise.resolve([]),
      this.dashboard.lastTick(row.runId, toTick),
      this.tickKpis.totals(row.runId),
      this.breakdown(row, query.breakdown, query.fromTick, toTick),
      row.phase === 'STARTED' ? this.livePanels() : Promise.resolve(undefined),
      row.phase === 'STARTED' ? this.tickLagSeconds() : Promise.resolve(null),
    ]);
    const wallSeconds = ((row.finishedAt ?? new Date()).getTime() - row.startedAt.getTime()) / 1000;
    const series = toSeries(buckets, row.handsets);
    return {
      run: toDashboardRun(row),
      range: { fromTick: query.fromTick, toTick, step },
      stats: {
        ticksCompleted: row.ticksCompleted,
        ticks: row.ticks,
        handsets: row.handsets,
        handsetsOnline: last?.kpis.handsetsOnline ?? null,
        complianceRate: last === undefined ? null : complianceRate(last.kpis.compliant, last.kpis.enrolled),
        batteryMeanPercent: last === undefined ? null : batteryMeanPercent(last.kpis.batteryPermilleSum, row.handsets),
        eventsPerSecond: wallSeconds > 0 ? totals.events / wallSeconds : null,
        tickLagSeconds: tickLag,
        wallSeconds,
      },
      series,
      battery: {
        ticks: series.ticks,
        bands: [
          { name: 'empty', label: 'Off (battery empty)', share: buckets.map((bucket) => bucket.means.batteryEmpty / row.handsets) },
          { name: 'low', label: `Below ${BATTERY_LOW_PERCENT} %`, share: buckets.map((bucket) => bucket.means.batteryLow / row.handsets) },
          {
            name: 'ok',
            label: `${BATTERY_LOW_PERCENT} % or more`,
            share: buckets.map((bucket) => (bucket.means.handsetsOnline - bucket.means.batteryLow) / row.handsets),
          },
        ],
      },
      breakdown,
      live,
      summary: row.summary?.kpis,
    };
  }

  async compare(query: CompareQuery): Promise<Comparison> {
    const [a, b] = await Promise.all([this.findRun(query.a), this.findRun(query.b)]);
    const step = stepFor(query.step, Math.max(a.ticksCompleted, b.ticksCompleted));
    const [sideA, sideB] = await Promise.all([this.side(a, step), this.side(b, step)]);
    const ticks = [...new Set([...sideA.buckets.map((bucket) => bucket.tick), ...sideB.buckets.map((bucket) => bucket.tick)])].sort((x, y) => x - y);
    return {
      a: toDashboardRun(a),
      b: toDashboardRun(b),
      step,
      kpis: compareKpis(sideA, sideB),
      series: { ticks, a: alignedSeries(sideA, ticks), b: alignedSeries(sideB, ticks) },
    };
  }

  private async side(row: RunRow, step: number): Promise<RunSide> {
    const toTick = row.ticksCompleted - 1;
    const [buckets, last, totals] = await Promise.all([
      toTick >= 0 ? this.dashboard.buckets(row.runId, 0, toTick, step) : Promise.resolve([]),
      this.dashboard.lastTick(row.runId, Math.max(toTick, 0)),
      this.tickKpis.totals(row.runId),
    ]);
    return { row, buckets, last, totals };
  }

  private async breakdown(row: RunRow, dimension: BreakdownDimension, fromTick: number, toTick: number): Promise<Breakdown> {
    const counts =
      toTick >= fromTick
        ? await this.dashboard.breakdown(
            row.runId,
            dimension,
            BREAKDOWN_COLUMNS.map(([kind]) => kind),
            fromTick,
            toTick,
          )
        : [];
    const handsets = this.handsetsPerValue(row)?.[dimension] ?? new Map<string, number>();
    const byValue = new Map<string, number[]>([...handsets.keys()].map((value) => [value, BREAKDOWN_COLUMNS.map(() => 0)]));
    for (const count of counts) {
      let row = byValue.get(count.value);
      if (row === undefined) byValue.set(count.value, (row = BREAKDOWN_COLUMNS.map(() => 0)));
      row[BREAKDOWN_COLUMNS.findIndex(([kind]) => kind === count.eventKind)] = count.count;
    }
    return {
      dimension,
      columns: BREAKDOWN_COLUMNS.map(([, eventKind, label]) => ({ eventKind, label })),
      rows: [...byValue.entries()]
        .map(([value, values]) => ({ value, handsets: handsets.get(value) ?? 0, counts: values }))
        .sort((x, y) => y.handsets - x.handsets || x.value.localeCompare(y.value)),
    };
  }

  /** Handsets per region, group and model, derived from the run's config (the fleet is a function of the seed). */
  private handsetsPerValue(row: RunRow): Readonly<Record<BreakdownDimension, Map<string, number>>> | undefined {
    const cached = this.fleetCounts.get(row.runId);
    if (cached !== undefined || row.config === undefined) return cached;
    let fleet: FleetDimensions;
    try {
      fleet = FleetDimensions.fromConfig(row.config as SimulationConfig);
    } catch {
      return undefined; // a run whose config is not valid (FAILED at start) has no fleet
    }
    const counts = { region: new Map<string, number>(), group: new Map<string, number>(), model: new Map<string, number>() };
    const add = (map: Map<string, number>, value: string) => map.set(value, (map.get(value) ?? 0) + 1);
    for (let id = 0; id < fleet.handsets; id++) {
      add(counts.region, fleet.regionOf(id));
      add(counts.group, fleet.groupOf(id));
      add(counts.model, fleet.modelOf(id));
    }
    this.fleetCounts.set(row.runId, counts);
    while (this.fleetCounts.size > FLEET_CACHE_SIZE) this.fleetCounts.delete(this.fleetCounts.keys().next().value!);
    return counts;
  }

  private async livePanels(): Promise<LivePanels | undefined> {
    const [battery, compliance] = await Promise.all([this.metrics.batteryLevels.get(), this.metrics.nonCompliant.get()]);
    if (battery.values.length === 0 && compliance.values.length === 0) return undefined;
    // duet_handsets_battery_level is cumulative (at most x); the panel wants handsets per band.
    const cumulative = battery.values.map((sample) => ({ atMost: Number(sample.labels.at_most), handsets: sample.value })).sort((x, y) => x.atMost - y.atMost);
    return {
      batteryLevels: cumulative.map((band, i) => ({ atMost: band.atMost, handsets: band.handsets - (i === 0 ? 0 : cumulative[i - 1].handsets) })),
      nonCompliant: compliance.values
        .map((sample) => ({ reason: String(sample.labels.reason), handsets: sample.value }))
        .sort((x, y) => y.handsets - x.handsets),
    };
  }

  private async tickLagSeconds(): Promise<number | null> {
    const lag = await this.metrics.tickLag.get();
    return lag.values.length === 0 ? null : Math.max(...lag.values.map((sample) => sample.value));
  }
}

interface RunSide {
  readonly row: RunRow;
  readonly buckets: TickBucket[];
  readonly last: StoredTick | undefined;
  readonly totals: Readonly<Record<KpiName, number>>;
}

export function toDashboardRun(row: RunRow): DashboardRun {
  return {
    ...runIdentityOf(row),
    startSecondOfDay: 60 * ((row.config as Partial<SimulationConfig> | undefined)?.startMinuteOfDay ?? 0),
    phase: row.phase,
    ticksCompleted: row.ticksCompleted,
    digest: row.digest,
    failure: row.failure,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
  };
}

function complianceRate(compliant: number, enrolled: number): number | null {
  return enrolled === 0 ? null : compliant / enrolled;
}

function batteryMeanPercent(permilleSum: number, handsets: number): number {
  return permilleSum / handsets / 10;
}

function toSeries(buckets: readonly TickBucket[], handsets: number): DashboardSeries {
  return {
    ticks: buckets.map((bucket) => bucket.tick),
    complianceRate: buckets.map((bucket) => complianceRate(bucket.means.compliant, bucket.means.enrolled)),
    batteryMeanPercent: buckets.map((bucket) => batteryMeanPercent(bucket.means.batteryPermilleSum, handsets)),
    eventsPerTick: buckets.map((bucket) => bucket.means.events),
    handsetsOnline: buckets.map((bucket) => bucket.means.handsetsOnline),
    guest: Object.fromEntries(GUEST_KPIS.map(([state, kpi]) => [state, buckets.map((bucket) => bucket.means[kpi])])) as Record<GuestState, number[]>,
    leaks: Object.fromEntries(LEAK_KPIS.map(([flow, kpi]) => [flow, buckets.map((bucket) => bucket.means[kpi])])) as Record<LeakFlow, number[]>,
  };
}

function alignedSeries(side: RunSide, ticks: readonly number[]): Record<ComparedSeries, (number | null)[]> {
  const series = toSeries(side.buckets, side.row.handsets);
  const at = new Map(series.ticks.map((tick, i) => [tick, i]));
  const pick = (values: readonly (number | null)[]) => ticks.map((tick) => (at.has(tick) ? values[at.get(tick)!] : null));
  return { complianceRate: pick(series.complianceRate), batteryMeanPercent: pick(series.batteryMeanPercent), eventsPerTick: pick(series.eventsPerTick) };
}

// The KPIs a comparison shows: gauges at each run's last final tick, counters summed over its final ticks.
const COMPARED_KPIS: readonly { name: string; label: string; unit: string; read: (side: RunSide) => number | null }[] = [
  { name: 'ticksCompleted', label: 'Ticks completed', unit: 'ticks', read: (side) => side.row.ticksCompleted },
  { name: 'handsets', label: 'Handsets', unit: 'handsets', read: (side) => side.row.handsets },
  {
    name: 'complianceRate',
    label: 'Compliance rate',
    unit: 'ratio',
    read: (side) => (side.last === undefined ? null : complianceRate(side.last.kpis.compliant, side.last.kpis.enrolled)),
  },
  { name: 'enrolled', label: 'Enrolled', unit: 'handsets', read: (side) => side.last?.kpis.enrolled ?? null },
  {
    name: 'batteryMeanPercent',
    label: 'Battery mean',
    unit: '%',
    read: (side) => (side.last === undefined ? null : batteryMeanPercent(side.last.kpis.batteryPermilleSum, side.row.handsets)),
  },
  { name: 'handsetsOnline', label: 'Handsets online', unit: 'handsets', read: (side) => side.last?.kpis.handsetsOnline ?? null },
  { name: 'guestRunning', label: 'Business world running', unit: 'handsets', read: (side) => side.last?.kpis.guestRunning ?? null },
  { name: 'sessions', label: 'Sessions', unit: 'sessions', read: (side) => side.totals.sessionsStarted },
  {
    name: 'degradedSessionRate',
    label: 'Degraded sessions',
    unit: 'ratio',
    read: (side) => (side.totals.sessionsStarted === 0 ? null : side.totals.sessionsDegraded / side.totals.sessionsStarted),
  },
  { name: 'blockedSessions', label: 'Sessions blocked by policy', unit: 'sessions', read: (side) => side.totals.sessionsBlocked },
  { name: 'flowsBlocked', label: 'Cross-persona flows blocked', unit: 'flows', read: (side) => side.totals.flowsBlocked },
  { name: 'checkIns', label: 'Check-ins', unit: 'check-ins', read: (side) => side.totals.checkIns },
  { name: 'checkInsUnreachable', label: 'Check-ins failed (each backs off)', unit: 'check-ins', read: (side) => side.totals.checkInsUnreachable },
  { name: 'enrollmentFailures', label: 'Enrollments failed (each backs off)', unit: 'enrollments', read: (side) => side.totals.enrollmentFailures },
  { name: 'enforcementActions', label: 'Enforcement actions', unit: 'actions', read: (side) => side.totals.enforcementActions },
  { name: 'events', label: 'Events', unit: 'events', read: (side) => side.totals.events },
];

function compareKpis(a: RunSide, b: RunSide): ComparedKpi[] {
  return COMPARED_KPIS.map(({ name, label, unit, read }) => {
    const valueA = read(a);
    const valueB = read(b);
    const delta = valueA === null || valueB === null ? null : valueB - valueA;
    return { name, label, unit, a: valueA, b: valueB, delta, relative: delta === null || valueA === 0 ? null : delta / Math.abs(valueA!) };
  });
}
