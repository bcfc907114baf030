// Reads whole topics from the beginning to their current end with a plain kafkajs consumer, the
// way any outside consumer would: no code of the services involved (the client: stack-kafka.ts).
import type { Kafka } from 'kafkajs';

export interface TopicRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: string | undefined;
  readonly value: Buffer;
  /** Broker/producer timestamp, milliseconds since the epoch. */
  readonly timestamp: number;
  /** Kafka headers, by name (the first value of each). */
  readonly headers: Readonly<Record<string, Buffer | undefined>>;
}

/** Every message of `topics` present when called (up to each partition's high watermark). */
export async function readTopics(kafka: Kafka, topics: readonly string[], timeoutMs: number): Promise<TopicRecord[]> {
  const admin = kafka.admin();
  await admin.connect();
  const remaining = new Map<string, bigint>(); // "topic/partition" → last offset still to read
  try {
    for (const topic of topics) {
      for (const partition of await admin.fetchTopicOffsets(topic)) {
        const high = BigInt(partition.high);
        if (high > BigInt(partition.low)) remaining.set(`${topic}/${partition.partition}`, high - 1n);
      }
    }
  } finally {
    await admin.disconnect();
  }
  const records: TopicRecord[] = [];
  if (remaining.size === 0) return records;
  const consumer = kafka.consumer({ groupId: `e2e-reader-${process.pid}-${Date.now()}`, sessionTimeout: 10_000 });
  await consumer.connect();
  try {
    let finish: () => void = () => undefined;
    const done = new Promise<void>((resolveDone) => (finish = resolveDone));
    for (const topic of topics) await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        const key = `${batch.topic}/${batch.partition}`;
        for (const message of batch.messages) {
          records.push({
            topic: batch.topic,
            partition: batch.partition,
            offset: message.offset,
            key: message.key?.toString('utf8'),
            value: message.value ?? Buffer.alloc(0),
            timestamp: Number(message.timestamp),
            headers: Object.fromEntries(
              Object.entries(message.headers ?? {}).map(([name, value]) => [name, Array.isArray(value) ? toBuffer(value[0]) : toBuffer(value)]),
            ),
          });
          const last = remaining.get(key);
          if (last !== undefined && BigInt(message.offset) >= last) remaining.delete(key);
        }
        if (remaining.size === 0) finish();
      },
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      done,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(new Error(`read ${records.length} messages; partitions not read to their end within ${timeoutMs} ms: ${[...remaining.keys()].join(', ')}`)),
          timeoutMs,
        );
      }),
    ]).finally(() => clearTimeout(timer));
  } finally {
    await consumer.disconnect();
  }
  return records;
}

function toBuffer(value: Buffer | string | undefined): Buffer | undefined {
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
}
