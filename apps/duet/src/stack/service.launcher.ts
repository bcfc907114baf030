// Starts, finds and stops one service of the local stack: a detached supervisor (its own process
// group, service-supervisor.ts) that runs the service as its child and starts it again when it dies;
// output appended to logs/<service>.log, the supervisor's pid in pids/<service>.pid and its state
// (the service's pid, restarts) in pids/<service>.supervisor.json. Detached, so `duet stack up` can
// return while the service keeps running and `duet stack down` stops it later.
import { spawn } from 'node:child_process';
import { appendFileSync, closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isPidAlive, readPidFile, stackCertificateFiles, tailFile } from '@duet/stack';
import { answersOk } from './http-probe';
import type { StackLayout } from './stack-layout';
import type { StackService } from './stack-services';
import { SUPERVISOR_STATE_VARIABLE, SUPERVISOR_URL_VARIABLE, type SupervisorState } from './service-supervisor';

const SUPERVISOR_MAIN = join(__dirname, 'service-supervisor.js');

const READY_POLL_MS = 150; // between /readyz probes
const READY_REQUEST_TIMEOUT_MS = 2_000; // one /readyz probe
const STOP_POLL_MS = 50;
const LOG_TAIL_LINES = 40;
const START_MARKER = '=== duet stack: starting';

// Only these reach a service from the caller's environment: its configuration comes from the stack
// alone, so a stray SHARDS or DATABASE_URL in the shell cannot change what `up` starts.
const INHERITED_VARIABLES = ['PATH', 'HOME', 'USER', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'NODE_OPTIONS', 'NODE_EXTRA_CA_CERTS'];

export interface ServiceProcess {
  readonly pid: number;
  /** False when the process was already running (adopted). */
  readonly started: boolean;
}

/**
 * The pid of the stack's running supervisor of this service (or of the service itself, started by
 * an older `up` without one), when its pid file names a process that runs its main file.
 */
export function runningServicePid(layout: StackLayout, service: StackService, repoRoot: string): number | undefined {
  const pid = readPidFile(layout.pidFile(service.name));
  if (pid === undefined || !isPidAlive(pid)) return undefined;
  const commandLine = readProcFile(pid, 'cmdline');
  if (commandLine === undefined) return pid; // no /proc: trust the pid file
  if (!commandLine.includes(join(repoRoot, service.mainFile))) return undefined;
  // Same main file in another stack dir (two stacks side by side): the environment tells them apart.
  const environment = readProcFile(pid, 'environ');
  return environment === undefined || environment.split('\0').includes(`DUET_STACK_DIR=${layout.dir}`) ? pid : undefined;
}

/** What the supervisor of a running service says: the service's own pid (when it runs now) and its restarts. */
export function supervisedState(layout: StackLayout, service: StackService, supervisorPid: number): { pid?: number; restarts: number } {
  let state: SupervisorState | undefined;
  try {
    state = JSON.parse(readFileSync(supervisorStateFile(layout, service.name), 'utf8')) as SupervisorState;
  } catch {
    return { pid: supervisorPid, restarts: 0 }; // no state: an older `up` ran the service itself
  }
  if (state.supervisorPid !== supervisorPid) return { pid: supervisorPid, restarts: 0 };
  return { pid: state.servicePid !== undefined && isPidAlive(state.servicePid) ? state.servicePid : undefined, restarts: state.restarts };
}

function supervisorStateFile(layout: StackLayout, name: string): string {
  return join(layout.pidsDir, `${name}.supervisor.json`);
}

/** Spawns the service's supervisor detached, with `environment` for the service, and records its pid. */
export async function spawnService(
  layout: StackLayout,
  service: StackService,
  repoRoot: string,
  environment: Record<string, string>,
  httpBaseUrl: string,
): Promise<ServiceProcess> {
  const mainFile = join(repoRoot, service.mainFile);
  if (!existsSync(mainFile)) throw new Error(`${service.name}: ${service.mainFile} is missing; build first with \`npm run build\``);
  const logFile = layout.logFile(service.name);
  appendFileSync(logFile, `${START_MARKER} ${service.name} at ${new Date().toISOString()} ===\n`);
  const inherited = Object.fromEntries(INHERITED_VARIABLES.flatMap((name) => (process.env[name] === undefined ? [] : [[name, process.env[name]!]])));
  const output = openSync(logFile, 'a');
  try {
    rmSync(supervisorStateFile(layout, service.name), { force: true });
    const child = spawn(process.execPath, [SUPERVISOR_MAIN, mainFile], {
      cwd: repoRoot,
      detached: true,
      stdio: ['ignore', output, output],
      // NO_COLOR: plain Nest log lines in the log files.
      env: {
        ...inherited,
        NO_COLOR: '1',
        KAFKAJS_NO_PARTITIONER_WARNING: '1',
        DUET_STACK_DIR: layout.dir,
        [SUPERVISOR_STATE_VARIABLE]: supervisorStateFile(layout, service.name),
        [SUPERVISOR_URL_VARIABLE]: httpBaseUrl,
        ...environment,
      },
    });
    await new Promise<void>((resolveSpawn, reject) => {
      child.once('spawn', resolveSpawn);
      child.once('error', reject);
    });
    child.unref();
    const pid = child.pid ?? 0;
    writeFileSync(layout.pidFile(service.name), `${pid}\n`);
    return { pid, started: true };
  } finally {
    closeSync(output);
  }
}

