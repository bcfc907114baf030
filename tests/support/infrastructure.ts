// The one helper integration tests use to reach Kafka and PostgreSQL (docs/design.md#modes).
//
//   beforeAll(async () => {
//     const { kafkaBrokers } = await getInfrastructure();
//     databaseUrl = await freshDatabase('ledger-spec');
//   }, INFRASTRUCTURE_TIMEOUT_MS);
//
// Sources, in order: KAFKA_BROKERS + DATABASE_URL from the environment; testcontainers when a
// Docker engine answers; otherwise the project's own launcher (Kafka from Maven Central jars,
// Debian's PostgreSQL). The servers are started at most once per test run, by the globalSetup
// tests/support/global-setup.ts, on the first call from any test file, and stopped after the run.
// Topics: the broker does not auto-create them, create yours with createTopics (@duet/stack) under
// a name unique to the test file.
import { createHash } from 'node:crypto';
import { inject } from 'vitest';
import { Client } from 'pg';
import { TOPICS_TO_CREATE } from '@duet/contracts';
import { createTopics } from '@duet/stack';
import { provisionInfrastructure, type Infrastructure } from './global-setup';

export type { Infrastructure, InfrastructureSource } from './global-setup';

/**
 * The hook timeout to give a beforeAll that calls getInfrastructure(): the first call of a run may
 * start Kafka and PostgreSQL (~5–10 s), and on a machine that never ran them fetch the Kafka jars
 * with Maven (~15–30 s) and install PostgreSQL with apt (a minute or more).
 */
export const INFRASTRUCTURE_TIMEOUT_MS = 300_000;

let cached: Promise<Infrastructure> | undefined;

/** The run's Kafka brokers and PostgreSQL URL (database `duet`; use freshDatabase for your own). */
export function getInfrastructure(): Promise<Infrastructure> {
  cached ??= resolveInfrastructure();
  cached.catch(() => (cached = undefined));
  return cached;
}

async function resolveInfrastructure(): Promise<Infrastructure> {
  const brokers = process.env.KAFKA_BROKERS?.trim();
  const databaseUrl = process.env.DATABASE_URL?.trim();
  if (brokers && databaseUrl) {
    return {
      kafkaBrokers: brokers
        .split(',')
        .map((broker) => broker.trim())
        .filter(Boolean),
      databaseUrl,
      source: 'environment',
    };
  }
  let endpoint: string | undefined;
  try {
    endpoint = inject('duetInfrastructureUrl');
  } catch {
    endpoint = undefined;
  }
  if (endpoint) {
    const response = await fetch(endpoint, { method: 'POST', signal: AbortSignal.timeout(INFRASTRUCTURE_TIMEOUT_MS) });
    if (!response.ok) throw new Error(`could not provision the test infrastructure:\n${await response.text()}`);
    return (await response.json()) as Infrastructure;
  }
  return provisionInThisProcess();
}

/**
 * Without the globalSetup (a vitest config that does not list tests/support/global-setup.ts),
 * this worker provisions for itself and stops it when it exits.
 */
async function provisionInThisProcess(): Promise<Infrastructure> {
  process.stderr.write('[duet-infra] tests/support/global-setup.ts is not a globalSetup of this run: provisioning in this worker\n');
  const provisioned = await provisionInfrastructure(`worker-${process.pid}`);
  // Vitest ends a fork worker with SIGTERM (SIGKILL 500 ms later), which runs no 'exit' handler
  // and leaves no time to wait for the servers: signal them to shut down and let the signal go on.
  // The next run deletes the abandoned run folder (removeAbandonedRuns in global-setup.ts).
  if (provisioned.signalStop) {
    const signalStop = provisioned.signalStop;
    process.once('exit', signalStop);
    process.once('SIGTERM', () => {
      signalStop();
      process.kill(process.pid, 'SIGTERM');
    });
  } else {
    process.once('beforeExit', () => void provisioned.stop());
  }
  return provisioned.infrastructure;
}

/**
 * A new, empty database on the run's PostgreSQL server, for one test file: `name` (lowercased,
 * other characters replaced by `_`, prefixed `t_`) is dropped if it exists and created again.
 * Returns its URL (same server, user and password as getInfrastructure().databaseUrl).
 */
export async function freshDatabase(name: string): Promise<string> {
  const { databaseUrl } = await getInfrastructure();
  const database = databaseName(name);
  const client = new Client({ connectionString: databaseUrl, connectionTimeoutMillis: 15_000 });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    await client.query(`CREATE DATABASE "${database}"`);
  } finally {
    await client.end();
  }
  const url = new URL(databaseUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

function databaseName(name: string): string {
  const cleaned = `t_${name.toLowerCase().replace(/[^a-z0-9_]+/g, '_')}`;
  if (cleaned.length <= 63) return cleaned;
  return `${cleaned.slice(0, 50)}_${createHash('sha256').update(name).digest('hex').slice(0, 12)}`;
}

/**
 * Creates every topic of the registry with its dead-letter topic (TOPICS_TO_CREATE), as `duet
 * stack up` does, on the run's broker; for specs whose consumers may dead-letter a message. Another
 * file may create them at the same moment, so a failed attempt is tried once more.
 */
export async function createRegistryTopics(kafkaBrokers: string[]): Promise<void> {
  const topics = TOPICS_TO_CREATE.map((topic) => ({ topic: topic.name, partitions: topic.partitions, config: topic.config }));
  await createTopics(kafkaBrokers, topics).catch(() => createTopics(kafkaBrokers, topics));
}
