import { hostname } from 'node:os';
import { z } from 'zod';
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
