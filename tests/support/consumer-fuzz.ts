// What the Kafka fuzz specs of the services share (services/*/test/*fuzz*.spec.ts): fuzzed messages
// go to a consumer's topic with a key naming each one, and the consumer's dead letters are read
// back from `<topic>.dlq` by those keys, with a plain kafkajs consumer as an outsider would.
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import fc from 'fast-check';
import { DEAD_LETTER_HEADERS, DEAD_LETTER_SUFFIX, type TopicName } from '@duet/contracts';
import type { EventBus } from '@duet/service-kit';

/** A dead letter as read back: why, and which consumer group moved it. */
export interface Letter {
  readonly reason: string;
  readonly group: string;
}

/** Dead letters of `topic` whose key starts with `prefix`, by key, as they arrive. */
export class DeadLetterWatch {
  readonly letters = new Map<string, Letter>();
  private constructor(private readonly consumer: Consumer) {}

  static async start(brokers: string[], topic: TopicName, prefix: string): Promise<DeadLetterWatch> {
    const kafka = new Kafka({ brokers, clientId: `dlq-watch-${topic}-${prefix}`, logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId: `dlq-watch-${topic}-${prefix}` });
    const watch = new DeadLetterWatch(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic: `${topic}${DEAD_LETTER_SUFFIX}`, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const key = message.key?.toString() ?? '';
        if (!key.startsWith(prefix)) return;
        const header = (name: string) => message.headers?.[name]?.toString() ?? '';
        watch.letters.set(key, { reason: header(DEAD_LETTER_HEADERS.reason), group: header(DEAD_LETTER_HEADERS.group) });
      },
    });
    return watch;
  }

  /** Resolves once every key is dead-lettered; throws naming the missing ones after `timeoutMs`. */
  async awaitAll(keys: readonly string[], timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const missing = keys.filter((key) => !this.letters.has(key));
      if (missing.length === 0) return;
      if (Date.now() > deadline) throw new Error(`not dead-lettered within ${timeoutMs} ms: ${missing.slice(0, 10).join(', ')} (${missing.length})`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  close(): Promise<void> {
    return this.consumer.disconnect();
  }
}

/**
 * Waits until the consumer reads every partition of `topic`: a group without committed offsets
 * starts at the end of each partition it is given, so messages published before that are never
 * seen. Garbage goes to each partition not yet shown read until its dead letter comes back.
 */
export async function awaitEveryPartitionRead(
  bus: EventBus,
  topic: { readonly name: TopicName; readonly partitions: number },
  prefix: string,
  watch: DeadLetterWatch,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const pending = new Set(Array.from({ length: topic.partitions }, (_, partition) => partition));
  for (let round = 0; pending.size > 0; round++) {
    if (Date.now() > deadline) throw new Error(`${topic.name}: partitions ${[...pending].join(',')} not read within ${timeoutMs} ms`);
    const keys = [...pending].map((partition) => ({ partition, key: `${prefix}probe-${round}-${partition}` }));
    await bus.publish(
      topic.name,
      keys.map(({ partition, key }) => ({ key, shard: partition, value: Uint8Array.of(0xff, 0xff) })),
    );
    const until = Date.now() + 3_000;
    while (Date.now() < until && keys.some(({ key }) => !watch.letters.has(key))) await new Promise((resolve) => setTimeout(resolve, 100));
    for (const { partition, key } of keys) if (watch.letters.has(key)) pending.delete(partition);
  }
}

/** Hostile field values: ids with NUL, other control characters or 70,000 characters (valid-looking ones prefixed, so no run of another spec is named), the edges of uint32 and int32, short columns, unknown enum values. */
export const hostile = {
  runId: fc.oneof(
    fc.string({ maxLength: 30 }).map((id) => `hostile-${id}`),
    fc.string({ unit: 'binary', maxLength: 30 }).map((id) => `hostile-${id}`),
    fc.constantFrom('', '\u0000', 'run\u0000id', 'x'.repeat(300), 'x'.repeat(70_000)),
  ),
  uint32: fc.oneof(fc.constantFrom(0, 1, 2 ** 31 - 1, 2 ** 31, 0xffff_ffff), fc.nat({ max: 0xffff_ffff })),
  /** Mostly within a small run (shards, ticks, handset ids), sometimes far outside. */
  small: fc.oneof(fc.nat({ max: 20 }), fc.constantFrom(2 ** 31 - 1, 2 ** 31, 0xffff_ffff), fc.nat({ max: 0xffff_ffff })),
  column: <T>(value: fc.Arbitrary<T>) => fc.array(value, { maxLength: 8 }),
  enumValue: fc.integer({ min: -1, max: 9 }),
};

/** Bytes that are no message: random, or a valid message cut short. */
export function hostileBytes(valid: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    fc.uint8Array({ maxLength: 64 }),
    fc.tuple(valid, fc.double({ min: 0, max: 1, noNaN: true })).map(([bytes, cut]) => bytes.subarray(0, Math.floor(bytes.length * cut))),
  );
}

