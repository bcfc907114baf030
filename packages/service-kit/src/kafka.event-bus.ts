import { DEAD_LETTER_HEADERS, DEAD_LETTER_SUFFIX, findTopic, partitionOf, type TopicName } from '@duet/contracts';
import { Kafka, logLevel, type Admin, type Consumer, type KafkaConfig, type Producer } from 'kafkajs';
import { kafkaClientSecurity } from './config';
import { EventBus, type MessageHandler, type OutgoingMessage, type SubscribeOptions, type Subscription } from './event-bus';
import { GuardedDelivery, type DeadLetter } from './guarded-delivery';
import { PROCESS_METRICS, type Metrics } from './metrics';
import { isTransientError, withRetries } from './transient-errors';

process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';

// A member that stops heartbeating (a SIGKILLed instance) loses its partitions after this long:
// the shortest the broker allows by default (group.min.session.timeout.ms), so shards move fast.
const SESSION_TIMEOUT_MS = 6_000;
const HEARTBEAT_INTERVAL_MS = 1_000;
// A fetch with nothing to return waits at most this long, so heartbeats and rebalances are not held up.
const MAX_FETCH_WAIT_MS = 200;
// A disconnect can wait on a client that is still retrying a lost broker: stop waiting after this.
const DISCONNECT_TIMEOUT_MS = 5_000;
// How long a publish keeps trying while the broker is away (kafkajs's own retries take ~80 s of it):
// a broker restart of a minute or two must not fail a run.
const PUBLISH_BUDGET_MS = 5 * 60_000;
// The longest wait between two tries: every shard's next tick waits on its publish, so a broker
// that is back is used within seconds.
const PUBLISH_MAX_DELAY_MS = 5_000;
// How long a readiness probe waits for a first connection of the producer.
const READY_CONNECT_TIMEOUT_MS = 3_000;
// A batch in its handler longer than this (its partition not advancing, whatever comes after it
// waiting) means the consumer is wedged: liveness fails so that the process is restarted. Longer than a
// dependency outage the handler rides out with retries (a PostgreSQL or broker restart of a minute).
const DEFAULT_STALL_MS = 5 * 60_000;

export interface KafkaEventBusOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  /** How long a batch may stay in its handler before the bus is not live (default 5 minutes). */
  readonly stallMs?: number;
  /** TLS and SASL of the clients; default from the environment (kafkaClientSecurity: KAFKA_SSL_CA, KAFKA_SASL_*), plaintext when unset. */
  readonly security?: Pick<KafkaConfig, 'ssl' | 'sasl'>;
}

/** A batch being handled: since when, and how many messages wait behind it. */
interface InFlight {
  readonly since: number;
  readonly where: string;
  readonly lag: number;
}

/**
 * The Kafka adapter of the event bus (kafkajs). Producers set the partition from the topic
 * registry (shard % partitions) so the instance owning a shard reads one known partition.
 * kafkajs retries with exponential backoff; health turns false while a client is disconnected.
 */
export class KafkaEventBus extends EventBus {
  private readonly kafka: Kafka;
  private producer: Producer | undefined;
  private producerReady: Promise<Producer> | undefined;
  private readonly consumers = new Set<Consumer>();
  private admin: Promise<Admin> | undefined;
  // Not until a client has connected: /readyz stays red while Kafka has never answered.
  private connected = false;
  private readonly inFlight = new Set<InFlight>();
  /** Why a consumer stopped for good (kafkajs crashed it and will not restart it). */
  private crashed: string | undefined;

  constructor(
    private readonly options: KafkaEventBusOptions,
    private readonly metrics: Metrics = PROCESS_METRICS,
  ) {
    super();
    this.kafka = new Kafka({
      clientId: options.clientId,
      brokers: [...options.brokers],
      ...(options.security ?? kafkaClientSecurity()),
      logLevel: logLevel.WARN,
      retry: { initialRetryTime: 300, retries: 12, maxRetryTime: 10_000 },
    });
  }

