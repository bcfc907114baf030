// hypervisor-core, networked: gRPC for the per-tick exchange, HTTP for health, Kafka for events.
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { ConfigError, KafkaCheckpointStore, KafkaEventBus, Role, serverTls } from '@duet/service-kit';
import { loadHypervisorCoreConfig } from './config';
import { startHypervisorCoreApp } from './hypervisor-core.app';

async function main(): Promise<void> {
  const config = loadHypervisorCoreConfig();
  const eventBus = new KafkaEventBus({ brokers: config.KAFKA_BROKERS, clientId: `hypervisor-core-${config.INSTANCE_ID}` });
  const checkpoints = new KafkaCheckpointStore(eventBus, Role.ROLE_HYPERVISOR, `hypervisor-core-${config.INSTANCE_ID}-checkpoints-${randomUUID()}`);
  await checkpoints.start();
  const app = await startHypervisorCoreApp(
    {
      eventBus,
      instanceId: config.INSTANCE_ID,
      shared: { checkpoints, checkpointTicks: config.CHECKPOINT_TICKS },
      serviceIdentityKey: config.SERVICE_IDENTITY_KEY,
    },
    { host: config.HOST, grpcPort: config.GRPC_PORT, httpPort: config.HTTP_PORT, tls: serverTls('hypervisor-core', config) },
  );
  app.getHttpServer().on('close', () => void checkpoints.close().finally(() => eventBus.close()));
  console.log(
    `hypervisor-core ready: gRPC ${config.HOST}:${config.GRPC_PORT}, HTTP ${config.DUET_TLS_CERT === undefined ? 'http' : 'https'}://${config.HOST}:${config.HTTP_PORT}/readyz`,
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(error instanceof ConfigError ? 2 : 1);
});
