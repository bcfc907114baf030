import { Inject, Injectable, Logger } from '@nestjs/common';
import { Database, Metrics } from '@duet/service-kit';
import { ValidationError, prepareRun, type PreparedRun, type SimulationConfig } from '@duet/sim-core';
import { PartError } from '../domain/errors';
import { EventAggregator, checkEventBatch, checkEventBatchIdentity, eventBatchKey, expectedEventBatches, type EventBatch } from '../domain/event-aggregation';
import { FleetDimensions } from '../domain/fleet-dimensions';
import { PolicyHistory } from '../domain/policy-history';
import { RunAssembly, type FinalStatePart, type TickPart } from '../domain/run-assembly';
import { FinalStatesRepository } from '../repositories/final-states.repository';
import { PendingEventBatchesRepository, type KeyedEventBatch } from '../repositories/pending-event-batches.repository';
import { PolicyApplicationsRepository } from '../repositories/policy-applications.repository';
import { RunsRepository, type RunIdentity, type RunPhaseName, type RunRow } from '../repositories/runs.repository';
import { SeriesRepository } from '../repositories/series.repository';
import { TickKpisRepository } from '../repositories/tick-kpis.repository';
import { RunLifecyclePublisher } from '../publishers/run-lifecycle.publisher';

export interface RunStarted extends RunIdentity {
  readonly configJson: string;
}

export type RunTickPart = TickPart & { readonly runId: string };
export type RunEventBatch = EventBatch & { readonly runId: string };
export type RunFinalStatePart = FinalStatePart & { readonly runId: string };

/** What the recorder holds of a run between messages: a cache of what PostgreSQL stores. */
interface RunState {
  readonly row: RunRow;
  phase: RunPhaseName;
  /** While STARTED: the parts assembled so far. */
  readonly assembly: RunAssembly | undefined;
  /** Undefined when the run's config was not valid (the run is FAILED). */
  readonly aggregator: EventAggregator | undefined;
  /** Event batches counted (or skipped as broken) so far; the run completes once all are. */
  eventBatches: number;
}

const CACHED_RUNS = 8; // runs held in memory; others are reloaded from PostgreSQL when a message needs them

/**
 * Records runs from the event topics (docs/design.md#services-and-contracts): registers a run at STARTED, assembles its
 * ticks and final state from the roles' parts, counts its events per dimension, and completes it
 * with its digest and summary. Everything is stored before the message is acknowledged, so after
 * a restart (or a redelivery) the run continues from PostgreSQL; a message whose content breaks
 * the contract is logged and skipped rather than redelivered forever. Messages are handled one
 * delivery at a time (one consumer, one handler call at a time).
 */
@Injectable()
export class RunRecorder {
  private readonly logger = new Logger('telemetry');
  private readonly runs = new Map<string, RunState>();

  constructor(
    @Inject(Database) private readonly database: Database,
    @Inject(RunsRepository) private readonly runRows: RunsRepository,
    @Inject(TickKpisRepository) private readonly tickKpis: TickKpisRepository,
    @Inject(FinalStatesRepository) private readonly finalStateParts: FinalStatesRepository,
    @Inject(SeriesRepository) private readonly series: SeriesRepository,
    @Inject(PolicyApplicationsRepository) private readonly policyApplications: PolicyApplicationsRepository,
    @Inject(PendingEventBatchesRepository) private readonly pendingEvents: PendingEventBatchesRepository,
    @Inject(RunLifecyclePublisher) private readonly lifecycle: RunLifecyclePublisher,
    @Inject(Metrics) private readonly metrics: Metrics,
  ) {}

