import { randomUUID } from 'node:crypto';
import { Injectable, Logger, Optional, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import {
  CheckpointStore,
  EventBus,
  HealthChecks,
  Metrics,
  RunDirectory,
  RunReporter,
  decodeCheckpointState,
  encodeCheckpointState,
  type KnownRun,
} from '@duet/service-kit';
import {
  DEFAULT_TICK_SECONDS,
  NON_COMPLIANCE_REASON_NAMES,
  createPacer,
  prepareRun,
  systemClock,
  type Pacer,
  type PreparedRun,
  type SimulationConfig,
} from '@duet/sim-core';
import { GrantInbox, GrantWaitCancelled } from '../domain/grant-inbox';
import { HypervisorPeer, PolicyGateway } from '../domain/ports';
import { PersonaRuntimeSettings } from '../persona-runtime.settings';
import { PersonaShardRunner } from './persona-shard-runner';

// Non-compliance reasons as [bit, name], for the duet_handsets_non_compliant gauge.
const REASONS: readonly [number, string][] = Object.entries(NON_COMPLIANCE_REASON_NAMES).map(([bit, name]) => [Number(bit), name]);

/** Told when a shard's state up to a tick is durable (checkpointed after its reports went out). */
export type CheckpointListener = (runId: string, shard: number, tick: number) => void;

/** A run as this instance drives it: the shards it holds, one driver each. */
interface RunEntry {
  readonly known: KnownRun;
  readonly run: PreparedRun;
  /** What the agents present: the STARTED message's token, opened when it travels sealed. */
  readonly enrollmentToken: string;
  readonly pacer: Pacer;
  readonly drivers: Map<number, Driver>;
}

interface Driver {
  readonly runner: PersonaShardRunner;
  cancelled: boolean;
  readonly done: Promise<void>;
}

/**
 * A persona runtime's runs: learns of runs from the run-lifecycle topic (RunDirectory) and drives
 * each shard it holds tick by tick, as fast as the exchange with hypervisor-core allows or, in a
 * real-time run, starting each tick when it is due on the wall clock (one sim-core pacer per run
 * for all its shards) and reporting how late it started. Shards advance independently. In the
 * networked mode the shards it holds are the partitions its consumer group gives it
 * (TickGrantsConsumer calls `rebalance`); a shard it is given starts from its latest checkpoint,
 * and every K ticks it checkpoints the shard once the tick's reports are out. A run that fails is
 * reported as FAILED with the reason.
 */
@Injectable()
export class PersonaRunsService implements OnModuleInit, OnModuleDestroy {
  private readonly logger: Logger;
  private readonly reporter: RunReporter;
  private readonly runs = new Map<string, RunEntry>();
  private directory: RunDirectory | undefined;
  private stopping = false;
  private readonly complianceCounts = new WeakMap<PersonaShardRunner, Float64Array>();
  private readonly checkpointListeners: CheckpointListener[] = [];
  /** Which shards this instance drives: all of them in one process, else those its group gives it. */
  private owns: (shard: number) => boolean;

  constructor(
    private readonly bus: EventBus,
    private readonly options: PersonaRuntimeSettings,
    private readonly hypervisor: HypervisorPeer,
    private readonly health: HealthChecks,
    private readonly metrics: Metrics,
    private readonly checkpoints: CheckpointStore,
    private readonly grants: GrantInbox,
    @Optional() private readonly policy?: PolicyGateway,
  ) {
    this.logger = new Logger(`persona-runtime-${options.personaName}`);
    this.reporter = new RunReporter(bus);
    this.owns = options.shared ? () => false : () => true;
  }

  async onModuleInit(): Promise<void> {
    this.health.register(`${this.options.personaName}-event-bus`, () => this.bus.healthy());
    this.health.registerLiveness(`${this.options.personaName}-event-bus`, () => this.bus.notLive());
    const group = `persona-runtime-${this.options.personaName}-${this.options.instanceId}-runs-${randomUUID()}`;
    this.directory = new RunDirectory(this.bus, group, { started: (run) => this.take(run), ended: (run) => this.drop(run.runId) });
    await this.directory.start();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    await this.directory?.close();
    const drivers = [...this.runs.values()].flatMap((entry) => [...entry.drivers.values()]);
    for (const driver of drivers) driver.cancelled = true;
    // A driver waiting for a grant that is not coming (hypervisor-core away) would hold the shutdown forever.
    for (const runId of this.runs.keys()) this.grants.forgetRun(runId);
    await Promise.allSettled(drivers.map((driver) => driver.done));
  }

  onCheckpoint(listener: CheckpointListener): void {
    this.checkpointListeners.push(listener);
  }

  /** The run as this instance knows it (ended or not), waiting (bounded) for its STARTED; undefined when never started. */
  knownRun(runId: string, timeoutMs: number): Promise<KnownRun | undefined> {
    return this.directory?.waitFor(runId, timeoutMs) ?? Promise.resolve(undefined);
  }

  /** The shards this instance holds changed: stop driving the others, take up the new ones. */
  rebalance(owns: (shard: number) => boolean): void {
    this.owns = owns;
    for (const [runId, entry] of this.runs) {
      for (const [shard, driver] of entry.drivers) {
        if (owns(shard)) continue;
        this.stopDriver(runId, shard, driver);
        entry.drivers.delete(shard);
      }
    }
    for (const run of this.directory?.active() ?? []) this.take(run);
  }

  /** Starts a driver for every shard of the run that this instance holds and does not drive yet. */
  private take(known: KnownRun): void {
    if (this.stopping) return;
    let entry = this.runs.get(known.runId);
    if (entry === undefined) {
      let run: PreparedRun;
      let enrollmentToken: string;
      try {
        run = prepareRun(JSON.parse(known.configJson) as SimulationConfig);
        enrollmentToken = this.options.enrollmentToken(known.runId, known.enrollmentToken);
      } catch (error) {
        this.fail(known.runId, error as Error);
        return;
      }
      const pacing = run.config.pacing ?? { mode: 'as-fast-as-possible' };
      entry = { known, run, enrollmentToken, pacer: createPacer(pacing, run.config.tickSeconds ?? DEFAULT_TICK_SECONDS, systemClock), drivers: new Map() };
      this.runs.set(known.runId, entry);
    }
    const started: number[] = [];
    for (let shard = 0; shard < entry.run.config.shards; shard++) {
      if (!this.owns(shard) || entry.drivers.has(shard)) continue;
      entry.drivers.set(shard, this.startDriver(entry, shard));
      started.push(shard);
    }
    if (started.length > 0) this.logger.log(`run ${known.runId}: driving shards ${started.join(',')} for ${entry.run.config.ticks} ticks`);
  }

  private startDriver(entry: RunEntry, shard: number): Driver {
    const runId = entry.known.runId;
    const runner = new PersonaShardRunner(entry.run, runId, shard, this.options.persona, entry.enrollmentToken, {
      hypervisor: this.hypervisor,
      policy: this.policy ?? null,
      reports: this.reporter,
      metrics: this.metrics,
    });
    const driver: Driver = { runner, cancelled: false, done: Promise.resolve() };
    (driver as { done: Promise<void> }).done = this.drive(entry, driver).catch((error: Error) => {
      if (driver.cancelled || error instanceof GrantWaitCancelled) return;
      this.fail(runId, error);
    });
    return driver;
  }

  private async drive(entry: RunEntry, driver: Driver): Promise<void> {
    const { runner } = driver;
    const runId = entry.known.runId;
    const config = entry.run.config;
    const every = this.options.checkpointTicks;
    let first = 0;
    const checkpoint = every === undefined ? undefined : await this.checkpoints.latest(runId, runner.role, runner.shard);
    if (checkpoint !== undefined) {
      runner.restore(decodeCheckpointState(checkpoint.state));
      first = checkpoint.tick + 1;
      this.logger.log(`run ${runId}: shard ${runner.shard} restored from its checkpoint of tick ${checkpoint.tick}`);
    }
    const paced = config.pacing?.mode === 'real-time';
    const role = this.options.personaName;
    for (let tick = first; tick < config.ticks; tick++) {
      if (this.stopping) throw new Error('the runtime is shutting down');
      if (driver.cancelled) return;
      const lagMilliseconds = await entry.pacer.awaitTick(tick);
      this.metrics.tickLag.set({ role }, lagMilliseconds / 1000);
      const end = this.metrics.tickDuration.startTimer({ role });
      await runner.step(tick, { lagMilliseconds, paced });
      end();
      this.metrics.ticksProcessed.inc({ role });
      if (runner.agent)
        this.measureCompliance(
          runner,
          [...entry.drivers.values()].map((each) => each.runner),
        );
      if (every !== undefined && (tick + 1) % every === 0 && tick + 1 < config.ticks) await this.checkpoint(runId, runner, tick);
    }
    if (driver.cancelled) return;
    await runner.finish();
    if (every !== undefined) await this.checkpoint(runId, runner, config.ticks - 1);
  }

  /** Saves the shard's state after `tick` (its reports are out: step awaited them) and says so. */
  private async checkpoint(runId: string, runner: PersonaShardRunner, tick: number): Promise<void> {
    await this.checkpoints.save({ runId, shard: runner.shard, role: runner.role, tick, state: encodeCheckpointState(runner.snapshot()) });
    for (const listener of this.checkpointListeners) listener(runId, runner.shard, tick);
  }

  private stopDriver(runId: string, shard: number, driver: Driver): void {
    driver.cancelled = true;
    this.grants.cancel(runId, shard);
    this.logger.log(`run ${runId}: shard ${shard} released`);
  }

  /** The run ended (completed, or failed anywhere): its drivers stop, its state goes. */
  private drop(runId: string): void {
    const entry = this.runs.get(runId);
    this.runs.delete(runId);
    for (const driver of entry?.drivers.values() ?? []) driver.cancelled = true;
    this.grants.forgetRun(runId);
    this.checkpoints.forgetRun(runId);
  }

  /** Announces the run FAILED (retried: a broker blip must not leave the run STARTED everywhere else). */
  private fail(runId: string, error: Error): void {
    this.logger.error(`run ${runId}: ${error.message}`);
    this.reporter
      .publishFailed(runId, `persona-runtime ${this.options.personaName}: ${error.message}`)
      .catch((publishError: Error) => this.logger.error(`run ${runId}: FAILED not published: ${publishError.message}`));
  }

  /** duet_handsets_non_compliant{reason}: this shard's counts now, summed with the run's other shards. */
  private measureCompliance(runner: PersonaShardRunner, runners: readonly PersonaShardRunner[]): void {
    const agent = runner.agent!;
    const counts = new Float64Array(REASONS.length);
    for (let i = 0; i < agent.fleet.size; i++) {
      const mask = agent.complianceMask[i];
      if (mask === 0 || agent.enrolled[i] === 0) continue;
      for (let r = 0; r < REASONS.length; r++) if ((mask & REASONS[r][0]) !== 0) counts[r]++;
    }
    this.complianceCounts.set(runner, counts);
    REASONS.forEach(([, reason], r) =>
      this.metrics.nonCompliant.set(
        { reason },
        runners.reduce((sum, each) => sum + (this.complianceCounts.get(each)?.[r] ?? 0), 0),
      ),
    );
  }
}
