// Small process, port and file helpers shared by the Kafka and PostgreSQL launchers.
import { spawn, type SpawnOptions } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { createServer, Socket } from 'node:net';
import { dirname, join, resolve } from 'node:path';

/** Where progress lines of the launchers go. The default writes `[duet-stack] ...` to stderr. */
export type StackLog = (message: string) => void;

export const defaultLog: StackLog = (message) => process.stderr.write(`[duet-stack] ${message}\n`);
export const quietLog: StackLog = () => undefined;

export const sleep = (ms: number): Promise<void> => new Promise((resolveSleep) => setTimeout(resolveSleep, ms));

/**
 * True when a process with this pid exists and is not a zombie. A detached broker whose parent
 * has gone is reaped by init; until then (and in containers whose PID 1 does not reap) it is a
 * zombie: signal 0 still succeeds, so /proc decides.
 */
export function isPidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return !existsSync('/proc/self');
  }
}

/** The command line of a live process (empty when unknown), to tell our broker from a reused pid. */
export function processCommandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return '';
  }
}

/** Whether something accepts TCP connections on host:port, within timeoutMs. */
export function isPortOpen(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolvePort) => {
    const socket = new Socket();
    const done = (open: boolean): void => {
      socket.destroy();
      resolvePort(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.connect(port, host);
  });
}

/** A TCP port free on 127.0.0.1 right now (the kernel's pick). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/** Several distinct free ports. */
export async function freePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort(host));
  return [...ports];
}

/** The pid written in a pid file, or undefined. */
export function readPidFile(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** The last `lines` lines of a text file (reads at most the last 64 KiB); '' when missing. */
export async function tailFile(path: string, lines = 40): Promise<string> {
  try {
    const handle = await open(path, 'r');
    try {
      const { size } = await handle.stat();
      const length = Math.min(size, 64 * 1024);
      const buffer = Buffer.alloc(length);
      await handle.read(buffer, 0, length, size - length);
      return buffer
        .toString('utf8')
        .split('\n')
        .slice(-lines - 1)
        .join('\n')
        .trimEnd();
    } finally {
      await handle.close();
    }
  } catch {
    return '';
  }
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export interface RunOptions extends Pick<SpawnOptions, 'cwd' | 'env' | 'detached'> {
  timeoutMs: number;
  /** Called with every complete output line (stdout and stderr), e.g. to print apt's progress. */
  onLine?: (line: string) => void;
  /** Explains how to get the program when it is not installed (spawn ENOENT). */
  missingHint?: string;
}

/** Runs a program to completion with a hard timeout, capturing its output. Never uses a shell. */
export function run(command: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
  const started = performance.now();
  return new Promise((resolveRun, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, detached: options.detached, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const lineBuffers = { stdout: '', stderr: '' };
    const collect = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      if (stream === 'stdout') stdout += text;
      else stderr += text;
      if (!options.onLine) return;
      lineBuffers[stream] += text;
      const parts = lineBuffers[stream].split('\n');
      lineBuffers[stream] = parts.pop() ?? '';
      for (const line of parts) options.onLine(line);
    };
    child.stdout?.on('data', collect('stdout'));
    child.stderr?.on('data', collect('stderr'));
    const timer = setTimeout(() => {
      killTree(child.pid, 'SIGKILL', options.detached === true);
      reject(new Error(`${command} ${args.join(' ')} did not finish within ${options.timeoutMs} ms\n${tailText(stdout + stderr)}`));
    }, options.timeoutMs);
    child.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (error.code === 'ENOENT') reject(new Error(`${command} not found on PATH. ${options.missingHint ?? ''}`.trim()));
      else reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (options.onLine) for (const rest of [lineBuffers.stdout, lineBuffers.stderr]) if (rest) options.onLine(rest);
      resolveRun({ code, signal, stdout, stderr, durationMs: performance.now() - started });
    });
  });
}

