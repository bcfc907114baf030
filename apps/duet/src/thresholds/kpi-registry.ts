// The one list of KPIs a scenario can put thresholds on, that reports print and that `duet compare`
// lines up: each with its unit, what it means, and where its value comes from. Names are
// snake_case, k6-style, as users write them in scenario files.
import type { RunSummary } from '@duet/sim-core';

/**
 * What a value is measured in. `%` in a threshold bound means: ×0.01 for a ratio, the value itself
 * for a percent, and a share of the fleet for a number of handsets; other units take no `%`.
 */
export type KpiUnit = 'ratio' | 'percent' | 'handsets' | 'count' | 'minutes' | 'per-minute' | 'milliseconds' | 'mAh' | 'MB';

/** Figures only the per-tick measurement of a run has (report/run-measurement.ts computes them). */
export interface SeriesFigures {
  /** Lowest compliant/enrolled over the ticks after the enrollment window; null when nobody was enrolled then. */
  readonly complianceRateMin: number | null;
  readonly handsetsOnlineMin: number;
  readonly batteryLowHandsetsMax: number;
  readonly checkInsPeakPerMinute: number;
  /** Most agents waiting out a backoff after a failed enrollment or check-in, at any tick. */
  readonly agentsBackingOffMax: number;
  /** The scenario's last policy push; undefined when it has no policy. */
  readonly rollout?: {
    readonly appliedRate: number;
    /** Minutes from the push until the share of target handsets that applied it reached p %; null if never. */
    readonly minutesToShare: Readonly<Record<'p50' | 'p90' | 'p95' | 'p99', number | null>>;
  };
  /** Longest recovery over the scenario's outages; undefined when it has none, null when one never recovered. */
  readonly outageRecoveryMinutes?: number | null;
}

/**
 * Figures of a load test: the policy authority's answers to the business agents, measured in the
 * process that runs them (the embedded target; docs/decisions/0007-load-testing.md). Wall time.
 */
export interface LoadFigures {
  /** Check-in latency (CheckIn per handset, else CheckInBatch), from the intended send time in a real-time run, in wall milliseconds. */
  readonly checkInLatency: { readonly p50Ms: number; readonly p95Ms: number; readonly p99Ms: number };
  /** Failed policy calls (retries included) over all calls. */
  readonly rpcErrorRate: number;
  /** Answers of the server that differ from the reference model's. */
  readonly divergences: number;
}

export interface KpiInputs {
  readonly summary: RunSummary;
  /** Absent for a run known only by its summary (e.g. read back from telemetry): series KPIs are then null. */
  readonly series?: SeriesFigures;
  /** Absent where the run's policy calls were not measured (the core, the local stack): load KPIs are then left out. */
  readonly load?: LoadFigures;
}

export interface KpiDefinition {
  readonly name: string;
  readonly unit: KpiUnit;
  readonly description: string;
  /**
   * `summary`: any run's summary has it; `series`: needs the run's per-tick measurement; `load`: wall
   * time figures of the policy calls, only on the embedded target (the agents run in the CLI's process).
   */
  readonly source: 'summary' | 'series' | 'load';
  /** What the scenario must contain for the KPI to exist. */
  readonly requires?: 'policy' | 'outage';
  value(inputs: KpiInputs): number | null;
}

const fromSummary = (name: string, unit: KpiUnit, description: string, value: (summary: RunSummary) => number): KpiDefinition => ({
  name,
  unit,
  description,
  source: 'summary',
  value: (inputs) => value(inputs.summary),
});

const fromSeries = (
  name: string,
  unit: KpiUnit,
  description: string,
  value: (series: SeriesFigures) => number | null | undefined,
  requires?: KpiDefinition['requires'],
): KpiDefinition => ({
  name,
  unit,
  description,
  source: 'series',
  requires,
  value: (inputs) => (inputs.series === undefined ? null : (value(inputs.series) ?? null)),
});

const fromLoad = (name: string, unit: KpiUnit, description: string, value: (load: LoadFigures) => number): KpiDefinition => ({
  name,
  unit,
  description,
  source: 'load',
  value: (inputs) => (inputs.load === undefined ? null : value(inputs.load)),
});

const rolloutShare = (percentile: 'p50' | 'p90' | 'p95' | 'p99') =>
  fromSeries(
    `rollout_${percentile}_minutes`,
    'minutes',
    `Simulated minutes from the last policy push until ${percentile.slice(1)} % of the handsets it targets applied it (null: never)`,
    (series) => series.rollout?.minutesToShare[percentile],
    'policy',
  );

