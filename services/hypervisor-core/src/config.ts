import { z } from 'zod';
import { environment, loadConfig, tlsEnvironment } from '@duet/service-kit';

const schema = z.object({
  KAFKA_BROKERS: environment.brokers(),
  HOST: environment.host(),
  GRPC_PORT: environment.port(50051),
  HTTP_PORT: environment.port(8081),
  INSTANCE_ID: environment.instanceId(),
  CHECKPOINT_TICKS: environment.checkpointTicks(),
  // The stack's service key; without it no caller has a service identity and ExchangeTick refuses every call.
  SERVICE_IDENTITY_KEY: environment.serviceIdentityKey(),
  ...tlsEnvironment,
});

export type HypervisorCoreConfig = z.output<typeof schema>;

export function loadHypervisorCoreConfig(environmentVariables: NodeJS.ProcessEnv = process.env): HypervisorCoreConfig {
  return loadConfig('hypervisor-core', schema, environmentVariables);
}
