// PostgreSQL for the local stack and the integration tests, without Docker: Debian's server
// binaries (/usr/lib/postgresql/<major>/bin, installed with apt when missing), one cluster per data
// dir, listening on 127.0.0.1 only: with trust authentication for the integration tests, or (the
// local stack) TLS only and SCRAM passwords (docs/design.md#modes, docs/infrastructure.md#postgresql).
import { execFileSync } from 'node:child_process';
import { chownSync, chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { Client } from 'pg';
import { defaultLog, ensureDebianPackage, findRepoRoot, isPidAlive, isPortOpen, run, runChecked, sha256, tailFile, type StackLog } from './process';

export interface PostgresInstallation {
  binDir: string;
  /** True when this call ran apt-get. */
  installed: boolean;
  durationMs: number;
}

/** The newest Debian PostgreSQL server's bin folder (or $DUET_POSTGRES_BIN), undefined when none is installed. */
export function findPostgresBinDir(): string | undefined {
  const fromEnv = process.env.DUET_POSTGRES_BIN;
  if (fromEnv) return existsSync(join(fromEnv, 'initdb')) ? fromEnv : undefined;
  const root = '/usr/lib/postgresql';
  let versions: string[];
  try {
    versions = readdirSync(root);
  } catch {
    return undefined;
  }
  return versions
    .filter((version) => /^\d+(\.\d+)?$/.test(version) && existsSync(join(root, version, 'bin', 'initdb')))
    .sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a))
    .map((version) => join(root, version, 'bin'))[0];
}

/**
 * Installs Debian's `postgresql` package with apt when no server is installed (apt-get update
 * first; every line apt prints goes to `log`). Needs root. The package also creates and may start
 * Debian's own "main" cluster on 5432; Duet never uses it.
 */
export async function ensurePostgresInstalled(options: { log?: StackLog; timeoutMs?: number } = {}): Promise<PostgresInstallation> {
  const { path, installed, durationMs } = await ensureDebianPackage(
    {
      label: 'PostgreSQL server',
      packageName: 'postgresql',
      find: findPostgresBinDir,
      appears: '/usr/lib/postgresql/*/bin/initdb',
      missingHint: 'install PostgreSQL 15+ and set DUET_POSTGRES_BIN to its bin folder',
    },
    options,
  );
  return { binDir: path, installed, durationMs };
}

export interface StartPostgresOptions {
  /** PGDATA. As root it may be moved under /tmp (see resolvePostgresDataDir); the handle says where. */
  dataDir: string;
  /** TCP port on 127.0.0.1. */
  port: number;
  repoRoot?: string;
  /**
   * How the server keeps commits: 'full' (fsync, full_page_writes and synchronous_commit on: every
   * acknowledged commit survives a power loss), 'crash-safe' (fsync and full_page_writes on,
   * synchronous_commit off: never corrupted, but a power loss may take the last ~0.6 s of commits;
   * a crash of PostgreSQL itself loses nothing), 'none' (all three off: fastest, for throwaway test
   * servers; a power loss may corrupt the data). Default 'none'.
   */
  durability?: 'none' | 'crash-safe' | 'full';
  /** pg_ctl's wait for the server; default 60 s. */
  startTimeoutMs?: number;
  /** TLS only and passwords (scram-sha-256, no trust) instead of trust on loopback. */
  security?: PostgresSecurity;
  log?: StackLog;
}

export interface PostgresSecurity {
  /** The server certificate (PEM) and its key, and the CA clients verify it with (sslrootcert in the URLs). */
  readonly tls: { readonly certFile: string; readonly keyFile: string; readonly caFile: string };
  /** The superuser postgres's password (set by initdb; the cluster must have been made with it). */
  readonly adminPassword: string;
  /** The application role duet's password (set at every start, so changing it here rotates it). */
  readonly password: string;
}

export interface PostgresHandle {
  /** The application's URL: role and database `duet`; with security its password, sslmode=verify-full and sslrootcert. */
  url: string;
  /** The superuser's URL (role postgres, database postgres). */
  adminUrl: string;
  port: number;
  /** The data dir actually used (differs from the requested one when it had to move, see resolvePostgresDataDir). */
  dataDir: string;
  pid: number;
  logFile: string;
  /** True when this call ran initdb. */
  initialized: boolean;
  /** True when this data dir's server was already running on this port and was adopted. */
  reused: boolean;
  timings: { installMs: number; initdbMs: number; startMs: number; setupMs: number };
  /** pg_ctl stop -m fast, waiting for the server to exit. */
  stop(): Promise<{ durationMs: number }>;
}

/**
 * Starts a PostgreSQL server for dataDir on 127.0.0.1:port: installs the Debian server when
 * missing, runs initdb once, starts it with `pg_ctl -w` (detached from our session so it can
 * outlive the caller), and creates the role and database `duet` when missing.
 * As root, initdb and the server run as the `postgres` user (initdb refuses root).
 */
