import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { KafkaConfig } from 'kafkajs';
import { z } from 'zod';
import { quoted } from './quoted';
import { MIN_SERVICE_KEY_LENGTH } from './service-identity';

/** A service's configuration is wrong; `problems` lists every one (conventions.md principle 5). */
export class ConfigError extends Error {
  constructor(
    readonly service: string,
    readonly problems: readonly string[],
  ) {
    super(`${service}: invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Validates a service's environment once, at start-up, against its schema and fails with the
 * full list of what is wrong. Keys are environment variable names.
 */
export function loadConfig<Schema extends z.ZodType>(service: string, schema: Schema, environment: NodeJS.ProcessEnv = process.env): z.output<Schema> {
  const result = schema.safeParse(environment);
  if (result.success) return result.data;
  throw new ConfigError(
    service,
    result.error.issues.map((issue) => `${issue.path.join('.') || '(environment)'}: ${issue.message}`),
  );
}

/** Reusable environment fields. */
export const environment = {
  port: (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback),
  host: () => z.string().min(1).default('127.0.0.1'),
  /** Comma-separated `host:port` list. */
  brokers: () =>
    z
      .string()
      .min(1, 'must list at least one host:port')
      .transform((value) => value.split(',').map((broker) => broker.trim()))
      .refine((brokers) => brokers.every((broker) => /^[^:\s]+:\d+$/.test(broker)), 'must be host:port[,host:port...]'),
  databaseUrl: () => z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL'),
  /**
   * Ticks between two checkpoints of a shard's state (hypervisor-core, persona runtimes): a new
   * owner re-simulates at most this many ticks. Fewer costs more Kafka traffic per tick.
   */
  checkpointTicks: () => z.coerce.number().int().min(1, 'must be at least 1 tick').max(100_000).default(DEFAULT_CHECKPOINT_TICKS),
  /** Names the instance in logs and Kafka client ids (the scaled roles take their shards from their consumer group, not from here). */
  instanceId: () =>
    z
      .string()
      .min(1)
      .default(() => `${hostname()}-${process.pid}`),
  /**
   * The path of a PEM file (certificate, key or CA); unset (or empty) when not configured. Read when
   * the service starts (tls.ts), so a manifest can name a file of the container it runs in.
   */
  pemFile: () => z.preprocess((value) => (value === '' ? undefined : value), z.string().optional()),
  /** The stack's service key, which service identities are signed with (optional: without it no caller has one). */
  serviceIdentityKey: () => z.string().min(MIN_SERVICE_KEY_LENGTH).optional(),
};

export const DEFAULT_CHECKPOINT_TICKS = 30; // ticks between checkpoints: half a simulated hour at one-minute ticks

/**
 * How the process's clients of Kafka and PostgreSQL authenticate (docs/security.md), read through
 * service-kit by every service and the `duet` command alike:
 *   KAFKA_SSL_CA          PEM file of the CA that signed the brokers' certificates: TLS, verified
 *   KAFKA_SASL_USERNAME   the SCRAM user (principal User:<name>) ...
 *   KAFKA_SASL_PASSWORD   ... and its password
 *   KAFKA_SASL_MECHANISM  scram-sha-512 (default) or scram-sha-256
 *   PGSSLROOTCERT         PEM file of the CA of PostgreSQL's certificate (libpq's name): TLS,
 *                         verified, for a DATABASE_URL that says no sslmode of its own
 * None set: plaintext without credentials (the integration tests' broker and server).
 */
const CLIENT_SECURITY = z
  .object({
    KAFKA_SSL_CA: z.string().min(1).optional(),
    KAFKA_SASL_USERNAME: z.string().min(1).optional(),
    KAFKA_SASL_PASSWORD: z.string().min(1).optional(),
    KAFKA_SASL_MECHANISM: z.enum(['scram-sha-512', 'scram-sha-256']).default('scram-sha-512'),
    PGSSLROOTCERT: z.string().min(1).optional(),
  })
  .refine((value) => (value.KAFKA_SASL_USERNAME === undefined) === (value.KAFKA_SASL_PASSWORD === undefined), {
    message: 'KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD go together',
    path: ['KAFKA_SASL_PASSWORD'],
  });

/** The client security variables, validated (files not read yet). */
export function loadClientSecurityConfig(source: NodeJS.ProcessEnv = process.env): z.output<typeof CLIENT_SECURITY> {
  return loadConfig('client security', CLIENT_SECURITY, source);
}

/** kafkajs's ssl and sasl settings from those variables; empty for a plaintext broker. */
export function kafkaClientSecurity(source: NodeJS.ProcessEnv = process.env): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  const settings = loadClientSecurityConfig(source);
  const security: Pick<KafkaConfig, 'ssl' | 'sasl'> = {};
  // Verified: against 127.0.0.1 the certificate's IP name, elsewhere its DNS name.
  if (settings.KAFKA_SSL_CA !== undefined) security.ssl = { ca: [readPemFile('client security', 'KAFKA_SSL_CA', settings.KAFKA_SSL_CA).toString('utf8')] };
  if (settings.KAFKA_SASL_USERNAME !== undefined && settings.KAFKA_SASL_PASSWORD !== undefined) {
    const credentials = { username: settings.KAFKA_SASL_USERNAME, password: settings.KAFKA_SASL_PASSWORD };
    security.sasl =
      settings.KAFKA_SASL_MECHANISM === 'scram-sha-256' ? { mechanism: 'scram-sha-256', ...credentials } : { mechanism: 'scram-sha-512', ...credentials };
  }
  return security;
}

/** node-postgres's ssl setting from PGSSLROOTCERT (verify the server against that CA), undefined without it. */
export function postgresClientTls(source: NodeJS.ProcessEnv = process.env): { ca: string } | undefined {
  const { PGSSLROOTCERT } = loadClientSecurityConfig(source);
  return PGSSLROOTCERT === undefined ? undefined : { ca: readPemFile('client security', 'PGSSLROOTCERT', PGSSLROOTCERT).toString('utf8') };
}

/** The PEM file a variable names, read at start-up; one that cannot be read is a ConfigError of `service` naming the variable. */
export function readPemFile(service: string, variable: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new ConfigError(service, [`${variable}: cannot read ${quoted(file)} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`]);
  }
}
