// Where shard checkpoints are kept (a port with two adapters, conventions.md principle 3): a compacted
// Kafka topic keyed by run, role and shard in the networked mode, a map in one process.
import { findTopic } from '@duet/contracts';
import type { DeliveryContext, EventBus, IncomingMessage, Subscription } from './event-bus';
import { decodeChecked, identityViolation } from './message-contract';
import { ReadProgress } from './read-progress';

const CHECKPOINTS = findTopic('duet.checkpoints.v1');
// How long `latest` waits to have read what was written before it was called.
const CATCH_UP_TIMEOUT_MS = 30_000;

export interface ShardCheckpointRecord {
  readonly runId: string;
  readonly shard: number;
  /** duet.events.v1.Role of the state's owner. */
  readonly role: number;
  /** Last tick folded into the state. */
  readonly tick: number;
  /** encodeCheckpointState's bytes. */
  readonly state: Uint8Array;
}

export abstract class CheckpointStore {
  /** Resolves once the checkpoint is durable: a new owner will find it. */
  abstract save(checkpoint: ShardCheckpointRecord): Promise<void>;
  /** The latest checkpoint of a role's shard, having read at least every one saved before the call. */
  abstract latest(runId: string, role: number, shard: number): Promise<ShardCheckpointRecord | undefined>;
  /** Lets the checkpoints of a run that ended go. */
  abstract forgetRun(runId: string): void;
  abstract close(): Promise<void>;
}

function keyOf(runId: string, role: number, shard: number): string {
  return `${runId}/${role}/${shard}`;
}

/** One process: nothing to take over from, but the same contract (the embedded mode, unit tests). */
export class InProcessCheckpointStore extends CheckpointStore {
  private readonly checkpoints = new Map<string, ShardCheckpointRecord>();

  async save(checkpoint: ShardCheckpointRecord): Promise<void> {
    this.checkpoints.set(keyOf(checkpoint.runId, checkpoint.role, checkpoint.shard), checkpoint);
  }

  async latest(runId: string, role: number, shard: number): Promise<ShardCheckpointRecord | undefined> {
    return this.checkpoints.get(keyOf(runId, role, shard));
  }

  forgetRun(runId: string): void {
    for (const key of this.checkpoints.keys()) if (key.startsWith(`${runId}/`)) this.checkpoints.delete(key);
  }

  async close(): Promise<void> {}
}

/**
 * Checkpoints on duet.checkpoints.v1. Every instance reads the topic from the beginning in a group
 * of its own and keeps the latest checkpoint of each of its role's shards, so a shard it is given
 * can be restored at once; `latest` first reads up to the end offsets the topic had when it was
 * called, so a checkpoint saved (and acknowledged) before is never missed.
 */
export class KafkaCheckpointStore extends CheckpointStore {
  private readonly checkpoints = new Map<string, ShardCheckpointRecord>();
  private readonly forgotten = new Set<string>();
  /** Next offset to read, per partition. */
  private readonly positions = new Map<number, number>();
  private readonly progress = new ReadProgress();
  private subscription: Subscription | undefined;

  constructor(
    private readonly bus: EventBus,
    private readonly role: number,
    private readonly groupId: string,
  ) {
    super();
  }

  async start(): Promise<void> {
    this.subscription = await this.bus.subscribe(this.groupId, [CHECKPOINTS.name], async (messages, context) => this.read(messages, context), {
      fromBeginning: true,
      manualCommit: true, // every start reads the whole (compacted) topic again
      concurrency: CHECKPOINTS.partitions,
    });
  }

  async save(checkpoint: ShardCheckpointRecord): Promise<void> {
    const state = Buffer.from(checkpoint.state.buffer, checkpoint.state.byteOffset, checkpoint.state.byteLength);
    const value = CHECKPOINTS.payload.encode({ ...checkpoint, state }).finish();
    await this.bus.publish(CHECKPOINTS.name, [{ key: keyOf(checkpoint.runId, checkpoint.role, checkpoint.shard), shard: checkpoint.shard, value }]);
    this.keep(checkpoint);
  }

  async latest(runId: string, role: number, shard: number): Promise<ShardCheckpointRecord | undefined> {
    const partition = shard % CHECKPOINTS.partitions;
    const end = (await this.bus.endOffsets(CHECKPOINTS.name)).get(partition);
    if (end !== undefined && end.high > end.low) {
      const caughtUp = await this.progress.until(() => (this.positions.get(partition) ?? 0) >= end.high, Date.now() + CATCH_UP_TIMEOUT_MS);
      if (!caughtUp) throw new Error(`checkpoints: partition ${partition} not read up to offset ${end.high} within ${CATCH_UP_TIMEOUT_MS / 1000} s`);
    }
    return this.checkpoints.get(keyOf(runId, role, shard));
  }

  forgetRun(runId: string): void {
    this.forgotten.add(runId);
    for (const key of this.checkpoints.keys()) if (key.startsWith(`${runId}/`)) this.checkpoints.delete(key);
  }

  async close(): Promise<void> {
    await this.subscription?.close();
  }

  private read(messages: readonly IncomingMessage[], context: DeliveryContext): void {
    for (const message of messages) {
      this.positions.set(message.partition, Number(message.offset) + 1);
      const checkpoint = decodeChecked(
        message,
        context,
        (bytes) => CHECKPOINTS.payload.decode(bytes),
        (decoded) => identityViolation(decoded, { partition: message.partition, partitions: CHECKPOINTS.partitions }),
      );
      // Not a checkpoint (dead-lettered): nothing to restore from it.
      if (checkpoint?.role === this.role)
        this.keep({ runId: checkpoint.runId, shard: checkpoint.shard, role: checkpoint.role, tick: checkpoint.tick, state: checkpoint.state });
    }
    this.progress.advanced();
  }

  private keep(checkpoint: ShardCheckpointRecord): void {
    if (this.forgotten.has(checkpoint.runId)) return;
    const key = keyOf(checkpoint.runId, checkpoint.role, checkpoint.shard);
    const known = this.checkpoints.get(key);
    if (known === undefined || known.tick <= checkpoint.tick) this.checkpoints.set(key, checkpoint);
  }
}
