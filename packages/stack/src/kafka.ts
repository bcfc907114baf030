// Kafka for the local stack and the integration tests, without Docker: the broker's jars come from
// Maven Central (deploy/kafka/pom.xml) and run on the machine's Java in KRaft combined mode on
// 127.0.0.1 (docs/design.md#modes, docs/infrastructure.md#kafka).
import { spawn } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, Kafka, logLevel, ResourcePatternTypes, type Admin, type KafkaConfig } from 'kafkajs';
import {
  defaultLog,
  findRepoRoot,
  isPidAlive,
  isPortOpen,
  processCommandLine,
  readPidFile,
  runChecked,
  sha256,
  sleep,
  tailFile,
  terminate,
  type StackLog,
} from './process';

// kafkajs 2 prints a notice about its default partitioner on every producer otherwise.
process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';

const INSTALLED_MARKER = '.duet-installed';

export interface KafkaInstallOptions {
  /** The repository root (found from this file or the working directory when omitted). */
  repoRoot?: string;
  /** Where the jars go; default <repo>/.duet/kafka/lib. */
  libDir?: string;
  /** Maven's time budget; default 10 minutes (a cold fetch is ~15–30 s on a good link). */
  timeoutMs?: number;
  log?: StackLog;
}

export interface KafkaInstallation {
  libDir: string;
  /** False when the jars were already there (nothing ran). */
  fetched: boolean;
  durationMs: number;
}

/**
 * Makes sure the broker's jars are in libDir: runs Maven once (`dependency:copy-dependencies` of
 * deploy/kafka/pom.xml) and records the pom's hash in a marker file, so later calls return at once
 * and a changed pom fetches again. Maven writes into a temporary folder renamed into place, so
 * concurrent callers never see half a lib folder.
 */
export function ensureKafkaInstalled(options: KafkaInstallOptions = {}): Promise<KafkaInstallation> {
  const repoRoot = options.repoRoot ?? findRepoRoot();
  const libDir = resolve(options.libDir ?? join(repoRoot, '.duet', 'kafka', 'lib'));
  // One fetch per lib dir at a time in this process (callers in parallel share it).
  let pending = installing.get(libDir);
  if (!pending) {
    pending = installKafka(repoRoot, libDir, options).finally(() => installing.delete(libDir));
    installing.set(libDir, pending);
  }
  return pending;
}

const installing = new Map<string, Promise<KafkaInstallation>>();

