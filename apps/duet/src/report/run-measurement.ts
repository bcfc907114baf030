// A run measured for reports and thresholds: the pure core stepped tick by tick (its digest equals
// the services', tests/e2e/embedded-run.spec.ts), with the per-tick fleet KPIs, per model / region /
// group series and final breakdowns, the last policy push's propagation and each outage's recovery.
//
// Why the core and not telemetry's stored series: it is deterministic, needs no running stack, and
// sees every handset's state each tick (telemetry keeps fleet KPIs and event counts, not per-region
// compliance or who applied which policy when). `duet run` on a service target checks that the
// core's digest equals the one telemetry recorded before it reports anything from the core.
// Measurement stays apart from behaviour (conventions.md principle 7): it reads state after each tick and
// subscribes to the events; it changes nothing.
import {
  CATALOGUE,
  EventKind,
  GuestState,
  KPI_NAMES,
  NON_COMPLIANCE_REASON_NAMES,
  Simulation,
  type EventBuffer,
  type EventSink,
  type KpiName,
  type RunSummary,
  type SimulationConfig,
  type TickKpis,
} from '@duet/sim-core';
import type { CheckpointState } from '@duet/service-kit';
import { columnOf, numberOf, seriesOf, simulationSnapshot, simulationState, type CheckpointSink, type ResumePoint } from '../fork/run-checkpoint';
import type { SeriesFigures } from '../thresholds/kpi-registry';

export const DIMENSIONS = ['model', 'region', 'group'] as const;
export type Dimension = (typeof DIMENSIONS)[number];

/** Per tick, per value of a dimension; check-ins per region only (the measure that outages move). */
export const DIMENSION_MEASURES = ['enrolled', 'compliant', 'online', 'batteryPermilleSum', 'checkIns', 'checkInsUnreachable'] as const;
export type DimensionMeasure = (typeof DIMENSION_MEASURES)[number];
const MEASURES_OF: Record<Dimension, readonly DimensionMeasure[]> = {
  model: ['enrolled', 'compliant', 'online', 'batteryPermilleSum'],
  region: DIMENSION_MEASURES,
  group: ['enrolled', 'compliant', 'online', 'batteryPermilleSum'],
};

/** One value of a dimension (a model, a region, a group) at the end of the run. */
export interface BreakdownRow {
  readonly value: string;
  readonly handsets: number;
  readonly enrolled: number;
  readonly compliant: number;
  /** compliant / enrolled, 4 digits; 0 when none enrolled. */
  readonly complianceRate: number;
  readonly batteryMeanPercent: number;
  /** Handsets that ran flat at least once. */
  readonly batteryEmptyHandsets: number;
  readonly online: number;
  readonly guestRunning: number;
  readonly sessions: number;
  readonly degradedSessions: number;
  readonly blockedSessions: number;
  /** Check-ins attempted. */
  readonly checkIns: number;
  /** Enrolled handsets per non-compliance reason (a handset may have several). */
  readonly nonCompliance: Readonly<Record<string, number>>;
}

export interface RolloutMeasurement {
  /** Name of the pushed policy document, and the scenario's policies[index] it comes from. */
  readonly policy: string;
  readonly index: number;
  readonly tick: number;
  /** Group names; undefined = every group. */
  readonly groups?: readonly string[];
  readonly targetHandsets: number;
  readonly appliedHandsets: number;
  /** Target handsets that had applied it by the end of each tick from `tick` on. */
  readonly appliedByTick: number[];
}

export interface OutageMeasurement {
  readonly region: string;
  readonly fromTick: number;
  /** Exclusive. */
  readonly toTick: number;
  /** Handsets of the region enrolled when the outage ended. */
  readonly enrolledAtEnd: number;
  /** First tick by whose end 99 % of them had checked in successfully again; null if never within the run. */
  readonly recoveredTick: number | null;
  readonly recoveryMinutes: number | null;
}

export interface RunMeasurement {
  readonly summary: RunSummary;
  readonly tickSeconds: number;
  readonly startMinuteOfDay: number;
  /** KPI name → value per tick (index = tick), the same vectors the digest hashes. */
  readonly series: Readonly<Record<KpiName, number[]>>;
  /** Dimension → value → measure → per tick. */
  readonly dimensionSeries: Readonly<Record<Dimension, Readonly<Record<string, Readonly<Partial<Record<DimensionMeasure, number[]>>>>>>>;
  readonly breakdowns: Readonly<Record<Dimension, readonly BreakdownRow[]>>;
  readonly rollout?: RolloutMeasurement;
  readonly outages: readonly OutageMeasurement[];
  readonly figures: SeriesFigures;
}

