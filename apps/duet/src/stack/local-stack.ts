// The local stack (docs/design.md#modes): real Kafka and PostgreSQL from @duet/stack, the registry's topics,
// and the five service processes, all on 127.0.0.1, all in one stack dir. `up` is idempotent (it
// adopts whatever of the stack already runs), `down` stops everything `up` started.
import { closeSync, existsSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TOPICS_TO_CREATE } from '@duet/contracts';
import { Database } from '@duet/service-kit';
import {
  createTopics,
  ensureStackCertificates,
  findRepoRoot,
  freePort,
  grantKafkaAcls,
  isPidAlive,
  isPortOpen,
  kafkaAnswers,
  runningKafkaPid,
  runningPostmaster,
  stackCertificateFiles,
  startKafka,
  startPostgres,
  stopKafka,
  stopPostgres,
  tailFile,
  type KafkaClientSecurity,
  type StackLog,
} from '@duet/stack';
import { KAFKA_ADMIN_USER, KAFKA_PRINCIPALS, kafkaGrants } from './kafka-principals';
import { loadOrCreateSecrets, readSecrets, requestedPorts, StackLayout, STACK_PORTS, type StackPorts, type StackSecrets } from './stack-layout';
import {
  clientEnvironment,
  databaseUrl,
  kafkaBrokers,
  replicaName,
  SCALABLE_SERVICES,
  servesGrpc,
  STACK_SERVICES,
  stackServices,
  type ReplicaPorts,
  type StackService,
  type StackSettings,
} from './stack-services';
import { answersReady, runningServicePid, spawnService, stopService, supervisedState, waitUntilReady } from './service.launcher';

export const DEFAULT_READY_TIMEOUT_MS = 90_000; // per part, from spawn to ready
const SERVICE_STOP_TIMEOUT_MS = 15_000; // SIGTERM to exit before SIGKILL; Nest services exit in ~1 s
const KAFKA_STOP_TIMEOUT_MS = 30_000;
const PORT_CLOSE_TIMEOUT_MS = 5_000; // after down, for listening sockets to go
const STATUS_PROBE_TIMEOUT_MS = 3_000;

export type InfrastructurePartName = 'kafka' | 'postgres';
/** kafka, postgres, a service's name, or `<service>-<k>` for the k-th instance of a scalable one. */
export type StackPartName = InfrastructurePartName | StackService['name'];

const MAX_REPLICAS = 16; // instances of a scalable service beyond its topics' 16 partitions would hold no shard

/** Every part, in start order: what `status` and `logs` list. */
export const STACK_PART_NAMES: readonly StackPartName[] = ['kafka', 'postgres', ...STACK_SERVICES.map((service) => service.name)];

export interface StackPart {
  readonly name: StackPartName;
  readonly running: boolean;
  /** The part's own process (for a service: the one its supervisor runs now). */
  readonly pid?: number;
  /** A service's supervisor: it starts the service again when it dies; kill its process group to lose the service for good. */
  readonly supervisorPid?: number;
  /** A service's restarts by its supervisor since `up` started it. */
  readonly restarts?: number;
  /** Where it listens: host:port for Kafka and PostgreSQL, `grpc host:port` and the /readyz URL for services. */
  readonly address: string;
  readonly ready: boolean;
  /** `up` only: false when it was already running and was adopted. */
  readonly started?: boolean;
  /** `up` only: seconds from the start of this part's start (or adoption) to ready. */
  readonly seconds?: number;
}

export interface StackUpResult {
  readonly dir: string;
  readonly ports: StackPorts;
  readonly parts: readonly StackPart[];
  /** The variables to use the stack with (also written, as `export` lines, to environmentFile). */
  readonly environment: Readonly<Record<string, string>>;
  readonly environmentFile: string;
  /** Seconds of the whole `up`. */
  readonly seconds: number;
  /** Seconds per phase: infrastructure (Kafka and PostgreSQL in parallel), topics, services (in parallel). */
  readonly phases: { readonly infrastructure: number; readonly topics: number; readonly services: number };
  readonly topicsCreated: readonly string[];
}