async function installKafka(repoRoot: string, libDir: string, options: KafkaInstallOptions): Promise<KafkaInstallation> {
  const started = performance.now();
  const log = options.log ?? defaultLog;
  const pom = join(repoRoot, 'deploy', 'kafka', 'pom.xml');
  const wanted = sha256(readFileSync(pom));
  const installed = (): boolean => readMarker(libDir) === wanted;
  if (installed()) return { libDir, fetched: false, durationMs: performance.now() - started };

  await requireProgram('java', ['-version'], 'Kafka needs a Java runtime (17 or newer): apt-get install -y openjdk-17-jre-headless');
  await requireProgram('mvn', ['-v'], 'The Kafka jars are fetched with Maven: apt-get install -y maven');

  removeAbandonedStaging(libDir);
  const staging = `${libDir}.tmp-${process.pid}-${Date.now()}`;
  mkdirSync(staging, { recursive: true });
  log(`fetching Kafka jars with Maven (deploy/kafka/pom.xml) into ${libDir}`);
  try {
    const result = await runChecked(
      'mvn',
      ['-B', '-q', '-Dstyle.color=never', '-f', pom, 'dependency:copy-dependencies', `-DoutputDirectory=${staging}`, '-DincludeScope=runtime'],
      { cwd: repoRoot, timeoutMs: options.timeoutMs ?? 600_000, missingHint: 'apt-get install -y maven' },
    );
    if (!readdirSync(staging).some((file) => /^kafka_2\.13-.*\.jar$/.test(file))) {
      throw new Error(`Maven finished but no kafka_2.13 jar is in ${staging}:\n${result.stdout}${result.stderr}`);
    }
    writeFileSync(join(staging, INSTALLED_MARKER), `${wanted}\n`);
    if (installed()) {
      rmSync(staging, { recursive: true, force: true }); // another process won the race
    } else {
      rmSync(libDir, { recursive: true, force: true }); // stale: fetched for another pom
      try {
        renameSync(staging, libDir);
      } catch (error) {
        if (!installed()) throw error;
        rmSync(staging, { recursive: true, force: true });
      }
    }
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
  const durationMs = performance.now() - started;
  log(`Kafka jars ready in ${(durationMs / 1000).toFixed(1)} s`);
  return { libDir, fetched: true, durationMs };
}

/** Deletes <libDir>.tmp-<pid>-* folders of processes that died during a fetch. */
function removeAbandonedStaging(libDir: string): void {
  const prefix = `${basename(libDir)}.tmp-`;
  let entries: string[] = [];
  try {
    entries = readdirSync(dirname(libDir));
  } catch {
    return;
  }
  for (const entry of entries) {
    if (!entry.startsWith(prefix)) continue;
    const pid = Number.parseInt(entry.slice(prefix.length), 10);
    if (!isPidAlive(pid)) rmSync(join(dirname(libDir), entry), { recursive: true, force: true });
  }
}

function readMarker(libDir: string): string | undefined {
  try {
    return readFileSync(join(libDir, INSTALLED_MARKER), 'utf8').trim();
  } catch {
    return undefined;
  }
}

async function requireProgram(command: string, args: string[], hint: string): Promise<void> {
  try {
    await runChecked(command, args, { timeoutMs: 60_000, missingHint: hint });
  } catch (error) {
    throw new Error(`${(error as Error).message}${(error as Error).message.includes(hint) ? '' : `\n${hint}`}`);
  }
}

export interface StartKafkaOptions {
  /** The broker's own folder: server.properties, kafka.pid, kafka.out, server.log, and the partitions under kraft/. */
  dataDir: string;
  /** Client (PLAINTEXT) port on 127.0.0.1. */
  port: number;
  /** KRaft controller port on 127.0.0.1. */
  controllerPort: number;
  repoRoot?: string;
  /** Default <repo>/.duet/kafka/lib (fetched by ensureKafkaInstalled when missing). */
  libDir?: string;
  /** Time allowed from spawning the JVM to a successful describeCluster; default 60 s. */
  readyTimeoutMs?: number;
  /** The client listener with SASL_SSL (TLS and SCRAM users) and ACLs; plaintext without it. */
  security?: KafkaSecurity;
  log?: StackLog;
}

/** SCRAM-SHA-512: the mechanism of every SCRAM user of a secured broker (kafkajs: 'scram-sha-512'). */
export const KAFKA_SASL_MECHANISM = 'scram-sha-512';

/** A SCRAM user: its principal is User:<username>. */
export interface KafkaCredentials {
  readonly username: string;
  readonly password: string;
}

export interface KafkaSecurity {
  /** The server certificate (PEM) and its PKCS#8 key the listener serves, and the CA (PEM) that signed it. */
  readonly tls: { readonly certFile: string; readonly keyFile: string; readonly caFile: string };
  /** The super user: the broker itself, topics, ACLs and probes. */
  readonly admin: KafkaCredentials;
  /** Every other SCRAM user (a service's principal), made when the storage is formatted. */
  readonly users: readonly KafkaCredentials[];
}

/** How a kafkajs client reaches a secured broker: TLS trusting caFile, SCRAM as `credentials`. Undefined: plaintext. */
export interface KafkaClientSecurity {
  readonly caFile: string;
  readonly credentials: KafkaCredentials;
}

/** The kafkajs settings of a client with that security (nothing for plaintext). */
export function kafkaClientSettings(security: KafkaClientSecurity | undefined): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  if (security === undefined) return {};
  return {
    ssl: { ca: [readFileSync(security.caFile, 'utf8')] }, // verified: the certificate names 127.0.0.1
    sasl: { mechanism: KAFKA_SASL_MECHANISM, username: security.credentials.username, password: security.credentials.password },
  };
}