const RECOVERED_SHARE = 0.99; // of a region's enrolled handsets checked in again after its outage
const ROLLOUT_SHARES = { p50: 0.5, p90: 0.9, p95: 0.95, p99: 0.99 } as const;

/** Checkpoints of a measured run, and where it continues from when it is a fork. */
export interface MeasureOptions {
  readonly checkpoints?: CheckpointSink;
  /** A checkpoint of an earlier run whose config equals this one up to its tick (fork/scenario-prefix.ts). */
  readonly resume?: ResumePoint;
}

/**
 * Runs `config` on the pure core and measures it; `onTick` sees each tick's fleet KPIs (progress).
 * From a resume point, the run starts from its state: the ticks before it are the earlier run's.
 */
export function measureRun(config: SimulationConfig, onTick?: (kpis: TickKpis) => void, options: MeasureOptions = {}): RunMeasurement {
  const events = new EventCounters();
  const simulation = new Simulation(config, { sinks: [events] });
  const handsets = simulation.fleet.handsets;
  const tickSeconds = simulation.clock.tickSeconds;
  const minutesPerTick = tickSeconds / 60;

  // Fleet-wide lookups by handset id, and the names of each dimension's values.
  const codes: Record<Dimension, Uint8Array> = { model: new Uint8Array(handsets), region: new Uint8Array(handsets), group: new Uint8Array(handsets) };
  for (const shard of simulation.shards) {
    const { ids, model, region, group } = shard.fleet;
    for (let i = 0; i < ids.length; i++) {
      codes.model[ids[i]] = model[i];
      codes.region[ids[i]] = region[i];
      codes.group[ids[i]] = group[i];
    }
  }
  const names: Record<Dimension, readonly string[]> = {
    model: CATALOGUE.map((model) => model.name),
    region: simulation.fleet.regionNames,
    group: simulation.fleet.groupNames,
  };
  events.attach(codes.region, names.region.length, handsets);
  const perTick = Object.fromEntries(DIMENSIONS.map((dimension) => [dimension, new DimensionTick(names[dimension].length)])) as Record<
    Dimension,
    DimensionTick
  >;

  const rollout = RolloutTracker.of(simulation, handsets);
  const outages = (config.outages ?? []).map(
    (outage) => new OutageTracker(outage.region, simulation.fleet.regionNames.indexOf(outage.region), outage.fromTick, outage.toTick),
  );

  const series = Object.fromEntries(KPI_NAMES.map((name) => [name, [] as number[]])) as Record<KpiName, number[]>;
  const dimensionSeries = Object.fromEntries(
    DIMENSIONS.map((dimension) => [
      dimension,
      names[dimension].map(
        () => Object.fromEntries(MEASURES_OF[dimension].map((measure) => [measure, [] as number[]])) as Partial<Record<DimensionMeasure, number[]>>,
      ),
    ]),
  ) as Record<Dimension, Partial<Record<DimensionMeasure, number[]>>[]>;

  // What a checkpoint holds besides the simulation: every accumulator of the measurement.
  const measurementParts = (state: CheckpointState, ticks: number) => {
    KPI_NAMES.forEach((name) => (state[`series.${name}`] = Float64Array.from(series[name])));
    for (const dimension of DIMENSIONS)
      dimensionSeries[dimension].forEach((measures, value) => {
        for (const [measure, values] of Object.entries(measures)) state[`dimension.${dimension}.${value}.${measure}`] = Float64Array.from(values);
      });
    events.save(state);
    rollout?.save(state);
    outages.forEach((outage, i) => outage.save(state, i));
    state.measuredTicks = ticks;
  };
  if (options.resume !== undefined) {
    const { tick, state } = options.resume;
    KPI_NAMES.forEach((name) => (series[name] = seriesOf(state, `series.${name}`, tick)));
    for (const dimension of DIMENSIONS)
      dimensionSeries[dimension].forEach((measures, value) => {
        for (const measure of Object.keys(measures) as DimensionMeasure[])
          measures[measure] = seriesOf(state, `dimension.${dimension}.${value}.${measure}`, tick);
      });
    events.restore(state);
    rollout?.restore(state, tick);
    outages.forEach((outage, i) => outage.restore(state, i));
    const history = Array.from({ length: tick }, (_, t) => KPI_NAMES.map((name) => series[name][t]));
    simulation.restore(simulationSnapshot(state), history);
  }

  while (!simulation.done) {
    const kpis = simulation.step();
    const tick = kpis.tick;
    KPI_NAMES.forEach((name, k) => series[name].push(kpis.values[k]));
    for (const dimension of DIMENSIONS) perTick[dimension].clear();
    for (const shard of simulation.shards) {
      const { fleet, agent, hypervisor } = shard;
      const model = fleet.model;
      const region = fleet.region;
      const group = fleet.group;
      for (let i = 0; i < fleet.size; i++) {
        const enrolled = agent.enrolled[i];
        const compliant = enrolled === 1 && agent.complianceMask[i] === 0 ? 1 : 0;
        const online = hypervisor.powered[i] === 1 ? 1 : 0;
        const permille = hypervisor.batteryPermille(i);
        perTick.model.add(model[i], enrolled, compliant, online, permille);
        perTick.region.add(region[i], enrolled, compliant, online, permille);
        perTick.group.add(group[i], enrolled, compliant, online, permille);
      }
      rollout?.observe(shard, tick);
    }
    for (const dimension of DIMENSIONS) {
      const counts = perTick[dimension];
      dimensionSeries[dimension].forEach((measures, value) => {
        measures.enrolled!.push(counts.enrolled[value]);
        measures.compliant!.push(counts.compliant[value]);
        measures.online!.push(counts.online[value]);
        measures.batteryPermilleSum!.push(counts.batteryPermilleSum[value]);
        measures.checkIns?.push(events.checkIns[value]);
        measures.checkInsUnreachable?.push(events.unreachable[value]);
      });
    }
    rollout?.endTick(tick);
    for (const outage of outages) outage.endTick(tick, simulation, events.lastReachedTick);
    events.endTick();
    const checkpoints = options.checkpoints;
    if (checkpoints !== undefined && checkpoints.every > 0 && (tick + 1) % checkpoints.every === 0) {
      const state = simulationState(simulation.snapshot());
      measurementParts(state, tick + 1);
      checkpoints.write(tick + 1, state);
    }
    onTick?.(kpis);
  }
  const summary = simulation.summary();

  const enrollmentWindowTicks = Math.floor((simulation.fleet.enrollmentWindowMinutes * 60) / tickSeconds);
  let complianceRateMin: number | null = null;
  for (let tick = enrollmentWindowTicks; tick < series.enrolled.length; tick++) {
    if (series.enrolled[tick] === 0) continue;
    const rate = series.compliant[tick] / series.enrolled[tick];
    if (complianceRateMin === null || rate < complianceRateMin) complianceRateMin = rate;
  }
  // Values no handset has (catalogue models outside the fleet's mix) are left out.
  const present = (dimension: Dimension) =>
    Object.fromEntries(names[dimension].flatMap((name, value) => (codes[dimension].includes(value) ? [[name, dimensionSeries[dimension][value]]] : [])));
  const outageResults = outages.map((outage) => outage.result(minutesPerTick));
  const figures: SeriesFigures = {
    complianceRateMin: complianceRateMin === null ? null : round(complianceRateMin, 4),
    handsetsOnlineMin: extreme(series.handsetsOnline, Math.min),
    batteryLowHandsetsMax: extreme(series.batteryLow, Math.max),
    checkInsPeakPerMinute: round(extreme(series.checkIns, Math.max) / minutesPerTick, 2),
    agentsBackingOffMax: extreme(series.agentsBackingOff, Math.max),
    rollout: rollout?.figures(minutesPerTick),
    outageRecoveryMinutes:
      outageResults.length === 0
        ? undefined
        : outageResults.some((outage) => outage.recoveryMinutes === null)
          ? null
          : Math.max(...outageResults.map((outage) => outage.recoveryMinutes!)),
  };

  return {
    summary,
    tickSeconds,
    startMinuteOfDay: config.startMinuteOfDay ?? 0,
    series,
    dimensionSeries: { model: present('model'), region: present('region'), group: present('group') },
    breakdowns: breakdowns(simulation, names),
    rollout: rollout?.result(),
    outages: outageResults,
    figures,
  };
}