export interface StackStatusResult {
  readonly dir: string;
  /** False when `up` never ran in this dir. */
  readonly known: boolean;
  readonly ports: StackPorts;
  readonly parts: readonly StackPart[];
  readonly allReady: boolean;
}

export interface StackDownResult {
  readonly dir: string;
  readonly stopped: readonly { readonly name: StackPartName; readonly pid?: number; readonly seconds: number; readonly killed: boolean }[];
  /** Pids of the stack still alive after down (empty when all went). */
  readonly stillRunning: readonly { readonly name: StackPartName; readonly pid: number }[];
  /** Stack ports something still listens on after down (another program may own them). */
  readonly portsStillOpen: readonly number[];
  readonly purged: boolean;
  readonly seconds: number;
}

export class StackError extends Error {
  override name = 'StackError';
}

export interface StackUpOptions {
  readonly dir: string;
  readonly basePort?: number;
  /** Instances of hypervisor-core and of each persona runtime (default: what the last `up` ran, else 1). */
  readonly replicas?: number;
  readonly readyTimeoutMs?: number;
  readonly log: StackLog;
  readonly environment?: NodeJS.ProcessEnv;
}

export async function stackUp(options: StackUpOptions): Promise<StackUpResult> {
  const started = performance.now();
  const repoRoot = findRepoRoot();
  const layout = new StackLayout(options.dir);
  layout.ensureFolders();
  const readyTimeoutMs = options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  const log = options.log;
  return withLock(layout, 'up', async () => {
    const ports = await choosePorts(layout, repoRoot, options.basePort, options.environment ?? process.env);
    const conflicts = await portConflicts(layout, repoRoot, ports);
    if (conflicts.length > 0) {
      throw new StackError(`ports of the stack are in use by other processes: ${conflicts.join(', ')}; choose others with --base-port`);
    }
    layout.writePorts(ports); // first, so `down` finds whatever starts from here on
    const replicas = options.replicas ?? layout.readReplicas().replicas;
    if (!Number.isInteger(replicas) || replicas < 1 || replicas > MAX_REPLICAS)
      throw new StackError(`--replicas must be an integer in 1..${MAX_REPLICAS}, got ${replicas}`);
    const replicaPorts = await chooseReplicaPorts(layout, replicas);
    layout.writeReplicas(replicas, replicaPorts);
    const instances = stackServices(replicas, replicaPorts);
    await stopSurplusInstances(layout, repoRoot, instances, log);
    const secrets = loadOrCreateSecrets(layout);
    // One CA per stack dir: Kafka and PostgreSQL serve its server certificate, clients trust DUET_TLS_CA.
    const tls = await ensureStackCertificates(layout.tlsDir, { log });
    const settings: StackSettings = { ports, kafkaBrokers: kafkaBrokers(ports), databaseUrl: databaseUrl(ports, secrets, tls.caFile), tls, ...secrets };
    const kafkaAdmin = kafkaAdminSecurity(secrets, tls.caFile);
    const failHint = `; the parts already up keep running: see \`duet stack status --dir ${layout.dir}\`, stop them with \`duet stack down --dir ${layout.dir}\``;

    const infrastructureStarted = performance.now();
    const [kafka, postgres] = await Promise.allSettled([
      startKafka({
        dataDir: layout.kafkaDir,
        port: ports.kafka,
        controllerPort: ports.kafkaController,
        readyTimeoutMs,
        security: {
          tls,
          admin: kafkaAdmin.credentials,
          users: KAFKA_PRINCIPALS.map((username) => ({ username, password: secrets.kafkaPasswords[username] })),
        },
        log,
      }),
      // Crash-safe: the stack's runs are kept (and pruned with `duet runs prune`), so a power loss must not corrupt them.
      startPostgres({
        dataDir: layout.postgresDir,
        port: ports.postgres,
        durability: 'crash-safe',
        startTimeoutMs: readyTimeoutMs,
        security: { tls, adminPassword: secrets.postgresAdminPassword, password: secrets.postgresPassword },
        log,
      }),
    ]);
    const infrastructureFailures = [
      kafka.status === 'rejected' ? `Kafka: ${(kafka.reason as Error).message}` : undefined,
      postgres.status === 'rejected' ? `PostgreSQL: ${(postgres.reason as Error).message}` : undefined,
    ].filter((failure): failure is string => failure !== undefined);
    if (kafka.status === 'rejected' || postgres.status === 'rejected') throw new StackError(`${infrastructureFailures.join('\n')}${failHint}`);
    const infrastructureSeconds = seconds(infrastructureStarted);

    const topicsStarted = performance.now();
    const topics = await createTopics(
      settings.kafkaBrokers as string[],
      TOPICS_TO_CREATE.map((topic) => ({
        topic: topic.name,
        partitions: topic.partitions,
        configEntries: Object.entries(topic.config).map(([name, value]) => ({ name, value })),
      })),
      { security: kafkaAdmin },
    );
    if (topics.created.length > 0) log(`created topics ${topics.created.join(', ')}`);
    await grantKafkaAcls(settings.kafkaBrokers as string[], kafkaGrants(), { security: kafkaAdmin });
    const topicsSeconds = seconds(topicsStarted);

    const servicesStarted = performance.now();
    const services = await Promise.allSettled(instances.map((service) => upService(layout, service, repoRoot, settings, readyTimeoutMs, log)));
    const failures = services.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason as Error] : []));
    if (failures.length > 0) throw new StackError(`${failures.map((failure) => failure.message).join('\n\n')}\n${failHint.slice(2)}`);
    const servicesSeconds = seconds(servicesStarted);

    const environment = clientEnvironment(settings);
    writeFileSync(
      layout.environmentFile,
      `# The local stack of ${layout.dir} (written by \`duet stack up\`); use with: source ${layout.environmentFile}\n` +
        Object.entries(environment)
          .map(([name, value]) => `export ${name}=${shellWord(value)}`)
          .join('\n') +
        '\n',
      { mode: 0o600 }, // it holds the admin token
    );
    const kafkaHandle = kafka.value;
    const postgresHandle = postgres.value;
    const parts: StackPart[] = [
      {
        name: 'kafka',
        running: true,
        pid: kafkaHandle.pid,
        address: kafkaHandle.brokers.join(','),
        ready: true,
        started: !kafkaHandle.reused,
        seconds: round((kafkaHandle.timings.installMs + kafkaHandle.timings.formatMs + kafkaHandle.timings.readyMs) / 1000),
      },
      {
        name: 'postgres',
        running: true,
        pid: postgresHandle.pid,
        address: `127.0.0.1:${postgresHandle.port}`,
        ready: true,
        started: !postgresHandle.reused,
        seconds: round(
          (postgresHandle.timings.installMs + postgresHandle.timings.initdbMs + postgresHandle.timings.startMs + postgresHandle.timings.setupMs) / 1000,
        ),
      },
      ...services.map((outcome) => (outcome as PromiseFulfilledResult<StackPart>).value),
    ];
    return {
      dir: layout.dir,
      ports,
      parts,
      environment,
      environmentFile: layout.environmentFile,
      seconds: seconds(started),
      phases: { infrastructure: infrastructureSeconds, topics: topicsSeconds, services: servicesSeconds },
      topicsCreated: topics.created,
    };
  });
}

