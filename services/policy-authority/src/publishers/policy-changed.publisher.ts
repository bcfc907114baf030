import { Injectable } from '@nestjs/common';
import { events, findTopic } from '@duet/contracts';
import { Outbox, type Queryable } from '@duet/service-kit';

const TOPIC = findTopic('duet.policy-changed.v1');

/**
 * Announces publications on duet.policy-changed.v1, keyed by the policy's resource name. Through
 * the outbox: enqueued in the transaction that stores the publication.
 */
@Injectable()
export class PolicyChangedPublisher {
  constructor(private readonly outbox: Outbox) {}

  async enqueue(client: Queryable, change: events.PolicyChanged): Promise<void> {
    await this.outbox.enqueue(client, TOPIC.name, [{ key: change.policyName, value: TOPIC.payload.encode(change).finish() }]);
  }
}
