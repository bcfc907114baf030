// The local stack's service supervisor on its own, with small stand-in services: it starts a service
// again when it dies or keeps answering /healthz 503, gives up on one that dies before it was ever
// ready, and passes SIGTERM on.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isPidAlive } from '@duet/stack';
import { freePort } from '@duet/service-kit';
import { REPOSITORY_ROOT } from './duet-cli';

const SUPERVISOR = join(REPOSITORY_ROOT, 'apps', 'duet', 'dist', 'stack', 'service-supervisor.js');

interface State {
  supervisorPid: number;
  servicePid?: number;
  restarts: number;
}

/** A stand-in service: answers /readyz 200 and /healthz with `healthz`, or exits at once with `exitCode`. */
function standIn(dir: string, port: number, behaviour: { healthz?: number; exitCode?: number }): string {
  const file = join(dir, 'service.js');
  writeFileSync(
    file,
    behaviour.exitCode !== undefined
      ? `process.exit(${behaviour.exitCode});`
      : `require('node:http').createServer((request, response) => {
           response.statusCode = request.url === '/healthz' ? ${behaviour.healthz ?? 200} : 200;
           response.end('{}');
         }).listen(${port}, '127.0.0.1');
         process.on('SIGTERM', () => process.exit(0));`,
  );
  return file;
}

async function until<T>(what: string, read: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolveWait) => setTimeout(resolveWait, 100));
  }
}

describe('service supervisor', () => {
  let supervisor: ChildProcess | undefined;

  afterEach(() => {
    if (supervisor?.pid !== undefined && isPidAlive(supervisor.pid)) process.kill(-supervisor.pid, 'SIGKILL');
  });

  async function supervise(behaviour: { healthz?: number; exitCode?: number }): Promise<{ state: () => State | undefined; exited: Promise<number | null> }> {
    const dir = mkdtempSync(join(tmpdir(), 'duet-supervisor-'));
    const port = await freePort();
    const stateFile = join(dir, 'state.json');
    supervisor = spawn(process.execPath, [SUPERVISOR, standIn(dir, port, behaviour)], {
      detached: true,
      stdio: 'ignore',
      env: { ...process.env, DUET_SUPERVISOR_STATE: stateFile, DUET_SUPERVISOR_URL: `http://127.0.0.1:${port}` },
    });
    const exited = new Promise<number | null>((resolveExit) => supervisor!.once('exit', (code) => resolveExit(code)));
    const state = (): State | undefined => {
      try {
        return JSON.parse(readFileSync(stateFile, 'utf8')) as State;
      } catch {
        return undefined;
      }
    };
    return { state, exited };
  }

  it('starts a service killed with SIGKILL again, counts the restart, and stops both on SIGTERM', async () => {
    const { state, exited } = await supervise({});
    const first = await until('the service', () => state()?.servicePid);
    await new Promise((resolveWait) => setTimeout(resolveWait, 2_500)); // a probe finds it ready
    process.kill(first, 'SIGKILL');
    const second = await until('the restart', () => (state()?.restarts === 1 && state()?.servicePid ? state()!.servicePid : undefined));
    expect(second).not.toBe(first);
    process.kill(supervisor!.pid!, 'SIGTERM');
    expect(await exited).toBe(0);
    await until('the service gone', () => (isPidAlive(second) ? undefined : true), 10_000);
  }, 60_000);

  it('kills and starts again a service whose /healthz answers 503 three times in a row', async () => {
    const { state } = await supervise({ healthz: 503 });
    const first = await until('the service', () => state()?.servicePid);
    const next = await until('the restart', () => (state()?.restarts === 1 && state()?.servicePid ? state()!.servicePid : undefined), 30_000);
    expect(next).not.toBe(first);
  }, 60_000);

  it('gives up on a service that dies before it was ever ready, with its exit code', async () => {
    const { state, exited } = await supervise({ exitCode: 3 });
    expect(await exited).toBe(3);
    expect(state()?.restarts).toBe(0);
  }, 30_000);
});