  async recordRunStarted(started: RunStarted): Promise<void> {
    let config: unknown;
    let failure: string | undefined;
    let tickSeconds = started.tickSeconds;
    try {
      config = JSON.parse(started.configJson);
      const prepared = prepareRun(config as SimulationConfig);
      tickSeconds ||= prepared.clock.tickSeconds; // 0 = not given: the config's (or the default) tick length
      failure = describeMismatch({ ...started, tickSeconds }, prepared);
    } catch (error) {
      failure = describeConfigError(error);
    }
    const run = { ...started, tickSeconds, config, phase: failure === undefined ? ('STARTED' as const) : ('FAILED' as const), failure };
    // A run failed here is announced (through the outbox, with the row), so that the driver and the roles stop.
    const inserted = await this.database.transaction(async (client) => {
      const stored = await this.runRows.insert(run, client);
      if (stored && failure !== undefined) await this.lifecycle.failed(client, started.runId, failure);
      return stored;
    });
    if (!inserted) return; // a redelivered STARTED
    if (failure !== undefined) await this.lifecycle.relay();
    this.metrics.runs.inc({ phase: failure === undefined ? 'started' : 'failed' });
    this.metrics.runTicks.set(started.ticks);
    this.metrics.runTicksCompleted.set(0);
    if (failure !== undefined) this.logger.warn(`run ${started.runId} failed at start: ${failure}`);
    this.runs.delete(started.runId);
    await this.state(started.runId); // takes in the parts and events that arrived before STARTED
  }

  async recordRunFailed(runId: string, failure: string): Promise<void> {
    if (await this.runRows.fail(runId, failure || 'failed without a reason')) {
      this.runs.delete(runId);
      this.metrics.runs.inc({ phase: 'failed' });
    }
  }

  async recordTickParts(parts: readonly RunTickPart[]): Promise<void> {
    for (const [runId, ofRun] of byRun(parts)) {
      const state = await this.state(runId);
      if (state === undefined) {
        await this.tickKpis.insertParts(this.database, runId, ofRun);
        continue;
      }
      if (state.phase !== 'STARTED' || state.assembly === undefined) continue;
      const assembly = state.assembly;
      const added = ofRun.filter((part) => this.skipBad(() => assembly.addTickPart(part)) === 'added');
      await this.settle(state, added);
    }
  }

  async recordFinalStates(parts: readonly RunFinalStatePart[]): Promise<void> {
    for (const [runId, ofRun] of byRun(parts)) {
      const state = await this.state(runId);
      for (const part of ofRun) {
        if (state === undefined) await this.finalStateParts.insert(runId, part);
        else if (state.phase === 'STARTED' && state.assembly !== undefined) {
          const assembly = state.assembly;
          if (this.skipBad(() => assembly.addFinalStatePart(part)) === 'added') await this.finalStateParts.insert(runId, part);
        }
      }
      if (state !== undefined) await this.completeIfDone(state);
    }
  }

  async recordEventBatches(batches: readonly RunEventBatch[]): Promise<void> {
    for (const [runId, ofRun] of byRun(batches)) {
      // A batch delivered twice in one delivery is one batch.
      const keyed = [...new Map(ofRun.map((batch) => [eventBatchKey(batch), batch]))].map(([key, batch]) => ({ key, batch }));
      const state = await this.state(runId);
      if (state === undefined) await this.pendingEvents.store(runId, keyed);
      else await this.countEvents(state, keyed);
    }
  }

  /** The run's state, loaded from PostgreSQL (and brought up to date) when not in memory. */
  private async state(runId: string): Promise<RunState | undefined> {
    const cached = this.runs.get(runId);
    if (cached !== undefined) {
      this.runs.delete(runId); // most recently used last
      this.runs.set(runId, cached);
      return cached;
    }
    const row = await this.runRows.find(runId);
    if (row === undefined) return undefined;
    const state = await this.load(row);
    this.runs.set(runId, state);
    while (this.runs.size > CACHED_RUNS) this.runs.delete(this.runs.keys().next().value!);
    try {
      if (state.phase === 'COMPLETED' && !row.completionPublished) {
        // Completed by a telemetry from before the outbox, and not announced: announce it now.
        await this.database.transaction(async (client) => {
          await this.lifecycle.completed(client, row, row.digest!);
          await this.runRows.markCompletionPublished(client, runId);
        });
        await this.lifecycle.relay();
      }
      await this.settle(state, []);
      const pending = await this.pendingEvents.load(runId);
      if (pending.length > 0) await this.countEvents(state, pending, true);
    } catch (error) {
      this.runs.delete(runId);
      throw error;
    }
    return state;
  }