async function upService(
  layout: StackLayout,
  service: StackService,
  repoRoot: string,
  settings: StackSettings,
  readyTimeoutMs: number,
  log: StackLog,
): Promise<StackPart> {
  const started = performance.now();
  const address = serviceAddress(service, settings.ports);
  const readyUrl = readyUrlOf(service, settings.ports);
  let supervisorPid = runningServicePid(layout, service, repoRoot);
  const adopted = supervisorPid !== undefined;
  if (supervisorPid === undefined) {
    supervisorPid = (await spawnService(layout, service, repoRoot, service.environment(settings), httpBaseOf(service, settings.ports))).pid;
    log(`${service.name} starting (supervisor pid ${supervisorPid}), log ${layout.logFile(service.name)}`);
  } else {
    log(`${service.name} already running (supervisor pid ${supervisorPid})`);
  }
  await waitUntilReady(layout, service, supervisorPid, readyUrl, readyTimeoutMs);
  const { pid, restarts } = supervisedState(layout, service, supervisorPid);
  return { name: service.name, running: pid !== undefined, pid, supervisorPid, restarts, address, ready: true, started: !adopted, seconds: seconds(started) };
}

/**
 * The ports of this `up`: a stack of this dir that still runs keeps its ports (asking for others
 * is an error); otherwise `--base-port`, the port variables, the ports of the last `up`, or the
 * defaults, in that order.
 */
