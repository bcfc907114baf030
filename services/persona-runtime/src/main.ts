// A persona runtime, networked: one process per persona (docs/design.md#services-and-contracts), never both in one.
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { ConfigError, KafkaCheckpointStore, KafkaEventBus, Role, RunSecrets, ServiceIdentities, serverTls, tlsCaFile } from '@duet/service-kit';
import { Persona } from '@duet/sim-core';
import { KafkaHypervisorPeer } from './clients/hypervisor-peer.kafka';
import { GrantInbox } from './domain/grant-inbox';
import { GrpcPolicyGateway } from './clients/policy-gateway.grpc';
import { loadPersonaRuntimeConfig } from './config';
import { startPersonaRuntimeApp } from './persona-runtime.app';

async function main(): Promise<void> {
  const config = loadPersonaRuntimeConfig();
  const persona = config.PERSONA === 'business' ? Persona.BUSINESS : Persona.PERSONAL;
  const eventBus = new KafkaEventBus({ brokers: config.KAFKA_BROKERS, clientId: `persona-runtime-${config.PERSONA}-${config.INSTANCE_ID}` });
  // The exchange with hypervisor-core travels on Kafka: no peer address, whoever owns the shard answers.
  const grants = new GrantInbox();
  const hypervisor = new KafkaHypervisorPeer(eventBus, grants);
  const identity =
    config.SERVICE_IDENTITY_KEY === undefined ? undefined : `Bearer ${new ServiceIdentities(config.SERVICE_IDENTITY_KEY).tokenOf('persona-runtime')}`;
  const policy =
    persona === Persona.BUSINESS ? new GrpcPolicyGateway(config.POLICY_AUTHORITY_ADDRESS!, identity, tlsCaFile(config, 'persona-runtime')) : undefined;
  const role = persona === Persona.BUSINESS ? Role.ROLE_BUSINESS : Role.ROLE_PERSONAL;
  const checkpoints = new KafkaCheckpointStore(eventBus, role, `persona-runtime-${config.PERSONA}-${config.INSTANCE_ID}-checkpoints-${randomUUID()}`);
  await checkpoints.start();
  const app = await startPersonaRuntimeApp(
    {
      persona,
      eventBus,
      hypervisor,
      policy,
      instanceId: config.INSTANCE_ID,
      runSecrets: config.RUN_SECRETS_KEY === undefined ? undefined : new RunSecrets(config.RUN_SECRETS_KEY),
      shared: { checkpoints, checkpointTicks: config.CHECKPOINT_TICKS, grants },
    },
    { host: config.HOST, httpPort: config.HTTP_PORT, tls: serverTls('persona-runtime', config) },
  );
  app.getHttpServer().on('close', () => {
    policy?.close();
    void checkpoints.close().finally(() => eventBus.close());
  });
  console.log(
    `persona-runtime (${config.PERSONA}) ready: HTTP ${config.DUET_TLS_CERT === undefined ? 'http' : 'https'}://${config.HOST}:${config.HTTP_PORT}/readyz`,
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(error instanceof ConfigError ? 2 : 1);
});
