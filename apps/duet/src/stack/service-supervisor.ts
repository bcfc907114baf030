// The supervisor of one service of the local stack: `duet stack up` starts it detached, and it
// starts the service as its child and starts it again, with a backoff, whenever it dies (a crash,
// SIGKILL, the OOM killer) or its /healthz says it is wedged. It outlives the CLI; `duet stack down`
// stops it with SIGTERM, which it passes on to the service before it exits. A service that dies
// before it was ever ready is not restarted: the supervisor exits too, so `up` reports the failure
// with the log instead of waiting out its timeout.
//
// Run as: node service-supervisor.js <service main file>, with DUET_SUPERVISOR_STATE (the state
// file it keeps: SupervisorState as JSON) and DUET_SUPERVISOR_URL (the service's HTTP base URL).
import { spawn, type ChildProcess } from 'node:child_process';
import { renameSync, writeFileSync } from 'node:fs';
import { tlsCaFile, trustingFetch } from '@duet/service-kit';
import { answersOk } from './http-probe';

/** What the supervisor writes to its state file at every change; `duet stack status` reads it. */
export interface SupervisorState {
  readonly supervisorPid: number;
  /** The service process now, when one runs. */
  readonly servicePid?: number;
  /** Times the service was started again after it died. */
  readonly restarts: number;
  readonly lastExit?: { readonly code: number | null; readonly signal: string | null; readonly at: string };
}

export const SUPERVISOR_STATE_VARIABLE = 'DUET_SUPERVISOR_STATE';
export const SUPERVISOR_URL_VARIABLE = 'DUET_SUPERVISOR_URL';

const FIRST_BACKOFF_MS = 1_000;
const MAX_BACKOFF_MS = 30_000;
// A service that stayed up this long starts again after the first backoff, not the last one.
const STABLE_AFTER_MS = 60_000;
const PROBE_INTERVAL_MS = 2_000;
const PROBE_TIMEOUT_MS = 5_000;
// Consecutive /healthz answers of 503 before the service is killed and restarted.
const NOT_LIVE_PROBES = 3;

function main(): void {
  const mainFile = process.argv[2];
  const stateFile = process.env[SUPERVISOR_STATE_VARIABLE];
  const baseUrl = process.env[SUPERVISOR_URL_VARIABLE];
  if (mainFile === undefined || stateFile === undefined || baseUrl === undefined) {
    process.stderr.write(`usage: ${SUPERVISOR_STATE_VARIABLE}=<file> ${SUPERVISOR_URL_VARIABLE}=<url> node service-supervisor.js <main file>\n`);
    process.exit(2);
  }
  const caFile = tlsCaFile(); // the service's own DUET_TLS_CA: its https:// port is verified with it
  const environment = { ...process.env };
  delete environment[SUPERVISOR_STATE_VARIABLE];
  delete environment[SUPERVISOR_URL_VARIABLE];

  let child: ChildProcess | undefined;
  let state: SupervisorState = { supervisorPid: process.pid, restarts: 0 };
  let stopping = false;
  let everReady = false;
  let backoffMs = FIRST_BACKOFF_MS;
  let startedAt = 0;
  let notLive = 0;
  const log = (message: string): void => void process.stdout.write(`[duet-supervisor] ${new Date().toISOString()} ${message}\n`);
  const save = (next: SupervisorState): void => {
    state = next;
    writeFileSync(`${stateFile}.tmp`, `${JSON.stringify(state)}\n`);
    renameSync(`${stateFile}.tmp`, stateFile); // whole or not at all for a reader
  };

  const start = (): void => {
    const service = spawn(process.execPath, [mainFile], { stdio: 'inherit', env: environment });
    child = service;
    startedAt = Date.now();
    notLive = 0;
    save({ ...state, servicePid: service.pid });
    service.once('exit', (code, signal) => {
      child = undefined;
      save({ ...state, servicePid: undefined, lastExit: { code, signal, at: new Date().toISOString() } });
      if (stopping) process.exit(0);
      if (!everReady) {
        log(`service (pid ${service.pid}) exited (${signal ?? `code ${code}`}) before it was ever ready: not restarting it`);
        process.exit(typeof code === 'number' && code !== 0 ? code : 1);
      }
      const delay = Date.now() - startedAt >= STABLE_AFTER_MS ? FIRST_BACKOFF_MS : backoffMs;
      backoffMs = Math.min(MAX_BACKOFF_MS, delay * 2);
      log(`service (pid ${service.pid}) exited (${signal ?? `code ${code}`}); starting it again in ${delay / 1000} s (restart ${state.restarts + 1})`);
      setTimeout(() => {
        if (stopping) process.exit(0);
        save({ ...state, restarts: state.restarts + 1 });
        start();
      }, delay);
    });
  };

  const probe = async (): Promise<void> => {
    const service = child;
    if (service === undefined || stopping) return;
    if (!everReady) everReady = await answersOk(`${baseUrl}/readyz`, PROBE_TIMEOUT_MS, caFile);
    const live = await trustingFetch(caFile)(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) }).catch(() => undefined);
    await live?.body?.cancel();
    notLive = live?.status === 503 ? notLive + 1 : 0;
    if (notLive >= NOT_LIVE_PROBES && child === service) {
      log(`service (pid ${service.pid}) answered /healthz 503 ${notLive} times in a row: killing it to start it again`);
      service.kill('SIGKILL');
    }
  };
  const probing = setInterval(() => void probe(), PROBE_INTERVAL_MS);

  const stop = (): void => {
    stopping = true;
    clearInterval(probing);
    if (child === undefined) process.exit(0);
    child.kill('SIGTERM');
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  start();
}

if (require.main === module) main();