  private async load(row: RunRow): Promise<RunState> {
    // A run whose config was not valid has no fleet to count events by, and cannot be assembled.
    const fleet = row.config === undefined ? undefined : this.skipBad(() => fleetOf(row));
    let aggregator: EventAggregator | undefined;
    if (fleet !== undefined && fleet !== 'skipped') {
      const history = new PolicyHistory();
      for (const application of await this.policyApplications.load(row.runId)) history.record(application);
      aggregator = new EventAggregator(fleet, history);
    }
    let assembly: RunAssembly | undefined;
    if (row.phase === 'STARTED' && aggregator !== undefined) {
      assembly = new RunAssembly(row);
      for (const tick of await this.tickKpis.loadTicks(row.runId)) assembly.restoreFinalTick(tick.tick, tick.values);
      for (const part of await this.tickKpis.loadParts(row.runId)) this.skipBad(() => assembly!.addTickPart(part));
      for (const part of await this.finalStateParts.load(row.runId)) this.skipBad(() => assembly!.addFinalStatePart(part));
    }
    const eventBatches = row.phase === 'STARTED' ? await this.series.countBatches(row.runId) : 0;
    return { row, phase: row.phase, assembly, aggregator, eventBatches };
  }

  /** Stores the new parts and the ticks they made final, then completes the run if it is done. */
  private async settle(state: RunState, added: readonly TickPart[]): Promise<void> {
    const assembly = state.assembly;
    if (state.phase !== 'STARTED' || assembly === undefined) return;
    const final = assembly.takeFinalTicks();
    // Parts of ticks that became final here need not be stored: the tick row replaces them.
    const pending = added.filter((part) => part.tick >= assembly.ticksCompleted);
    if (pending.length > 0 || final.length > 0) {
      await this.guarded(state, () =>
        this.database.transaction(async (client) => {
          await this.tickKpis.insertParts(client, state.row.runId, pending);
          if (final.length === 0) return;
          await this.tickKpis.insertTicks(client, state.row.runId, final);
          await this.tickKpis.deletePartsBefore(client, state.row.runId, assembly.ticksCompleted);
          await this.runRows.setTicksCompleted(client, state.row.runId, assembly.ticksCompleted);
        }),
      );
      this.metrics.runTicksCompleted.set(assembly.ticksCompleted);
    }
    await this.completeIfDone(state);
  }

  /**
   * Completes the run once every tick part, final state and event batch is in: events travel on
   * their own topic, so a run whose parts are all in may still have event counts on the way, and
   * COMPLETED promises that its series are final.
   */
  private async completeIfDone(state: RunState): Promise<void> {
    if (state.phase !== 'STARTED' || state.assembly === undefined || !state.assembly.complete) return;
    if (state.eventBatches < expectedEventBatches(state.row)) return;
    let result;
    try {
      result = state.assembly.finish();
    } catch (error) {
      if (!(error instanceof PartError)) throw error;
      this.logger.error(`run ${state.row.runId} cannot complete: ${error.message}`);
      await this.guarded(state, () =>
        this.database.transaction(async (client) => {
          if (await this.runRows.fail(state.row.runId, error.message, client)) await this.lifecycle.failed(client, state.row.runId, error.message);
        }),
      );
      state.phase = 'FAILED';
      await this.lifecycle.relay();
      return;
    }
    // The outcome and its announcement in one transaction: COMPLETED goes out once it is stored, and only then.
    await this.guarded(state, () =>
      this.database.transaction(async (client) => {
        await this.runRows.complete(client, state.row.runId, result.digest, result.summary);
        await this.finalStateParts.deleteRun(client, state.row.runId);
        await this.lifecycle.completed(client, state.row, result.digest);
        await this.runRows.markCompletionPublished(client, state.row.runId);
      }),
    );
    state.phase = 'COMPLETED';
    this.metrics.runs.inc({ phase: 'completed' });
    this.logger.log(`run ${state.row.runId} completed: ${state.assembly.ticksCompleted} ticks, digest ${result.digest}`);
    await this.lifecycle.relay();
  }

