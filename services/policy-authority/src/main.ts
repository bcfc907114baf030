// Networked entry of policy-authority: PostgreSQL and Kafka from the environment, migrations, then
// HTTP (admin API, /healthz, /readyz) and gRPC (duet.policy.v1). SIGTERM/SIGINT close the servers,
// then the pool and the Kafka clients.
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { ConfigError, Database, KafkaEventBus, serverTls } from '@duet/service-kit';
import { loadPolicyAuthorityConfig } from './config';
import { createPolicyAuthorityApp } from './policy-authority.app';
import { PolicyAuthorityModule } from './policy-authority.module';

const EXIT_BAD_CONFIGURATION = 2;
const EXIT_FAILED = 1;

async function main(): Promise<void> {
  const config = loadPolicyAuthorityConfig();
  const logger = new Logger('policy-authority');
  const database = new Database(config.DATABASE_URL, { maxConnections: config.DATABASE_MAX_CONNECTIONS });
  const eventBus = new KafkaEventBus({ brokers: config.KAFKA_BROKERS, clientId: 'policy-authority' });
  const applied = await PolicyAuthorityModule.migrate(database);
  if (applied.length > 0) logger.log(`applied migrations ${applied.join(', ')}`);

  const app = await createPolicyAuthorityApp({
    database,
    eventBus,
    adminToken: config.ADMIN_TOKEN,
    enrollmentSecret: config.ENROLLMENT_SECRET,
    rateLimitPerSecond: config.RATE_LIMIT_PER_SECOND,
    serviceIdentityKey: config.SERVICE_IDENTITY_KEY,
    grpcUrl: `${config.GRPC_HOST}:${config.GRPC_PORT}`,
    ownsConnections: true,
    tls: serverTls('policy-authority', config),
  });
  app.enableShutdownHooks();
  await app.startAllMicroservices();
  await app.listen(config.HTTP_PORT, config.HTTP_HOST);
  logger.log(`gRPC duet.policy.v1 on ${config.GRPC_HOST}:${config.GRPC_PORT}, HTTP on ${config.HTTP_HOST}:${config.HTTP_PORT}`);
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(EXIT_BAD_CONFIGURATION);
  }
  process.stderr.write(`policy-authority failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(EXIT_FAILED);
});
