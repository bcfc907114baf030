import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { events, findTopic, telemetry } from '@duet/contracts';
import { EventBus, type IncomingMessage, type Subscription } from '@duet/service-kit';
import { KPI_NAMES } from '@duet/sim-core';
import { runIdProblem } from '../domain/run-id';
import { RunRecorder } from '../services/run-recorder.service';
import { TelemetrySettings } from '../services/telemetry.settings';

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
    this.subscription = await this.eventBus.subscribe(this.settings.consumerGroup, TOPICS, (messages) => this.handle(messages), { fromBeginning: true });
  }

  async onModuleDestroy(): Promise<void> {
    await this.subscription?.close();
    this.subscription = undefined;
  }

  private async handle(messages: readonly IncomingMessage[]): Promise<void> {
    for (const run of byTopic(messages)) {
      const topic = run[0].topic;
      if (topic === RUN_LIFECYCLE.name) for (const message of this.decode(RUN_LIFECYCLE.payload, run)) await this.lifecycle(message);
      else if (topic === TICK_KPIS.name) await this.recorder.recordTickParts(this.decode(TICK_KPIS.payload, run).map(toTickPart));
      else if (topic === HANDSET_EVENTS.name) await this.recorder.recordEventBatches(this.decode(HANDSET_EVENTS.payload, run));
      else if (topic === SHARD_STATE.name) await this.recorder.recordFinalStates(this.decode(SHARD_STATE.payload, run).map(toFinalStatePart));
    }
  }

  /**
   * Decodes payloads; one that is not the topic's message, or names a run id telemetry cannot store
   * (NUL, too long), is logged and skipped, not redelivered forever.
   */
  private decode<Payload extends { runId: string }>(codec: { decode(bytes: Uint8Array): Payload }, messages: readonly IncomingMessage[]): Payload[] {
    return messages.flatMap((message) => {
      try {
        const payload = codec.decode(message.value);
        const problem = runIdProblem(payload.runId);
        if (problem !== undefined) throw new Error(`run_id ${problem.message}`);
        return [payload];
      } catch (error) {
        this.logger.warn(`skipped ${message.topic} ${message.partition}/${message.offset}: not a valid payload (${(error as Error).message})`);
        return [];
      }
    });
  }

  private async lifecycle(message: events.RunLifecycle): Promise<void> {
    // COMPLETED (telemetry's own among them) needs nothing here.
    if (message.phase === telemetry.RunPhase.RUN_PHASE_STARTED) await this.recorder.recordRunStarted(message);
    else if (message.phase === telemetry.RunPhase.RUN_PHASE_FAILED) await this.recorder.recordRunFailed(message.runId, message.failure);
  }
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
  };
}
