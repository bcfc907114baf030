import { Injectable, Logger, Optional, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { events as contract, telemetry } from '@duet/contracts';
import { EventBus, HealthChecks, Metrics, RunReporter, type IncomingMessage, type Subscription } from '@duet/service-kit';
import { DEFAULT_TICK_SECONDS, NON_COMPLIANCE_REASON_NAMES, createPacer, prepareRun, systemClock, type SimulationConfig } from '@duet/sim-core';
import { HypervisorPeer, PolicyGateway } from '../domain/ports';
import { PersonaRuntimeOptions } from '../persona-runtime.options';
import { PersonaShardRunner } from './persona-shard-runner';

// Non-compliance reasons as [bit, name], for the duet_handsets_non_compliant gauge.
const REASONS: readonly [number, string][] = Object.entries(NON_COMPLIANCE_REASON_NAMES).map(([bit, name]) => [Number(bit), name]);

/**
 * A persona runtime's runs: learns of runs from the run-lifecycle topic and drives each owned
 * shard tick by tick, as fast as the exchange with hypervisor-core allows or, in a real-time run,
 * starting each tick when it is due on the wall clock (sim-core's pacer, one per run for all its
 * shards) and reporting how late it started. Shards advance independently; a run that fails is
 * reported as FAILED with the reason.
 */
@Injectable()
export class PersonaRunsService implements OnModuleInit, OnModuleDestroy {
  private readonly logger: Logger;
  private readonly reporter: RunReporter;
  private readonly active = new Map<string, Promise<void>>();
  private subscription: Subscription | undefined;
  private stopping = false;
  private readonly complianceCounts = new WeakMap<PersonaShardRunner, Float64Array>();
  private lastFailure: string | undefined;

  constructor(
    private readonly bus: EventBus,
    private readonly options: PersonaRuntimeOptions,
    private readonly hypervisor: HypervisorPeer,
    private readonly health: HealthChecks,
    private readonly metrics: Metrics,
    @Optional() private readonly policy?: PolicyGateway,
  ) {
    this.logger = new Logger(`persona-runtime-${options.personaName}`);
    this.reporter = new RunReporter(bus);
  }

  async onModuleInit(): Promise<void> {
    this.health.register(`${this.options.personaName}-event-bus`, () => this.bus.healthy());
    const group = `persona-runtime-${this.options.personaName}-${this.options.instanceId}`;
    this.subscription = await this.bus.subscribe(group, ['duet.run-lifecycle.v1'], (messages) => this.onLifecycle(messages));
  }

  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    await this.subscription?.close();
    await Promise.allSettled(this.active.values());
  }

  /** Runs under way on this instance. */
  get runs(): string[] {
    return [...this.active.keys()];
  }

  get failure(): string | undefined {
    return this.lastFailure;
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

  private async onLifecycle(messages: readonly IncomingMessage[]): Promise<void> {
    for (const message of messages) {
      const lifecycle = contract.RunLifecycle.decode(message.value);
      if (lifecycle.phase !== telemetry.RunPhase.RUN_PHASE_STARTED || this.active.has(lifecycle.runId)) continue;
      // Not awaited: a run goes on while the consumer keeps reading.
      const running = this.drive(lifecycle).finally(() => this.active.delete(lifecycle.runId));
      this.active.set(lifecycle.runId, running);
    }
  }

  private async drive(lifecycle: contract.RunLifecycle): Promise<void> {
    const runId = lifecycle.runId;
    try {
      const config = JSON.parse(lifecycle.configJson) as SimulationConfig;
      const run = prepareRun(config);
      const runners: PersonaShardRunner[] = [];
      for (let shard = 0; shard < config.shards; shard++) {
        if (!this.options.owns(shard)) continue;
        runners.push(
          new PersonaShardRunner(run, runId, shard, this.options.persona, lifecycle.enrollmentToken, {
            hypervisor: this.hypervisor,
            policy: this.policy ?? null,
            reports: this.reporter,
            metrics: this.metrics,
          }),
        );
      }
      this.logger.log(`run ${runId}: driving shards ${runners.map((runner) => runner.shard).join(',')} for ${config.ticks} ticks`);
      const pacing = config.pacing ?? { mode: 'as-fast-as-possible' };
      const pacer = createPacer(pacing, config.tickSeconds ?? DEFAULT_TICK_SECONDS, systemClock);
      const role = this.options.personaName;
      await Promise.all(
        runners.map(async (runner) => {
          for (let tick = 0; tick < config.ticks; tick++) {
            if (this.stopping) throw new Error('the runtime is shutting down');
            const lagMilliseconds = await pacer.awaitTick(tick);
            this.metrics.tickLag.set({ role }, lagMilliseconds / 1000);
            const end = this.metrics.tickDuration.startTimer({ role });
            await runner.step(tick, { lagMilliseconds, paced: pacing.mode === 'real-time' });
            end();
            this.metrics.ticksProcessed.inc({ role });
            if (runner.agent) this.measureCompliance(runner, runners);
          }
          await runner.finish();
        }),
      );
    } catch (error) {
      this.lastFailure = `run ${runId}: ${(error as Error).message}`;
      this.logger.error(this.lastFailure);
      await this.reporter
        .publishLifecycle(
          contract.RunLifecycle.fromPartial({
            runId,
            phase: telemetry.RunPhase.RUN_PHASE_FAILED,
            failure: `persona-runtime ${this.options.personaName}: ${(error as Error).message}`,
          }),
        )
        .catch(() => undefined);
    }
  }
}
