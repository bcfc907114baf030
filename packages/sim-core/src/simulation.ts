// The in-process simulation: every shard's roles (two persona runtimes with the business agent,
// and the hypervisor) stepped tick by tick in one process, with the same model code the services
// run. Used by the embedded mode, `duet bench core` and the golden tests.
import type { Pacing } from './engine/pacing';
import { CounterRandom } from './engine/random';
import type { ColumnState } from './engine/columns';
import { ValidationError, type ValidationIssue } from './errors';
import { DEFAULT_TICK_SECONDS } from './model/calibration';
import { CheckInCadence, checkCadence, type AgentCadenceSpec } from './model/check-in-cadence';
import { commandTypeByName } from './model/commands';
import { emptyLedger, type LeakLedgerColumns } from './model/leak-ledger';
import type { EventSink } from './model/events';
import { resolveFleet, type FleetSpec, type ResolvedFleet } from './model/fleet';
import { FleetSchedule, type PowerLossSpec, type RampStageSpec, type ServiceRestartSpec } from './model/fleet-schedule';
import { parsePolicy } from './model/policy';
import { PolicyRegistry, PolicyTimeline } from './model/policy-timeline';
import { SimulationClock } from './model/time';
import { RunDigest } from './measure/run-digest';
import { summarizeRun, type RunSummary } from './measure/summary';
export type { RunSummary } from './measure/summary';
import { KPI_COUNT, type TickKpis } from './measure/tick-kpis';
import { ShardGroup, type ShardSimulation } from './shard-group';

export interface PolicyAssignmentSpec {
  /** First tick the assignment applies to. */
  readonly tick: number;
  /** Group names; all groups when omitted. */
  readonly groups?: readonly string[];
  /** An AMAPI-shaped policy document (validated with parsePolicy). */
  readonly policy: unknown;
}

export interface CommandSpec {
  readonly tick: number;
  readonly handsets: readonly number[];
  /** A CommandType name: LOCK, RESET_PASSWORD, SUSPEND_BUSINESS_WORLD, WIPE_BUSINESS_WORLD, REPROVISION, UNLOCK. */
  readonly type: string;
}

export interface OutageSpec {
  readonly region: string;
  readonly fromTick: number;
  /** Exclusive. */
  readonly toTick: number;
}

export interface SimulationConfig {
  readonly seed: number;
  readonly ticks: number;
  readonly shards: number;
  readonly tickSeconds?: number;
  /** Simulated minute of the day at tick 0 (0 = midnight). */
  readonly startMinuteOfDay?: number;
  readonly fleet: FleetSpec;
  readonly policies?: readonly PolicyAssignmentSpec[];
  readonly commands?: readonly CommandSpec[];
  readonly outages?: readonly OutageSpec[];
  /** k6-style ramp: stage by stage, handsets join (or leave) the fleet; without it every handset is in from tick 0. */
  readonly ramp?: readonly RampStageSpec[];
  /** Batches of handsets without power for a while. */
  readonly powerLosses?: readonly PowerLossSpec[];
  /** Restarts of hypervisor-core or policy-authority, as the fleet sees them (docs/architecture.md "Faults"). */
  readonly serviceRestarts?: readonly ServiceRestartSpec[];
  /** When the agents call the policy authority: check-in phases after enrollment, jitter, backoff (defaults: calibration.ts). */
  readonly agents?: AgentCadenceSpec;
  /**
   * How the services start ticks on the wall clock (default as fast as possible). Never read by the
   * model, so it changes neither the KPIs nor the digest.
   */
  readonly pacing?: Pacing;
}

/**
 * A run's state between two ticks: every shard's columns. The KPIs of the ticks before it are not
 * part of it (the caller keeps them as its series): restore() replays them into the digest.
 */
export interface SimulationSnapshot {
  /** The next tick to process. */
  readonly tick: number;
  /** Per shard, in shard order. */
  readonly shards: readonly ColumnState[];
}

const MAX_SHARDS = 1024;
const MAX_TICKS = 10_000_000;

export class Simulation {
  readonly config: SimulationConfig;
  readonly fleet: ResolvedFleet;
  readonly clock: SimulationClock;
  readonly random: CounterRandom;
  readonly registry: PolicyRegistry;
  readonly timeline: PolicyTimeline;
  readonly shards: readonly ShardSimulation[];
  /** Next tick to process. */
  tick = 0;
  private processing = false;
  private readonly sinks: readonly EventSink[];
  private readonly runDigest = new RunDigest();
  private readonly totals = new Float64Array(KPI_COUNT);
  private last: TickKpis | undefined;
  private readonly group: ShardGroup;

  constructor(config: SimulationConfig, options: { sinks?: readonly EventSink[] } = {}) {
    const prepared = prepareRun(config);
    this.config = config;
    this.fleet = prepared.fleet;
    this.clock = prepared.clock;
    this.random = prepared.random;
    this.registry = prepared.registry;
    this.timeline = prepared.timeline;
    this.sinks = options.sinks ?? [];
    this.group = new ShardGroup(
      prepared,
      Array.from({ length: config.shards }, (_, shard) => shard),
    );
    this.shards = this.group.shards;
  }