export async function startPostgres(options: StartPostgresOptions): Promise<PostgresHandle> {
  const log = options.log ?? defaultLog;
  const repoRoot = options.repoRoot ?? findRepoRoot();
  const install = await ensurePostgresInstalled({ log });
  const bin = (name: string) => join(install.binDir, name);
  const dataDir = resolvePostgresDataDir(options.dataDir, repoRoot, log);
  const port = options.port;
  const logFile = join(dataDir, 'server.log');
  const security = options.security;
  if (security) for (const password of [security.adminPassword, security.password]) checkPassword(password);
  const adminUrl = postgresUrl(port, 'postgres', 'postgres', security && { password: security.adminPassword, caFile: security.tls.caFile });
  const url = postgresUrl(port, 'duet', 'duet', security && { password: security.password, caFile: security.tls.caFile });

  // initdb once: PG_VERSION marks an initialized cluster.
  let initialized = false;
  let initdbMs = 0;
  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    const leftovers = readdirSync(dataDir);
    if (leftovers.length > 0) throw new Error(`${dataDir} is not empty and is not a PostgreSQL data dir (${leftovers.slice(0, 5).join(', ')})`);
    const initArgs = ['-D', dataDir, '-U', 'postgres', '-E', 'UTF8', '--locale=C.UTF-8'];
    if ((options.durability ?? 'none') === 'none') initArgs.push('--no-sync');
    // Secured: the superuser gets its password from a file (postgres-owned, deleted after) instead of trust.
    const passwordFile = join(dirname(dataDir), `.${basename(dataDir)}.pwfile`);
    if (security) {
      writeOwnedByPostgres(passwordFile, `${security.adminPassword}\n`);
      initArgs.push('--auth=scram-sha-256', `--pwfile=${passwordFile}`);
    } else {
      initArgs.push('--auth=trust');
    }
    const result = await runChecked(...asPostgres(bin('initdb'), initArgs), { cwd: '/', timeoutMs: 120_000 }).finally(() =>
      rmSync(passwordFile, { force: true }),
    );
    initialized = true;
    initdbMs = result.durationMs;
    log(`initdb ${dataDir} in ${(initdbMs / 1000).toFixed(1)} s`);
  } else {
    const dataVersion = readFileSync(join(dataDir, 'PG_VERSION'), 'utf8').trim();
    const binVersion = basename(dirname(install.binDir));
    if (/^\d+$/.test(binVersion) && dataVersion !== binVersion) {
      throw new Error(
        `${dataDir} holds a PostgreSQL ${dataVersion} cluster but the server found is ${binVersion} (${install.binDir}); delete the data dir or set DUET_POSTGRES_BIN`,
      );
    }
  }

  const running = runningPostmaster(dataDir);
  let reused = false;
  let startMs = 0;
  if (running) {
    if (running.port !== port || !(await isPortOpen(port))) {
      throw new Error(
        `the PostgreSQL server of ${dataDir} is already running (pid ${running.pid}) on port ${running.port}, not ${port}; stop it first (stopPostgres('${dataDir}'))`,
      );
    }
    reused = true;
    log(`PostgreSQL of ${dataDir} already running (pid ${running.pid}) on 127.0.0.1:${port}`);
  } else {
    if (await isPortOpen(port)) throw new Error(`cannot start PostgreSQL: 127.0.0.1:${port} is already in use`);
    if (security) secureCluster(dataDir, security);
    // Unix socket beside the data (paths are limited to ~107 bytes); TCP only when the path is too long.
    const socketDir = `${dataDir}/.s.PGSQL.${port}`.length < 100 ? dataDir : '';
    const serverOptions = [`-p ${port}`, '-c listen_addresses=127.0.0.1', `-c unix_socket_directories='${socketDir}'`, '-c max_connections=200'];
    const durability = options.durability ?? 'none';
    if (security) serverOptions.push('-c ssl=on', '-c ssl_min_protocol_version=TLSv1.2', '-c password_encryption=scram-sha-256');
    if (durability === 'none') serverOptions.push('-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off');
    else serverOptions.push('-c fsync=on', '-c full_page_writes=on', `-c synchronous_commit=${durability === 'full' ? 'on' : 'off'}`);
    const timeoutSeconds = Math.ceil((options.startTimeoutMs ?? 60_000) / 1000);
    // detached: the server gets its own session, so a Ctrl-C in the caller's terminal does not reach it.
    const result = await run(
      ...asPostgres(bin('pg_ctl'), ['-D', dataDir, '-l', logFile, '-w', '-t', String(timeoutSeconds), '-o', serverOptions.join(' '), 'start']),
      {
        cwd: '/',
        detached: true,
        timeoutMs: (timeoutSeconds + 15) * 1000,
      },
    );
    if (result.code !== 0) {
      throw new Error(
        `pg_ctl start failed (exit ${result.code}):\n${result.stdout}${result.stderr}\n--- ${logFile} (tail) ---\n${await tailFile(logFile, 30)}`,
      );
    }
    startMs = result.durationMs;
    log(`PostgreSQL started on 127.0.0.1:${port} in ${(startMs / 1000).toFixed(2)} s (${dataDir})`);
  }
  const pid = runningPostmaster(dataDir)?.pid ?? 0;

  const setupStarted = performance.now();
  await ensureRoleAndDatabase(adminUrl, 'duet', security?.password).catch((error: Error & { code?: string }) => {
    // 28P01 invalid_password, 28000 no pg_hba entry: a cluster made before (or without) these passwords.
    if (security && (error.code === '28P01' || error.code === '28000'))
      throw new Error(
        `PostgreSQL of ${dataDir} refuses the stack's superuser password (${error.message}); it was probably initialized without it: delete the data dir (for a local stack: duet stack down --purge)`,
      );
    throw error;
  });
  const setupMs = performance.now() - setupStarted;

  return {
    url,
    adminUrl,
    port,
    dataDir,
    pid,
    logFile,
    initialized,
    reused,
    timings: { installMs: install.installed ? install.durationMs : 0, initdbMs, startMs, setupMs },
    stop: async () => {
      const stopped = await stopPostgres(dataDir, { binDir: install.binDir });
      return { durationMs: stopped.durationMs };
    },
  };
}

