// Vitest globalSetup: provides Kafka and PostgreSQL to the test workers, started at most once per
// test run and only when a test asks for them (tests/support/infrastructure.ts, getInfrastructure).
//
// It runs in vitest's main process and starts nothing by itself: it serves one loopback HTTP
// endpoint whose address reaches the workers through `project.provide` / `inject`. The first
// worker that calls getInfrastructure() makes this process provision the infrastructure; every
// later caller gets the same addresses. A run that needs neither (unit specs, golden tests) pays
// only for the endpoint and, on a machine that has never fetched the Kafka jars, a background
// Maven fetch. Teardown stops what was started. Keeping the servers in this long-lived process
// (rather than in a worker) means they outlive test files and workers, and testcontainers' reaper
// is tied to this process.
//
// Where the infrastructure comes from, in order (docs/design.md#modes):
//   1. KAFKA_BROKERS (comma-separated host:port) and DATABASE_URL from the environment;
//   2. testcontainers (Kafka 3.9 via confluentinc/cp-kafka:7.9.0, postgres:15) when a Docker
//      engine answers;
//   3. the project's own launcher (@duet/stack): Kafka from Maven Central jars and Debian's
//      PostgreSQL, in <repo>/.duet/test-infra/run-<pid>/, removed at teardown.
import { readdirSync, realpathSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import {
  ensureKafkaInstalled,
  findRepoRoot,
  freePorts,
  isPidAlive,
  quietLog,
  startKafka,
  startPostgres,
  stopKafka,
  stopPostgres,
  type StackLog,
} from '../../packages/stack/src/index';

declare module 'vitest' {
  export interface ProvidedContext {
    /** http://127.0.0.1:<port>/infrastructure — POST it to get the run's Kafka and PostgreSQL. */
    duetInfrastructureUrl: string;
  }
}

export type InfrastructureSource = 'environment' | 'testcontainers' | 'local';

export interface Infrastructure {
  kafkaBrokers: string[];
  databaseUrl: string;
  source: InfrastructureSource;
}

export interface ProvisionedInfrastructure {
  infrastructure: Infrastructure;
  /** Seconds spent, for the log line. */
  seconds: number;
  stop(): Promise<void>;
  /**
   * Synchronous, non-waiting stop of the local launcher's servers (SIGTERM to Kafka, SIGINT = fast
   * shutdown to PostgreSQL), for 'exit' and signal handlers; absent for other sources.
   */
  signalStop?: () => void;
}

const log: StackLog = (message) => process.stderr.write(`[duet-infra] ${message}\n`);

/** Whether a container engine answers; false on "Could not find a working container runtime strategy" (or after 10 s). */
export async function dockerAvailable(): Promise<boolean> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await Promise.race([getContainerRuntimeClient(), new Promise((_, reject) => setTimeout(() => reject(new Error('no answer within 10 s')), 10_000).unref())]);
    return true;
  } catch (error) {
    const message = (error as Error).message;
    if (!message.includes('Could not find a working container runtime strategy')) log(`container runtime unusable (${message}); using the local launcher`);
    return false;
  }
}

function environmentValue(name: 'KAFKA_BROKERS' | 'DATABASE_URL'): string | undefined {
  const value = process.env[name]?.trim();
  return value ? value : undefined;
}

/**
 * Provisions Kafka and PostgreSQL for one test run (see the header for the order) and returns how
 * to stop them. A part given in the environment is used as is and never stopped.
 */