/** Counts per value of one dimension within one tick. */
class DimensionTick {
  readonly enrolled: Float64Array;
  readonly compliant: Float64Array;
  readonly online: Float64Array;
  readonly batteryPermilleSum: Float64Array;

  constructor(values: number) {
    this.enrolled = new Float64Array(values);
    this.compliant = new Float64Array(values);
    this.online = new Float64Array(values);
    this.batteryPermilleSum = new Float64Array(values);
  }

  clear(): void {
    this.enrolled.fill(0);
    this.compliant.fill(0);
    this.online.fill(0);
    this.batteryPermilleSum.fill(0);
  }

  add(value: number, enrolled: number, compliant: number, online: number, permille: number): void {
    this.enrolled[value] += enrolled;
    this.compliant[value] += compliant;
    this.online[value] += online;
    this.batteryPermilleSum[value] += permille;
  }
}

/** Subscribes to each tick's events: check-ins per region, and each handset's last check-in that reached the authority. */
class EventCounters implements EventSink {
  checkIns = new Float64Array(0);
  unreachable = new Float64Array(0);
  lastReachedTick = new Int32Array(0);
  private regionOf: Uint8Array = new Uint8Array(0);

  attach(regionOf: Uint8Array, regions: number, handsets: number): void {
    this.regionOf = regionOf;
    this.checkIns = new Float64Array(regions);
    this.unreachable = new Float64Array(regions);
    this.lastReachedTick = new Int32Array(handsets).fill(-1);
  }