export interface KafkaHandle {
  brokers: string[];
  pid: number;
  dataDir: string;
  /** The broker's INFO log (log4j) and its stdout/stderr (warnings, the ready line, JVM errors). */
  logFile: string;
  outFile: string;
  /** True when this call formatted the storage (a fresh data dir), false when it was already formatted. */
  formatted: boolean;
  /** True when a broker of this data dir was already running on this port and was adopted, not started. */
  reused: boolean;
  timings: { installMs: number; formatMs: number; readyMs: number };
  /** SIGTERM, wait for exit (SIGKILL to its process group after timeoutMs, default 30 s). */
  stop(timeoutMs?: number): Promise<{ durationMs: number; killed: boolean }>;
}

/**
 * Starts a Kafka broker (KRaft, broker+controller, 127.0.0.1) for dataDir and waits until a kafkajs
 * admin answers describeCluster. The JVM runs detached (own process group, pid file in dataDir,
 * output to files) so it can outlive the caller: `duet stack up` returns while the broker keeps
 * running and `stopKafka(dataDir)` stops it later. Storage is formatted once per data dir.
 * Calling it while this data dir's broker already answers on `port` adopts that broker.
 */
export async function startKafka(options: StartKafkaOptions): Promise<KafkaHandle> {
  const log = options.log ?? defaultLog;
  const repoRoot = options.repoRoot ?? findRepoRoot();
  const deployDir = join(repoRoot, 'deploy', 'kafka');
  const dataDir = resolve(options.dataDir);
  const files = kafkaFiles(dataDir);
  const brokers = [`127.0.0.1:${options.port}`];
  const readyTimeoutMs = options.readyTimeoutMs ?? 60_000;
  mkdirSync(dataDir, { recursive: true });

  const security = options.security;
  if (security) for (const user of [security.admin, ...security.users]) checkCredentials(user);
  const probe = security && { caFile: security.tls.caFile, credentials: security.admin };
  const running = runningKafkaPid(dataDir);
  if (running !== undefined) {
    if (await kafkaAnswers(brokers, { timeoutMs: 5_000, security: probe })) {
      log(`Kafka of ${dataDir} already running (pid ${running}) on ${brokers[0]}`);
      return makeHandle({ brokers, pid: running, files, formatted: false, reused: true, timings: { installMs: 0, formatMs: 0, readyMs: 0 } });
    }
    throw new Error(
      `a Kafka broker of ${dataDir} is already running (pid ${running}) but does not answer on ${brokers[0]}; ` +
        `it was probably started with other ports${security ? ' or without SASL_SSL' : ''}. Stop it first (stopKafka('${dataDir}') or kill ${running}).`,
    );
  }
  if (existsSync(files.pid)) unlinkSync(files.pid);
  for (const port of [options.port, options.controllerPort]) {
    if (await isPortOpen(port)) throw new Error(`cannot start Kafka: 127.0.0.1:${port} is already in use`);
  }

  const install = await ensureKafkaInstalled({ repoRoot, libDir: options.libDir, log });
  const classpath = join(install.libDir, '*');

  writeServerProperties(deployDir, files, options);

  // Format once: meta.properties in the log dir means done (format --ignore-formatted would say so
  // too, but costs a JVM start).
  let formatted = false;
  const formatStarted = performance.now();
  if (!existsSync(join(files.kraftDir, 'meta.properties'))) {
    const toolArgs = [
      '-Xmx256m',
      '-XX:TieredStopAtLevel=1',
      '-XX:+UseSerialGC',
      `-Dlog4j.configuration=file:${join(deployDir, 'tools-log4j.properties')}`,
      '-cp',
      classpath,
      'kafka.tools.StorageTool',
    ];
    const hint = 'Kafka needs a Java runtime (17 or newer): apt-get install -y openjdk-17-jre-headless';
    const uuid = await runChecked('java', [...toolArgs, 'random-uuid'], { timeoutMs: 60_000, missingHint: hint });
    const clusterId = uuid.stdout.trim().split('\n').pop()?.trim() ?? '';
    if (!/^[A-Za-z0-9_-]{22}$/.test(clusterId)) throw new Error(`StorageTool random-uuid printed no cluster id:\n${uuid.stdout}${uuid.stderr}`);
    // SCRAM users can only be made in the metadata log: here, before the first start.
    const scram = (security ? [security.admin, ...security.users] : []).flatMap((user) => [
      '--add-scram',
      `SCRAM-SHA-512=[name=${user.username},password=${user.password}]`,
    ]);
    await runChecked('java', [...toolArgs, 'format', '-t', clusterId, '-c', files.properties, '--ignore-formatted', ...scram], {
      timeoutMs: 60_000,
      missingHint: hint,
    });
    writeFileSync(files.users, `${usersFingerprint(security)}\n`, { mode: 0o600 });
    formatted = true;
    log(`formatted Kafka storage ${files.kraftDir} (cluster ${clusterId}) in ${((performance.now() - formatStarted) / 1000).toFixed(1)} s`);
  }
  const formatMs = performance.now() - formatStarted;
  if (!formatted && (readOptional(files.users) ?? 'plaintext') !== usersFingerprint(security)) {
    throw new Error(
      `the Kafka storage of ${dataDir} was formatted with other SCRAM users (or another security) than asked for now, and SCRAM users are made only when ` +
        `the storage is formatted: delete ${files.kraftDir} (for a local stack: duet stack down --purge) and start again`,
    );
  }

  const readyStarted = performance.now();
  // server.log is appended to across starts: mark this one, so an error shows only its lines.
  appendFileSync(files.log, `${START_MARKER} ${new Date().toISOString()} ===\n`);
  const out = openSync(files.out, 'w');
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let pid: number;
  try {
    const child = spawn(
      'java',
      [
        '-Xms256m',
        '-Xmx512m',
        '-XX:+UseG1GC',
        '-XX:MaxGCPauseMillis=20',
        '-Djava.awt.headless=true',
        `-Dlog4j.configuration=file:${join(deployDir, 'log4j.properties')}`,
        `-Dkafka.logs.dir=${dataDir}`,
        '-cp',
        classpath,
        'kafka.Kafka',
        files.properties,
      ],
      { cwd: dataDir, detached: true, stdio: ['ignore', out, out] },
    );
    await new Promise<void>((resolveSpawn, reject) => {
      child.once('spawn', resolveSpawn);
      child.once('error', (error: NodeJS.ErrnoException) =>
        reject(
          error.code === 'ENOENT'
            ? new Error('java not found on PATH. Kafka needs a Java runtime (17 or newer): apt-get install -y openjdk-17-jre-headless')
            : error,
        ),
      );
    });
    child.once('exit', (code, signal) => (exit = { code, signal }));
    child.unref();
    pid = child.pid ?? 0;
  } finally {
    closeSync(out);
  }
  writeFileSync(files.pid, `${pid}\n`);
  log(`Kafka starting (pid ${pid}) on ${brokers[0]}, logs in ${files.log}`);

  const deadline = performance.now() + readyTimeoutMs;
  for (;;) {
    if (exit || !isPidAlive(pid)) {
      rmSync(files.pid, { force: true });
      throw new Error(`Kafka (pid ${pid}) exited during startup (${exit ? `code ${exit.code ?? exit.signal}` : 'gone'}).\n${await kafkaLogTail(files)}`);
    }
    const probeMs = Math.min(5_000, Math.max(500, deadline - performance.now()));
    if ((await isPortOpen(options.port)) && (await kafkaAnswers(brokers, { timeoutMs: probeMs, security: probe }))) break;
    if (performance.now() >= deadline) {
      const tail = await kafkaLogTail(files); // before stopping it: the reason, not the shutdown
      await terminate(pid, 10_000);
      rmSync(files.pid, { force: true });
      throw new Error(`Kafka (pid ${pid}) was not ready on ${brokers[0]} within ${readyTimeoutMs} ms; stopped it.\n${tail}`);
    }
    await sleep(100);
  }
  const readyMs = performance.now() - readyStarted;
  log(`Kafka ready on ${brokers[0]} in ${(readyMs / 1000).toFixed(1)} s`);
  return makeHandle({ brokers, pid, files, formatted, reused: false, timings: { installMs: install.durationMs, formatMs, readyMs } });
}

