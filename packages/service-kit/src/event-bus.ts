// The event bus port (STYLE principle 3): Kafka in networked mode, an in-process queue in the
// embedded mode and unit tests. Payloads are protobuf bytes (proto/duet/events/v1).

export interface OutgoingMessage {
  /** Partitioning key: the shard (as a decimal string) or another key named by the topic registry. */
  readonly key: string;
  readonly value: Uint8Array;
}

export interface IncomingMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: string;
  readonly value: Uint8Array;
}

export type MessageHandler = (messages: readonly IncomingMessage[]) => Promise<void>;

export interface Subscription {
  close(): Promise<void>;
}

export abstract class EventBus {
  /** Appends messages to a topic; resolves once the bus has accepted them durably (or queued them in-process). */
  abstract publish(topic: string, messages: readonly OutgoingMessage[]): Promise<void>;
  /**
   * Delivers every message of the topics to the group once, in order per partition, in batches.
   * A handler that throws gets the batch again (at-least-once): consumers must be idempotent.
   */
  abstract subscribe(groupId: string, topics: readonly string[], handler: MessageHandler, options?: { fromBeginning?: boolean }): Promise<Subscription>;
  /** Resolves when every message published so far has been handled by current subscribers. */
  abstract drain(): Promise<void>;
  abstract healthy(): boolean;
  abstract close(): Promise<void>;
}