  onEvents(_shard: number, events: EventBuffer): void {
    const { kind, handset, b } = events;
    for (let e = 0; e < events.length; e++) {
      if (kind[e] !== EventKind.CHECK_IN) continue;
      const region = this.regionOf[handset[e]];
      this.checkIns[region]++;
      if (b[e] === 0) this.unreachable[region]++;
      else this.lastReachedTick[handset[e]] = events.tick;
    }
  }

  endTick(): void {
    this.checkIns.fill(0);
    this.unreachable.fill(0);
  }

  save(state: CheckpointState): void {
    state['events.lastReachedTick'] = this.lastReachedTick.slice();
  }

  restore(state: CheckpointState): void {
    this.lastReachedTick.set(columnOf(state, 'events.lastReachedTick') as Int32Array);
  }
}

/** The push whose rollout a run's measurement tracks: the one with the latest tick (the later one in the file on a tie). */
export function lastPolicyPush(config: SimulationConfig): { readonly index: number; readonly tick: number } | undefined {
  const policies = config.policies ?? [];
  if (policies.length === 0) return undefined;
  let index = 0;
  policies.forEach((entry, i) => {
    if (entry.tick >= policies[index].tick) index = i;
  });
  return { index, tick: policies[index].tick };
}

/** Who applied the scenario's last policy push, and when. */
class RolloutTracker {
  private readonly firstApplied: Int32Array;
  private applied = 0;
  private appliedByTick: number[] = [];

  private constructor(
    private readonly policy: string,
    private readonly index: number,
    private readonly registryIndex: number,
    private readonly tick: number,
    private readonly groups: readonly string[] | undefined,
    private readonly targetGroups: Uint8Array,
    private readonly targetHandsets: number,
    handsets: number,
  ) {
    this.firstApplied = new Int32Array(handsets).fill(-1);
  }

  /** The push with the latest tick (the later one in the file on a tie); undefined without policies. */
  static of(simulation: Simulation, handsets: number): RolloutTracker | undefined {
    const push = lastPolicyPush(simulation.config);
    if (push === undefined) return undefined;
    const index = push.index;
    const entry = simulation.config.policies![index];
    const groupNames = simulation.fleet.groupNames;
    const targetGroups = new Uint8Array(groupNames.length);
    groupNames.forEach((name, code) => (targetGroups[code] = entry.groups === undefined || entry.groups.includes(name) ? 1 : 0));
    let targetHandsets = 0;
    for (const shard of simulation.shards) for (let i = 0; i < shard.fleet.size; i++) targetHandsets += targetGroups[shard.fleet.group[i]];
    const name = String((entry.policy as { name?: unknown }).name ?? `policies.${index}`);
    // The core registers the timeline's policies in file order after the defaults (index 0).
    return new RolloutTracker(name, index, index + 1, entry.tick, entry.groups, targetGroups, targetHandsets, handsets);
  }