  get done(): boolean {
    return this.tick >= this.config.ticks;
  }

  /**
   * Publishes a policy for groups. A change that arrives while a tick is being processed takes
   * effect at the next tick for every shard, so no shard sees it earlier than another.
   * Returns the tick it takes effect at.
   */
  publishPolicy(policy: unknown, groups?: readonly string[], requestedTick = this.tick): number {
    const parsed = parsePolicy(policy);
    const effectiveTick = Math.max(requestedTick, this.processing ? this.tick + 1 : this.tick);
    this.timeline.assign(this.registry.register(parsed), effectiveTick, groups);
    return effectiveTick;
  }

  /** Issues a command; like policies, it never lands inside a tick already under way. */
  issueCommand(handsetIds: readonly number[], type: string, requestedTick = this.tick): number {
    const code = commandTypeByName(type);
    for (const id of handsetIds) {
      if (!Number.isInteger(id) || id < 0 || id >= this.fleet.handsets)
        throw new ValidationError('command', [{ path: 'handsets', rule: 'range', message: `unknown handset ${id}` }]);
    }
    const effectiveTick = Math.max(requestedTick, this.processing ? this.tick + 1 : this.tick);
    this.group.scheduleCommand(handsetIds, code, effectiveTick);
    return effectiveTick;
  }

  /** Processes one tick over every shard and returns the fleet's KPIs for it. */
  step(): TickKpis {
    if (this.done) throw new RangeError(`the run has ${this.config.ticks} ticks; all are done`);
    const tick = this.tick;
    const values = new Float64Array(KPI_COUNT);
    this.processing = true;
    try {
      this.group.step(tick, values, this.sinks);
    } finally {
      this.processing = false;
    }
    this.tick++;
    this.runDigest.addTick(tick, values);
    for (let k = 0; k < KPI_COUNT; k++) this.totals[k] += values[k];
    this.last = { tick, values };
    return this.last;
  }

  /** The state between the last tick processed and the next (copies). */
  snapshot(): SimulationSnapshot {
    return { tick: this.tick, shards: this.shards.map((shard) => shard.snapshot()) };
  }

  /**
   * Continues from a snapshot of a run whose config equals this one up to `snapshot.tick`;
   * `history` holds that run's fleet KPIs of every earlier tick, which the digest and the totals
   * take in as if this simulation had processed them. Only on a simulation that has not started.
   */
  restore(snapshot: SimulationSnapshot, history: readonly ArrayLike<number>[]): void {
    if (this.tick !== 0) throw new RangeError(`restore needs a simulation that has not started; this one is at tick ${this.tick}`);
    if (snapshot.shards.length !== this.shards.length) throw new RangeError(`the snapshot has ${snapshot.shards.length} shards, the run ${this.shards.length}`);
    if (history.length !== snapshot.tick) throw new RangeError(`the snapshot is at tick ${snapshot.tick} but ${history.length} ticks of KPIs came with it`);
    if (snapshot.tick > this.config.ticks) throw new RangeError(`the snapshot is at tick ${snapshot.tick}, beyond the run's ${this.config.ticks} ticks`);
    this.shards.forEach((shard, s) => shard.restore(snapshot.shards[s], snapshot.tick));
    history.forEach((row, tick) => {
      if (row.length !== KPI_COUNT) throw new RangeError(`tick ${tick} has ${row.length} KPIs, expected ${KPI_COUNT}`);
      const values = Float64Array.from(row);
      this.runDigest.addTick(tick, values);
      for (let k = 0; k < KPI_COUNT; k++) this.totals[k] += values[k];
      this.last = { tick, values };
    });
    this.tick = snapshot.tick;
  }

  /** Runs the remaining ticks; `onTick` sees each tick's KPIs (progress, series). */
  run(onTick?: (kpis: TickKpis) => void): RunSummary {
    while (!this.done) {
      const kpis = this.step();
      onTick?.(kpis);
    }
    return this.summary();
  }

  /** Final per-handset state, one column per field, indexed by handset id. */
  finalState(): Record<string, Float64Array> {
    const columns: Record<string, Float64Array> = {};
    this.group.scatterFinalState(columns);
    return columns;
  }

  /** SHA-256 over every tick's KPIs so far and the current per-handset state (docs/design.md#time-shards-and-determinism). */
  digest(): string {
    return this.runDigest.finish(this.finalState());
  }

  /** The data-leak ledger over every shard so far. */
  ledger(): LeakLedgerColumns {
    const ledger = emptyLedger();
    this.group.mergeLedgers(ledger);
    return ledger;
  }

  summary(): RunSummary {
    return summarizeRun({
      handsets: this.fleet.handsets,
      ticks: this.tick,
      shards: this.shards.length,
      seed: this.config.seed,
      tickSeconds: this.clock.tickSeconds,
      totals: this.totals,
      last: this.last?.values ?? new Float64Array(KPI_COUNT),
      finalState: this.finalState(),
      digest: this.digest(),
      ledger: this.ledger(),
    });
  }
}

