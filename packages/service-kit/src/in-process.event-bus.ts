import { Logger } from '@nestjs/common';
import { findTopic, partitionOf, type TopicName } from '@duet/contracts';
import { EventBus, type IncomingMessage, type MessageHandler, type OutgoingMessage, type SubscribeOptions, type Subscription } from './event-bus';
import { PROCESS_METRICS, type Metrics } from './metrics';

// Bounded so a fast producer cannot outrun its consumers without limit (messages per group).
const MAX_QUEUED = 10_000;
// Topics a late subscriber can read from the beginning. Only the small control topics are kept:
// retaining every tick's events of a long run would hold the whole run in memory.
const RETAINED_TOPICS: ReadonlySet<string> = new Set(['duet.run-lifecycle.v1', 'duet.policy-changed.v1', 'duet.commands.v1']);

interface Group {
  readonly id: string;
  readonly topics: ReadonlySet<string>;
  readonly handler: MessageHandler;
  queue: IncomingMessage[];
  running: Promise<void> | undefined;
  closed: boolean;
}

/** The in-process adapter of the event bus: the same delivery contract as Kafka, in memory. */
export class InProcessEventBus extends EventBus {
  private readonly logger = new Logger('event-bus');

  constructor(private readonly metrics: Metrics = PROCESS_METRICS) {
    super();
  }

  private readonly groups = new Map<string, Group>();
  private readonly offsets = new Map<string, number>();
  private readonly log = new Map<string, IncomingMessage[]>();
  private failure: unknown;

  async publish(topic: TopicName, messages: readonly OutgoingMessage[]): Promise<void> {
    const stored: IncomingMessage[] = messages.map((message) => {
      const partition = partitionOf(findTopic(topic), message.shard ?? Number(message.key));
      const key = `${topic}/${partition}`;
      const offset = this.offsets.get(key) ?? 0;
      this.offsets.set(key, offset + 1);
      return { topic, partition, offset: String(offset), key: message.key, value: message.value, timestamp: Date.now() };
    });
    this.metrics.messagesProduced.inc({ topic }, messages.length);
    if (RETAINED_TOPICS.has(topic)) {
      const history = this.log.get(topic) ?? [];
      history.push(...stored);
      this.log.set(topic, history);
    }
    for (const group of this.groups.values()) {
      if (!group.topics.has(topic) || group.closed) continue;
      group.queue.push(...stored);
      this.pump(group);
    }
    // Backpressure: wait while any consumer is far behind.
    for (const group of this.groups.values()) {
      while (group.queue.length > MAX_QUEUED && group.running) await group.running;
    }
  }

  async subscribe(groupId: string, topics: readonly TopicName[], handler: MessageHandler, options: SubscribeOptions = {}): Promise<Subscription> {
    if (this.groups.has(groupId)) throw new Error(`consumer group ${groupId} is already subscribed`);
    const group: Group = { id: groupId, topics: new Set(topics), handler, queue: [], running: undefined, closed: false };
    if (options.fromBeginning) for (const topic of topics) group.queue.push(...(this.log.get(topic) ?? []));
    this.groups.set(groupId, group);
    // One process, one member: it holds every partition.
    options.onAssignment?.(new Map(topics.map((topic) => [topic, Array.from({ length: findTopic(topic).partitions }, (_, partition) => partition)])));
    this.pump(group);
    return {
      close: async () => {
        group.closed = true;
        await group.running;
        this.groups.delete(groupId);
      },
      commit: async () => true, // nothing outlives the process: there is nothing to resume from
    };
  }

  async endOffsets(topic: TopicName): Promise<ReadonlyMap<number, { readonly low: number; readonly high: number }>> {
    const partitions = findTopic(topic).partitions;
    return new Map(Array.from({ length: partitions }, (_, partition) => [partition, { low: 0, high: this.offsets.get(`${topic}/${partition}`) ?? 0 }]));
  }

  async drain(): Promise<void> {
    for (;;) {
      const busy = [...this.groups.values()].filter((group) => group.running !== undefined);
      if (busy.length === 0) break;
      await Promise.all(busy.map((group) => group.running));
    }
    if (this.failure !== undefined) throw this.failure;
  }

  healthy(): boolean {
    return this.failure === undefined;
  }

  async close(): Promise<void> {
    for (const group of this.groups.values()) group.closed = true;
    await Promise.all([...this.groups.values()].map((group) => group.running));
    this.groups.clear();
  }

  private pump(group: Group): void {
    if (group.running !== undefined || group.closed || group.queue.length === 0) return;
    // Cleared in finally(), which always runs after this assignment (a synchronous clear inside
    // the async body would run before it and leave the group marked busy forever).
    group.running = this.deliver(group).finally(() => {
      group.running = undefined;
      this.pump(group);
    });
  }

  private async deliver(group: Group): Promise<void> {
    while (group.queue.length > 0 && !group.closed) {
      const batch = group.queue.splice(0, group.queue.length);
      try {
        // No dead-letter topic in one process: a rejected message is counted and logged, then passed over.
        await group.handler(batch, {
          reject: (message, reason) => {
            this.metrics.messagesDeadLettered.inc({ topic: message.topic, group: group.id });
            this.logger.warn(`${group.id}: ${message.topic}[${message.partition}]@${message.offset} passed over: ${reason}`);
          },
        });
        for (const message of batch) this.metrics.messagesConsumed.inc({ topic: message.topic, group: group.id });
      } catch (error) {
        // Unlike Kafka we cannot redeliver forever in one process: record and stop this group.
        this.failure = error;
        group.closed = true;
      }
    }
  }
}