export async function provisionInfrastructure(runId = String(process.pid)): Promise<ProvisionedInfrastructure> {
  const started = performance.now();
  const envBrokers = environmentValue('KAFKA_BROKERS');
  const envDatabase = environmentValue('DATABASE_URL');
  const fromEnvironment = {
    kafkaBrokers: envBrokers
      ?.split(',')
      .map((broker) => broker.trim())
      .filter(Boolean),
    databaseUrl: envDatabase,
  };
  const done = (infrastructure: Infrastructure, stop: () => Promise<void>, signalStop?: () => void): ProvisionedInfrastructure => ({
    infrastructure,
    seconds: (performance.now() - started) / 1000,
    stop,
    signalStop,
  });
  if (fromEnvironment.kafkaBrokers && fromEnvironment.databaseUrl) {
    return done({ kafkaBrokers: fromEnvironment.kafkaBrokers, databaseUrl: fromEnvironment.databaseUrl, source: 'environment' }, async () => undefined);
  }
  const needKafka = !fromEnvironment.kafkaBrokers;
  const needDatabase = !fromEnvironment.databaseUrl;

  if (await dockerAvailable()) {
    const [{ KafkaContainer }, { PostgreSqlContainer }] = await Promise.all([import('@testcontainers/kafka'), import('@testcontainers/postgresql')]);
    const [kafka, postgres] = await Promise.all([
      needKafka
        ? new KafkaContainer('confluentinc/cp-kafka:7.9.0').withKraft().withEnvironment({ KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false' }).start()
        : undefined,
      needDatabase ? new PostgreSqlContainer('postgres:15').withDatabase('duet').withUsername('duet').withPassword('duet').start() : undefined,
    ]);
    return done(
      {
        kafkaBrokers: fromEnvironment.kafkaBrokers ?? [`${kafka!.getHost()}:${kafka!.getMappedPort(9093)}`],
        databaseUrl: fromEnvironment.databaseUrl ?? postgres!.getConnectionUri(),
        source: 'testcontainers',
      },
      async () => {
        await Promise.all([kafka?.stop(), postgres?.stop()]);
      },
    );
  }

  const repoRoot = findRepoRoot(__dirname);
  const infraRoot = join(repoRoot, '.duet', 'test-infra');
  await removeAbandonedRuns(infraRoot);
  const runDir = join(infraRoot, `run-${runId}`);
  const [kafkaPort, controllerPort, postgresPort] = await freePorts(3);
  const [kafka, postgres] = await Promise.all([
    needKafka ? startKafka({ dataDir: join(runDir, 'kafka'), port: kafkaPort, controllerPort, log }) : undefined,
    needDatabase ? startPostgres({ dataDir: join(runDir, 'postgres'), port: postgresPort, log }) : undefined,
  ]).catch(async (error: unknown) => {
    // One of them may have started: do not leave it running.
    await stopRun(runDir);
    throw error;
  });
  return done(
    {
      kafkaBrokers: fromEnvironment.kafkaBrokers ?? kafka!.brokers,
      databaseUrl: fromEnvironment.databaseUrl ?? postgres!.url,
      source: 'local',
    },
    async () => {
      await Promise.all([kafka?.stop(), postgres?.stop()]);
      await stopRun(runDir);
    },
    () => {
      for (const [pid, signal] of [
        [kafka?.pid, 'SIGTERM'],
        [postgres?.pid, 'SIGINT'],
      ] as const) {
        try {
          if (pid) process.kill(pid, signal);
        } catch {
          // already gone
        }
      }
    },
  );
}

/** Stops whatever still runs in a run folder and deletes it (and a PostgreSQL data dir moved to /tmp). */
async function stopRun(runDir: string): Promise<void> {
  await Promise.allSettled([stopKafka(join(runDir, 'kafka'), 20_000), stopPostgres(join(runDir, 'postgres'))]);
  removeRunFolder(runDir);
}

function removeRunFolder(runDir: string): void {
  try {
    const realPostgres = realpathSync(join(runDir, 'postgres'));
    if (realPostgres !== join(runDir, 'postgres')) rmSync(realPostgres, { recursive: true, force: true });
  } catch {
    // no PostgreSQL data dir
  }
  rmSync(runDir, { recursive: true, force: true });
}

/** Run folders whose vitest process is gone (killed before its teardown): stop their servers, delete them. */
async function removeAbandonedRuns(infraRoot: string): Promise<void> {
  let entries: string[] = [];
  try {
    entries = readdirSync(infraRoot);
  } catch {
    return;
  }
  for (const entry of entries) {
    const pid = Number(/^run-(?:worker-)?(\d+)$/.exec(entry)?.[1]);
    if (pid && !isPidAlive(pid)) {
      log(`removing abandoned ${join(infraRoot, entry)}`);
      await stopRun(join(infraRoot, entry));
    }
  }
}

/**
 * The globalSetup entry: serves POST /infrastructure on 127.0.0.1 (provisioning once, on the first
 * request) and returns the teardown that stops what was provisioned.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let provisioning: Promise<ProvisionedInfrastructure> | undefined;
  const provision = (): Promise<ProvisionedInfrastructure> => {
    provisioning ??= provisionInfrastructure().then((provisioned) => {
      const { infrastructure } = provisioned;
      log(
        `${infrastructure.source}: Kafka ${infrastructure.kafkaBrokers.join(',')}, PostgreSQL ${infrastructure.databaseUrl} (${provisioned.seconds.toFixed(1)} s)`,
      );
      return provisioned;
    });
    return provisioning;
  };

  const server: Server = createServer((request, response) => {
    if (request.method !== 'POST' || request.url !== '/infrastructure') {
      response.writeHead(404).end();
      return;
    }
    provision().then(
      ({ infrastructure }) => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(infrastructure)),
      (error: unknown) =>
        response.writeHead(500, { 'content-type': 'text/plain' }).end(error instanceof Error ? (error.stack ?? error.message) : String(error)),
    );
  });
  // The provisioning can take minutes on a cold machine (Maven, apt): no server-side timeouts.
  server.requestTimeout = 0;
  server.headersTimeout = 0;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('the infrastructure endpoint has no TCP address');
  project.provide('duetInfrastructureUrl', `http://127.0.0.1:${address.port}/infrastructure`);

  // A machine that has never fetched the Kafka jars fetches them now, in the background, so a test
  // that needs Kafka later does not spend its hook timeout on Maven. Nothing else starts.
  let prefetch: Promise<unknown> | undefined;
  if (!environmentValue('KAFKA_BROKERS') && process.env.DUET_INFRA_PREFETCH !== '0') {
    prefetch = dockerAvailable()
      .then((docker) => (docker ? undefined : ensureKafkaInstalled({ log: quietLog })))
      .catch(() => undefined); // reported again, with context, if a test needs Kafka
  }

  return async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await prefetch; // let a first-ever Maven fetch finish rather than leave half a lib folder
    const provisioned = await provisioning?.catch(() => undefined);
    if (provisioned) {
      const stopStarted = performance.now();
      await provisioned.stop();
      if (provisioned.infrastructure.source !== 'environment')
        log(`stopped ${provisioned.infrastructure.source} infrastructure in ${((performance.now() - stopStarted) / 1000).toFixed(1)} s`);
    }
  };
}