  save(state: CheckpointState): void {
    state['rollout.index'] = this.index;
    state['rollout.tick'] = this.tick;
    state['rollout.applied'] = this.applied;
    state['rollout.firstApplied'] = this.firstApplied.slice();
    state['rollout.appliedByTick'] = Float64Array.from(this.appliedByTick);
  }

  /**
   * Takes over the tracking of the same push; a push the checkpoint did not track has not started
   * by its tick (fork/fork-plan.ts picks the checkpoint so), and starts from nothing.
   */
  restore(state: CheckpointState, tick: number): void {
    const sameIndex = state['rollout.index'] === this.index && state['rollout.tick'] === this.tick;
    if (!sameIndex) {
      if (this.tick >= tick) return;
      throw new RangeError(`the checkpoint at tick ${tick} tracked another policy push than policies.${this.index} at tick ${this.tick}`);
    }
    this.applied = numberOf(state, 'rollout.applied');
    this.firstApplied.set(columnOf(state, 'rollout.firstApplied') as Int32Array);
    this.appliedByTick = Array.from(columnOf(state, 'rollout.appliedByTick'));
  }

  observe(shard: Simulation['shards'][number], tick: number): void {
    if (tick < this.tick) return;
    const { ids, group } = shard.fleet;
    const policyIndex = shard.agent.policyIndex;
    for (let i = 0; i < ids.length; i++) {
      if (policyIndex[i] === this.registryIndex && this.targetGroups[group[i]] === 1 && this.firstApplied[ids[i]] < 0) {
        this.firstApplied[ids[i]] = tick;
        this.applied++;
      }
    }
  }

  endTick(tick: number): void {
    if (tick >= this.tick) this.appliedByTick.push(this.applied);
  }

  figures(minutesPerTick: number): SeriesFigures['rollout'] {
    const minutesTo = (share: number): number | null => {
      if (this.targetHandsets === 0) return null;
      const needed = Math.ceil(share * this.targetHandsets);
      const at = this.appliedByTick.findIndex((applied) => applied >= needed);
      return at < 0 ? null : round((at + 1) * minutesPerTick, 2);
    };
    return {
      appliedRate: this.targetHandsets === 0 ? 0 : round(this.applied / this.targetHandsets, 4),
      minutesToShare: {
        p50: minutesTo(ROLLOUT_SHARES.p50),
        p90: minutesTo(ROLLOUT_SHARES.p90),
        p95: minutesTo(ROLLOUT_SHARES.p95),
        p99: minutesTo(ROLLOUT_SHARES.p99),
      },
    };
  }

  result(): RolloutMeasurement {
    return {
      policy: this.policy,
      index: this.index,
      tick: this.tick,
      groups: this.groups,
      targetHandsets: this.targetHandsets,
      appliedHandsets: this.applied,
      appliedByTick: this.appliedByTick,
    };
  }
}

/** After an outage ends: how long until the region's enrolled handsets reached the authority again. */
class OutageTracker {
  private members: number[] | undefined;
  private recoveredTick: number | null = null;

  constructor(
    private readonly regionName: string,
    private readonly region: number,
    private readonly fromTick: number,
    private readonly toTick: number,
  ) {}

  endTick(tick: number, simulation: Simulation, lastReachedTick: Int32Array): void {
    if (tick === this.toTick - 1) {
      this.members = [];
      for (const shard of simulation.shards) {
        const { ids, region } = shard.fleet;
        for (let i = 0; i < ids.length; i++) if (region[i] === this.region && shard.agent.enrolled[i] === 1) this.members.push(ids[i]);
      }
    }
    if (tick < this.toTick || this.members === undefined || this.recoveredTick !== null) return;
    let reached = 0;
    for (const id of this.members) if (lastReachedTick[id] >= this.toTick) reached++;
    if (reached >= Math.ceil(RECOVERED_SHARE * this.members.length)) this.recoveredTick = tick;
  }

  save(state: CheckpointState, i: number): void {
    if (this.members !== undefined) state[`outage.${i}.members`] = Int32Array.from(this.members);
    state[`outage.${i}.recoveredTick`] = this.recoveredTick ?? -1;
  }

