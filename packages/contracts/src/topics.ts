import {
  CommandIssued,
  HandsetEventBatch,
  type MessageFns,
  PolicyChanged,
  RunLifecycle,
  ShardCheckpoint,
  ShardFinalState,
  TickKpisRecorded,
} from './generated/duet/events/v1/events';
import { ExchangeTickRequest, ExchangeTickResponse } from './generated/duet/hypervisor/v1/hypervisor';

// The Kafka topics (docs/design.md#services-and-contracts), in one registry: producers, consumers, the local stack's topic
// creation and the service READMEs all read them from here, never from string literals.

/**
 * What a message's key is. The key is written as text: the shard number in decimal, the policy's
 * resource name, or the run id.
 */
export type TopicKey = 'shard' | 'handset' | 'policy' | 'run';

export interface Topic<Name extends string, Payload> {
  /** Kafka topic name; its version follows the payload's proto package. */
  readonly name: Name;
  /** Fully qualified protobuf name of the payload message. */
  readonly payloadType: string;
  /** Generated codec of the payload message. */
  readonly payload: MessageFns<Payload>;
  /** What the message key is. */
  readonly key: TopicKey;
  /**
   * Partitions to create. Keyed by shard, a message goes to partition `shard % partitions`
   * (set explicitly by the producer, see partitionOf), so the instance owning a shard reads one
   * known partition; other topics have one partition, which keeps them totally ordered.
   */
  readonly partitions: number;
  /** Why the topic exists. */
  readonly description: string;
  /** Topic-level settings other than the broker's defaults (Kafka config names). */
  readonly config?: Readonly<Record<string, string>>;
}

// Partitions of shard-keyed topics: shard s lives in partition s % 16, so 16 is both the largest
// shard count that spreads over as many instances and the most instances a role can use.
const SHARD_PARTITIONS = 16;
// A shard's checkpoint: ~40 bytes a handset deflated to a fraction; 64 MiB covers a million-handset shard.
const CHECKPOINT_MAX_BYTES = String(64 * 1024 * 1024);

function defineTopic<const Name extends string, Payload>(topic: Topic<Name, Payload>): Topic<Name, Payload> {
  return topic;
}

export const TOPICS = [
  defineTopic({
    name: 'duet.handset-events.v1',
    payloadType: 'duet.events.v1.HandsetEventBatch',
    payload: HandsetEventBatch,
    key: 'shard',
    partitions: SHARD_PARTITIONS,
    description: 'Every handset event of one shard and tick, columnar; telemetry aggregates it.',
  }),
  defineTopic({
    name: 'duet.tick-kpis.v1',
    payloadType: 'duet.events.v1.TickKpisRecorded',
    payload: TickKpisRecorded,
    key: 'shard',
    partitions: SHARD_PARTITIONS,
    description: "One shard's KPIs for one tick; telemetry sums shards into the fleet's series and digest.",
  }),
  defineTopic({
    name: 'duet.policy-changed.v1',
    payloadType: 'duet.events.v1.PolicyChanged',
    payload: PolicyChanged,
    key: 'policy',
    partitions: 1,
    description: 'Published policy versions, in publish order, for persona runtimes and telemetry.',
  }),
  defineTopic({
    name: 'duet.commands.v1',
    payloadType: 'duet.events.v1.CommandIssued',
    payload: CommandIssued,
    key: 'handset',
    partitions: SHARD_PARTITIONS,
    description:
      'Remote commands issued during a run, keyed by handset; every hypervisor-core instance reads all partitions and executes those for its shards at the next tick.',
  }),
  defineTopic({
    name: 'duet.shard-state.v1',
    payloadType: 'duet.events.v1.ShardFinalState',
    payload: ShardFinalState,
    key: 'shard',
    partitions: SHARD_PARTITIONS,
    description: "Each role's final per-handset state of one shard when a run completes; telemetry computes the run digest from it.",
  }),
  defineTopic({
    name: 'duet.tick-demands.v1',
    payloadType: 'duet.hypervisor.v1.ExchangeTickRequest',
    payload: ExchangeTickRequest,
    key: 'shard',
    partitions: SHARD_PARTITIONS,
    description:
      "Each persona's demands of one shard and tick. hypervisor-core's instances share the topic as one consumer group: the partitions a member is assigned are the shards it owns.",
  }),
  defineTopic({
    name: 'duet.personal-grants.v1',
    payloadType: 'duet.hypervisor.v1.ExchangeTickResponse',
    payload: ExchangeTickResponse,
    key: 'shard',
    partitions: SHARD_PARTITIONS,
    description:
      "hypervisor-core's grants to the personal persona, per shard and tick. The personal runtimes share it as one consumer group: a member's partitions are its shards.",
  }),
  defineTopic({
    name: 'duet.business-grants.v1',
    payloadType: 'duet.hypervisor.v1.ExchangeTickResponse',
    payload: ExchangeTickResponse,
    key: 'shard',
    partitions: SHARD_PARTITIONS,
    description:
      "hypervisor-core's grants to the business persona, per shard and tick. The business runtimes share it as one consumer group: a member's partitions are its shards.",
  }),
  defineTopic({
    name: 'duet.checkpoints.v1',
    payloadType: 'duet.events.v1.ShardCheckpoint',
    payload: ShardCheckpoint,
    key: 'shard',
    partitions: SHARD_PARTITIONS,
    description:
      "Every role's shard state every K ticks, compacted by run, role and shard (the Kafka key); a shard's new owner restores the latest and re-simulates from there.",
    config: { 'cleanup.policy': 'compact', 'max.message.bytes': CHECKPOINT_MAX_BYTES, 'segment.ms': '600000' },
  }),
  defineTopic({
    name: 'duet.run-lifecycle.v1',
    payloadType: 'duet.events.v1.RunLifecycle',
    payload: RunLifecycle,
    key: 'run',
    partitions: 1,
    description: 'Runs started, completed (with their digest) or failed.',
  }),
] as const;

