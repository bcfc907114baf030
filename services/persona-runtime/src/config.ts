import { z } from 'zod';
import { environment, loadConfig, tlsEnvironment } from '@duet/service-kit';

const schema = z
  .object({
    PERSONA: z.enum(['personal', 'business'], { message: 'must be personal or business' }),
    KAFKA_BROKERS: environment.brokers(),
    POLICY_AUTHORITY_ADDRESS: z
      .string()
      .regex(/^[^:\s]+:\d+$/, 'must be host:port')
      .optional(),
    HOST: environment.host(),
    HTTP_PORT: environment.port(8082),
    INSTANCE_ID: environment.instanceId(),
    CHECKPOINT_TICKS: environment.checkpointTicks(),
    // The stack's service key: the business runtime shows policy-authority its persona-runtime identity, which may re-enroll handsets.
    SERVICE_IDENTITY_KEY: environment.serviceIdentityKey(),
    // The stack's run-secrets key (32 bytes, base64url): opens the enrollment token a run's STARTED carries sealed.
    RUN_SECRETS_KEY: z
      .string()
      .regex(/^[A-Za-z0-9_-]{43}$/, 'must be 32 bytes in base64url (43 characters)')
      .optional(),
    ...tlsEnvironment,
  })
  .refine((config) => config.PERSONA === 'personal' || config.POLICY_AUTHORITY_ADDRESS !== undefined, {
    path: ['POLICY_AUTHORITY_ADDRESS'],
    message: 'required when PERSONA=business (the MDM agent checks in there)',
  });

export type PersonaRuntimeConfig = z.output<typeof schema>;

export function loadPersonaRuntimeConfig(environmentVariables: NodeJS.ProcessEnv = process.env): PersonaRuntimeConfig {
  return loadConfig('persona-runtime', schema, environmentVariables);
}
