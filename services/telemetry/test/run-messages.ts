// A simulated run as the messages the services publish on the event topics, encoded with the
// contracts' codecs, so a test can put them on a real (or in-process) bus.
import { events, findTopic, telemetry } from '@duet/contracts';
import type { EventBus, OutgoingMessage } from '@duet/service-kit';
import { KPI_NAMES } from '@duet/sim-core';
import type { SimulatedEventBatch, SimulatedFinalStatePart, SimulatedRun, SimulatedTickPart } from './simulated-run';

export const RUN_LIFECYCLE = findTopic('duet.run-lifecycle.v1');
export const TICK_KPIS = findTopic('duet.tick-kpis.v1');
export const HANDSET_EVENTS = findTopic('duet.handset-events.v1');
export const SHARD_STATE = findTopic('duet.shard-state.v1');

export function startedMessage(runId: string, run: SimulatedRun, scenario = 'telemetry-spec'): OutgoingMessage {
  const message = events.RunLifecycle.fromPartial({
    runId,
    phase: telemetry.RunPhase.RUN_PHASE_STARTED,
    scenario,
    seed: run.config.seed,
    handsets: run.config.fleet.handsets,
    ticks: run.config.ticks,
    shards: run.config.shards,
    tickSeconds: run.config.tickSeconds,
    configJson: JSON.stringify(run.config),
  });
  return { key: runId, value: RUN_LIFECYCLE.payload.encode(message).finish() };
}

export function tickPartMessage(runId: string, part: SimulatedTickPart): OutgoingMessage {
  const kpis = telemetry.TickKpis.fromPartial(Object.fromEntries(KPI_NAMES.map((name, k) => [name, part.values[k]])));
  const message = events.TickKpisRecorded.fromPartial({ runId, shard: part.shard, tick: part.tick, role: part.role, kpis });
  return { key: String(part.shard), value: TICK_KPIS.payload.encode(message).finish() };
}

export function eventBatchMessage(runId: string, batch: SimulatedEventBatch): OutgoingMessage {
  // The batch's fields are the message's, with the run id added.
  const message = events.HandsetEventBatch.fromPartial({ ...batch, runId });
  return { key: String(batch.shard), value: HANDSET_EVENTS.payload.encode(message).finish() };
}

export function finalStateMessage(runId: string, part: SimulatedFinalStatePart): OutgoingMessage {
  const message = events.ShardFinalState.fromPartial({
    runId,
    shard: part.shard,
    role: part.role,
    handsetIds: part.handsetIds,
    columns: Object.entries(part.columns).map(([name, values]) => ({ name, values })),
    leaks: part.leaks,
  });
  return { key: String(part.shard), value: SHARD_STATE.payload.encode(message).finish() };
}

/** Publishes a run's tick parts, event batches and final state, each shuffled and with one message twice (a redelivery). */
export async function publishRunParts(bus: EventBus, runId: string, run: SimulatedRun, order: <T>(items: readonly T[]) => T[]): Promise<void> {
  const withRepeat = <T>(items: T[]) => [...items, items[Math.floor(items.length / 2)]];
  await bus.publish(TICK_KPIS.name, withRepeat(order(run.tickParts).map((part) => tickPartMessage(runId, part))));
  await bus.publish(HANDSET_EVENTS.name, withRepeat(order(run.eventBatches).map((batch) => eventBatchMessage(runId, batch))));
  await bus.publish(SHARD_STATE.name, withRepeat(order(run.finalStateParts).map((part) => finalStateMessage(runId, part))));
}

/** Polls until `check` gives a value, at most `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