/** Stops the broker of dataDir from its pid file (for `duet stack down`); false when none ran. */
export async function stopKafka(dataDir: string, timeoutMs = 30_000): Promise<boolean> {
  const files = kafkaFiles(resolve(dataDir));
  const pid = runningKafkaPid(resolve(dataDir));
  if (pid === undefined) {
    rmSync(files.pid, { force: true });
    return false;
  }
  await terminate(pid, timeoutMs);
  rmSync(files.pid, { force: true });
  return true;
}

/** The pid of the broker of dataDir when it is alive (the pid file's process runs kafka.Kafka on this data dir). */
export function runningKafkaPid(dataDir: string): number | undefined {
  const files = kafkaFiles(resolve(dataDir));
  const pid = readPidFile(files.pid);
  if (pid === undefined || !isPidAlive(pid)) return undefined;
  const commandLine = processCommandLine(pid);
  return commandLine === '' || (commandLine.includes('kafka.Kafka') && commandLine.includes(files.properties)) ? pid : undefined;
}

function kafkaFiles(dataDir: string) {
  return {
    dataDir,
    kraftDir: join(dataDir, 'kraft'),
    properties: join(dataDir, 'server.properties'),
    pid: join(dataDir, 'kafka.pid'),
    out: join(dataDir, 'kafka.out'),
    log: join(dataDir, 'server.log'),
    /** The server's key and certificate in one PEM file (Kafka's PEM keystore), mode 0600. */
    keystore: join(dataDir, 'keystore.pem'),
    /** A fingerprint of the SCRAM users the storage was formatted with (never the passwords). */
    users: join(dataDir, 'scram-users'),
  };
}

