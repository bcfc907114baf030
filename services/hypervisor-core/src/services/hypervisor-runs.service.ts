import { randomUUID } from 'node:crypto';
import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { events as contract, hypervisor } from '@duet/contracts';
import {
  CheckpointStore,
  EventBus,
  HealthChecks,
  Metrics,
  Role,
  RunDirectory,
  type BatteryBand,
  RunReporter,
  decodeChecked,
  decodeCheckpointState,
  decodeDemand,
  encodeCheckpointState,
  encodeGrant,
  identityViolation,
  type DeliveryContext,
  type IncomingMessage,
  type KnownRun,
  type Subscription,
} from '@duet/service-kit';
import {
  GuestState,
  Kpi,
  Persona,
  ValidationError,
  hypervisorFinalState,
  ledgerCells,
  prepareRun,
  type PreparedRun,
  type SimulationConfig,
} from '@duet/sim-core';
import { ExchangeRefused, ShardExchange, invalidExchange, type TickReport } from '../domain/shard-exchange';
import { HypervisorCoreSettings } from '../hypervisor-core.settings';

// Flows into the personal persona exported as duet_data_leaks_total{flow} (FlowKind names), from the hypervisor's KPI part.
const LEAK_FLOWS: readonly [string, number][] = [
  ['COPY_WORK_TO_PERSONAL', Kpi.leaksCopyWorkToPersonal],
  ['SHARE_WORK_TO_PERSONAL', Kpi.leaksShareWorkToPersonal],
  ['WORK_CONTACT_LOOKUP_FROM_PERSONAL', Kpi.leaksWorkContactLookup],
  ['SCREEN_CAPTURE_WORK_TO_PERSONAL', Kpi.leaksScreenCaptureWorkToPersonal],
];

// Handset states exported as duet_handsets{state}, from the hypervisor's KPI part.
const HANDSET_STATES: readonly [string, number][] = [
  ['online', Kpi.handsetsOnline],
  ['charging', Kpi.handsetsCharging],
  ['battery_empty', Kpi.batteryEmpty],
  ['guest_provisioning', Kpi.guestProvisioning],
  ['guest_running', Kpi.guestRunning],
  ['guest_suspended', Kpi.guestSuspended],
  ['guest_locked', Kpi.guestLocked],
  ['guest_wiped', Kpi.guestWiped],
];
// Upper bounds of the battery-level buckets (ratio of capacity).
const BATTERY_BANDS = [0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1];

// A run with no demand for this long is let go (its shards are built again from their checkpoints
// should its demands come back): a driver that died without a FAILED must not hold memory forever.
// Far above a real-time run's tick (60 s at ×1).
const IDLE_RUN_EVICT_MS = 30 * 60_000;
const EVICT_SWEEP_MS = 60_000;

/** A run as this instance holds it: its prepared config and the shards it has been given. */
interface RunEntry {
  /** Wall time (ms) of its latest demand. */
  lastDemandAt: number;
  readonly run: PreparedRun;
  readonly shards: Map<number, ShardExchange>;
  /** A shard being built (and restored from its checkpoint), so concurrent first calls share one. */
  readonly building: Map<number, Promise<ShardExchange>>;
}

/** Told when a shard's state up to a tick is durable (checkpointed after its reports went out). */
export type CheckpointListener = (runId: string, shard: number, tick: number) => void;

/**
 * hypervisor-core's runs: learns of runs from the run-lifecycle topic (RunDirectory), builds a
 * ShardExchange for a shard of a run when the shard's first demand reaches this instance (from its
 * checkpoint when another instance held it before), answers the per-tick exchange, executes
 * commands arriving on Kafka, reports each tick's events and KPIs and the final state, and
 * checkpoints each shard every K ticks once that tick's reports are out.
 */
