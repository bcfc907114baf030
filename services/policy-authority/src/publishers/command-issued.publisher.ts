import { Injectable } from '@nestjs/common';
import { events, findTopic } from '@duet/contracts';
import { Outbox, type Queryable } from '@duet/service-kit';

const TOPIC = findTopic('duet.commands.v1');

/**
 * Fans commands out on duet.commands.v1, keyed by handset id (decimal text); the payload carries
 * the shard. Through the outbox: enqueued in the transaction that stores them.
 */
@Injectable()
export class CommandIssuedPublisher {
  constructor(private readonly outbox: Outbox) {}

  async enqueue(client: Queryable, commands: readonly events.CommandIssued[]): Promise<void> {
    await this.outbox.enqueue(
      client,
      TOPIC.name,
      commands.map((command) => ({ key: String(command.handsetId), shard: command.shard, value: TOPIC.payload.encode(command).finish() })),
    );
  }
}