async function choosePorts(layout: StackLayout, repoRoot: string, basePort: number | undefined, environment: NodeJS.ProcessEnv): Promise<StackPorts> {
  const stored = layout.readPorts();
  const requested = requestedPorts(basePort, environment);
  if (stored && runningPids(layout, repoRoot).length > 0) {
    const differing = STACK_PORTS.filter((port) => stored[port.name] !== requested.ports[port.name]);
    if (requested.explicit && differing.length > 0) {
      throw new StackError(
        `the stack of ${layout.dir} is running on other ports (${differing.map((port) => `${port.name} ${stored[port.name]}`).join(', ')}); ` +
          `stop it first with \`duet stack down --dir ${layout.dir}\``,
      );
    }
    return stored;
  }
  return requested.explicit ? requested.ports : (stored ?? requested.ports);
}

/** "<part> 127.0.0.1:<port>" for every port a part that is not running yet needs but something else listens on. */
async function portConflicts(layout: StackLayout, repoRoot: string, ports: StackPorts): Promise<string[]> {
  const needed: { name: StackPartName; port: number }[] = [];
  if (runningKafkaPid(layout.kafkaDir) === undefined) needed.push({ name: 'kafka', port: ports.kafka }, { name: 'kafka', port: ports.kafkaController });
  if (runningPostmaster(layout.postgresDataDir) === undefined) needed.push({ name: 'postgres', port: ports.postgres });
  for (const service of instancesOf(layout)) {
    if (runningServicePid(layout, service, repoRoot) !== undefined) continue;
    for (const port of [service.httpPort(ports), service.grpcPort(ports)]) if (port !== undefined) needed.push({ name: service.name, port });
  }
  const open = await Promise.all(needed.map(async (entry) => ((await isPortOpen(entry.port)) ? `${entry.name} 127.0.0.1:${entry.port}` : undefined)));
  return open.filter((entry): entry is string => entry !== undefined);
}

/** The live processes of the stack of this dir. */
function runningPids(layout: StackLayout, repoRoot: string): { name: StackPartName; pid: number }[] {
  const found: { name: StackPartName; pid: number | undefined }[] = [
    { name: 'kafka', pid: runningKafkaPid(layout.kafkaDir) },
    { name: 'postgres', pid: runningPostmaster(layout.postgresDataDir)?.pid },
    ...allInstances(layout).map((service) => ({ name: service.name, pid: runningServicePid(layout, service, repoRoot) })),
  ];
  return found.filter((part): part is { name: StackPartName; pid: number } => part.pid !== undefined);
}

