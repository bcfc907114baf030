// hypervisor-core, networked: gRPC for the per-tick exchange, HTTP for health, Kafka for events.
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { NestFactory } from '@nestjs/core';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';
import { GRPC_LOADER_OPTIONS, PROTO_ROOT } from '@duet/contracts';
import { ConfigError, KafkaCheckpointStore, KafkaEventBus, Role, acceptMalformedRequests } from '@duet/service-kit';
import { loadHypervisorCoreConfig } from './config';
import { HypervisorCoreModule } from './hypervisor-core.module';

const MAX_MESSAGE_BYTES = 64 * 1024 * 1024; // a shard's columnar batch; 25,000 handsets take ~1 MB

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
  app.connectMicroservice<MicroserviceOptions>({
    transport: Transport.GRPC,
    options: {
      package: 'duet.hypervisor.v1',
      protoPath: join(PROTO_ROOT, 'duet/hypervisor/v1/hypervisor.proto'),
      url: `${config.HOST}:${config.GRPC_PORT}`,
      loader: { ...GRPC_LOADER_OPTIONS, includeDirs: [...GRPC_LOADER_OPTIONS.includeDirs] },
      maxReceiveMessageLength: MAX_MESSAGE_BYTES,
      maxSendMessageLength: MAX_MESSAGE_BYTES,
      onLoadPackageDefinition: (definition) => acceptMalformedRequests(definition),
    },
  });
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
