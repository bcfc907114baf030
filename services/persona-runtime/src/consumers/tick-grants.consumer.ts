// The networked side of the per-tick exchange, for a persona runtime: hypervisor-core publishes
// each shard's grants on the persona's grants topic, keyed by shard; the persona's runtimes consume
// it as one consumer group (ShardInput), so the partitions Kafka assigns a member are the shards it
// drives. Grants go to the GrantInbox, where the shard's runner waits for them. The committed
// offset stays at the first grant not yet folded into a checkpoint, so a shard's next owner,
// restoring that checkpoint, finds every grant it needs after it.
import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { findTopic, type hypervisor } from '@duet/contracts';
import {
  activeRunOf,
  EventBus,
  ShardInput,
  decodeChecked,
  decodeExchangeTickResponse,
  identityViolation,
  type DeliveryContext,
  type IncomingMessage,
  type ShardInputMessage,
} from '@duet/service-kit';
import { GrantInbox } from '../domain/grant-inbox';
import { PersonaRuntimeSettings } from '../persona-runtime.settings';
import { PersonaRunsService } from '../services/persona-runs.service';

// A grant may overtake its run's STARTED message (another topic): how long to wait for it.
const RUN_WAIT_MS = 5_000;

@Injectable()
export class TickGrantsConsumer implements OnModuleInit, OnModuleDestroy {
  private readonly logger: Logger;
  private readonly topic;
  private readonly input: ShardInput;

  constructor(
    bus: EventBus,
    private readonly runs: PersonaRunsService,
    private readonly grants: GrantInbox,
    private readonly options: PersonaRuntimeSettings,
  ) {
    this.logger = new Logger(`persona-runtime-${options.personaName}`);
    this.topic = findTopic(options.personaName === 'business' ? 'duet.business-grants.v1' : 'duet.personal-grants.v1');
    this.input = new ShardInput(bus, this.topic);
  }

  async onModuleInit(): Promise<void> {
    if (!this.options.shared) return;
    this.runs.onCheckpoint((runId, shard, tick) => this.input.covered(runId, shard, tick));
    await this.input.start(`persona-runtime-${this.options.personaName}`, {
      message: (message, context) => this.consume(message, context),
      held: (owns, partitions, lost) => {
        this.logger.log(`holds partitions ${partitions.join(',') || 'none'} of ${this.topic.name}${lost.length > 0 ? ` (gave up ${lost.join(',')})` : ''}`);
        this.runs.rebalance(owns);
      },
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.input.close();
  }

  private async consume(message: IncomingMessage, context: DeliveryContext): Promise<ShardInputMessage | undefined> {
    // The topic's payload, columns read as typed arrays.
    const response = decodeChecked(message, context, decodeExchangeTickResponse, (decoded: hypervisor.ExchangeTickResponse) =>
      decoded.grant === undefined ? 'grant: required' : identityViolation(decoded.grant, { partition: message.partition, partitions: this.topic.partitions }),
    );
    if (response?.grant === undefined) return undefined;
    const grant = response.grant;
    if ((await activeRunOf((runId, ms) => this.runs.knownRun(runId, ms), grant.runId, message, context, RUN_WAIT_MS)) === undefined) return undefined;
    this.grants.deliver(grant.runId, grant.shard, grant.tick, response);
    return { runId: grant.runId, shard: grant.shard, tick: grant.tick };
  }
}