export async function stackStatus(dir: string): Promise<StackStatusResult> {
  const repoRoot = findRepoRoot();
  const layout = new StackLayout(dir);
  const stored = layout.readPorts();
  const ports = stored ?? requestedPorts(undefined, {}).ports;
  const kafkaPid = runningKafkaPid(layout.kafkaDir);
  const postmaster = runningPostmaster(layout.postgresDataDir);
  const secrets = readSecrets(layout);
  const { caFile } = stackCertificateFiles(layout.tlsDir);
  const [kafkaReady, postgresReady, services] = await Promise.all([
    kafkaPid === undefined || secrets === undefined
      ? false
      : kafkaAnswers(kafkaBrokers(ports), { timeoutMs: STATUS_PROBE_TIMEOUT_MS, security: kafkaAdminSecurity(secrets, caFile) }),
    postmaster === undefined || secrets === undefined ? false : postgresAnswers(databaseUrl(ports, secrets, caFile)),
    Promise.all(
      instancesOf(layout).map(async (service): Promise<StackPart> => {
        const supervisorPid = runningServicePid(layout, service, repoRoot);
        const { pid, restarts } = supervisorPid === undefined ? { pid: undefined, restarts: undefined } : supervisedState(layout, service, supervisorPid);
        return {
          name: service.name,
          running: pid !== undefined,
          pid,
          supervisorPid,
          restarts,
          address: serviceAddress(service, ports),
          ready: pid !== undefined && (await answersReady(readyUrlOf(service, ports), stackCertificateFiles(layout.tlsDir).caFile)),
        };
      }),
    ),
  ]);
  const parts: StackPart[] = [
    { name: 'kafka', running: kafkaPid !== undefined, pid: kafkaPid, address: kafkaBrokers(ports).join(','), ready: kafkaReady },
    { name: 'postgres', running: postmaster !== undefined, pid: postmaster?.pid, address: `127.0.0.1:${ports.postgres}`, ready: postgresReady },
    ...services,
  ];
  return { dir: layout.dir, known: stored !== undefined, ports, parts, allReady: parts.every((part) => part.running && part.ready) };
}

export async function stackDown(options: { dir: string; purge: boolean; log: StackLog }): Promise<StackDownResult> {
  const started = performance.now();
  const repoRoot = findRepoRoot();
  const layout = new StackLayout(options.dir);
  if (!existsSync(layout.dir)) return { dir: layout.dir, stopped: [], stillRunning: [], portsStillOpen: [], purged: false, seconds: 0 };
  layout.ensureFolders();
  const ports = layout.readPorts();
  const result = await withLock(layout, 'down', async () => {
    const stopped: { name: StackPartName; pid?: number; seconds: number; killed: boolean }[] = [];
    // Services first, so none of them spends its last seconds reconnecting to a broker that went.
    const services = await Promise.all(
      allInstances(layout).map(async (service) => ({ name: service.name, ...(await stopService(layout, service, repoRoot, SERVICE_STOP_TIMEOUT_MS)) })),
    );
    for (const service of services) {
      if (service.pid === undefined) continue;
      stopped.push({ name: service.name, pid: service.pid, seconds: round(service.durationMs / 1000), killed: service.killed });
      options.log(`stopped ${service.name} (pid ${service.pid}) in ${(service.durationMs / 1000).toFixed(1)} s${service.killed ? ' with SIGKILL' : ''}`);
    }
    const kafkaPid = runningKafkaPid(layout.kafkaDir);
    const postgresPid = runningPostmaster(layout.postgresDataDir)?.pid;
    const kafkaStarted = performance.now();
    const postgresStarted = performance.now();
    await Promise.all([
      stopKafka(layout.kafkaDir, KAFKA_STOP_TIMEOUT_MS).then((wasRunning) => {
        if (wasRunning) stopped.push({ name: 'kafka', pid: kafkaPid, seconds: seconds(kafkaStarted), killed: false });
      }),
      stopPostgres(layout.postgresDir).then((outcome) => {
        if (outcome.stopped) stopped.push({ name: 'postgres', pid: postgresPid, seconds: seconds(postgresStarted), killed: false });
      }),
    ]);
    for (const part of stopped.filter((entry) => entry.name === 'kafka' || entry.name === 'postgres')) {
      options.log(`stopped ${part.name} (pid ${part.pid}) in ${part.seconds.toFixed(1)} s`);
    }
    const stillRunning = [
      ...runningPids(layout, repoRoot),
      ...stopped.filter((part) => part.pid !== undefined && isPidAlive(part.pid)).map((part) => ({ name: part.name, pid: part.pid! })),
    ];
    const portsStillOpen = ports ? await openPorts(ports) : [];
    return { stopped, stillRunning: dedupe(stillRunning), portsStillOpen };
  });
  let purged = false;
  if (options.purge && result.stillRunning.length === 0 && layout.isStackDir()) {
    const postgresData = layout.postgresDataDir; // under /tmp when the postgres user could not reach the stack dir
    if (postgresData !== layout.postgresDir) rmSync(postgresData, { recursive: true, force: true });
    rmSync(layout.dir, { recursive: true, force: true });
    purged = true;
    options.log(`deleted ${layout.dir}`);
  }
  return { dir: layout.dir, ...result, purged, seconds: seconds(started) };
}

