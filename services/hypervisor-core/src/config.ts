import { z } from 'zod';
import { environment, loadConfig } from '@duet/service-kit';

const schema = z.object({
  KAFKA_BROKERS: environment.brokers(),
  HOST: environment.host(),
  GRPC_PORT: environment.port(50051),
  HTTP_PORT: environment.port(8081),
  INSTANCE_ID: z.string().min(1).default('0'),
  // Comma-separated shard numbers this instance owns; empty = all.
  SHARDS: z
    .string()
    .default('')
    .transform((value) => (value.trim() === '' ? ('all' as const) : value.split(',').map((shard) => Number(shard.trim()))))
    .refine((value) => value === 'all' || value.every((shard) => Number.isInteger(shard) && shard >= 0), 'must be comma-separated shard numbers'),
});

export type HypervisorCoreConfig = z.output<typeof schema>;

export function loadHypervisorCoreConfig(environmentVariables: NodeJS.ProcessEnv = process.env): HypervisorCoreConfig {
  return loadConfig('hypervisor-core', schema, environmentVariables);
}