/** A per-persona or ledger KPI: null for a summary recorded before they were measured (an older run in telemetry). */
const fromCost = (name: string, unit: KpiUnit, description: string, value: (summary: RunSummary) => number | undefined): KpiDefinition => ({
  name,
  unit,
  description,
  source: 'summary',
  value: (inputs) => (inputs.summary.cost === undefined ? null : (value(inputs.summary) ?? null)),
});
const milli = (micro: number): number => Math.round(micro / 10) / 100;
const mega = (kilo: number): number => Math.round(kilo / 10) / 100;

export const KPI_REGISTRY: readonly KpiDefinition[] = [
  fromSummary('compliance_rate', 'ratio', 'Share of enrolled handsets compliant with their applied policy at the end of the run', (s) => s.kpis.complianceRate),
  fromSummary('enrolled_handsets', 'handsets', 'Handsets whose business agent is enrolled at the end of the run', (s) => s.kpis.enrolled),
  fromSummary('battery_mean_percent', 'percent', 'Mean battery charge over the fleet at the end of the run', (s) => s.kpis.batteryMeanPercent),
  fromSummary('battery_empty_handsets', 'handsets', 'Handsets whose battery ran flat at least once during the run', (s) => s.kpis.batteryEmptyHandsets),
  fromSummary('guest_running_handsets', 'handsets', 'Handsets whose business world is running at the end of the run', (s) => s.kpis.guestRunning),
  fromSummary('sessions', 'count', 'App sessions started in both personas over the run', (s) => s.kpis.sessions),
  fromSummary('degraded_session_rate', 'ratio', 'Share of sessions degraded by a CPU or memory grant below their demand', (s) => s.kpis.degradedSessionRate),
  fromSummary('blocked_sessions', 'count', 'Business sessions blocked by policy (app denied, world suspended or locked)', (s) => s.kpis.blockedSessions),
  fromSummary('flows_allowed', 'count', 'Cross-persona flows the hypervisor allowed', (s) => s.kpis.flowsAllowed),
  fromSummary('flows_blocked', 'count', 'Cross-persona flows the hypervisor blocked', (s) => s.kpis.flowsBlocked),
  fromSummary(
    'business_items_in_personal',
    'count',
    'Business items that reached the personal persona through allowed flows',
    (s) => s.kpis.businessItemsInPersonal,
  ),
  // Per-persona cost (sim-core model/persona-cost.ts): what each world caused.
  fromCost('energy_personal_mah', 'mAh', 'Battery drain the personal (host) world caused over the run, summed over the fleet', (s) =>
    milli(s.cost.personal.energyMicroAh),
  ),
  fromCost(
    'energy_business_mah',
    'mAh',
    'Battery drain the business (guest) world caused over the run: its CPU and world switches, wake lock, screen time, radio share and VPN',
    (s) => milli(s.cost.business.energyMicroAh),
  ),
  fromCost('energy_business_share', 'ratio', 'Share of the fleet’s battery drain the business world caused', (s) => {
    const total = s.cost.personal.energyMicroAh + s.cost.business.energyMicroAh;
    return total === 0 ? 0 : Math.round((s.cost.business.energyMicroAh / total) * 1e4) / 1e4;
  }),
  fromCost('data_personal_mb', 'MB', 'Radio traffic of the personal world over the run', (s) => mega(s.cost.personal.dataKilobytes)),
  fromCost('data_business_mb', 'MB', 'Radio traffic of the business world over the run (VPN overhead included)', (s) => mega(s.cost.business.dataKilobytes)),
  fromCost('data_billed_to_host_mb', 'MB', 'Radio traffic as the platform billed it to the host: its own and the guest’s, counted against the MVP app', (s) =>
    mega(s.cost.dataBilledToHostKilobytes),
  ),
  fromCost(
    'degraded_sessions_personal',
    'count',
    'Personal sessions degraded by a CPU or memory grant below their demand',
    (s) => s.cost.personal.degradedSessions,
  ),
  fromCost(
    'degraded_sessions_business',
    'count',
    'Business sessions degraded by a CPU or memory grant below their demand',
    (s) => s.cost.business.degradedSessions,
  ),
  // The data-leak ledger by flow (sim-core model/leak-ledger.ts).
  fromCost(
    'leaks_copy_work_to_personal',
    'count',
    'Business items copied into the personal world (crossProfileCopyPaste)',
    (s) => s.totals.leaksCopyWorkToPersonal,
  ),
  fromCost(
    'leaks_share_work_to_personal',
    'count',
    'Business items shared into the personal world (crossProfileDataSharing)',
    (s) => s.totals.leaksShareWorkToPersonal,
  ),
  fromCost(
    'leaks_work_contact_lookup',
    'count',
    'Work contacts looked up from the personal world (showWorkContactsInPersonalProfile)',
    (s) => s.totals.leaksWorkContactLookup,
  ),
  fromCost(
    'leaks_screen_capture_work_to_personal',
    'count',
    'Screenshots of business apps that landed on the personal side (screenCaptureDisabled)',
    (s) => s.totals.leaksScreenCaptureWorkToPersonal,
  ),
  fromSummary('check_ins', 'count', 'Check-ins the business agents attempted', (s) => s.kpis.checkIns),
  fromSummary('check_ins_unreachable', 'count', 'Check-ins that could not reach the policy authority (outages)', (s) => s.totals.checkInsUnreachable),
  fromSummary('check_in_unreachable_rate', 'ratio', 'Share of check-ins that could not reach the policy authority', (s) =>
    s.kpis.checkIns === 0 ? 0 : Math.round((s.totals.checkInsUnreachable / s.kpis.checkIns) * 1e4) / 1e4,
  ),
  fromSummary(
    'enrollment_failures',
    'count',
    'Enrollments refused or out of reach of the policy authority; each is retried after a backoff',
    (s) => s.totals.enrollmentFailures,
  ),
  fromSummary('policies_applied', 'count', 'Policy versions applied by agents (enrollment included)', (s) => s.kpis.policiesApplied),
  fromSummary('enforcement_actions', 'count', 'Changes of enforcement (warn, suspend, wipe the business world, and back)', (s) => s.kpis.enforcementActions),
  fromSummary('commands_executed', 'count', 'Remote commands the hypervisor executed', (s) => s.kpis.commandsExecuted),
  fromSummary('events', 'count', 'Domain events emitted over the run', (s) => s.totals.events),
  fromSeries('compliance_rate_min', 'ratio', 'Lowest fleet compliance rate at any tick after the enrollment window', (s) => s.complianceRateMin),
  fromSeries('handsets_online_min', 'handsets', 'Fewest handsets powered on at any tick', (s) => s.handsetsOnlineMin),
  fromSeries('battery_low_handsets_max', 'handsets', 'Most powered handsets below 15 % battery at any tick', (s) => s.batteryLowHandsetsMax),
  fromSeries(
    'check_ins_peak_per_minute',
    'per-minute',
    'Highest check-in rate the policy authority sees, per simulated minute',
    (s) => s.checkInsPeakPerMinute,
  ),
  fromSeries(
    'agents_backing_off_max',
    'handsets',
    'Most agents waiting out a backoff (their last enrollment or check-in failed) at any tick',
    (s) => s.agentsBackingOffMax,
  ),
  fromSeries(
    'rollout_applied_rate',
    'ratio',
    'Share of the handsets the last policy push targets that applied it by the end',
    (s) => s.rollout?.appliedRate,
    'policy',
  ),
  rolloutShare('p50'),
  rolloutShare('p90'),
  rolloutShare('p95'),
  rolloutShare('p99'),
  fromSeries(
    'outage_recovery_minutes',
    'minutes',
    'Simulated minutes after a region outage ends until 99 % of the region’s enrolled handsets checked in again; the longest over outages (null: never)',
    (s) => s.outageRecoveryMinutes,
    'outage',
  ),
  fromLoad(
    'checkin_latency_p50_ms',
    'milliseconds',
    'Median check-in latency the policy authority gave the agents (CheckIn with per-handset traffic, else CheckInBatch: one batch per shard and tick), wall time from the intended send time in a real-time run',
    (load) => load.checkInLatency.p50Ms,
  ),
  fromLoad(
    'checkin_latency_p95_ms',
    'milliseconds',
    '95th percentile check-in latency, wall time (as checkin_latency_p50_ms)',
    (load) => load.checkInLatency.p95Ms,
  ),
  fromLoad(
    'checkin_latency_p99_ms',
    'milliseconds',
    '99th percentile check-in latency, wall time (as checkin_latency_p50_ms)',
    (load) => load.checkInLatency.p99Ms,
  ),
  fromLoad('rpc_error_rate', 'ratio', 'Share of policy calls (Enroll, CheckIn or their batches, retries included) that failed', (load) => load.rpcErrorRate),
  fromLoad(
    'divergences',
    'count',
    'Answers of the policy authority that differ from the reference model (another revision, a command the scenario did not schedule, a refusal): == 0 tests a server for conformance',
    (load) => load.divergences,
  ),
];

export const KPI_BY_NAME: ReadonlyMap<string, KpiDefinition> = new Map(KPI_REGISTRY.map((kpi) => [kpi.name, kpi]));
export const KPI_REGISTRY_NAMES = KPI_REGISTRY.map((kpi) => kpi.name) as [string, ...string[]];

/** Every registry KPI's value for one run, in registry order; load KPIs only when the run's policy calls were measured. */
export function kpiValues(inputs: KpiInputs): Record<string, number | null> {
  return Object.fromEntries(KPI_REGISTRY.filter((kpi) => kpi.source !== 'load' || inputs.load !== undefined).map((kpi) => [kpi.name, kpi.value(inputs)]));
}
