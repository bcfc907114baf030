// What every role of a run reports, on the event bus (docs/design.md#services-and-contracts; measurement apart from behaviour): each tick
// its events and its part of the KPIs, and at the end its part of the final per-handset state.
// Telemetry assembles the parts into the fleet's series and the run digest.
import { events as contract, telemetry } from '@duet/contracts';
import { KPI_NAMES, type EventBuffer, type LeakLedgerCell, type StateColumns } from '@duet/sim-core';
import type { EventBus } from './event-bus';
import { wireColumn } from './tick-exchange.codec';
import { withRetries } from './transient-errors';

export const Role = contract.Role;
export type Role = contract.Role;

// How long a FAILED that could not be published is tried again, by default.
const FAILED_PUBLISH_BUDGET_MS = 10 * 60_000;
const HANDSET_EVENTS = 'duet.handset-events.v1';
const TICK_KPIS = 'duet.tick-kpis.v1';
const SHARD_STATE = 'duet.shard-state.v1';
const RUN_LIFECYCLE = 'duet.run-lifecycle.v1';
const COMMANDS = 'duet.commands.v1';

export function kpisToMessage(values: ArrayLike<number>): telemetry.TickKpis {
  const message = {} as Record<string, number>;
  KPI_NAMES.forEach((name, k) => (message[name] = values[k]));
  return message as unknown as telemetry.TickKpis;
}

export function encodeEvents(runId: string, shard: number, tick: number, role: Role, events: EventBuffer): Uint8Array {
  const n = events.length;
  return contract.HandsetEventBatch.encode({
    runId,
    shard,
    tick,
    role,
    kind: wireColumn(events.kind.subarray(0, n)),
    handsetId: wireColumn(events.handset.subarray(0, n)),
    persona: wireColumn(events.persona.subarray(0, n)),
    a: wireColumn(events.a.subarray(0, n)),
    b: wireColumn(events.b.subarray(0, n)),
  }).finish();
}

/** Publishes one role's reports of one run (the reporting port's adapter on the event bus). */
export class RunReporter {
  constructor(private readonly bus: EventBus) {}

  /** `lagMilliseconds`: how late the role started the tick against a real-time schedule (wall time, outside the KPIs). */
  async publishTick(runId: string, shard: number, tick: number, role: Role, events: EventBuffer, kpis: ArrayLike<number>, lagMilliseconds = 0): Promise<void> {
    const key = String(shard);
    const part = contract.TickKpisRecorded.encode({ runId, shard, tick, role, kpis: kpisToMessage(kpis), lagMilliseconds }).finish();
    await Promise.all([
      this.bus.publish(HANDSET_EVENTS, [{ key, value: encodeEvents(runId, shard, tick, role, events) }]),
      this.bus.publish(TICK_KPIS, [{ key, value: part }]),
    ]);
  }

  /** `leaks`: the hypervisor's data-leak ledger cells for the shard (none from the persona roles). */
  async publishFinalState(
    runId: string,
    shard: number,
    role: Role,
    handsetIds: ArrayLike<number>,
    columns: StateColumns,
    leaks: readonly LeakLedgerCell[] = [],
  ): Promise<void> {
    const message = contract.ShardFinalState.encode({
      runId,
      shard,
      role,
      handsetIds: Array.from(handsetIds),
      columns: Object.entries(columns).map(([name, values]) => ({ name, values: Array.from(values) })),
      leaks: [...leaks],
    }).finish();
    await this.bus.publish(SHARD_STATE, [{ key: String(shard), value: message }]);
  }

  /** Commands for hypervisor-core to execute (keyed by handset id, as policy-authority fans them out). */
  async publishCommands(commands: readonly contract.CommandIssued[]): Promise<void> {
    if (commands.length === 0) return;
    await this.bus.publish(
      COMMANDS,
      commands.map((command) => ({ key: String(command.handsetId), value: contract.CommandIssued.encode(command).finish() })),
    );
  }

  async publishLifecycle(message: contract.RunLifecycle): Promise<void> {
    await this.bus.publish(RUN_LIFECYCLE, [{ key: message.runId, value: contract.RunLifecycle.encode(message).finish() }]);
  }

  /**
   * Announces the run FAILED, so that every role frees its state; a failed publish is tried again
   * with backoff for `budgetMs` (a broker blip must not leave the run STARTED everywhere else).
   */
  async publishFailed(runId: string, failure: string, budgetMs = FAILED_PUBLISH_BUDGET_MS): Promise<void> {
    const failed = contract.RunLifecycle.fromPartial({ runId, phase: telemetry.RunPhase.RUN_PHASE_FAILED, failure });
    await withRetries(() => this.publishLifecycle(failed), { budgetMs });
  }
}
