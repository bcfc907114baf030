import { hostname } from 'node:os';
import { z } from 'zod';
import { environment, loadConfig } from '@duet/service-kit';

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
});

export type HypervisorCoreConfig = z.output<typeof schema>;

export function loadHypervisorCoreConfig(environmentVariables: NodeJS.ProcessEnv = process.env): HypervisorCoreConfig {
  return loadConfig('hypervisor-core', schema, environmentVariables);
}
