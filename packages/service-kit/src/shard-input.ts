// A stateful role's input topic (hypervisor-core's demands, a persona's grants), shared by the
// role's instances as one consumer group: the partitions Kafka assigns a member are the shards it
// owns (shard s lives in partition s % partitions). Offsets are committed by hand through an
// OffsetLedger, never past the first message whose tick no checkpoint holds yet, so the next
// owner of a partition, starting at its committed offset, finds every input its checkpoint lacks.
import type { TopicName } from '@duet/contracts';
import type { DeliveryContext, EventBus, IncomingMessage, Subscription } from './event-bus';
import { OffsetLedger } from './offset-ledger';

/** What a message was about: the run and shard whose state it feeds, and its tick. */
export interface ShardInputMessage {
  readonly runId: string;
  readonly shard: number;
  readonly tick: number;
}

export interface ShardInputHandlers {
  /**
   * Handles one message in partition order; returns what it fed, or undefined when it needs no
   * state (a run that ended, or a message it rejected through `context`: not decodable, breaking
   * the contract, of a run never started).
   */
  message(message: IncomingMessage, context: DeliveryContext): Promise<ShardInputMessage | undefined>;
  /** The shards this member holds changed. */
  held(owns: (shard: number) => boolean, partitions: readonly number[], lost: readonly number[]): void;
}

export class ShardInput {
  private readonly ledger = new OffsetLedger();
  private subscription: Subscription | undefined;
  private partitions: readonly number[] = [];
  private committing: Promise<void> = Promise.resolve();

  constructor(
    private readonly bus: EventBus,
    private readonly topic: { readonly name: TopicName; readonly partitions: number },
  ) {}

  async start(group: string, handlers: ShardInputHandlers): Promise<void> {
    this.subscription = await this.bus.subscribe(
      group,
      [this.topic.name],
      async (messages, context) => {
        for (const message of messages) {
          const fed = await handlers.message(message, context);
          const offset = Number(message.offset);
          if (fed === undefined) this.ledger.received(this.topic.name, message.partition, offset, '', undefined);
          else this.ledger.received(this.topic.name, message.partition, offset, unitOf(fed.runId, fed.shard), fed.tick);
        }
        this.commit();
      },
      {
        manualCommit: true,
        concurrency: this.topic.partitions,
        onAssignment: (assignment) => {
          const now = assignment.get(this.topic.name) ?? [];
          const lost = this.partitions.filter((partition) => !now.includes(partition));
          for (const partition of lost) this.ledger.dropPartition(this.topic.name, partition);
          this.partitions = now;
          handlers.held((shard) => now.includes(shard % this.topic.partitions), now, lost);
        },
      },
    );
  }

  /** The shard's state up to `tick` is durable (checkpointed): its inputs up to there need not be read again. */
  covered(runId: string, shard: number, tick: number): void {
    this.ledger.covered(unitOf(runId, shard), tick);
    this.commit();
  }

  async close(): Promise<void> {
    await this.subscription?.close();
  }

  private commit(): void {
    const subscription = this.subscription;
    if (subscription === undefined) return;
    this.committing = this.committing.then(async () => {
      for (const { topic, partition, offset } of this.ledger.pending()) {
        if (!this.partitions.includes(partition)) continue;
        if (await subscription.commit(topic, partition, offset)) this.ledger.markCommitted(topic, partition, offset);
      }
    });
  }
}

function unitOf(runId: string, shard: number): string {
  return `${runId}/${shard}`;
}