  /**
   * Counts batches not counted before, in one transaction with the record that they were. A batch
   * whose identity is not one of the run's is skipped; one whose content breaks the contract is
   * recorded as seen but not counted, so the run can still complete (the log names what was wrong).
   */
  private async countEvents(state: RunState, batches: readonly KeyedEventBatch[], fromPending = false): Promise<void> {
    const aggregator = state.aggregator;
    if (aggregator === undefined) return; // a run that failed at start has no fleet to count by
    const known = batches.filter(({ batch }) => this.skipBad(() => checkEventBatchIdentity(batch, state.row)) !== 'skipped');
    const valid = new Set(known.filter(({ batch }) => this.skipBad(() => checkEventBatch(batch, state.row.handsets)) !== 'skipped'));
    const claimed = await this.guarded(state, () =>
      this.database.transaction(async (client) => {
        const claimed = await this.series.claimBatches(
          client,
          state.row.runId,
          known.map(({ key, batch }) => ({ key, shard: batch.shard, tick: batch.tick })),
        );
        const { counts, applications } = aggregator.aggregate(known.filter((keyed) => valid.has(keyed) && claimed.has(keyed.key)).map(({ batch }) => batch));
        await this.policyApplications.insert(client, state.row.runId, applications);
        await this.series.addCounts(client, state.row.runId, counts);
        if (fromPending) await this.pendingEvents.deleteRun(client, state.row.runId);
        return claimed;
      }),
    );
    state.eventBatches += claimed.size;
    await this.completeIfDone(state);
  }

  /** Runs a store; when it fails the cached state may be ahead of PostgreSQL, so it is dropped. */
  private async guarded<T>(state: RunState, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      this.runs.delete(state.row.runId);
      throw error;
    }
  }

  /** Runs a domain step; a part breaking the contract is logged and skipped (docs/design.md#quality-bars). */
  private skipBad<T>(step: () => T): T | 'skipped' {
    try {
      return step();
    } catch (error) {
      if (!(error instanceof PartError)) throw error;
      this.logger.warn(`skipped: ${error.message}`);
      return 'skipped';
    }
  }
}

function fleetOf(row: RunRow): FleetDimensions {
  try {
    return FleetDimensions.fromConfig(row.config as SimulationConfig);
  } catch (error) {
    throw new PartError(`config of run ${row.runId}`, [{ parameter: 'config_json', rule: 'valid', message: describeConfigError(error) }]);
  }
}

function byRun<T extends { readonly runId: string }>(items: readonly T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const group = groups.get(item.runId);
    if (group === undefined) groups.set(item.runId, [item]);
    else group.push(item);
  }
  return groups;
}

/** The STARTED message's own fields must agree with its config, or the parts cannot add up. */
function describeMismatch(started: RunStarted, prepared: PreparedRun): string | undefined {
  const pairs: [string, unknown, unknown][] = [
    ['seed', started.seed, prepared.config.seed],
    ['ticks', started.ticks, prepared.config.ticks],
    ['shards', started.shards, prepared.config.shards],
    ['handsets', started.handsets, prepared.fleet.handsets],
    ['tick_seconds', started.tickSeconds, prepared.clock.tickSeconds],
  ];
  const wrong = pairs.filter(([, message, configured]) => message !== configured);
  if (wrong.length === 0) return undefined;
  return wrong.map(([name, message, configured]) => `${name}: the message says ${message}, config_json says ${configured} [consistent]`).join('; ');
}

function describeConfigError(error: unknown): string {
  if (error instanceof ValidationError) return error.issues.map((issue) => `config_json.${issue.path}: ${issue.message} [${issue.rule}]`).join('; ');
  if (error instanceof SyntaxError) return `config_json: not valid JSON (${error.message}) [json]`;
  return `config_json: ${(error as Error).message}`;
}