  /** An outage that had ended by the checkpoint (its members taken) is the same in both runs; a later one starts from nothing. */
  restore(state: CheckpointState, i: number): void {
    const members = state[`outage.${i}.members`];
    if (members === undefined) return;
    this.members = Array.from(columnOf(state, `outage.${i}.members`));
    const recovered = numberOf(state, `outage.${i}.recoveredTick`);
    this.recoveredTick = recovered < 0 ? null : recovered;
  }

  result(minutesPerTick: number): OutageMeasurement {
    return {
      region: this.regionName,
      fromTick: this.fromTick,
      toTick: this.toTick,
      enrolledAtEnd: this.members?.length ?? 0,
      recoveredTick: this.recoveredTick,
      recoveryMinutes: this.recoveredTick === null ? null : round((this.recoveredTick - this.toTick + 1) * minutesPerTick, 2),
    };
  }
}

const REASON_BITS = Object.keys(NON_COMPLIANCE_REASON_NAMES)
  .map(Number)
  .sort((a, b) => a - b);

function breakdowns(simulation: Simulation, names: Record<Dimension, readonly string[]>): RunMeasurement['breakdowns'] {
  type Totals = { -readonly [K in keyof Omit<BreakdownRow, 'value' | 'complianceRate' | 'batteryMeanPercent' | 'nonCompliance'>]: number } & {
    batteryPermilleSum: number;
    reasons: number[];
  };
  const totals = Object.fromEntries(
    DIMENSIONS.map((dimension) => [
      dimension,
      names[dimension].map((): Totals => ({
        handsets: 0,
        enrolled: 0,
        compliant: 0,
        batteryPermilleSum: 0,
        batteryEmptyHandsets: 0,
        online: 0,
        guestRunning: 0,
        sessions: 0,
        degradedSessions: 0,
        blockedSessions: 0,
        checkIns: 0,
        reasons: REASON_BITS.map(() => 0),
      })),
    ]),
  ) as Record<Dimension, Totals[]>;
  for (const shard of simulation.shards) {
    const { fleet, agent, hypervisor, personal, business } = shard;
    for (let i = 0; i < fleet.size; i++) {
      const mask = agent.complianceMask[i];
      for (const dimension of DIMENSIONS) {
        const row = totals[dimension][fleet[dimension][i]];
        row.handsets++;
        row.batteryPermilleSum += hypervisor.batteryPermille(i);
        if (hypervisor.emptyCount[i] > 0) row.batteryEmptyHandsets++;
        if (hypervisor.powered[i] === 1) row.online++;
        if (hypervisor.guestState[i] === GuestState.RUNNING) row.guestRunning++;
        row.sessions += personal.sessions[i] + business.sessions[i];
        row.degradedSessions += personal.degradedSessions[i] + business.degradedSessions[i];
        row.blockedSessions += business.blockedSessions[i];
        row.checkIns += agent.checkIns[i];
        if (agent.enrolled[i] === 1) {
          row.enrolled++;
          if (mask === 0) row.compliant++;
          else REASON_BITS.forEach((bit, r) => (row.reasons[r] += mask & bit ? 1 : 0));
        }
      }
    }
  }
  const rows = (dimension: Dimension): BreakdownRow[] =>
    totals[dimension].flatMap((row, value): BreakdownRow[] => {
      if (row.handsets === 0) return [];
      const { batteryPermilleSum, reasons, ...counts } = row;
      return [
        {
          value: names[dimension][value],
          ...counts,
          complianceRate: row.enrolled === 0 ? 0 : round(row.compliant / row.enrolled, 4),
          batteryMeanPercent: round(batteryPermilleSum / row.handsets / 10, 2),
          nonCompliance: Object.fromEntries(REASON_BITS.flatMap((bit, r) => (reasons[r] > 0 ? [[NON_COMPLIANCE_REASON_NAMES[bit], reasons[r]]] : []))),
        },
      ];
    });
  return { model: rows('model'), region: rows('region'), group: rows('group') };
}

/** The smallest or largest of a series, without spreading it into arguments (runs may have millions of ticks). */
function extreme(values: readonly number[], pick: (a: number, b: number) => number): number {
  return values.reduce((a, b) => pick(a, b));
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
