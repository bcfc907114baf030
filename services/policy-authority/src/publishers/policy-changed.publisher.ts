import { Injectable } from '@nestjs/common';
import { events, findTopic } from '@duet/contracts';
import { EventBus } from '@duet/service-kit';

const TOPIC = findTopic('duet.policy-changed.v1');

/** Announces publications on duet.policy-changed.v1, keyed by the policy's resource name. */
@Injectable()
export class PolicyChangedPublisher {
  constructor(private readonly eventBus: EventBus) {}

  async publish(change: events.PolicyChanged): Promise<void> {
    await this.eventBus.publish(TOPIC.name, [{ key: change.policyName, value: TOPIC.payload.encode(change).finish() }]);
  }
}
