import { MIN_SERVICE_KEY_LENGTH, environment, loadConfig, tlsEnvironment } from '@duet/service-kit';
import { z } from 'zod';
import { DEFAULT_RATE_LIMIT_PER_SECOND } from './policy-authority.settings';

const MIN_ADMIN_TOKEN_LENGTH = 16; // characters
const MIN_ENROLLMENT_SECRET_LENGTH = 32; // characters: the HMAC key of device credentials

function secret(minimum: number, what: string) {
  return z
    .string({ error: (issue) => (issue.input === undefined ? `is required: ${what}` : 'must be text') })
    .min(minimum, { error: `must be at least ${minimum} characters: ${what}` });
}

/** policy-authority's environment (networked mode), validated once at start-up. */
export const policyAuthorityEnvironment = z.object({
  DATABASE_URL: environment.databaseUrl(),
  DATABASE_MAX_CONNECTIONS: z.coerce.number().int().min(1).max(100).default(8),
  KAFKA_BROKERS: environment.brokers(),
  GRPC_HOST: environment.host(),
  GRPC_PORT: environment.port(50053),
  HTTP_HOST: environment.host(),
  HTTP_PORT: environment.port(8083),
  ADMIN_TOKEN: secret(MIN_ADMIN_TOKEN_LENGTH, 'the bearer token of the admin API'),
  ENROLLMENT_SECRET: secret(MIN_ENROLLMENT_SECRET_LENGTH, 'the key device credentials are derived with'),
  // The stack's service key: persona-runtime's identity may re-enroll handsets (else only the admin).
  SERVICE_IDENTITY_KEY: z.string().min(MIN_SERVICE_KEY_LENGTH).optional(),
  RATE_LIMIT_PER_SECOND: z.coerce.number().int().min(0).default(DEFAULT_RATE_LIMIT_PER_SECOND),
  ...tlsEnvironment,
});

export type PolicyAuthorityConfig = z.output<typeof policyAuthorityEnvironment>;

export function loadPolicyAuthorityConfig(variables: NodeJS.ProcessEnv = process.env): PolicyAuthorityConfig {
  return loadConfig('policy-authority', policyAuthorityEnvironment, variables);
}
