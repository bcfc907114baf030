// Public entry of @duet/contracts: one namespace per proto package (duet.<context>.v1), generated
// from proto/ by `npm run generate`, plus the Kafka topic registry and the proto file location.
export * as common from './generated/duet/common/v1/enums';
export * as events from './generated/duet/events/v1/events';
export * as hypervisor from './generated/duet/hypervisor/v1/hypervisor';
export * as persona from './generated/duet/persona/v1/persona';
export * as policy from './generated/duet/policy/v1/policy';
export * as telemetry from './generated/duet/telemetry/v1/telemetry';
export { DESCRIPTOR_SETS, GRPC_LOADER_OPTIONS, PROTO_ROOT } from './proto-files';
export { DEAD_LETTER_HEADERS, DEAD_LETTER_SUFFIX, DEAD_LETTER_TOPICS, findTopic, partitionOf, TOPICS, TOPICS_TO_CREATE } from './topics';
export type { DeadLetterTopic, RegisteredTopic, Topic, TopicKey, TopicName } from './topics';