/** Whether GET <url> answers 2xx within the probe timeout. */
export function answersReady(url: string, caFile: string): Promise<boolean> {
  return answersOk(url, READY_REQUEST_TIMEOUT_MS, caFile);
}

export class ServiceNotReadyError extends Error {
  constructor(
    readonly service: string,
    reason: string,
    readonly logTail: string,
  ) {
    super(`${service} ${reason}\n--- log tail (${LOG_TAIL_LINES} lines) ---\n${logTail}`);
    this.name = 'ServiceNotReadyError';
  }
}

/**
 * Waits until the service's /readyz answers 200. Fails at once when its process exits, and after
 * timeoutMs otherwise (stopping it then), with the tail of this start's log.
 */
export async function waitUntilReady(layout: StackLayout, service: StackService, pid: number, readyUrl: string, timeoutMs: number): Promise<number> {
  const started = performance.now();
  const deadline = started + timeoutMs;
  for (;;) {
    if (!isPidAlive(pid)) {
      rmSync(layout.pidFile(service.name), { force: true });
      throw new ServiceNotReadyError(service.name, `(pid ${pid}) exited before it was ready`, await serviceLogTail(layout, service.name));
    }
    if (await answersReady(readyUrl, stackCertificateFiles(layout.tlsDir).caFile)) return performance.now() - started;
    if (performance.now() >= deadline) {
      const tail = await serviceLogTail(layout, service.name); // before stopping it: the reason, not the shutdown
      await stopProcess(pid, 10_000);
      rmSync(layout.pidFile(service.name), { force: true });
      throw new ServiceNotReadyError(service.name, `(pid ${pid}) was not ready at ${readyUrl} within ${Math.round(timeoutMs / 1000)} s; stopped it`, tail);
    }
    await sleep(READY_POLL_MS);
  }
}

/** The last lines of the service's log, from its latest start on. */
export async function serviceLogTail(layout: StackLayout, name: string, lines = LOG_TAIL_LINES): Promise<string> {
  const tail = await tailFile(layout.logFile(name), lines);
  const marker = tail.lastIndexOf(START_MARKER);
  return (marker >= 0 ? tail.slice(marker) : tail) || '(empty)';
}

/**
 * SIGTERM, then SIGKILL to the process group if it has not exited after timeoutMs. Resolves once
 * the process is gone; `killed` says whether it took SIGKILL.
 */
export async function stopProcess(pid: number, timeoutMs: number): Promise<{ killed: boolean; durationMs: number }> {
  const started = performance.now();
  if (!isPidAlive(pid)) return { killed: false, durationMs: 0 };
  signal(pid, 'SIGTERM');
  if (await waitForExit(pid, timeoutMs)) return { killed: false, durationMs: performance.now() - started };
  signal(-pid, 'SIGKILL'); // its group: it was spawned detached, so it leads one
  signal(pid, 'SIGKILL');
  await waitForExit(pid, 10_000);
  return { killed: true, durationMs: performance.now() - started };
}

/** Stops the stack's process of this service, if it runs, and removes its pid file. */
export async function stopService(
  layout: StackLayout,
  service: StackService,
  repoRoot: string,
  timeoutMs: number,
): Promise<{ pid?: number; killed: boolean; durationMs: number }> {
  const pid = runningServicePid(layout, service, repoRoot);
  const result = pid === undefined ? { killed: false, durationMs: 0 } : await stopProcess(pid, timeoutMs);
  rmSync(layout.pidFile(service.name), { force: true });
  return { pid, ...result };
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (isPidAlive(pid)) {
    if (performance.now() >= deadline) return false;
    await sleep(STOP_POLL_MS);
  }
  return true;
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

function readProcFile(pid: number, file: 'cmdline' | 'environ'): string | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/${file}`, 'utf8');
    return file === 'cmdline' ? text.split('\0').join(' ') : text;
  } catch {
    return undefined;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolveSleep) => setTimeout(resolveSleep, ms));