/** Stops the server of dataDir (pg_ctl stop -m fast) when it runs; `stopped` says whether one ran. */
export async function stopPostgres(
  dataDir: string,
  options: { binDir?: string; repoRoot?: string; timeoutMs?: number } = {},
): Promise<{ stopped: boolean; durationMs: number }> {
  const started = performance.now();
  const actual = followDataDirLink(resolve(dataDir));
  if (!runningPostmaster(actual)) return { stopped: false, durationMs: 0 };
  const binDir = options.binDir ?? findPostgresBinDir();
  if (!binDir) throw new Error('no PostgreSQL binaries found to stop the server with');
  const timeoutSeconds = Math.ceil((options.timeoutMs ?? 60_000) / 1000);
  await runChecked(...asPostgres(join(binDir, 'pg_ctl'), ['-D', actual, '-m', 'fast', '-w', '-t', String(timeoutSeconds), 'stop']), {
    cwd: '/',
    timeoutMs: (timeoutSeconds + 15) * 1000,
  });
  return { stopped: true, durationMs: performance.now() - started };
}

/** The live postmaster of dataDir, from postmaster.pid (line 1 pid, line 4 port). */
export function runningPostmaster(dataDir: string): { pid: number; port: number } | undefined {
  try {
    const lines = readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n');
    const pid = Number.parseInt(lines[0] ?? '', 10);
    const port = Number.parseInt(lines[3] ?? '', 10);
    return isPidAlive(pid) ? { pid, port } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Where the cluster of `requested` really lives, created and owned by the server's user.
 *
 * As root, initdb and the server run as `postgres`, which must be able to traverse every folder
 * above the data dir. A clone under /work or /home (mode 755) is fine: the data dir stays where it
 * was asked for (e.g. <repo>/.duet/postgres), chowned to postgres. A clone under /root (mode 700 on
 * Debian) is not reachable by postgres; rather than loosen /root's permissions, the cluster moves
 * to /tmp/duet-<hash of the repository path>/<path below .duet> and `requested` becomes a symlink
 * to it, so later calls (and people) find it. Not as root, everything runs as the current user
 * and the data dir stays where it was asked for.
 */
export function resolvePostgresDataDir(requested: string, repoRoot: string, log: StackLog = defaultLog): string {
  const wanted = resolve(requested);
  const linked = followDataDirLink(wanted);
  if (linked !== wanted) {
    prepareDataDir(linked);
    return linked;
  }
  mkdirSync(dirname(wanted), { recursive: true });
  if (process.getuid?.() !== 0 || postgresCanTraverse(dirname(wanted))) {
    prepareDataDir(wanted);
    return wanted;
  }
  const below = relative(join(repoRoot, '.duet'), wanted);
  const inside = below !== '' && !below.startsWith('..') && !isAbsolute(below);
  const fallback = join('/tmp', `duet-${sha256(resolve(repoRoot)).slice(0, 12)}`, inside ? below : sha256(wanted).slice(0, 12));
  log(`the postgres user cannot reach ${dirname(wanted)}; the cluster lives in ${fallback} (symlinked from ${wanted})`);
  prepareDataDir(fallback);
  if (!existsSync(wanted)) symlinkSync(fallback, wanted);
  return fallback;
}

function followDataDirLink(path: string): string {
  try {
    if (lstatSync(path).isSymbolicLink()) return resolve(dirname(path), readlinkSync(path));
  } catch {
    // missing: not a link
  }
  return path;
}

function postgresCanTraverse(dir: string): boolean {
  try {
    execFileSync('runuser', ['-u', 'postgres', '--', 'test', '-x', dir], { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

/** Creates the data dir (and under /tmp its parents, world-traversable) and hands it to postgres with mode 700. */
function prepareDataDir(dir: string): void {
  mkdirSync(dirname(dir), { recursive: true, mode: 0o755 });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (process.getuid?.() === 0) {
    const { uid, gid } = postgresUser();
    chownSync(dir, uid, gid);
  }
  chmodSync(dir, 0o700);
}

function postgresUser(): { uid: number; gid: number } {
  const entry = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .map((line) => line.split(':'))
    .find((fields) => fields[0] === 'postgres');
  if (!entry) throw new Error('there is no postgres user (the Debian postgresql package creates it): apt-get install -y postgresql');
  return { uid: Number(entry[2]), gid: Number(entry[3]) };
}

/** [command, args] running `command` as the postgres user when we are root (runuser), as ourselves otherwise. */
function asPostgres(command: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
}

/**
 * The URL of `role` on database `database` at 127.0.0.1:port; with a password, TLS verified against
 * caFile (sslmode=verify-full: the certificate must name 127.0.0.1 and be signed by the CA).
 */
export function postgresUrl(port: number, role: string, database: string, secured?: { password: string; caFile: string }): string {
  if (!secured) return `postgres://${role}@127.0.0.1:${port}/${database}`;
  const query = new URLSearchParams({ sslmode: 'verify-full', sslrootcert: secured.caFile });
  return `postgres://${role}:${encodeURIComponent(secured.password)}@127.0.0.1:${port}/${database}?${query.toString()}`;
}

/**
 * Before each start of a secured cluster: the certificate and key into the data dir (the server
 * reads server.crt/server.key there; the key must belong to the server's user, mode 0600), and a
 * pg_hba.conf that accepts only TLS connections from loopback with a SCRAM password: no trust,
 * no plaintext, no Unix socket.
 */
function secureCluster(dataDir: string, security: PostgresSecurity): void {
  writeOwnedByPostgres(join(dataDir, 'server.crt'), readFileSync(security.tls.certFile, 'utf8'));
  writeOwnedByPostgres(join(dataDir, 'server.key'), readFileSync(security.tls.keyFile, 'utf8'));
  writeOwnedByPostgres(
    join(dataDir, 'pg_hba.conf'),
    '# Written by @duet/stack at every start of a secured cluster: TLS and a SCRAM password, from loopback only.\n' +
      '# TYPE   DATABASE USER ADDRESS        METHOD\n' +
      'hostssl  all      all  127.0.0.1/32   scram-sha-256\n',
  );
}

/** Writes a file only the server's user may read (mode 0600, owned by postgres when we are root). */
function writeOwnedByPostgres(file: string, content: string): void {
  writeFileSync(file, content, { mode: 0o600 });
  chmodSync(file, 0o600);
  if (process.getuid?.() === 0) {
    const { uid, gid } = postgresUser();
    chownSync(file, uid, gid);
  }
}

/** Passwords go into URLs and SQL literals: only URL-safe characters. */
function checkPassword(password: string): void {
  if (!/^[A-Za-z0-9_-]{16,128}$/.test(password)) throw new Error('a PostgreSQL password of the stack must be 16–128 characters of [A-Za-z0-9_-]');
}

/**
 * Creates a LOGIN CREATEDB role `name` and a database `name` owned by it, when missing
 * (idempotent, race-safe). With a password, sets it (again) too.
 */
export async function ensureRoleAndDatabase(adminUrl: string, name: string, password?: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`invalid role/database name ${name}`);
  const client = new Client({ connectionString: adminUrl, connectionTimeoutMillis: 10_000, query_timeout: 30_000 });
  await client.connect();
  try {
    const role = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [name]);
    if (role.rowCount === 0) await ignoreCode(client.query(`CREATE ROLE ${name} LOGIN CREATEDB`), '42710');
    if (password !== undefined) {
      checkPassword(password);
      await client.query(`ALTER ROLE ${name} PASSWORD '${password}'`); // checked: no quote can be in it
    }
    const database = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (database.rowCount === 0) await ignoreCode(client.query(`CREATE DATABASE ${name} OWNER ${name}`), '42P04');
  } finally {
    await client.end();
  }
}

async function ignoreCode(promise: Promise<unknown>, code: string): Promise<void> {
  try {
    await promise;
  } catch (error) {
    // duplicate_object / duplicate_database: a concurrent caller created it first
    if ((error as { code?: string }).code !== code) throw error;
  }
}
