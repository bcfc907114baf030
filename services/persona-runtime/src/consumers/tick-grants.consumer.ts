// The networked side of the per-tick exchange, for a persona runtime: hypervisor-core publishes
// each shard's grants on the persona's grants topic, keyed by shard; the persona's runtimes consume
// it as one consumer group, so the partitions Kafka assigns a member are the shards it drives
// (shard s lives in partition s % 16). Grants go to the GrantInbox, where the shard's runner waits
// for them. The committed offset stays at the first grant not yet folded into a checkpoint, so a
// shard's next owner, restoring that checkpoint, finds every grant it needs after it.
import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { findTopic, type hypervisor } from '@duet/contracts';
import { EventBus, OffsetLedger, decodeExchangeTickResponse, type Assignment, type IncomingMessage, type Subscription } from '@duet/service-kit';
import { GrantInbox } from '../domain/grant-inbox';
import { PersonaRuntimeOptions } from '../persona-runtime.options';
import { PersonaRunsService } from '../services/persona-runs.service';

// A grant may overtake its run's STARTED message (another topic): how long to wait for it.
const RUN_WAIT_MS = 5_000;

@Injectable()
export class TickGrantsConsumer implements OnModuleInit, OnModuleDestroy {
  private readonly logger: Logger;
  private readonly ledger = new OffsetLedger();
  private readonly topic;
  private subscription: Subscription | undefined;
  private held: readonly number[] = [];
  private committing: Promise<void> = Promise.resolve();

  constructor(
    private readonly bus: EventBus,
    private readonly runs: PersonaRunsService,
    private readonly grants: GrantInbox,
    private readonly options: PersonaRuntimeOptions,
  ) {
    this.logger = new Logger(`persona-runtime-${options.personaName}`);
    this.topic = findTopic(options.personaName === 'business' ? 'duet.business-grants.v1' : 'duet.personal-grants.v1');
  }

  async onModuleInit(): Promise<void> {
    if (!this.options.shared) return;
    this.runs.onCheckpoint((runId, shard, tick) => {
      this.ledger.covered(unitOf(runId, shard), tick);
      this.commit();
    });
    this.subscription = await this.bus.subscribe(`persona-runtime-${this.options.personaName}`, [this.topic.name], (messages) => this.consume(messages), {
      onAssignment: (assignment) => this.assigned(assignment),
      manualCommit: true,
      concurrency: this.topic.partitions,
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.subscription?.close();
  }

  private assigned(assignment: Assignment): void {
    const now = assignment.get(this.topic.name) ?? [];
    const lost = this.held.filter((partition) => !now.includes(partition));
    for (const partition of lost) this.ledger.dropPartition(this.topic.name, partition);
    this.held = now;
    this.logger.log(`holds partitions ${now.join(',') || 'none'} of ${this.topic.name}${lost.length > 0 ? ` (gave up ${lost.join(',')})` : ''}`);
    this.runs.rebalance((shard) => now.includes(shard % this.topic.partitions));
  }

  private async consume(messages: readonly IncomingMessage[]): Promise<void> {
    for (const message of messages) {
      const offset = Number(message.offset);
      let response: hypervisor.ExchangeTickResponse;
      try {
        response = decodeExchangeTickResponse(message.value); // the topic's payload, columns read as typed arrays
      } catch (error) {
        this.logger.warn(`${this.topic.name}[${message.partition}]@${offset}: not a grant (${(error as Error).message}); skipped`);
        this.ledger.received(this.topic.name, message.partition, offset, '', undefined);
        continue;
      }
      const grant = response.grant;
      const run = grant === undefined ? undefined : await this.runs.knownRun(grant.runId, RUN_WAIT_MS);
      if (grant === undefined || run === undefined) {
        this.ledger.received(this.topic.name, message.partition, offset, '', undefined);
        continue;
      }
      this.ledger.received(this.topic.name, message.partition, offset, unitOf(grant.runId, grant.shard), grant.tick);
      this.grants.deliver(grant.runId, grant.shard, grant.tick, response);
    }
    this.commit();
  }

  private commit(): void {
    const subscription = this.subscription;
    if (subscription === undefined) return;
    this.committing = this.committing.then(async () => {
      for (const { topic, partition, offset } of this.ledger.pending()) {
        if (!this.held.includes(partition)) continue;
        if (await subscription.commit(topic, partition, offset)) this.ledger.markCommitted(topic, partition, offset);
      }
    });
  }
}

function unitOf(runId: string, shard: number): string {
  return `${runId}/${shard}`;
}