export type RegisteredTopic = (typeof TOPICS)[number];
export type TopicName = RegisteredTopic['name'];

/** The registered topic of that name, typed with its payload. */
export function findTopic<Name extends TopicName>(name: Name): Extract<RegisteredTopic, { name: Name }> {
  const found = TOPICS.find((topic) => topic.name === name);
  if (found === undefined) throw new RangeError(`unknown topic ${name}; known: ${TOPICS.map((topic) => topic.name).join(', ')}`);
  return found as Extract<RegisteredTopic, { name: Name }>;
}

/** Partition of a message keyed by that shard or handset number (0 for topics keyed otherwise). */
export function partitionOf(topic: RegisteredTopic, shard: number): number {
  return topic.key === 'shard' || topic.key === 'handset' ? shard % topic.partitions : 0;
}

/** What a topic's dead-letter topic is called: `<topic>.dlq`. */
export const DEAD_LETTER_SUFFIX = '.dlq';

/**
 * A dead-letter topic: where a consumer moves a message of `source` that it cannot act on (not the
 * topic's payload, or breaking its contract) instead of reading it again forever. The message keeps
 * its key and bytes; Kafka headers say where it came from, which consumer group gave up, and why.
 */
export interface DeadLetterTopic {
  readonly name: `${TopicName}${typeof DEAD_LETTER_SUFFIX}`;
  readonly source: TopicName;
  /** One: dead letters are few and read by people, in the order they came. */
  readonly partitions: 1;
  readonly description: string;
  /** Kept 14 days, whatever the broker's default: long enough to look at after a weekend. */
  readonly config: Readonly<Record<string, string>>;
}

const DEAD_LETTER_RETENTION_MS = String(14 * 24 * 3600_000);

export const DEAD_LETTER_TOPICS: readonly DeadLetterTopic[] = TOPICS.map((topic) => ({
  name: `${topic.name}${DEAD_LETTER_SUFFIX}` as const,
  source: topic.name,
  partitions: 1,
  description: `Messages of ${topic.name} that a consumer could not act on, with headers naming the source partition and offset, the group and the reason.`,
  config: { 'retention.ms': DEAD_LETTER_RETENTION_MS },
}));

/** Kafka headers of a dead letter. */
export const DEAD_LETTER_HEADERS = {
  topic: 'duet-dlq-topic',
  partition: 'duet-dlq-partition',
  offset: 'duet-dlq-offset',
  group: 'duet-dlq-group',
  reason: 'duet-dlq-reason',
} as const;

/** Every topic to create, registry topics then their dead-letter topics: name, partitions and config. */
export const TOPICS_TO_CREATE: readonly { readonly name: string; readonly partitions: number; readonly config: Readonly<Record<string, string>> }[] = [
  ...TOPICS.map((topic) => ({ name: topic.name, partitions: topic.partitions, config: { ...(topic as { config?: Record<string, string> }).config } })),
  ...DEAD_LETTER_TOPICS.map((topic) => ({ name: topic.name, partitions: topic.partitions, config: topic.config })),
];