type KafkaFiles = ReturnType<typeof kafkaFiles>;

function writeServerProperties(deployDir: string, files: KafkaFiles, options: StartKafkaOptions): void {
  const { security } = options;
  const fill = (template: string, values: Record<string, string>) =>
    Object.entries(values).reduce((text, [name, value]) => text.replaceAll(`{{${name}}}`, value), template);
  let properties = fill(readFileSync(join(deployDir, 'server.properties.template'), 'utf8'), {
    PORT: String(options.port),
    CONTROLLER_PORT: String(options.controllerPort),
    LOG_DIR: files.kraftDir,
    CLIENT_LISTENER: security ? 'SASL_SSL' : 'PLAINTEXT',
    CONTROLLER_PROTOCOL: security ? 'SASL_PLAINTEXT' : 'PLAINTEXT',
  });
  if (security) {
    writeFileSync(files.keystore, `${readFileSync(security.tls.keyFile, 'utf8').trim()}\n${readFileSync(security.tls.certFile, 'utf8').trim()}\n`, {
      mode: 0o600,
    });
    chmodSync(files.keystore, 0o600);
    properties += fill(readFileSync(join(deployDir, 'security.properties.template'), 'utf8'), {
      KEYSTORE: files.keystore,
      CA: security.tls.caFile,
      ADMIN: security.admin.username,
      ADMIN_PASSWORD: security.admin.password,
    });
  }
  writeFileSync(files.properties, properties, { mode: 0o600 }); // it holds the admin's password when secured
  chmodSync(files.properties, 0o600);
}

/** Names and passwords go into StorageTool's --add-scram and JAAS lines unquoted: only URL-safe characters. */
function checkCredentials(user: KafkaCredentials): void {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(user.username)) throw new Error(`Kafka user name must match [A-Za-z0-9_-]{1,64}, got "${user.username.slice(0, 64)}"`);
  if (!/^[A-Za-z0-9_-]{16,128}$/.test(user.password)) throw new Error(`the Kafka password of ${user.username} must be 16–128 characters of [A-Za-z0-9_-]`);
}

function usersFingerprint(security: KafkaSecurity | undefined): string {
  if (!security) return 'plaintext';
  const users = [security.admin, ...security.users].map((user) => `${user.username}:${user.password}`).sort();
  return `scram-sha-512 ${sha256(users.join('\n'))}`;
}

function readOptional(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}