@Injectable()
export class HypervisorRunsService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('hypervisor-core');
  private readonly runs = new Map<string, RunEntry>();
  private readonly reporter: RunReporter;
  private readonly subscriptions: Subscription[] = [];
  private directory: RunDirectory | undefined;
  private outbox: Promise<unknown> = Promise.resolve();
  /** Each shard's KPIs after its last tick, for the handset gauges. */
  private readonly lastKpis = new WeakMap<ShardExchange, Float64Array>();
  private publishFailure: Error | undefined;
  private readonly stopBatteryLevels: () => void;
  private readonly checkpointListeners: CheckpointListener[] = [];
  private readonly evictIdle = setInterval(() => this.evictIdleRuns(Date.now()), EVICT_SWEEP_MS).unref();

  constructor(
    private readonly bus: EventBus,
    private readonly options: HypervisorCoreSettings,
    private readonly health: HealthChecks,
    private readonly metrics: Metrics,
    private readonly checkpoints: CheckpointStore,
  ) {
    this.reporter = new RunReporter(bus);
    this.stopBatteryLevels = metrics.onBatteryLevelsRead(() => this.batteryLevels());
  }

  async onModuleInit(): Promise<void> {
    this.health.register('event-bus', () => this.bus.healthy() && this.publishFailure === undefined);
    this.health.registerLiveness('event-bus', () => this.bus.notLive());
    const group = `hypervisor-core-${this.options.instanceId}`;
    // A group of its own per start: every instance reads every run from the topic's beginning.
    this.directory = new RunDirectory(this.bus, `${group}-runs-${randomUUID()}`, { started: () => undefined, ended: (run) => this.endRun(run) });
    await this.directory.start();
    this.subscriptions.push(await this.bus.subscribe(`${group}-commands`, ['duet.commands.v1'], (messages, context) => this.onCommands(messages, context)));
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.evictIdle);
    this.stopBatteryLevels();
    await this.directory?.close();
    await Promise.all(this.subscriptions.map((subscription) => subscription.close()));
    await this.outbox;
  }

  onCheckpoint(listener: CheckpointListener): void {
    this.checkpointListeners.push(listener);
  }

  /** The run as this instance knows it (ended or not), waiting (bounded) for its STARTED; undefined when never started. */
  knownRun(runId: string, timeoutMs: number): Promise<KnownRun | undefined> {
    return this.directory?.waitFor(runId, timeoutMs) ?? Promise.resolve(undefined);
  }

  /** The per-tick exchange for one persona of one shard. */
  async exchange(request: hypervisor.ExchangeTickRequest): Promise<hypervisor.ExchangeTickResponse> {
    const demand = request.demand;
    // A message field the sender left out is undefined from ts-proto's decoder, null from proto-loader's.
    if (demand === undefined || demand === null) throw new ExchangeRefused('invalid', 'demand', 'required', 'the request carries no demand batch');
    const exchange = await this.shard(demand.runId, demand.shard);
    this.entryOf(demand.runId).lastDemandAt = Date.now();
    if (demand.persona !== Persona.PERSONAL && demand.persona !== Persona.BUSINESS) {
      throw new ExchangeRefused('invalid', 'demand.persona', 'enum', `must be PERSONA_PERSONAL or PERSONA_BUSINESS, got ${demand.persona}`);
    }
    if (exchange.acceptsDemandFor(demand.tick)) {
      try {
        decodeDemand(request, exchange.fleet.ids, (id) => exchange.indexOf(id), exchange.demands[demand.persona]);
      } catch (error) {
        if (error instanceof ValidationError) throw invalidExchange(error);
        throw error;
      }
    }
    await exchange.submit(demand.persona, demand.tick);
    const keys = { runId: demand.runId, shard: demand.shard, tick: demand.tick, persona: demand.persona };
    return encodeGrant(keys, exchange.fleet.ids, exchange.grants[demand.persona], exchange.demands[demand.persona]);
  }

  /**
   * The shard's exchange on this instance, built on first use: from the run's config, then from
   * the shard's latest checkpoint when there is one (another instance held the shard before).
   */
  shard(runId: string, shard: number): Promise<ShardExchange> {
    const entry = this.entryOf(runId);
    const built = entry.shards.get(shard);
    if (built !== undefined) return Promise.resolve(built);
    if (!Number.isInteger(shard) || shard < 0 || shard >= entry.run.config.shards) {
      return Promise.reject(
        new ExchangeRefused('invalid', 'demand.shard', 'range', `run "${runId}" has shards 0..${entry.run.config.shards - 1}, got ${shard}`),
      );
    }
    let building = entry.building.get(shard);
    if (building === undefined) {
      building = this.build(runId, entry, shard).finally(() => entry.building.delete(shard));
      entry.building.set(shard, building);
    }
    return building;
  }

  /** Lets go of shards whose partition this instance no longer holds: their next owner restores them. */
  release(owns: (shard: number) => boolean): void {
    for (const [runId, entry] of this.runs) {
      const released = [...entry.shards.keys()].filter((shard) => !owns(shard));
      for (const shard of released) {
        entry.shards.get(shard)?.abandon();
        entry.shards.delete(shard);
      }
      if (released.length > 0) this.logger.log(`run ${runId}: released shards ${released.join(',')}`);
    }
  }

  status(request: hypervisor.GetShardStatusRequest): hypervisor.GetShardStatusResponse {
    const exchange = this.runs.get(request.runId)?.shards.get(request.shard);
    if (exchange === undefined) {
      return { runId: request.runId, shard: request.shard, owned: false, handsets: 0, ticksCompleted: 0, awaiting: [], guestRunning: 0, handsetsOnline: 0 };
    }
    let guestRunning = 0;
    let online = 0;
    for (let i = 0; i < exchange.fleet.size; i++) {
      if (exchange.state.guestState[i] === GuestState.RUNNING) guestRunning++;
      if (exchange.state.powered[i] === 1) online++;
    }
    return {
      runId: request.runId,
      shard: request.shard,
      owned: true,
      handsets: exchange.fleet.size,
      ticksCompleted: exchange.nextTick,
      awaiting: exchange.awaiting,
      guestRunning,
      handsetsOnline: online,
    };
  }

  ownedShards(): number[] {
    const shards = new Set<number>();
    for (const entry of this.runs.values()) for (const shard of entry.shards.keys()) shards.add(shard);
    return [...shards].sort((a, b) => a - b);
  }

  healthy(): boolean {
    return this.bus.healthy() && this.publishFailure === undefined;
  }

  private entryOf(runId: string): RunEntry {
    const known = this.runs.get(runId);
    if (known !== undefined) return known;
    const run = this.directory?.get(runId);
    if (run === undefined) throw new ExchangeRefused('unknown-run', 'demand.run_id', 'started', `run "${runId}" has not started on this instance`);
    if (run.ended !== undefined)
      throw new ExchangeRefused('finished', 'demand.run_id', 'running', `run "${runId}" has ${run.ended === 'COMPLETED' ? 'completed' : 'failed'}`);
    let prepared: PreparedRun;
    try {
      prepared = prepareRun(JSON.parse(run.configJson) as SimulationConfig);
    } catch (error) {
      throw new ExchangeRefused('invalid', 'run.config_json', 'valid', `run "${runId}" cannot be built: ${(error as Error).message}`);
    }
    const entry: RunEntry = { lastDemandAt: Date.now(), run: prepared, shards: new Map(), building: new Map() };
    this.runs.set(runId, entry);
    this.logger.log(`run ${runId}: ${prepared.config.fleet.handsets} handsets, ${prepared.config.ticks} ticks, ${prepared.config.shards} shards`);
    return entry;
  }

  private async build(runId: string, entry: RunEntry, shard: number): Promise<ShardExchange> {
    const exchange = new ShardExchange(
      entry.run,
      shard,
      (report) => this.report(runId, exchange, report),
      () => performance.now(),
    );
    const checkpoint = await this.checkpoints.latest(runId, Role.ROLE_HYPERVISOR, shard);
    if (checkpoint !== undefined) {
      exchange.restore(decodeCheckpointState(checkpoint.state));
      this.logger.log(`run ${runId}: shard ${shard} restored from its checkpoint of tick ${checkpoint.tick}`);
    }
    if (this.runs.get(runId) !== entry) throw new ExchangeRefused('finished', 'demand.run_id', 'running', `run "${runId}" ended`);
    entry.shards.set(shard, exchange);
    return exchange;
  }

  private report(runId: string, exchange: ShardExchange, report: TickReport): void {
    this.measure(exchange, report);
    // Encoded now (the event buffer is reused next tick), sent in order behind earlier reports.
    const sending = this.reporter.publishTick(runId, exchange.shard, report.tick, Role.ROLE_HYPERVISOR, report.events, report.kpis);
    let finalState: Promise<void> | undefined;
    if (exchange.finished) {
      finalState = this.reporter.publishFinalState(
        runId,
        exchange.shard,
        Role.ROLE_HYPERVISOR,
        exchange.fleet.ids,
        hypervisorFinalState(exchange.state),
        ledgerCells(exchange.state),
      );
      this.forgetWhenDone(runId);
    }
    const every = this.options.checkpointTicks;
    const due = every !== undefined && (exchange.finished || (report.tick + 1) % every === 0);
    // Taken now (the state moves on with the next tick), saved once the tick's reports are out: a
    // checkpoint must never claim a tick whose events its next owner would then not publish again.
    const snapshot = due ? encodeCheckpointState(exchange.snapshot()) : undefined;
    const reported = Promise.all([sending, finalState]);
    const checkpointed =
      snapshot === undefined
        ? reported
        : reported
            .then(() => this.checkpoints.save({ runId, shard: exchange.shard, role: Role.ROLE_HYPERVISOR, tick: report.tick, state: snapshot }))
            .then(() => {
              for (const listener of this.checkpointListeners) listener(runId, exchange.shard, report.tick);
            });
    this.outbox = Promise.all([this.outbox, checkpointed]).then(
      () => (this.publishFailure = undefined),
      (error: Error) => {
        // The tick's reports are lost (the publish retried for minutes): the run cannot complete, so it fails.
        this.publishFailure = error;
        this.logger.error(`publishing run ${runId} reports failed: ${error.message}`);
        this.reporter
          .publishFailed(runId, `hypervisor-core: reports of shard ${exchange.shard} tick ${report.tick} not published: ${error.message}`)
          .catch((publishError: Error) => this.logger.error(`run ${runId}: FAILED not published: ${publishError.message}`));
      },
    );
  }

  /** Prometheus view of the tick (measurement apart from behaviour: it reads, never changes). */
  private measure(exchange: ShardExchange, report: TickReport): void {
    const { metrics } = this;
    metrics.ticksProcessed.inc({ role: 'hypervisor' });
    metrics.tickDuration.observe({ role: 'hypervisor' }, report.seconds);
    metrics.flows.inc({ result: 'allowed' }, report.kpis[Kpi.flowsAllowed]);
    metrics.flows.inc({ result: 'blocked' }, report.kpis[Kpi.flowsBlocked]);
    for (const [flow, kpi] of LEAK_FLOWS) metrics.leaks.inc({ flow }, report.kpis[kpi]);
    this.lastKpis.set(exchange, report.kpis);
    // Every shard this instance holds: runs in progress and those finished within the last minute.
    const live = this.liveShards();
    for (const [state, kpi] of HANDSET_STATES) {
      metrics.handsets.set(
        { state },
        live.reduce((sum, each) => sum + (this.lastKpis.get(each)?.[kpi] ?? 0), 0),
      );
    }
  }

  /** Cumulative battery bands over every live shard's handsets, after its last tick. */
  private batteryLevels(): BatteryBand[] {
    const counts = new Float64Array(BATTERY_BANDS.length);
    for (const exchange of this.liveShards()) {
      for (let i = 0; i < exchange.fleet.size; i++) {
        const level = exchange.state.batteryPermille(i) / 1000;
        for (let band = 0; band < BATTERY_BANDS.length; band++) if (level <= BATTERY_BANDS[band]) counts[band]++;
      }
    }
    return BATTERY_BANDS.map((atMost, band) => ({ atMost, handsets: counts[band] }));
  }

  private liveShards(): ShardExchange[] {
    return [...this.runs.values()].flatMap((entry) => [...entry.shards.values()]);
  }

  private forgetWhenDone(runId: string): void {
    const entry = this.runs.get(runId);
    if (entry && entry.shards.size === entry.run.config.shards && [...entry.shards.values()].every((exchange) => exchange.finished)) {
      // Keep answering replays of the last tick for a while, then let the run go.
      setTimeout(() => {
        if (this.runs.get(runId) === entry) this.runs.delete(runId);
      }, 60_000).unref();
    }
  }

  /**
   * A run completed or failed: its checkpoints go, and its shards too (a completed run's after a
   * minute, so the handset gauges still show its last tick for a scrape or two).
   */
  private endRun(run: KnownRun): void {
    const entry = this.runs.get(run.runId);
    for (const exchange of entry?.shards.values() ?? []) exchange.abandon();
    this.checkpoints.forgetRun(run.runId);
    const forget = (): void => {
      if (this.runs.get(run.runId) === entry) this.runs.delete(run.runId);
    };
    if (run.ended === 'COMPLETED') setTimeout(forget, 60_000).unref();
    else forget();
  }

  /** Lets go of runs without a demand for IDLE_RUN_EVICT_MS (see there); their checkpoints stay. */
  evictIdleRuns(now: number): void {
    for (const [runId, entry] of this.runs) {
      if (now - entry.lastDemandAt < IDLE_RUN_EVICT_MS) continue;
      for (const exchange of entry.shards.values()) exchange.abandon();
      this.runs.delete(runId);
      this.logger.warn(`run ${runId}: no demand for ${Math.round((now - entry.lastDemandAt) / 60_000)} min; its shards are let go`);
    }
  }

  private async onCommands(messages: readonly IncomingMessage[], context: DeliveryContext): Promise<void> {
    for (const message of messages) {
      const command = decodeChecked(
        message,
        context,
        (bytes) => contract.CommandIssued.decode(bytes),
        (decoded) => identityViolation(decoded),
      );
      if (command === undefined) continue; // not a command (dead-lettered): nothing to execute
      if (this.directory?.get(command.runId) === undefined) {
        context.reject(message, `run_id: no run "${command.runId}" was started`);
        continue;
      }
      const entry = this.runs.get(command.runId);
      if (entry === undefined) continue;
      for (const exchange of entry.shards.values()) if (exchange.scheduleCommand(command.handsetId, command.type, command.tick)) break;
    }
  }
}
