// hypervisor-core, networked: gRPC for the per-tick exchange, HTTP for health, Kafka for events.
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { NestFactory } from '@nestjs/core';
import type { MicroserviceOptions } from '@nestjs/microservices';
import { ConfigError, KafkaCheckpointStore, KafkaEventBus, Role } from '@duet/service-kit';
import { loadHypervisorCoreConfig } from './config';
import { HypervisorCoreModule, hypervisorCoreGrpcOptions } from './hypervisor-core.module';

async function main(): Promise<void> {
  const config = loadHypervisorCoreConfig();
  const eventBus = new KafkaEventBus({ brokers: config.KAFKA_BROKERS, clientId: `hypervisor-core-${config.INSTANCE_ID}` });
  const checkpoints = new KafkaCheckpointStore(eventBus, Role.ROLE_HYPERVISOR, `hypervisor-core-${config.INSTANCE_ID}-checkpoints-${randomUUID()}`);
  await checkpoints.start();
  const app = await NestFactory.create(
    HypervisorCoreModule.register({
      eventBus,
      instanceId: config.INSTANCE_ID,
      shared: { checkpoints, checkpointTicks: config.CHECKPOINT_TICKS },
      serviceIdentityKey: config.SERVICE_IDENTITY_KEY,
    }),
    { logger: ['error', 'warn', 'log'] },
  );
  app.connectMicroservice<MicroserviceOptions>(hypervisorCoreGrpcOptions(`${config.HOST}:${config.GRPC_PORT}`));
  app.enableShutdownHooks();
  app.getHttpServer().on('close', () => void checkpoints.close().finally(() => eventBus.close()));
  await app.startAllMicroservices();
  await app.listen(config.HTTP_PORT, config.HOST);
  console.log(`hypervisor-core ready: gRPC ${config.HOST}:${config.GRPC_PORT}, HTTP http://${config.HOST}:${config.HTTP_PORT}/readyz`);
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(error instanceof ConfigError ? 2 : 1);
});
