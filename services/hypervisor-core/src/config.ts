import { hostname } from 'node:os';
import { z } from 'zod';
import { MIN_SERVICE_KEY_LENGTH, environment, loadConfig } from '@duet/service-kit';

const schema = z.object({
  KAFKA_BROKERS: environment.brokers(),
  HOST: environment.host(),
  GRPC_PORT: environment.port(50051),
  HTTP_PORT: environment.port(8081),
  // Names the instance in logs and Kafka client ids; shards come from the consumer group, not from here.
  INSTANCE_ID: z
    .string()
    .min(1)
    .default(() => `${hostname()}-${process.pid}`),
  CHECKPOINT_TICKS: environment.checkpointTicks(),
  // The stack's service key; without it no caller has a service identity and ExchangeTick refuses every call.
  SERVICE_IDENTITY_KEY: z.string().min(MIN_SERVICE_KEY_LENGTH).optional(),
});

export type HypervisorCoreConfig = z.output<typeof schema>;

export function loadHypervisorCoreConfig(environmentVariables: NodeJS.ProcessEnv = process.env): HypervisorCoreConfig {
  return loadConfig('hypervisor-core', schema, environmentVariables);
}
