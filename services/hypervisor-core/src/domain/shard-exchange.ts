// One shard of one run as hypervisor-core holds it: the hypervisor's state for the shard's
// handsets, and the per-tick exchange with the two persona runtimes (docs/design.md#time-shards-and-determinism).
// A tick is processed once both personas' demands for it are in; a repeated call for the tick just
// done gets the same grants back (the exchange is idempotent). `snapshot` and `restore` carry the
// whole state across instances (a checkpoint), so another instance can take the shard over.
import { columnsOf, restoreColumns, type CheckpointState } from '@duet/service-kit';
import {
  DemandBatch,
  EventBuffer,
  FleetShard,
  GrantBatch,
  HypervisorShard,
  KPI_COUNT,
  Persona,
  ValidationError,
  CommandBatch,
  EMPTY_COMMANDS,
  countEvents,
  measureHypervisor,
  stepHypervisor,
  type HypervisorContext,
  type PreparedRun,
} from '@duet/sim-core';

/** Why an exchange was refused; the gRPC adapter maps it to a status code. */
export class ExchangeRefused extends Error {
  constructor(
    readonly reason: 'out-of-order' | 'unknown-run' | 'not-owned' | 'invalid' | 'finished',
    readonly path: string,
    readonly rule: string,
    message: string,
  ) {
    super(`${path}: ${message} [${rule}]`);
    this.name = 'ExchangeRefused';
  }
}

export interface TickReport {
  readonly tick: number;
  readonly events: EventBuffer;
  readonly kpis: Float64Array;
  /** Wall time the hypervisor step took (measured with the injected clock). */
  readonly seconds: number;
}

interface Pending {
  resolve(): void;
  reject(error: unknown): void;
}

export class ShardExchange {
  readonly fleet: FleetShard;
  readonly state: HypervisorShard;
  readonly demands: Record<number, DemandBatch>;
  readonly grants: Record<number, GrantBatch>;
  readonly events = new EventBuffer();
  /** Next tick to process. */
  nextTick = 0;
  private readonly indexById = new Map<number, number>();
  private readonly pending = new Map<number, Pending>();
  private readonly commandsByTick = new Map<number, CommandBatch>();
  private readonly context: HypervisorContext;

  constructor(
    readonly run: PreparedRun,
    readonly shard: number,
    private readonly onTick: (report: TickReport) => void,
    /** Wall clock in milliseconds, for measuring only (conventions.md principle 6); never enters the model. */
    private readonly now: () => number = () => 0,
  ) {
    const { fleet, random, clock, registry } = run;
    this.fleet = new FleetShard(fleet, shard, run.config.shards, random, clock.tickSeconds);
    this.state = new HypervisorShard(this.fleet);
    const n = this.fleet.size;
    this.demands = { [Persona.PERSONAL]: new DemandBatch(n), [Persona.BUSINESS]: new DemandBatch(n) };
    this.grants = { [Persona.PERSONAL]: new GrantBatch(n), [Persona.BUSINESS]: new GrantBatch(n) };
    this.state.writeInitialGrants(this.grants[Persona.PERSONAL], this.grants[Persona.BUSINESS]);
    this.fleet.ids.forEach((id, index) => this.indexById.set(id, index));
    this.context = { random, clock, policies: registry.effective };
    for (const command of run.commands) {
      const index = this.indexById.get(command.handsetId);
      if (index !== undefined) this.schedule(index, command.type, command.tick);
    }
  }

  get finished(): boolean {
    return this.nextTick >= this.run.config.ticks;
  }

  /** Awaiting which personas for the next tick. */
  get awaiting(): number[] {
    return [Persona.PERSONAL, Persona.BUSINESS].filter((persona) => !this.pending.has(persona));
  }

  indexOf(handsetId: number): number {
    return this.indexById.get(handsetId) ?? -1;
  }

  /** Schedules a remote command; one that arrives for a tick already under way runs at the next. */
  scheduleCommand(handsetId: number, type: number, tick: number): boolean {
    const index = this.indexById.get(handsetId);
    if (index === undefined) return false;
    this.schedule(index, type, Math.max(tick, this.nextTick));
    return true;
  }

  /**
   * Accepts one persona's demand (already decoded into `demands[persona]` by the caller through
   * `prepare`) for `tick`. Resolves when the tick has been processed, i.e. once the other
   * persona's demand is in too; the caller then reads `grants[persona]`.
   */
  submit(persona: number, tick: number): Promise<'processed' | 'replayed'> {
    if (persona !== Persona.PERSONAL && persona !== Persona.BUSINESS) {
      return Promise.reject(new ExchangeRefused('invalid', 'demand.persona', 'enum', `must be PERSONA_PERSONAL or PERSONA_BUSINESS, got ${persona}`));
    }
    if (tick === this.nextTick - 1) return Promise.resolve('replayed'); // a retry after a lost answer
    if (this.finished)
      return Promise.reject(new ExchangeRefused('finished', 'demand.tick', 'run-length', `the run has ${this.run.config.ticks} ticks; all are done`));
    if (tick !== this.nextTick) {
      return Promise.reject(new ExchangeRefused('out-of-order', 'demand.tick', 'next-tick', `shard ${this.shard} expects tick ${this.nextTick}, got ${tick}`));
    }
    return new Promise((resolve, reject) => {
      this.pending.get(persona)?.reject(new ExchangeRefused('invalid', 'demand', 'superseded', 'a newer call for the same tick replaced this one'));
      this.pending.set(persona, { resolve: () => resolve('processed'), reject });
      if (this.pending.size === 2) this.process();
    });
  }

