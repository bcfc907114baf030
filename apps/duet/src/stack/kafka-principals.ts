// Who may do what on the stack's Kafka (docs/security.md#kafka): one SCRAM user per service, and
// `duet` for the command line, each with ACLs on the topics it reads and writes and the consumer
// groups it forms (prefixes: instances add their id). A consumer also writes the dead-letter topic
// of what it reads. The broker denies everything else; `admin` (topics, ACLs, probes) is its only
// super user. deploy/kubernetes/kafka-users.yaml grants the same (tests/deploy checks it).
import { DEAD_LETTER_SUFFIX, type TopicName } from '@duet/contracts';
import type { KafkaGrant } from '@duet/stack';

export const KAFKA_ADMIN_USER = 'admin';

export type KafkaPrincipal = 'hypervisor-core' | 'persona-runtime' | 'policy-authority' | 'telemetry' | 'duet';

interface Access {
  readonly reads: readonly TopicName[];
  readonly writes: readonly TopicName[];
  readonly groupPrefixes: readonly string[];
}

// What the roles' shared pieces publish (service-kit RunReports, CheckpointStore).
const REPORTS: readonly TopicName[] = ['duet.handset-events.v1', 'duet.tick-kpis.v1', 'duet.shard-state.v1', 'duet.run-lifecycle.v1'];

export const KAFKA_ACCESS: Readonly<Record<KafkaPrincipal, Access>> = {
  'hypervisor-core': {
    reads: ['duet.tick-demands.v1', 'duet.commands.v1', 'duet.run-lifecycle.v1', 'duet.checkpoints.v1'],
    writes: ['duet.personal-grants.v1', 'duet.business-grants.v1', 'duet.checkpoints.v1', ...REPORTS],
    groupPrefixes: ['hypervisor-core'],
  },
  'persona-runtime': {
    reads: ['duet.personal-grants.v1', 'duet.business-grants.v1', 'duet.run-lifecycle.v1', 'duet.checkpoints.v1'],
    writes: ['duet.tick-demands.v1', 'duet.checkpoints.v1', ...REPORTS],
    groupPrefixes: ['persona-runtime'],
  },
  'policy-authority': {
    reads: [],
    writes: ['duet.policy-changed.v1', 'duet.commands.v1'],
    groupPrefixes: [],
  },
  telemetry: {
    reads: ['duet.run-lifecycle.v1', 'duet.tick-kpis.v1', 'duet.handset-events.v1', 'duet.shard-state.v1'],
    writes: ['duet.run-lifecycle.v1'],
    groupPrefixes: ['telemetry'],
  },
  // `duet run --target local`: starts and fails runs, follows their ticks and outcome.
  duet: {
    reads: ['duet.tick-kpis.v1', 'duet.run-lifecycle.v1'],
    writes: ['duet.run-lifecycle.v1'],
    groupPrefixes: ['duet-run-'],
  },
};

export const KAFKA_PRINCIPALS = Object.keys(KAFKA_ACCESS) as KafkaPrincipal[];

/** The ACLs of every principal, as @duet/stack grantKafkaAcls takes them. */
export function kafkaGrants(): KafkaGrant[] {
  return KAFKA_PRINCIPALS.map((username) => {
    const access = KAFKA_ACCESS[username];
    return {
      username,
      readTopics: access.reads,
      writeTopics: [...new Set([...access.writes, ...access.reads.map((topic) => `${topic}${DEAD_LETTER_SUFFIX}`)])],
      groupPrefixes: access.groupPrefixes,
    };
  });
}
