import { Injectable } from '@nestjs/common';
import { events, findTopic } from '@duet/contracts';
import { EventBus } from '@duet/service-kit';

const TOPIC = findTopic('duet.commands.v1');

/** Fans commands out on duet.commands.v1, keyed by handset id (decimal text); the payload carries the shard. */
@Injectable()
export class CommandIssuedPublisher {
  constructor(private readonly eventBus: EventBus) {}

  async publish(commands: readonly events.CommandIssued[]): Promise<void> {
    await this.eventBus.publish(
      TOPIC.name,
      commands.map((command) => ({ key: String(command.handsetId), value: TOPIC.payload.encode(command).finish() })),
    );
  }
}
