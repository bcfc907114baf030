import 'reflect-metadata';
import { Database, KafkaEventBus, serverTls } from '@duet/service-kit';
import { loadTelemetryConfig } from './config';
import { startTelemetryApplication } from './telemetry.app';
import { migrateTelemetry } from './telemetry.module';

// The telemetry service in networked mode: PostgreSQL and Kafka from the environment.
async function main(): Promise<void> {
  const config = loadTelemetryConfig();
  const database = new Database(config.DATABASE_URL);
  await migrateTelemetry(database);
  const eventBus = new KafkaEventBus({ brokers: config.KAFKA_BROKERS, clientId: 'telemetry' });
  const app = await startTelemetryApplication({
    database,
    eventBus,
    consumerGroup: config.CONSUMER_GROUP,
    viewerToken: config.VIEWER_TOKEN,
    host: config.HOST,
    grpcPort: config.GRPC_PORT,
    httpPort: config.HTTP_PORT,
    tls: serverTls('telemetry', config),
  });
  const stop = async () => {
    await app.close();
    await eventBus.close();
    await database.close();
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void stop().then(() => process.exit(0)));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
