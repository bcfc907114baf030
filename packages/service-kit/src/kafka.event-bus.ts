import { findTopic, partitionOf, type TopicName } from '@duet/contracts';
import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import { EventBus, type MessageHandler, type OutgoingMessage, type Subscription } from './event-bus';
import { PROCESS_METRICS, type Metrics } from './metrics';

process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';

export interface KafkaEventBusOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
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
  private connected = true;

  constructor(
    private readonly options: KafkaEventBusOptions,
    private readonly metrics: Metrics = PROCESS_METRICS,
  ) {
    super();
    this.kafka = new Kafka({
      clientId: options.clientId,
      brokers: [...options.brokers],
      logLevel: logLevel.WARN,
      retry: { initialRetryTime: 300, retries: 12, maxRetryTime: 10_000 },
    });
  }

  async publish(topic: string, messages: readonly OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const registered = findTopic(topic as TopicName);
    const producer = await this.connectProducer();
    await producer.send({
      topic,
      acks: -1,
      messages: messages.map((message) => ({
        key: message.key,
        value: Buffer.from(message.value.buffer, message.value.byteOffset, message.value.byteLength),
        partition: partitionOf(registered, Number(message.key)),
      })),
    });
    this.metrics.messagesProduced.inc({ topic }, messages.length);
  }

  async subscribe(groupId: string, topics: readonly string[], handler: MessageHandler, options: { fromBeginning?: boolean } = {}): Promise<Subscription> {
    const consumer = this.kafka.consumer({ groupId, retry: { retries: 12 } });
    const lag = new Map<string, number>(); // by topic/partition, for the lag gauge
    consumer.on(consumer.events.CRASH, () => (this.connected = false));
    consumer.on(consumer.events.CONNECT, () => (this.connected = true));
    await consumer.connect();
    for (const topic of topics) await consumer.subscribe({ topic, fromBeginning: options.fromBeginning ?? false });
    this.consumers.add(consumer);
    await consumer.run({
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary }) => {
        const messages = batch.messages.map((message) => ({
          topic: batch.topic,
          partition: batch.partition,
          offset: message.offset,
          key: message.key?.toString() ?? '',
          value: message.value ?? Buffer.alloc(0),
        }));
        // A throw here leaves the offsets unresolved: kafkajs redelivers the batch (at-least-once).
        await handler(messages);
        this.metrics.messagesConsumed.inc({ topic: batch.topic, group: groupId }, messages.length);
        lag.set(`${batch.topic}/${batch.partition}`, Number(batch.offsetLag()));
        let topicLag = 0;
        for (const [key, value] of lag) if (key.startsWith(`${batch.topic}/`)) topicLag += value;
        this.metrics.consumerLag.set({ group: groupId, topic: batch.topic }, topicLag);
        for (const message of batch.messages) resolveOffset(message.offset);
        await commitOffsetsIfNecessary();
        await heartbeat();
      },
    });
    return {
      close: async () => {
        this.consumers.delete(consumer);
        await consumer.disconnect();
      },
    };
  }

  async drain(): Promise<void> {
    // Kafka is durable: published messages are handled by consumers in their own time.
  }

  healthy(): boolean {
    return this.connected;
  }

  async close(): Promise<void> {
    await Promise.all([...this.consumers].map((consumer) => consumer.disconnect()));
    this.consumers.clear();
    if (this.producer) await this.producer.disconnect();
  }

  private connectProducer(): Promise<Producer> {
    this.producerReady ??= (async () => {
      const producer = this.kafka.producer({ allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 1 });
      producer.on(producer.events.DISCONNECT, () => (this.connected = false));
      producer.on(producer.events.CONNECT, () => (this.connected = true));
      await producer.connect();
      this.producer = producer;
      return producer;
    })();
    return this.producerReady;
  }

  get brokers(): readonly string[] {
    return this.options.brokers;
  }
}
