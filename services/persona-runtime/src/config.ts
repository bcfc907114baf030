import { z } from 'zod';
import { environment, loadConfig } from '@duet/service-kit';

const schema = z
  .object({
    PERSONA: z.enum(['personal', 'business'], { message: 'must be personal or business' }),
    KAFKA_BROKERS: environment.brokers(),
    HYPERVISOR_ADDRESS: z
      .string()
      .regex(/^[^:\s]+:\d+$/, 'must be host:port')
      .default('127.0.0.1:50051'),
    POLICY_AUTHORITY_ADDRESS: z
      .string()
      .regex(/^[^:\s]+:\d+$/, 'must be host:port')
      .optional(),
    HOST: environment.host(),
    HTTP_PORT: environment.port(8082),
    INSTANCE_ID: z.string().min(1).default('0'),
    SHARDS: z
      .string()
      .default('')
      .transform((value) => (value.trim() === '' ? ('all' as const) : value.split(',').map((shard) => Number(shard.trim())))),
  })
  .refine((config) => config.PERSONA === 'personal' || config.POLICY_AUTHORITY_ADDRESS !== undefined, {
    path: ['POLICY_AUTHORITY_ADDRESS'],
    message: 'required when PERSONA=business (the MDM agent checks in there)',
  });

export type PersonaRuntimeConfig = z.output<typeof schema>;

export function loadPersonaRuntimeConfig(environmentVariables: NodeJS.ProcessEnv = process.env): PersonaRuntimeConfig {
  return loadConfig('persona-runtime', schema, environmentVariables);
}
