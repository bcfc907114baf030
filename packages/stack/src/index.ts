// @duet/stack: starts the real infrastructure of the local stack and the integration tests without
// Docker (docs/design.md#modes): Kafka from Maven Central jars, PostgreSQL from Debian; and Debian's Chromium
// for the dashboard's browser tests.
export { ensureStackCertificates, stackCertificateFiles } from './certificates';
export type { CertificateOptions, StackCertificates } from './certificates';
export { ensureChromiumInstalled, findChromium } from './chromium';
export type { ChromiumInstallation } from './chromium';
export {
  createTopics,
  ensureKafkaInstalled,
  grantKafkaAcls,
  KAFKA_SASL_MECHANISM,
  kafkaAnswers,
  kafkaClientSettings,
  runningKafkaPid,
  startKafka,
  stopKafka,
} from './kafka';
export type {
  KafkaAdminOptions,
  KafkaClientSecurity,
  KafkaCredentials,
  KafkaGrant,
  KafkaHandle,
  KafkaInstallation,
  KafkaInstallOptions,
  KafkaSecurity,
  StartKafkaOptions,
  TopicSpec,
} from './kafka';
export {
  ensurePostgresInstalled,
  ensureRoleAndDatabase,
  findPostgresBinDir,
  postgresUrl,
  resolvePostgresDataDir,
  runningPostmaster,
  startPostgres,
  stopPostgres,
} from './postgres';
export type { PostgresHandle, PostgresInstallation, PostgresSecurity, StartPostgresOptions } from './postgres';
export { defaultLog, ensureDebianPackage, findRepoRoot, freePort, freePorts, isPidAlive, isPortOpen, quietLog, readPidFile, tailFile } from './process';
export type { DebianPackage, StackLog } from './process';
export { status } from './status';
export type { ServiceStatus, StackStatus } from './status';
