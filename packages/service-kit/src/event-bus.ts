// The event bus port (conventions.md principle 3): Kafka in networked mode, an in-process queue in the
// embedded mode and unit tests. Payloads are protobuf bytes (proto/duet/events/v1).

import type { TopicName } from '@duet/contracts';

export interface OutgoingMessage {
  /** Partitioning key: the shard (as a decimal string) or another key named by the topic registry. */
  readonly key: string;
  readonly value: Uint8Array;
  /** The shard whose partition the message goes to, when the key is not the shard number (a compacted topic's key). */
  readonly shard?: number;
}

export interface IncomingMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: string;
  readonly value: Uint8Array;
  /** Wall time (ms) the message was written, when the bus keeps it. */
  readonly timestamp?: number;
}

/** What a handler may do besides handling: set aside the messages it cannot act on. */
export interface DeliveryContext {
  /**
   * The message cannot be decoded or breaks its topic's contract: it is counted, logged once and
   * moved to the topic's dead-letter topic (`<topic>.dlq`), and the partition goes on past it.
   * `reason` names the field and the rule it broke.
   */
  reject(message: IncomingMessage, reason: string): void;
}

/**
 * Handles a batch. A handler that throws gets the batch again, with backoff: for as long as the
 * error is a transient one (a dependency down, see isTransientError), else a bounded number of
 * times, then message by message, and a message that still fails is dead-lettered.
 */
export type MessageHandler = (messages: readonly IncomingMessage[], context: DeliveryContext) => Promise<void>;

export interface Subscription {
  close(): Promise<void>;
  /**
   * Commits `offset` (the next one to read) of a partition this member holds, for a subscription
   * with `manualCommit`; resolves false when the member no longer holds it (a rebalance moved it).
   */
  commit(topic: string, partition: number, offset: number): Promise<boolean>;
}

/** Partitions per topic that one member of a consumer group holds. */
export type Assignment = ReadonlyMap<string, readonly number[]>;

export interface SubscribeOptions {
  /** A group without committed offsets starts at the topics' beginning (default: at their end). */
  readonly fromBeginning?: boolean;
  /**
   * The group's members share the partitions (Kafka's group protocol): told, after every
   * rebalance, which partitions this member now holds. Without it every member's group is its own.
   */
  readonly onAssignment?: (assignment: Assignment) => void;
  /** Offsets are committed only through Subscription.commit: the subscriber knows when its state covers them. */
  readonly manualCommit?: boolean;
  /** Partitions handled at once (default 1); each partition's batches stay in order. */
  readonly concurrency?: number;
}

export abstract class EventBus {
  /** Appends messages to a topic; resolves once the bus has accepted them durably (or queued them in-process). */
  abstract publish(topic: TopicName, messages: readonly OutgoingMessage[]): Promise<void>;
  /**
   * Delivers every message of the topics to the group once, in order per partition, in batches.
   * A handler that throws gets the batch again (at-least-once): consumers must be idempotent.
   * Messages the handler rejects, or that keep failing, go to `<topic>.dlq`.
   */
  abstract subscribe(groupId: string, topics: readonly TopicName[], handler: MessageHandler, options?: SubscribeOptions): Promise<Subscription>;
  /** The next offset to be written to each partition of a topic (its high watermark) and the first still kept. */
  abstract endOffsets(topic: TopicName): Promise<ReadonlyMap<number, { readonly low: number; readonly high: number }>>;
  /** Resolves when every message published so far has been handled by current subscribers. */
  abstract drain(): Promise<void>;
  abstract healthy(): boolean;
  /** For /readyz: connected to the bus now (an adapter may try to connect first, briefly). */
  async ready(): Promise<boolean> {
    return this.healthy();
  }
  /** Why the bus is not live (a consumer wedged or stopped for good), or undefined when it is. */
  notLive(): string | undefined {
    return undefined;
  }
  abstract close(): Promise<void>;
}