/** Everything a run's roles share, derived from its config alone (validated, all issues at once). */
export interface PreparedRun {
  readonly config: SimulationConfig;
  readonly fleet: ResolvedFleet;
  readonly clock: SimulationClock;
  readonly random: CounterRandom;
  readonly registry: PolicyRegistry;
  readonly timeline: PolicyTimeline;
  /** Scheduled commands, one per handset, in config order. */
  readonly commands: readonly { readonly tick: number; readonly handsetId: number; readonly type: number }[];
  readonly cadence: CheckInCadence;
}

export function prepareRun(config: SimulationConfig): PreparedRun {
  const issues: ValidationIssue[] = [];
  if (!Number.isSafeInteger(config.seed)) issues.push({ path: 'seed', rule: 'integer', message: `must be a safe integer, got ${config.seed}` });
  if (!Number.isInteger(config.ticks) || config.ticks < 1 || config.ticks > MAX_TICKS)
    issues.push({ path: 'ticks', rule: 'range', message: `must be an integer in 1..${MAX_TICKS}, got ${config.ticks}` });
  if (!Number.isInteger(config.shards) || config.shards < 1 || config.shards > MAX_SHARDS)
    issues.push({ path: 'shards', rule: 'range', message: `must be an integer in 1..${MAX_SHARDS}, got ${config.shards}` });
  let clock: SimulationClock | undefined;
  try {
    clock = new SimulationClock(config.tickSeconds ?? DEFAULT_TICK_SECONDS, config.startMinuteOfDay ?? 0);
  } catch (error) {
    issues.push({ path: 'tickSeconds', rule: 'range', message: (error as Error).message });
  }
  let fleet: ResolvedFleet | undefined;
  try {
    fleet = resolveFleet(config.fleet);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    issues.push(...error.issues);
  }
  const policies = (config.policies ?? []).map((assignment, i) => {
    if (!Number.isInteger(assignment.tick) || assignment.tick < 0)
      issues.push({ path: `policies.${i}.tick`, rule: 'min', message: `must be an integer ≥ 0, got ${assignment.tick}` });
    try {
      return parsePolicy(assignment.policy);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      issues.push(...error.issues.map((issue) => ({ ...issue, path: `policies.${i}.policy.${issue.path}` })));
      return undefined;
    }
  });
  (config.commands ?? []).forEach((command, i) => {
    try {
      commandTypeByName(command.type, `commands.${i}.type`);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      issues.push(...error.issues);
    }
    command.handsets.forEach((id, k) => {
      if (!Number.isInteger(id) || id < 0 || (fleet !== undefined && id >= fleet.handsets)) {
        issues.push({ path: `commands.${i}.handsets.${k}`, rule: 'range', message: `must be a handset id in 0..${(fleet?.handsets ?? 1) - 1}, got ${id}` });
      }
    });
  });
  (config.outages ?? []).forEach((outage, i) => {
    if (fleet !== undefined && !fleet.regionNames.includes(outage.region))
      issues.push({ path: `outages.${i}.region`, rule: 'enum', message: `unknown region "${outage.region}"; known: ${fleet.regionNames.join(', ')}` });
    if (!(outage.toTick > outage.fromTick))
      issues.push({
        path: `outages.${i}.toTick`,
        rule: 'greater-than-fromTick',
        message: `must be greater than fromTick (${outage.fromTick}), got ${outage.toTick}`,
      });
  });
  checkCadence(config.agents ?? {}, issues);
  if (fleet !== undefined && Number.isSafeInteger(config.seed)) {
    const schedule = FleetSchedule.resolve(fleet, new CounterRandom(config.seed), config, issues);
    fleet = { ...fleet, schedule };
  }
  if (issues.length > 0 || fleet === undefined || clock === undefined) throw new ValidationError('simulation config', issues);

  const registry = new PolicyRegistry();
  const timeline = new PolicyTimeline(fleet.groupNames);
  (config.policies ?? []).forEach((assignment, i) => timeline.assign(registry.register(policies[i]!), assignment.tick, assignment.groups));
  for (const outage of config.outages ?? []) timeline.addOutage(fleet.regionNames.indexOf(outage.region), outage.fromTick, outage.toTick);
  // A policy-authority restart: no region reaches it while it is down (agents re-check in after, see FleetSchedule).
  for (const restart of config.serviceRestarts ?? []) {
    if (restart.service !== 'policy-authority' || restart.downTicks === 0) continue;
    fleet.regionNames.forEach((_, region) => timeline.addOutage(region, restart.tick, restart.tick + restart.downTicks));
  }
  const commands = (config.commands ?? []).flatMap((command) =>
    command.handsets.map((handsetId) => ({ tick: command.tick, handsetId, type: commandTypeByName(command.type) })),
  );
  const random = new CounterRandom(config.seed);
  return { config, fleet, clock, random, registry, timeline, commands, cadence: new CheckInCadence(config.agents ?? {}, clock, random) };
}