/** Like run(), but rejects (with the output's tail) unless the program exits 0. */
export async function runChecked(command: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
  const result = await run(command, args, options);
  if (result.code !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (exit ${result.code ?? result.signal})\n${tailText(result.stdout + '\n' + result.stderr)}`);
  }
  return result;
}

function tailText(text: string, lines = 30): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

function killTree(pid: number | undefined, signal: NodeJS.Signals, group: boolean): void {
  if (!pid) return;
  try {
    process.kill(group ? -pid : pid, signal);
  } catch {
    // already gone
  }
}

/** Polls `condition` every intervalMs until it is true or timeoutMs passed; returns whether it became true. */
export async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs: number, intervalMs = 50): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await condition()) return true;
    if (performance.now() >= deadline) return false;
    await sleep(intervalMs);
  }
}

/**
 * Stops a process we started in its own process group: SIGTERM to the process, then, if it is
 * still alive after timeoutMs, SIGKILL to its whole group. Resolves when it is gone.
 */
export async function terminate(pid: number, timeoutMs: number): Promise<{ killed: boolean; durationMs: number }> {
  const started = performance.now();
  if (!isPidAlive(pid)) return { killed: false, durationMs: 0 };
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return { killed: false, durationMs: performance.now() - started };
  }
  if (await waitUntil(() => !isPidAlive(pid), timeoutMs)) return { killed: false, durationMs: performance.now() - started };
  killTree(pid, 'SIGKILL', true);
  killTree(pid, 'SIGKILL', false);
  await waitUntil(() => !isPidAlive(pid), 10_000);
  return { killed: true, durationMs: performance.now() - started };
}

/** The repository root: the nearest ancestor holding deploy/kafka/pom.xml (or $DUET_REPO_ROOT). */
export function findRepoRoot(start: string = __dirname): string {
  if (process.env.DUET_REPO_ROOT) return resolve(process.env.DUET_REPO_ROOT);
  for (const from of [start, process.cwd()]) {
    let dir = resolve(from);
    for (;;) {
      if (existsSync(join(dir, 'deploy', 'kafka', 'pom.xml')) && existsSync(join(dir, 'package.json'))) return dir;
      const parent = dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  throw new Error(`cannot find the Duet repository root (a folder with deploy/kafka/pom.xml) above ${start} or ${process.cwd()}; set DUET_REPO_ROOT`);
}

export function sha256(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

export interface DebianPackage {
  /** What the package provides, for the log and the errors (e.g. "Chromium"). */
  readonly label: string;
  readonly packageName: string;
  /** Where the package's file is when installed; undefined when it is not. */
  readonly find: () => string | undefined;
  /** What should exist once installed, for the error when it does not. */
  readonly appears: string;
  /** What to do instead when apt-get is missing. */
  readonly missingHint: string;
}

export interface DebianInstallation {
  /** What `find` found. */
  readonly path: string;
  /** True when this call ran apt-get. */
  readonly installed: boolean;
  readonly durationMs: number;
}

const installations = new Map<string, Promise<DebianInstallation>>();

/**
 * Finds a Debian package's file or installs the package with apt-get (update first, no
 * recommends, waiting up to 5 minutes for dpkg's lock; every line apt prints goes to `log`).
 * Installing needs root; otherwise the error says what to run. One install per package at a time.
 */
export function ensureDebianPackage(wanted: DebianPackage, options: { log?: StackLog; timeoutMs?: number } = {}): Promise<DebianInstallation> {
  const started = performance.now();
  const found = wanted.find();
  if (found) return Promise.resolve({ path: found, installed: false, durationMs: performance.now() - started });
  const pending = installations.get(wanted.packageName);
  if (pending) return pending;
  const installing = (async () => {
    const log = options.log ?? defaultLog;
    if (process.getuid?.() !== 0) {
      throw new Error(`${wanted.label} is not installed (no ${wanted.appears}) and installing it needs root: sudo apt-get install -y ${wanted.packageName}`);
    }
    const aptOptions = {
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      timeoutMs: options.timeoutMs ?? 900_000,
      onLine: (line: string) => log(`apt: ${line}`),
      missingHint: wanted.missingHint,
    };
    log(`${wanted.label} not found: running apt-get update && apt-get install -y --no-install-recommends ${wanted.packageName}`);
    await runChecked('apt-get', ['update'], aptOptions);
    await runChecked('apt-get', ['install', '-y', '--no-install-recommends', '-o', 'DPkg::Lock::Timeout=300', wanted.packageName], aptOptions);
    const path = wanted.find();
    if (!path) throw new Error(`apt-get installed ${wanted.packageName} but no ${wanted.appears} appeared`);
    const durationMs = performance.now() - started;
    log(`${wanted.label} installed (${path}) in ${(durationMs / 1000).toFixed(1)} s`);
    return { path, installed: true, durationMs };
  })();
  installations.set(wanted.packageName, installing);
  installing.then(
    () => installations.delete(wanted.packageName),
    () => installations.delete(wanted.packageName),
  );
  return installing;
}
