// Shards and groups of them: a shard's handsets with the state of every role that owns a part of
// them, and a group of shards stepped together on one thread. The in-process Simulation is one
// group of every shard; a parallel run (apps/duet) gives each worker thread a group of its own.
// Shards never read each other's state within a tick and every KPI is an integer sum, so the
// grouping changes neither the KPIs nor the digest (docs/design.md#time-shards-and-determinism).
import { columnsOf, holdsColumns, restoreColumns, type ColumnState } from './engine/columns';
import { CounterRandom } from './engine/random';
import { shardOf } from './engine/shard';
import { AgentShard, TimelineAnswers, stepAgent, type AgentContext } from './model/agent';
import { DemandBatch, GrantBatch } from './model/batches';
import { enforcedReasons } from './model/enforcement';
import { CommandBatch, EMPTY_COMMANDS } from './model/commands';
import { Persona } from './model/enums';
import { EventBuffer, type EventSink } from './model/events';
import { FleetShard, type ResolvedFleet } from './model/fleet';
import { HypervisorShard, stepHypervisor, type HypervisorContext } from './model/hypervisor';
import { mergeLedger, type LeakLedgerColumns } from './model/leak-ledger';
import type { PolicySource } from './model/policy-timeline';
import { PersonaShard, applyGrants, computeDemands, type AgentView, type WorkloadContext } from './model/workload';
import { agentFinalState, hypervisorFinalState, personaFinalState, scatterState } from './measure/final-state';
import { measureShard } from './measure/tick-kpis';
import type { PreparedRun } from './simulation';

/**
 * Parts of a shard that a snapshot leaves out: the fleet is derived from the config and the seed,
 * the event buffer is cleared every tick, the agent view aliases the agent's own columns. Every
 * other part that holds typed columns is the shard's state, carried by snapshot() as it is.
 */
const DERIVED_PARTS: ReadonlySet<string> = new Set(['fleet', 'events', 'agentView']);

/** One shard: its handsets and the state of every role that owns a part of them. */
export class ShardSimulation {
  readonly fleet: FleetShard;
  readonly hypervisor: HypervisorShard;
  readonly personal: PersonaShard;
  readonly business: PersonaShard;
  readonly agent: AgentShard;
  readonly personalDemand: DemandBatch;
  readonly businessDemand: DemandBatch;
  readonly personalGrant: GrantBatch;
  readonly businessGrant: GrantBatch;
  readonly events = new EventBuffer();
  commandsByTick = new Map<number, CommandBatch>();
  private readonly answers: TimelineAnswers;
  private agentView: AgentView | undefined;

  constructor(
    fleet: ResolvedFleet,
    shard: number,
    shards: number,
    random: CounterRandom,
    tickSeconds: number,
    source: PolicySource,
    enforced?: number, // reason bits some policy has a rule for (enforcedReasons); default every one
  ) {
    this.fleet = new FleetShard(fleet, shard, shards, random, tickSeconds);
    const n = this.fleet.size;
    this.hypervisor = new HypervisorShard(this.fleet);
    this.personal = new PersonaShard(Persona.PERSONAL, this.fleet);
    this.business = new PersonaShard(Persona.BUSINESS, this.fleet);
    this.agent = new AgentShard(this.fleet, enforced);
    this.personalDemand = new DemandBatch(n);
    this.businessDemand = new DemandBatch(n);
    this.personalGrant = new GrantBatch(n);
    this.businessGrant = new GrantBatch(n);
    this.hypervisor.writeInitialGrants(this.personalGrant, this.businessGrant);
    this.answers = new TimelineAnswers(source, this.fleet);
  }