/** Stack ports something still listens on, waiting a little for sockets of stopped processes to close. */
async function openPorts(ports: StackPorts): Promise<number[]> {
  const deadline = performance.now() + PORT_CLOSE_TIMEOUT_MS;
  for (;;) {
    const all = STACK_PORTS.map((port) => ports[port.name]);
    const open = (await Promise.all(all.map(async (port) => ((await isPortOpen(port)) ? port : undefined)))).filter(
      (port): port is number => port !== undefined,
    );
    if (open.length === 0 || performance.now() >= deadline) return open;
    await new Promise((resolveWait) => setTimeout(resolveWait, 200));
  }
}

/** The last `lines` lines of a part's log(s), each headed by its file. */
export async function stackLogs(dir: string, part: StackPartName, lines: number): Promise<string> {
  const layout = new StackLayout(dir);
  const files =
    part === 'kafka'
      ? [join(layout.kafkaDir, 'kafka.out'), join(layout.kafkaDir, 'server.log')]
      : part === 'postgres'
        ? [join(layout.postgresDataDir, 'server.log')]
        : [layout.logFile(part)];
  const sections = await Promise.all(
    files.map(async (file) => `--- ${part}: ${file} ---\n${existsSync(file) ? (await tailFile(file, lines)) || '(empty)' : '(no log yet)'}`),
  );
  return sections.join('\n');
}

/** The service instances the stack dir's last `up` ran. */
function instancesOf(layout: StackLayout): StackService[] {
  const { replicas, replicaPorts } = layout.readReplicas();
  try {
    return stackServices(replicas, replicaPorts);
  } catch {
    return [...STACK_SERVICES]; // a state file from before replicas: one instance each
  }
}

/**
 * Those, and any other instance of a scalable service with a pid file (left by an earlier `up`
 * with more replicas), so `down` stops them all.
 */
function allInstances(layout: StackLayout): StackService[] {
  const instances = instancesOf(layout);
  const names = new Set(instances.map((service) => service.name));
  let files: string[] = [];
  try {
    files = readdirSync(layout.pidsDir);
  } catch {
    // no pids dir: nothing was started
  }
  for (const file of files) {
    const name = file.replace(/\.pid$/, '');
    if (names.has(name)) continue;
    const base = STACK_SERVICES.find((service) => SCALABLE_SERVICES.includes(service.service) && new RegExp(`^${service.name}-\\d+$`).test(name));
    if (base !== undefined) instances.push({ ...base, name, httpPort: () => 0, grpcPort: () => undefined });
  }
  return instances;
}

/** The ports of each extra instance: kept from the last `up` when known, else free ones from the system. */
async function chooseReplicaPorts(layout: StackLayout, replicas: number): Promise<Record<string, ReplicaPorts>> {
  const known = layout.readReplicas().replicaPorts;
  const chosen: Record<string, ReplicaPorts> = {};
  for (let k = 2; k <= replicas; k++) {
    for (const service of SCALABLE_SERVICES) {
      const name = replicaName(service, k);
      chosen[name] = known[name] ?? { http: await freePort(), ...(servesGrpc(service) ? { grpc: await freePort() } : {}) };
    }
  }
  return chosen;
}

