import { environment, loadConfig, tlsEnvironment } from '@duet/service-kit';
import { z } from 'zod';

// Telemetry's environment, validated once at start-up with every problem listed (conventions.md principle 5).
const TelemetryEnvironment = z.object({
  DATABASE_URL: environment.databaseUrl(),
  KAFKA_BROKERS: environment.brokers(),
  GRPC_PORT: environment.port(50054),
  HTTP_PORT: environment.port(8084),
  /** Address both servers bind; 0.0.0.0 in a container. */
  HOST: environment.host(),
  CONSUMER_GROUP: z.string().min(1, 'must name a consumer group').default('telemetry'),
  /** The read-only token of the query APIs and the dashboard. */
  VIEWER_TOKEN: z.string({ error: 'is required: the read-only token of the query APIs and the dashboard' }).min(16, 'must be at least 16 characters'),
  ...tlsEnvironment,
});

export type TelemetryConfig = z.output<typeof TelemetryEnvironment>;

export function loadTelemetryConfig(variables: NodeJS.ProcessEnv = process.env): TelemetryConfig {
  return loadConfig('telemetry', TelemetryEnvironment, variables);
}
