import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { events as contract, hypervisor, telemetry } from '@duet/contracts';
import {
  EventBus,
  HealthChecks,
  Metrics,
  Role,
  type BatteryBand,
  RunReporter,
  decodeDemand,
  encodeGrant,
  type IncomingMessage,
  type Subscription,
} from '@duet/service-kit';
import { GuestState, Kpi, Persona, ValidationError, hypervisorFinalState, prepareRun, type SimulationConfig } from '@duet/sim-core';
import { ExchangeRefused, ShardExchange, invalidExchange, type TickReport } from '../domain/shard-exchange';
import { HypervisorCoreOptions } from '../hypervisor-core.options';

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

/**
 * hypervisor-core's runs: learns of runs from the run-lifecycle topic, holds a ShardExchange per
 * owned shard, answers the per-tick exchange, executes commands arriving on Kafka, and reports
 * each tick's events and KPIs and the final state.
 */
@Injectable()
export class HypervisorRunsService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('hypervisor-core');
  private readonly runs = new Map<string, Map<number, ShardExchange>>();
  private readonly reporter: RunReporter;
  private readonly subscriptions: Subscription[] = [];
  private outbox: Promise<unknown> = Promise.resolve();
  /** Each shard's KPIs after its last tick, for the handset gauges. */
  private readonly lastKpis = new WeakMap<ShardExchange, Float64Array>();
  private publishFailure: Error | undefined;
  private readonly stopBatteryLevels: () => void;

  constructor(
    private readonly bus: EventBus,
    private readonly options: HypervisorCoreOptions,
    private readonly health: HealthChecks,
    private readonly metrics: Metrics,
  ) {
    this.reporter = new RunReporter(bus);
    this.stopBatteryLevels = metrics.onBatteryLevelsRead(() => this.batteryLevels());
  }

  async onModuleInit(): Promise<void> {
    this.health.register('event-bus', () => this.bus.healthy() && this.publishFailure === undefined);
    const group = `hypervisor-core-${this.options.instanceId}`;
    this.subscriptions.push(await this.bus.subscribe(`${group}-runs`, ['duet.run-lifecycle.v1'], (messages) => this.onLifecycle(messages)));
    this.subscriptions.push(await this.bus.subscribe(`${group}-commands`, ['duet.commands.v1'], (messages) => this.onCommands(messages)));
  }

  async onModuleDestroy(): Promise<void> {
    this.stopBatteryLevels();
    await Promise.all(this.subscriptions.map((subscription) => subscription.close()));
    await this.outbox;
  }

  /** The per-tick exchange for one persona of one shard. */
  async exchange(request: hypervisor.ExchangeTickRequest): Promise<hypervisor.ExchangeTickResponse> {
    const demand = request.demand;
    if (demand === undefined) throw new ExchangeRefused('invalid', 'demand', 'required', 'the request carries no demand batch');
    const shards = this.runs.get(demand.runId);
    if (shards === undefined) throw new ExchangeRefused('unknown-run', 'demand.run_id', 'started', `run "${demand.runId}" has not started on this instance`);
    const exchange = shards.get(demand.shard);
    if (exchange === undefined) throw new ExchangeRefused('not-owned', 'demand.shard', 'owned', `shard ${demand.shard} is not owned by this instance`);
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

  status(request: hypervisor.GetShardStatusRequest): hypervisor.GetShardStatusResponse {
    const exchange = this.runs.get(request.runId)?.get(request.shard);
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
    for (const run of this.runs.values()) for (const shard of run.keys()) shards.add(shard);
    return [...shards].sort((a, b) => a - b);
  }

  healthy(): boolean {
    return this.bus.healthy() && this.publishFailure === undefined;
  }

  private async onLifecycle(messages: readonly IncomingMessage[]): Promise<void> {
    for (const message of messages) {
      const lifecycle = contract.RunLifecycle.decode(message.value);
      if (lifecycle.phase !== telemetry.RunPhase.RUN_PHASE_STARTED || this.runs.has(lifecycle.runId)) continue;
      this.startRun(lifecycle);
    }
  }

  private startRun(lifecycle: contract.RunLifecycle): void {
    let config: SimulationConfig;
    try {
      config = JSON.parse(lifecycle.configJson) as SimulationConfig;
      const run = prepareRun(config);
      const shards = new Map<number, ShardExchange>();
      for (let shard = 0; shard < config.shards; shard++) {
        if (!this.options.owns(shard)) continue;
        shards.set(
          shard,
          new ShardExchange(
            run,
            shard,
            (report) => this.report(lifecycle.runId, shards.get(shard)!, report),
            () => performance.now(),
          ),
        );
      }
      this.runs.set(lifecycle.runId, shards);
      this.logger.log(`run ${lifecycle.runId}: ${config.fleet.handsets} handsets, ${config.ticks} ticks, shards ${[...shards.keys()].join(',')}`);
    } catch (error) {
      // A run this instance cannot build is reported, not retried forever.
      this.logger.error(`run ${lifecycle.runId} refused: ${(error as Error).message}`);
    }
  }

  private report(runId: string, exchange: ShardExchange, report: TickReport): void {
    this.measure(exchange, report);
    // Encoded now (the event buffer is reused next tick), sent in order behind earlier reports.
    const sending = this.reporter.publishTick(runId, exchange.shard, report.tick, Role.ROLE_HYPERVISOR, report.events, report.kpis);
    let finalState: Promise<void> | undefined;
    if (exchange.finished) {
      finalState = this.reporter.publishFinalState(runId, exchange.shard, Role.ROLE_HYPERVISOR, exchange.fleet.ids, hypervisorFinalState(exchange.state));
      this.forgetWhenDone(runId);
    }
    this.outbox = Promise.all([this.outbox, sending, finalState]).catch((error: Error) => {
      this.publishFailure = error;
      this.logger.error(`publishing run ${runId} reports failed: ${error.message}`);
    });
  }

  /** Prometheus view of the tick (measurement apart from behaviour: it reads, never changes). */
  private measure(exchange: ShardExchange, report: TickReport): void {
    const { metrics } = this;
    metrics.ticksProcessed.inc({ role: 'hypervisor' });
    metrics.tickDuration.observe({ role: 'hypervisor' }, report.seconds);
    metrics.flows.inc({ result: 'allowed' }, report.kpis[Kpi.flowsAllowed]);
    metrics.flows.inc({ result: 'blocked' }, report.kpis[Kpi.flowsBlocked]);
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
    return [...this.runs.values()].flatMap((shards) => [...shards.values()]);
  }

  private forgetWhenDone(runId: string): void {
    const shards = this.runs.get(runId);
    if (shards && [...shards.values()].every((exchange) => exchange.finished)) {
      // Keep answering replays of the last tick for a while, then let the run go.
      setTimeout(() => this.runs.delete(runId), 60_000).unref();
    }
  }

  private async onCommands(messages: readonly IncomingMessage[]): Promise<void> {
    for (const message of messages) {
      const command = contract.CommandIssued.decode(message.value);
      const shards = this.runs.get(command.runId);
      if (shards === undefined) continue;
      for (const exchange of shards.values()) if (exchange.scheduleCommand(command.handsetId, command.type, command.tick)) break;
    }
  }
}
