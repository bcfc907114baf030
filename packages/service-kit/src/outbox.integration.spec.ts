// The transactional outbox against a real PostgreSQL: messages go out if and only if their
// transaction committed, in the order written, also when the bus refused them at first.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TopicName } from '@duet/contracts';
import { freshDatabase, INFRASTRUCTURE_TIMEOUT_MS } from '../../../tests/support/infrastructure';
import { Database } from './database';
import type { OutgoingMessage } from './event-bus';
import { InProcessEventBus } from './in-process.event-bus';
import { Outbox } from './outbox';

const TOPIC: TopicName = 'duet.commands.v1';
const SCHEMA = 'outbox_spec';

/** An in-process bus that refuses the next `failures` publishes, as Kafka does while it is down. */
class FlakyBus extends InProcessEventBus {
  failures = 0;
  readonly sent: string[] = [];

  override async publish(topic: TopicName, messages: readonly OutgoingMessage[]): Promise<void> {
    if (this.failures > 0) {
      this.failures--;
      throw Object.assign(new Error('Connection error: connect ECONNREFUSED'), { name: 'KafkaJSConnectionError' });
    }
    this.sent.push(...messages.map((message) => message.key));
    await super.publish(topic, messages);
  }
}

function message(key: string): OutgoingMessage {
  return { key, shard: Number(key), value: new TextEncoder().encode(`command ${key}`) };
}

describe('Outbox', () => {
  let database: Database;

  beforeAll(async () => {
    database = new Database(await freshDatabase('outbox-spec'));
    expect(await Outbox.migrate(database, SCHEMA)).toEqual(['0001_outbox-table.sql']);
  }, INFRASTRUCTURE_TIMEOUT_MS);

  afterAll(async () => {
    await database?.close();
  });

  it('publishes nothing of a transaction that rolled back, and what committed once it did', async () => {
    const bus = new FlakyBus();
    const sut = new Outbox(database, bus, SCHEMA);
    await expect(
      database.transaction(async (client) => {
        await sut.enqueue(client, TOPIC, [message('1')]);
        throw new Error('the store failed');
      }),
    ).rejects.toThrow('the store failed');
    await database.transaction((client) => sut.enqueue(client, TOPIC, [message('2'), message('3')]));
    await sut.relay();
    expect(bus.sent).toEqual(['2', '3']);
    expect(await sut.pending()).toBe(0);
    await sut.close();
  });

  it('keeps what the bus refused and publishes it, in order, when the relay tries again', async () => {
    const bus = new FlakyBus();
    const sut = new Outbox(database, bus, SCHEMA);
    bus.failures = 1;
    await database.transaction((client) => sut.enqueue(client, TOPIC, [message('4')]));
    await sut.relay(); // refused: stays in the outbox, tried again with backoff
    expect(bus.sent).toEqual([]);
    expect(await sut.pending()).toBe(1);
    await database.transaction((client) => sut.enqueue(client, TOPIC, [message('5')]));
    const deadline = Date.now() + 10_000;
    while ((await sut.pending()) > 0 && Date.now() < deadline) await new Promise((resolveWait) => setTimeout(resolveWait, 100));
    expect(bus.sent).toEqual(['4', '5']);
    await sut.close();
  });

  it('lets a new process publish what an earlier one stored but never published', async () => {
    const crashed = new Outbox(database, new FlakyBus(), SCHEMA);
    await database.transaction((client) => crashed.enqueue(client, TOPIC, [message('6')]));
    const bus = new FlakyBus();
    await new Outbox(database, bus, SCHEMA).relay(); // the start-up relay
    expect(bus.sent).toEqual(['6']);
  });
});