  /** The shard moved to another instance (or its run ended): waiting exchanges are refused. */
  abandon(): void {
    for (const pending of this.pending.values())
      pending.reject(new ExchangeRefused('not-owned', 'demand.shard', 'owned', `shard ${this.shard} is no longer held here`));
    this.pending.clear();
  }

  /** Checks that a demand for `tick` may be decoded now (it must not overwrite a processed tick's input). */
  acceptsDemandFor(tick: number): boolean {
    return tick === this.nextTick;
  }

  private process(): void {
    const tick = this.nextTick;
    const commands = this.commandsByTick.get(tick) ?? EMPTY_COMMANDS;
    this.commandsByTick.delete(tick);
    this.events.clear(tick);
    const started = this.now();
    try {
      stepHypervisor(
        this.context,
        this.state,
        this.demands[Persona.PERSONAL],
        this.demands[Persona.BUSINESS],
        commands,
        tick,
        this.grants[Persona.PERSONAL],
        this.grants[Persona.BUSINESS],
        this.events,
      );
    } catch (error) {
      for (const pending of this.pending.values()) pending.reject(error);
      this.pending.clear();
      return;
    }
    this.nextTick++;
    const kpis = new Float64Array(KPI_COUNT);
    measureHypervisor(kpis, this.state);
    countEvents(kpis, this.events);
    this.onTick({ tick, events: this.events, kpis, seconds: (this.now() - started) / 1000 });
    for (const pending of this.pending.values()) pending.resolve();
    this.pending.clear();
  }

  /** Everything the shard's next ticks depend on, after tick nextTick - 1. */
  snapshot(): CheckpointState {
    const commandTicks: number[] = [];
    const commandIndex: number[] = [];
    const commandTypes: number[] = [];
    for (const [tick, batch] of this.commandsByTick) {
      for (let k = 0; k < batch.length; k++) {
        commandTicks.push(tick);
        commandIndex.push(batch.index[k]);
        commandTypes.push(batch.type[k]);
      }
    }
    const state: CheckpointState = {
      nextTick: this.nextTick,
      ...columnsOf('hypervisor', this.state),
      commandTicks: Int32Array.from(commandTicks),
      commandIndex: Int32Array.from(commandIndex),
      commandTypes: Int32Array.from(commandTypes),
    };
    for (const persona of [Persona.PERSONAL, Persona.BUSINESS]) {
      Object.assign(state, columnsOf(`demand${persona}`, this.demands[persona]), columnsOf(`grant${persona}`, this.grants[persona]));
      state[`demand${persona}.tick`] = this.demands[persona].tick;
      state[`grant${persona}.tick`] = this.grants[persona].tick;
    }
    return state;
  }

  /** Takes over a snapshot of this shard (same run, same handsets) taken by any instance. */
  restore(state: CheckpointState): void {
    if (this.pending.size > 0) throw new RangeError(`shard ${this.shard}: cannot restore while an exchange is waiting`);
    restoreColumns('hypervisor', this.state, state);
    for (const persona of [Persona.PERSONAL, Persona.BUSINESS]) {
      restoreColumns(`demand${persona}`, this.demands[persona], state);
      restoreColumns(`grant${persona}`, this.grants[persona], state);
      this.demands[persona].tick = state[`demand${persona}.tick`] as number;
      this.grants[persona].tick = state[`grant${persona}.tick`] as number;
    }
    this.nextTick = state.nextTick as number;
    this.commandsByTick.clear();
    const ticks = state.commandTicks as Int32Array;
    const index = state.commandIndex as Int32Array;
    const types = state.commandTypes as Int32Array;
    for (let k = 0; k < ticks.length; k++) this.schedule(index[k], types[k], ticks[k]);
  }

  private schedule(index: number, type: number, tick: number): void {
    let batch = this.commandsByTick.get(tick);
    if (batch === undefined) this.commandsByTick.set(tick, (batch = new CommandBatch()));
    batch.add(index, type);
  }
}

export function invalidExchange(error: ValidationError): ExchangeRefused {
  const issue = error.issues[0];
  return new ExchangeRefused('invalid', issue.path, issue.rule, error.issues.map((each) => `${each.path}: ${each.message} [${each.rule}]`).join('; '));
}
