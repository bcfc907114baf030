// Starts a real Kafka broker through startKafka (jars from Maven Central, KRaft on 127.0.0.1) and
// moves 1,000 messages through a 4-partition topic in a consumer group.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTopics, runningKafkaPid, startKafka, type KafkaHandle } from './kafka';
import { findRepoRoot, freePorts, isPidAlive, quietLog } from './process';

// A cold machine fetches ~46 MB of jars with Maven first (15–30 s) before the broker starts.
const SETUP_TIMEOUT_MS = 240_000;

describe('startKafka', () => {
  const repoRoot = findRepoRoot();
  const dataDir = join(repoRoot, '.duet', 'test-stack', `kafka-${process.pid}-${Date.now()}`);
  let ports: number[];
  let broker: KafkaHandle | undefined;

  beforeAll(async () => {
    ports = await freePorts(2);
    broker = await startKafka({ dataDir, port: ports[0], controllerPort: ports[1], log: quietLog });
  }, SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await broker?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('formats a fresh data dir and starts a detached broker with a pid file', () => {
    expect(broker?.formatted).toBe(true);
    expect(broker?.reused).toBe(false);
    expect(broker?.brokers).toEqual([`127.0.0.1:${ports[0]}`]);
    expect(runningKafkaPid(dataDir)).toBe(broker?.pid);
  });

  it('produces and consumes 1,000 messages through a 4-partition topic in a consumer group', async () => {
    const brokers = broker!.brokers;
    const topic = 'duet.stack.spec';
    expect(await createTopics(brokers, [{ topic, partitions: 4 }])).toEqual({ created: [topic], existing: [] });
    expect(await createTopics(brokers, [{ topic, partitions: 4 }])).toEqual({ created: [], existing: [topic] });

    const kafka = new Kafka({ clientId: 'stack-spec', brokers, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    await admin.disconnect();
    expect(metadata.topics[0].partitions).toHaveLength(4);

    const producer = kafka.producer();
    await producer.connect();
    const total = 1_000;
    for (let start = 0; start < total; start += 250) {
      const messages = Array.from({ length: 250 }, (_, i) => ({ key: `handset-${start + i}`, value: JSON.stringify({ n: start + i }) }));
      await producer.send({ topic, acks: -1, messages });
    }
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: 'stack-spec-group', sessionTimeout: 10_000 });
    const seen = new Set<number>();
    const partitions = new Set<number>();
    let resolveAll: () => void = () => undefined;
    const all = new Promise<void>((resolve) => (resolveAll = resolve));
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        seen.add((JSON.parse(message.value!.toString()) as { n: number }).n);
        partitions.add(partition);
        if (seen.size === total) resolveAll();
      },
    });
    try {
      await Promise.race([all, new Promise((_, reject) => setTimeout(() => reject(new Error(`consumed ${seen.size}/${total} within 60 s`)), 60_000))]);
    } finally {
      await consumer.disconnect();
    }
    expect(seen.size).toBe(total);
    expect([...partitions].sort()).toEqual([0, 1, 2, 3]);
  }, 120_000);

  it('is idempotent on the same data dir: adopts a running broker, and restarts without formatting again', async () => {
    const again = await startKafka({ dataDir, port: ports[0], controllerPort: ports[1], log: quietLog });
    expect(again.reused).toBe(true);
    expect(again.pid).toBe(broker!.pid);

    const firstPid = broker!.pid;
    const stopped = await broker!.stop();
    expect(stopped.killed).toBe(false);
    expect(isPidAlive(firstPid)).toBe(false);
    expect(runningKafkaPid(dataDir)).toBeUndefined();

    broker = await startKafka({ dataDir, port: ports[0], controllerPort: ports[1], log: quietLog });
    expect(broker.formatted).toBe(false);
    expect(broker.reused).toBe(false);
    expect(broker.pid).not.toBe(firstPid);
    // The topic created before the restart is still there.
    expect(await createTopics(broker.brokers, [{ topic: 'duet.stack.spec', partitions: 4 }])).toEqual({ created: [], existing: ['duet.stack.spec'] });
  }, 120_000);
});