/** What `decode` gives, or undefined for bytes that are not the message (another spec's fuzz on a shared topic). */
export function decodedOrUndefined<T>(decode: () => T): T | undefined {
  try {
    return decode();
  } catch {
    return undefined;
  }
}

/** A fuzzed message of a topic: the run it names ('' for none) and the shard whose partition it goes to (the publisher takes it modulo the partitions). */
export interface FuzzedMessage {
  readonly runId: string;
  readonly shard: number;
  readonly bytes: Uint8Array;
}

/**
 * `runs` fuzzed messages, each with its key: random or truncated bytes and messages of runs never
 * started must be dead-lettered; messages of `startedRun` (hostile shards, ticks, columns, some on
 * the wrong partition) may be handled or dead-lettered.
 */
export function fuzzedCases(
  message: (runIds: fc.Arbitrary<string>) => fc.Arbitrary<FuzzedMessage>,
  options: { readonly startedRun: string; readonly hostileRunIds: fc.Arbitrary<string>; readonly prefix: string; readonly runs: number; readonly seed: number },
): { key: string; shard: number; bytes: Uint8Array; mustDeadLetter: boolean }[] {
  const cases = fc.sample(
    fc.oneof(
      hostileBytes(message(options.hostileRunIds).map(({ bytes }) => bytes)).map((bytes) => ({ bytes, shard: bytes.length, mustDeadLetter: true })),
      fc.tuple(message(fc.oneof(fc.constant(options.startedRun), options.hostileRunIds)), fc.boolean()).map(([fuzzed, rightPartition]) => ({
        bytes: fuzzed.bytes,
        shard: rightPartition ? fuzzed.shard : fuzzed.shard + 1,
        mustDeadLetter: fuzzed.runId !== options.startedRun,
      })),
    ),
    { numRuns: options.runs, seed: options.seed },
  );
  return cases.map((fuzzed, index) => ({ ...fuzzed, key: `${options.prefix}${index}` }));
}

/** Publishes the cases, waits for those that must be dead-lettered, and returns the dead letters of them all. */
export async function deliverFuzz(
  bus: EventBus,
  topic: TopicName,
  cases: readonly { key: string; shard: number; bytes: Uint8Array; mustDeadLetter: boolean }[],
  watch: DeadLetterWatch,
): Promise<Letter[]> {
  await bus.publish(
    topic,
    cases.map(({ key, bytes, shard }) => ({ key, value: bytes, shard })),
  );
  await watch.awaitAll(
    cases.filter((fuzzed) => fuzzed.mustDeadLetter).map((fuzzed) => fuzzed.key),
    45_000,
  );
  const letters = cases.filter(({ key }) => watch.letters.has(key)).map(({ key }) => watch.letters.get(key)!);
  console.log(`[fuzz] ${topic}: ${cases.length} messages, ${letters.length} dead-lettered, ${cases.length - letters.length} handled`);
  return letters;
}