  /** Index of a handset id in this shard's columns (ids are ascending). */
  indexOf(handsetId: number): number {
    const ids = this.fleet.ids;
    let low = 0;
    let high = ids.length - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      if (ids[middle] === handsetId) return middle;
      if (ids[middle] < handsetId) low = middle + 1;
      else high = middle - 1;
    }
    return -1;
  }

  /** The parts whose columns are the shard's state between two ticks, by name. */
  stateParts(): [string, object][] {
    return Object.entries(this).filter((entry): entry is [string, object] => !DERIVED_PARTS.has(entry[0]) && holdsColumns(entry[1]));
  }

  /** Every state column of the shard between two ticks (copies: the shard goes on stepping). */
  snapshot(): ColumnState {
    const state: ColumnState = {};
    for (const [name, part] of this.stateParts()) for (const [key, column] of Object.entries(columnsOf(name, part))) state[key] = column.slice();
    return state;
  }

  /**
   * Takes over a snapshot taken before `tick` by a shard of the same run layout. The commands
   * scheduled from the config for earlier ticks were carried out before the snapshot: dropped.
   */
  restore(state: ColumnState, tick: number): void {
    for (const [name, part] of this.stateParts()) restoreColumns(name, part, state);
    for (const scheduled of [...this.commandsByTick.keys()]) if (scheduled < tick) this.commandsByTick.delete(scheduled);
  }

  step(tick: number, workload: WorkloadContext, hypervisor: HypervisorContext, agent: AgentContext): void {
    const events = this.events;
    events.clear(tick);
    // Built once: the columns and the registry's array never change identity.
    const agentView = (this.agentView ??= {
      policyIndex: this.agent.policyIndex,
      enrolled: this.agent.enrolled,
      pendingWorldRequest: this.agent.pendingWorldRequest,
      vpnUp: this.agent.vpnUp,
      nextCheckInTick: this.agent.nextCheckInTick,
      policies: agent.policies,
    });
    computeDemands(workload, this.personal, this.personalGrant, tick, this.personalDemand, events, null);
    computeDemands(workload, this.business, this.businessGrant, tick, this.businessDemand, events, agentView);
    const commands = this.commandsByTick.get(tick) ?? EMPTY_COMMANDS;
    this.commandsByTick.delete(tick);
    stepHypervisor(hypervisor, this.hypervisor, this.personalDemand, this.businessDemand, commands, tick, this.personalGrant, this.businessGrant, events);
    const tickSeconds = workload.clock.tickSeconds;
    applyGrants(this.personal, this.personalDemand, this.personalGrant, tick, tickSeconds, events);
    applyGrants(this.business, this.businessDemand, this.businessGrant, tick, tickSeconds, events);
    stepAgent(agent, this.agent, this.businessGrant, tick, events, this.answers.at(tick));
  }
}

/** Some of a run's shards (ascending shard numbers), stepped one after the other on one thread. */
export class ShardGroup {
  readonly shards: ShardSimulation[] = [];
  /** The shard number of each entry of `shards`. */
  readonly numbers: readonly number[];
  private readonly positionOf: Int32Array;
  private readonly workloadContext: WorkloadContext;
  private readonly hypervisorContext: HypervisorContext;
  private readonly agentContext: AgentContext;

  constructor(
    readonly prepared: PreparedRun,
    numbers: readonly number[],
  ) {
    const { config, fleet, clock, random, registry, timeline, cadence } = prepared;
    this.numbers = [...numbers].sort((a, b) => a - b);
    this.positionOf = new Int32Array(config.shards).fill(-1);
    for (const shard of this.numbers) {
      if (!Number.isInteger(shard) || shard < 0 || shard >= config.shards || this.positionOf[shard] !== -1)
        throw new RangeError(`shard ${shard} is not one of the run's ${config.shards} shards, or is given twice`);
      this.positionOf[shard] = this.shards.length;
      this.shards.push(new ShardSimulation(fleet, shard, config.shards, random, clock.tickSeconds, timeline, enforcedReasons(registry.effective)));
    }
    for (const command of prepared.commands) this.scheduleCommand([command.handsetId], command.type, command.tick);
    this.workloadContext = { random, clock, personalIntensity: fleet.personalIntensity, businessIntensity: fleet.businessIntensity };
    this.hypervisorContext = { random, clock, policies: registry.effective };
    this.agentContext = { random, clock, policies: registry.effective, cadence };
  }

  /** Schedules a command code for the handsets this group owns; the others are left to their groups. */
  scheduleCommand(handsetIds: readonly number[], type: number, tick: number): void {
    for (const id of handsetIds) {
      const position = this.positionOf[shardOf(id, this.positionOf.length)];
      if (position === -1) continue;
      const shard = this.shards[position];
      let batch = shard.commandsByTick.get(tick);
      if (batch === undefined) shard.commandsByTick.set(tick, (batch = new CommandBatch()));
      batch.add(shard.indexOf(id), type);
    }
  }

  /** Steps every shard of the group through `tick`, adding their KPIs into `values`. */
  step(tick: number, values: Float64Array, sinks: readonly EventSink[]): void {
    for (let s = 0; s < this.shards.length; s++) {
      const shard = this.shards[s];
      shard.step(tick, this.workloadContext, this.hypervisorContext, this.agentContext);
      measureShard(values, shard.hypervisor, shard.agent, shard.events);
      for (const sink of sinks) sink.onEvents(this.numbers[s], shard.events);
    }
  }

  /** Adds the group's data-leak ledgers into `into`. */
  mergeLedgers(into: LeakLedgerColumns): void {
    for (const shard of this.shards) mergeLedger(into, shard.hypervisor);
  }

  /** Scatters the group's final per-handset state into fleet-wide columns indexed by handset id. */
  scatterFinalState(into: Record<string, Float64Array>): void {
    const handsets = this.prepared.fleet.handsets;
    for (const shard of this.shards) {
      const ids = shard.fleet.ids;
      scatterState(into, handsets, ids, hypervisorFinalState(shard.hypervisor));
      scatterState(into, handsets, ids, personaFinalState(shard.personal));
      scatterState(into, handsets, ids, personaFinalState(shard.business));
      scatterState(into, handsets, ids, agentFinalState(shard.agent));
    }
  }
}