const START_MARKER = '=== duet: starting Kafka';

async function kafkaLogTail(files: ReturnType<typeof kafkaFiles>): Promise<string> {
  const log = await tailFile(files.log, 30);
  const marker = log.lastIndexOf(START_MARKER);
  const thisStart = marker >= 0 ? log.slice(marker) : log;
  return `--- ${files.out} (tail) ---\n${await tailFile(files.out, 30)}\n--- ${files.log} (tail) ---\n${thisStart}`;
}

function makeHandle(args: {
  brokers: string[];
  pid: number;
  files: ReturnType<typeof kafkaFiles>;
  formatted: boolean;
  reused: boolean;
  timings: KafkaHandle['timings'];
}): KafkaHandle {
  const { files } = args;
  return {
    brokers: args.brokers,
    pid: args.pid,
    dataDir: files.dataDir,
    logFile: files.log,
    outFile: files.out,
    formatted: args.formatted,
    reused: args.reused,
    timings: args.timings,
    async stop(timeoutMs = 30_000) {
      const result = await terminate(args.pid, timeoutMs);
      if (readPidFile(files.pid) === args.pid) rmSync(files.pid, { force: true });
      return result;
    },
  };
}

function silentKafka(brokers: string[], timeoutMs: number, security: KafkaClientSecurity | undefined): Kafka {
  return new Kafka({
    clientId: 'duet-stack',
    brokers,
    ...kafkaClientSettings(security),
    connectionTimeout: Math.min(timeoutMs, 3_000),
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  });
}

export interface KafkaAdminOptions {
  /** Default 5 s for kafkaAnswers, 30 s for createTopics and grantKafkaAcls. */
  timeoutMs?: number;
  /** A secured broker: TLS and the admin's credentials. */
  security?: KafkaClientSecurity;
}

/** Whether a kafkajs admin gets an answer to describeCluster within timeoutMs. */
export async function kafkaAnswers(brokers: string[], options: KafkaAdminOptions = {}): Promise<boolean> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const admin = silentKafka(brokers, timeoutMs, options.security).admin();
  try {
    const result = await withTimeout(
      (async () => {
        await admin.connect();
        return admin.describeCluster();
      })(),
      timeoutMs,
    );
    return result.brokers.length > 0 && result.controller !== null;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

export interface TopicSpec {
  topic: string;
  partitions: number;
  /** Default 1 (a single broker). */
  replicationFactor?: number;
  configEntries?: { name: string; value: string }[];
}

/**
 * Creates the topics that do not exist and grows existing ones to at least `partitions`
 * (idempotent; the broker has auto-creation off). Waits for the partitions' leaders.
 */
export async function createTopics(
  brokers: string[],
  topics: TopicSpec[],
  options: KafkaAdminOptions = {},
): Promise<{ created: string[]; existing: string[] }> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const admin = await connectAdmin(brokers, timeoutMs, options.security);
  try {
    return await withTimeout(
      (async () => {
        const present = new Set(await admin.listTopics());
        const missing = topics.filter((spec) => !present.has(spec.topic));
        const existing = topics.filter((spec) => present.has(spec.topic));
        if (missing.length > 0) {
          await admin.createTopics({
            waitForLeaders: true,
            timeout: timeoutMs,
            topics: missing.map((spec) => ({
              topic: spec.topic,
              numPartitions: spec.partitions,
              replicationFactor: spec.replicationFactor ?? 1,
              configEntries: spec.configEntries,
            })),
          });
        }
        if (existing.length > 0) {
          const metadata = await admin.fetchTopicMetadata({ topics: existing.map((spec) => spec.topic) });
          const grow = existing.flatMap((spec) => {
            const current = metadata.topics.find((topic) => topic.name === spec.topic)?.partitions.length ?? 0;
            return current < spec.partitions ? [{ topic: spec.topic, count: spec.partitions }] : [];
          });
          if (grow.length > 0) await admin.createPartitions({ topicPartitions: grow, timeout: timeoutMs });
        }
        return { created: missing.map((spec) => spec.topic), existing: existing.map((spec) => spec.topic) };
      })(),
      timeoutMs,
    );
  } finally {
    await admin.disconnect();
  }
}