  /** Also rides out a broker away for a while: a transient failure is tried again with backoff for PUBLISH_BUDGET_MS. */
  async publish(topic: TopicName, messages: readonly OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const registered = findTopic(topic);
    const record = {
      topic,
      acks: -1,
      messages: messages.map((message) => ({
        key: message.key,
        value: Buffer.from(message.value.buffer, message.value.byteOffset, message.value.byteLength),
        partition: partitionOf(registered, message.shard ?? Number(message.key)),
      })),
    };
    await withRetries(async () => (await this.connectProducer()).send(record), {
      budgetMs: PUBLISH_BUDGET_MS,
      maxDelayMs: PUBLISH_MAX_DELAY_MS,
      retryIf: isTransientError,
    });
    this.metrics.messagesProduced.inc({ topic }, messages.length);
  }

  async subscribe(groupId: string, topics: readonly TopicName[], handler: MessageHandler, options: SubscribeOptions = {}): Promise<Subscription> {
    const consumer = this.kafka.consumer({
      groupId,
      retry: { retries: 12 },
      sessionTimeout: SESSION_TIMEOUT_MS,
      heartbeatInterval: HEARTBEAT_INTERVAL_MS,
      maxWaitTimeInMs: MAX_FETCH_WAIT_MS,
    });
    const lag = new Map<string, number>(); // by topic/partition, for the lag gauge
    consumer.on(consumer.events.CRASH, (event) => {
      this.connected = false;
      if (!event.payload.restart) this.crashed = `consumer group ${groupId} stopped: ${event.payload.error.message}`;
    });
    consumer.on(consumer.events.CONNECT, () => (this.connected = true));
    const delivery = new GuardedDelivery(groupId, handler, (letters) => this.deadLetter(letters), this.metrics);
    if (options.onAssignment) {
      const onAssignment = options.onAssignment;
      consumer.on(consumer.events.GROUP_JOIN, (event) => {
        const assigned = event.payload.memberAssignment as Record<string, number[]>;
        onAssignment(new Map(topics.map((topic) => [topic, [...(assigned[topic] ?? [])].sort((a, b) => a - b)])));
      });
    }
    await consumer.connect();
    for (const topic of topics) await consumer.subscribe({ topic, fromBeginning: options.fromBeginning ?? false });
    this.consumers.add(consumer);
    await consumer.run({
      eachBatchAutoResolve: false,
      autoCommit: !options.manualCommit,
      partitionsConsumedConcurrently: options.concurrency ?? 1,
      eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }) => {
        const messages = batch.messages.map((message) => ({
          topic: batch.topic,
          partition: batch.partition,
          offset: message.offset,
          key: message.key?.toString() ?? '',
          value: message.value ?? Buffer.alloc(0),
          timestamp: Number(message.timestamp),
        }));
        // A throw here leaves the offsets unresolved: kafkajs redelivers the batch (at-least-once).
        const handling: InFlight = {
          since: Date.now(),
          where: `${groupId} ${batch.topic}[${batch.partition}]@${batch.firstOffset()}`,
          lag: Number(batch.offsetLag()),
        };
        this.inFlight.add(handling);
        try {
          await delivery.deliver(messages, { heartbeat, running: () => isRunning() && !isStale() });
        } finally {
          this.inFlight.delete(handling);
        }
        this.metrics.messagesConsumed.inc({ topic: batch.topic, group: groupId }, messages.length);
        lag.set(`${batch.topic}/${batch.partition}`, Number(batch.offsetLag()));
        let topicLag = 0;
        for (const [key, value] of lag) if (key.startsWith(`${batch.topic}/`)) topicLag += value;
        this.metrics.consumerLag.set({ group: groupId, topic: batch.topic }, topicLag);
        for (const message of batch.messages) resolveOffset(message.offset);
        if (!options.manualCommit) await commitOffsetsIfNecessary();
        await heartbeat();
      },
    });
    return {
      close: async () => {
        this.consumers.delete(consumer);
        await bounded(consumer.disconnect());
      },
      commit: async (topic, partition, offset) => {
        try {
          await consumer.commitOffsets([{ topic, partition, offset: String(offset) }]);
          return true;
        } catch {
          return false; // not a member now, or the partition moved in a rebalance: its new owner commits
        }
      },
    };
  }

  async endOffsets(topic: TopicName): Promise<ReadonlyMap<number, { readonly low: number; readonly high: number }>> {
    const admin = await this.connectAdmin();
    const offsets = await admin.fetchTopicOffsets(topic);
    return new Map(offsets.map((entry) => [entry.partition, { low: Number(entry.low), high: Number(entry.high) }]));
  }

  async drain(): Promise<void> {
    // Kafka is durable: published messages are handled by consumers in their own time.
  }

  healthy(): boolean {
    return this.connected;
  }

  /** Connected now; a process that only publishes (no consumer connected at start) tries its producer first, briefly. */
  override async ready(): Promise<boolean> {
    if (!this.connected && this.consumers.size === 0)
      await bounded(
        this.connectProducer().then(() => undefined),
        READY_CONNECT_TIMEOUT_MS,
      );
    return this.connected;
  }

  /**
   * Why the bus is not live, or undefined when it is: a consumer that kafkajs stopped for good, or
   * a batch stuck in its handler past the stall time (its partition not advancing).
   */
  override notLive(now = Date.now()): string | undefined {
    if (this.crashed !== undefined) return this.crashed;
    const stallMs = this.options.stallMs ?? DEFAULT_STALL_MS;
    for (const handling of this.inFlight) {
      if (now - handling.since > stallMs)
        return `${handling.where} in its handler for ${Math.round((now - handling.since) / 1000)} s, ${handling.lag} messages behind it`;
    }
    return undefined;
  }

  /** Moves messages to their topic's dead-letter topic, with headers saying where they came from and why. */
  private async deadLetter(letters: readonly DeadLetter[]): Promise<void> {
    const producer = await this.connectProducer();
    const byTopic = new Map<string, DeadLetter[]>();
    for (const letter of letters) byTopic.set(letter.message.topic, [...(byTopic.get(letter.message.topic) ?? []), letter]);
    await producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([topic, ofTopic]) => ({
        topic: `${topic}${DEAD_LETTER_SUFFIX}`,
        messages: ofTopic.map(({ message, group, reason }) => ({
          key: message.key,
          value: Buffer.from(message.value.buffer, message.value.byteOffset, message.value.byteLength),
          partition: 0,
          headers: {
            [DEAD_LETTER_HEADERS.topic]: topic,
            [DEAD_LETTER_HEADERS.partition]: String(message.partition),
            [DEAD_LETTER_HEADERS.offset]: message.offset,
            [DEAD_LETTER_HEADERS.group]: group,
            [DEAD_LETTER_HEADERS.reason]: reason,
          },
        })),
      })),
    });
  }

  async close(): Promise<void> {
    await Promise.all([...this.consumers].map((consumer) => bounded(consumer.disconnect())));
    this.consumers.clear();
    if (this.producer) await bounded(this.producer.disconnect());
    if (this.admin) await bounded((async () => (await this.admin!.catch(() => undefined))?.disconnect())());
  }

  private connectAdmin(): Promise<Admin> {
    this.admin ??= (async () => {
      const admin = this.kafka.admin();
      await admin.connect();
      return admin;
    })().catch((error: unknown) => {
      this.admin = undefined; // the next call tries again
      throw error;
    });
    return this.admin;
  }

  private connectProducer(): Promise<Producer> {
    this.producerReady ??= (async () => {
      // Not idempotent: that would allow one request in flight for the whole process and put every
      // shard's sends in one queue. A retried send may land twice; every consumer is idempotent.
      const producer = this.kafka.producer({ allowAutoTopicCreation: false });
      producer.on(producer.events.DISCONNECT, () => (this.connected = false));
      producer.on(producer.events.CONNECT, () => (this.connected = true));
      await producer.connect();
      this.producer = producer;
      return producer;
    })().catch((error: unknown) => {
      this.producerReady = undefined; // a failed first connection is tried again by the next send
      this.connected = false;
      throw error;
    });
    return this.producerReady;
  }

  get brokers(): readonly string[] {
    return this.options.brokers;
  }
}

/** Waits for a disconnect (or a connect), but not past the timeout: a client retrying a lost broker may never finish one. */
async function bounded(disconnect: Promise<void>, timeoutMs = DISCONNECT_TIMEOUT_MS): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
  try {
    await Promise.race([disconnect.catch(() => undefined), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
