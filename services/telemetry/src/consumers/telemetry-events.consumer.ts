import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { events, findTopic, telemetry, type TopicName } from '@duet/contracts';
import {
  EventBus,
  decodeChecked,
  identityViolation,
  lifecycleViolation,
  type DeliveryContext,
  type IncomingMessage,
  type RunMessageIdentity,
  type Subscription,
} from '@duet/service-kit';
import { KPI_NAMES } from '@duet/sim-core';
import { columnNameViolation } from '../domain/run-assembly';
import { RunRecorder } from '../services/run-recorder.service';
import { TelemetrySettings } from '../telemetry.settings';

const RUN_LIFECYCLE = findTopic('duet.run-lifecycle.v1');
const TICK_KPIS = findTopic('duet.tick-kpis.v1');
const HANDSET_EVENTS = findTopic('duet.handset-events.v1');
const SHARD_STATE = findTopic('duet.shard-state.v1');
const TOPICS = [RUN_LIFECYCLE.name, TICK_KPIS.name, HANDSET_EVENTS.name, SHARD_STATE.name];

/**
 * Reads every event topic telemetry needs in one consumer group, from the beginning for a new
 * group, and hands each delivery to the RunRecorder topic by topic, in delivery order. The
 * recorder stores everything before this handler returns, so the offsets commit only after.
 */
@Injectable()
export class TelemetryEventsConsumer implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('telemetry');
  private subscription: Subscription | undefined;

  constructor(
    @Inject(EventBus) private readonly eventBus: EventBus,
    @Inject(RunRecorder) private readonly recorder: RunRecorder,
    @Inject(TelemetrySettings) private readonly settings: TelemetrySettings,
  ) {}

  async onModuleInit(): Promise<void> {
    this.subscription = await this.eventBus.subscribe(this.settings.consumerGroup, TOPICS, (messages, context) => this.handle(messages, context), {
      fromBeginning: true,
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.subscription?.close();
    this.subscription = undefined;
  }

  private async handle(messages: readonly IncomingMessage[], context: DeliveryContext): Promise<void> {
    for (const run of byTopic(messages)) {
      const topic = run[0].topic;
      if (topic === RUN_LIFECYCLE.name) for (const message of decodeAll(run, context, RUN_LIFECYCLE.payload, lifecycleViolation)) await this.lifecycle(message);
      else if (topic === TICK_KPIS.name) await this.recorder.recordTickParts(decodeAll(run, context, TICK_KPIS.payload, identityOf).map(toTickPart));
      else if (topic === HANDSET_EVENTS.name) await this.recorder.recordEventBatches(decodeAll(run, context, HANDSET_EVENTS.payload, identityOf));
      else if (topic === SHARD_STATE.name)
        await this.recorder.recordFinalStates(decodeAll(run, context, SHARD_STATE.payload, finalStateViolation).map(toFinalStatePart));
    }
  }

  private async lifecycle(message: events.RunLifecycle): Promise<void> {
    // COMPLETED (telemetry's own among them) needs nothing here.
    if (message.phase === telemetry.RunPhase.RUN_PHASE_STARTED) await this.recorder.recordRunStarted(message);
    else if (message.phase === telemetry.RunPhase.RUN_PHASE_FAILED) await this.recorder.recordRunFailed(message.runId, message.failure);
  }
}

/** The payloads of the messages; one that is not its topic's payload or breaks the contract is rejected (dead-lettered). */
function decodeAll<Payload>(
  messages: readonly IncomingMessage[],
  context: DeliveryContext,
  codec: { decode(bytes: Uint8Array): Payload },
  check: (payload: Payload, message: IncomingMessage) => string | undefined,
): Payload[] {
  return messages.flatMap((message) => {
    const payload = decodeChecked(
      message,
      context,
      (bytes) => codec.decode(bytes),
      (decoded) => check(decoded, message),
    );
    return payload === undefined ? [] : [payload];
  });
}

/** A shard-keyed part's identity, read from the partition its shard names. */
function identityOf(part: RunMessageIdentity, message: IncomingMessage): string | undefined {
  return identityViolation(part, { partition: message.partition, partitions: findTopic(message.topic as TopicName).partitions });
}

/** A final state's identity, and column names that can be stored and assembled. */
function finalStateViolation(part: events.ShardFinalState, message: IncomingMessage): string | undefined {
  return identityOf(part, message) ?? part.columns.map((column) => columnNameViolation(column.name)).find((violation) => violation !== undefined);
}

/**
 * A delivery's messages grouped by topic, in a fixed order: run lifecycle first (a run's STARTED
 * before its parts), then tick parts, event batches and final states, each group in delivery
 * order. Producers interleave topics message by message, so grouping is what lets the recorder
 * store a delivery in a few transactions instead of one per message; it copes with parts in any
 * order across topics (they may even precede STARTED).
 */
function byTopic(messages: readonly IncomingMessage[]): IncomingMessage[][] {
  const groups = new Map<string, IncomingMessage[]>(TOPICS.map((topic) => [topic, []]));
  for (const message of messages) groups.get(message.topic)?.push(message);
  return [...groups.values()].filter((group) => group.length > 0);
}

function toTickPart(message: events.TickKpisRecorded) {
  // An unset kpis field is a part of all zeros (proto3 may leave an all-default message out).
  const kpis = message.kpis ?? telemetry.TickKpis.fromPartial({});
  return { runId: message.runId, tick: message.tick, shard: message.shard, role: message.role, values: KPI_NAMES.map((name) => kpis[name]) };
}

function toFinalStatePart(message: events.ShardFinalState) {
  return {
    runId: message.runId,
    shard: message.shard,
    role: message.role,
    handsetIds: message.handsetIds,
    columns: Object.fromEntries(message.columns.map((column) => [column.name, column.values])),
    leaks: message.leaks,
  };
}