async function connectAdmin(brokers: string[], timeoutMs: number, security: KafkaClientSecurity | undefined): Promise<Admin> {
  const kafka = new Kafka({
    clientId: 'duet-stack-admin',
    brokers,
    connectionTimeout: 3_000,
    requestTimeout: timeoutMs,
    logLevel: logLevel.WARN,
    ...kafkaClientSettings(security),
  });
  const admin = kafka.admin();
  await admin.connect();
  return admin;
}

/** What one principal may do: read (and so describe) and write these topics, join groups named with these prefixes. */
export interface KafkaGrant {
  /** The SCRAM user's name; the principal is User:<username>. */
  readonly username: string;
  readonly readTopics: readonly string[];
  readonly writeTopics: readonly string[];
  readonly groupPrefixes: readonly string[];
}

/**
 * Creates the ACLs of every grant (idempotent: an ACL that exists is kept). The broker denies
 * whatever no ACL allows, so these are everything a principal may do.
 */
export async function grantKafkaAcls(brokers: string[], grants: readonly KafkaGrant[], options: KafkaAdminOptions = {}): Promise<number> {
  const allow = (principal: string, resourceType: AclResourceTypes, resourceName: string, pattern: ResourcePatternTypes, operation: AclOperationTypes) => ({
    resourceType,
    resourceName,
    resourcePatternType: pattern,
    principal,
    host: '*',
    operation,
    permissionType: AclPermissionTypes.ALLOW,
  });
  const acl = grants.flatMap((grant) => {
    const principal = `User:${grant.username}`;
    return [
      ...grant.readTopics.map((topic) => allow(principal, AclResourceTypes.TOPIC, topic, ResourcePatternTypes.LITERAL, AclOperationTypes.READ)),
      ...grant.writeTopics.map((topic) => allow(principal, AclResourceTypes.TOPIC, topic, ResourcePatternTypes.LITERAL, AclOperationTypes.WRITE)),
      ...grant.groupPrefixes.map((prefix) => allow(principal, AclResourceTypes.GROUP, prefix, ResourcePatternTypes.PREFIXED, AclOperationTypes.READ)),
    ];
  });
  if (acl.length === 0) return 0;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const admin = await connectAdmin(brokers, timeoutMs, options.security);
  try {
    await withTimeout(
      (async () => {
        await admin.createAcls({ acl });
        await untilBrokerAuthorizes(admin, acl);
      })(),
      timeoutMs,
    );
    return acl.length;
  } finally {
    await admin.disconnect();
  }
}

type AclEntry = Parameters<Admin['createAcls']>[0]['acl'][number];

/**
 * Waits until the broker's authorizer holds every ACL: the controller acknowledges createAcls once
 * it committed them, but a broker still replaying a burst of metadata (a fresh stack's hundreds of
 * partitions) applies them seconds later, and a client let in before that is refused its topics.
 * DescribeAcls is answered from the broker's own authorizer, so it shows what the broker enforces.
 */
async function untilBrokerAuthorizes(admin: Admin, acl: readonly AclEntry[]): Promise<void> {
  const key = (entry: { resourceType: number; resourceName: string; resourcePatternType: number; principal: string; operation: number }) =>
    `${entry.resourceType}|${entry.resourceName}|${entry.resourcePatternType}|${entry.principal}|${entry.operation}`;
  const wanted = acl.map(key);
  for (;;) {
    const described = await admin.describeAcls({
      resourceType: AclResourceTypes.ANY,
      resourcePatternType: ResourcePatternTypes.ANY,
      operation: AclOperationTypes.ANY,
      permissionType: AclPermissionTypes.ALLOW,
    });
    const present = new Set(
      described.resources.flatMap((resource) =>
        resource.acls.map((entry) =>
          key({ ...entry, resourceType: resource.resourceType, resourceName: resource.resourceName, resourcePatternType: resource.resourcePatternType }),
        ),
      ),
    );
    if (wanted.every((entry) => present.has(entry))) return;
    await sleep(100); // bounded by the caller's withTimeout
  }
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