/** Stops instances beyond the replicas asked for (an `up --replicas` lower than the last one). */
async function stopSurplusInstances(layout: StackLayout, repoRoot: string, wanted: readonly StackService[], log: StackLog): Promise<void> {
  const names = new Set(wanted.map((service) => service.name));
  for (const service of allInstances(layout)) {
    if (names.has(service.name)) continue;
    const stopped = await stopService(layout, service, repoRoot, SERVICE_STOP_TIMEOUT_MS);
    if (stopped.pid !== undefined) log(`stopped ${service.name} (pid ${stopped.pid}): beyond the replicas asked for`);
  }
}

function serviceAddress(service: StackService, ports: StackPorts): string {
  const grpc = service.grpcPort(ports);
  return `${grpc === undefined ? '' : `grpc 127.0.0.1:${grpc}, `}https://127.0.0.1:${service.httpPort(ports)}`;
}

function httpBaseOf(service: StackService, ports: StackPorts): string {
  return `https://127.0.0.1:${service.httpPort(ports)}`;
}

function readyUrlOf(service: StackService, ports: StackPorts): string {
  return `${httpBaseOf(service, ports)}/readyz`;
}

/** The stack's tools (topics, ACLs, probes) connect to Kafka as its super user. */
function kafkaAdminSecurity(secrets: StackSecrets, caFile: string): KafkaClientSecurity {
  return { caFile, credentials: { username: KAFKA_ADMIN_USER, password: secrets.kafkaPasswords[KAFKA_ADMIN_USER] } };
}

async function postgresAnswers(url: string): Promise<boolean> {
  const database = new Database(url, { maxConnections: 1 });
  try {
    return await Promise.race([
      database.check(),
      new Promise<boolean>((resolveCheck) => setTimeout(() => resolveCheck(false), STATUS_PROBE_TIMEOUT_MS).unref()),
    ]);
  } finally {
    await database.close().catch(() => undefined);
  }
}

/**
 * One `up` or `down` at a time per stack dir: a lock file holding the holder's pid, taken with
 * O_EXCL; a lock whose holder died is taken over.
 */
async function withLock<T>(layout: StackLayout, action: string, work: () => Promise<T>): Promise<T> {
  const lockFile = join(layout.dir, 'stack.lock');
  for (let attempt = 0; ; attempt++) {
    try {
      const descriptor = openSync(lockFile, 'wx');
      writeFileSync(descriptor, `${process.pid} ${action}\n`);
      closeSync(descriptor);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw error;
      const holder = lockHolder(lockFile);
      if (holder !== undefined && isPidAlive(holder) && holder !== process.pid) {
        throw new StackError(`another \`duet stack\` (pid ${holder}) is working on ${layout.dir}; wait for it to finish`);
      }
      rmSync(lockFile, { force: true }); // its holder died
    }
  }
  try {
    return await work();
  } finally {
    rmSync(lockFile, { force: true });
  }
}

function lockHolder(lockFile: string): number | undefined {
  try {
    return Number.parseInt(readFileSync(lockFile, 'utf8'), 10);
  } catch {
    return undefined; // released meanwhile
  }
}

function dedupe(parts: { name: StackPartName; pid: number }[]): { name: StackPartName; pid: number }[] {
  return [...new Map(parts.map((part) => [`${part.name}:${part.pid}`, part])).values()];
}

function seconds(since: number): number {
  return round((performance.now() - since) / 1000);
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

/**
 * A value as one word for a POSIX shell: as it is when it holds nothing the shell reads specially,
 * else single-quoted. DATABASE_URL's `&sslrootcert=` would otherwise end the `export` and run the
 * rest in the background when stack.env is sourced.
 */
export function shellWord(value: string): string {
  return /^[\w./:@%+=,-]*$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}
