// A persona runtime, networked: one process per persona (DESIGN §2), never both in one.
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { ConfigError, KafkaEventBus } from '@duet/service-kit';
import { Persona } from '@duet/sim-core';
import { GrpcHypervisorPeer } from './adapters/hypervisor-peer.grpc';
import { GrpcPolicyGateway } from './adapters/policy-gateway.grpc';
import { loadPersonaRuntimeConfig } from './config';
import { PersonaRuntimeModule } from './persona-runtime.module';

async function main(): Promise<void> {
  const config = loadPersonaRuntimeConfig();
  const persona = config.PERSONA === 'business' ? Persona.BUSINESS : Persona.PERSONAL;
  const eventBus = new KafkaEventBus({ brokers: config.KAFKA_BROKERS, clientId: `persona-runtime-${config.PERSONA}-${config.INSTANCE_ID}` });
  const hypervisor = new GrpcHypervisorPeer(config.HYPERVISOR_ADDRESS);
  const policy = persona === Persona.BUSINESS ? new GrpcPolicyGateway(config.POLICY_AUTHORITY_ADDRESS!) : undefined;
  const app = await NestFactory.create(
    PersonaRuntimeModule.register({ persona, eventBus, hypervisor, policy, instanceId: config.INSTANCE_ID, ownedShards: config.SHARDS }),
    { logger: ['error', 'warn', 'log'] },
  );
  app.enableShutdownHooks();
  app.getHttpServer().on('close', () => {
    hypervisor.close();
    policy?.close();
    void eventBus.close();
  });
  await app.listen(config.HTTP_PORT, config.HOST);
  console.log(`persona-runtime (${config.PERSONA}) ready: HTTP http://${config.HOST}:${config.HTTP_PORT}/readyz`);
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(error instanceof ConfigError ? 2 : 1);
});
