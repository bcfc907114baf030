// Last resort of a test's teardown: stops processes it knows the pids of when the command that
// should have stopped them could not (SIGTERM, SIGKILL after a grace period; never by name).
import { isPidAlive } from '@duet/stack';
import { lastJson, runDuet } from './duet-process';

const GRACE_MS = 15_000; // SIGTERM to exit before SIGKILL
const POLL_MS = 100;

/**
 * Signals every live pid, a service's supervisor too (PostgreSQL's postmaster takes SIGINT: fast
 * shutdown), waits, then kills what is left.
 */
export async function stopProcesses(parts: readonly { name: string; pid?: number; supervisorPid?: number }[]): Promise<string[]> {
  const processes = parts.flatMap((part) => (part.supervisorPid === undefined ? [part] : [{ name: `${part.name} supervisor`, pid: part.supervisorPid }, part]));
  const live = processes.filter((entry): entry is { name: string; pid: number } => entry.pid !== undefined && isPidAlive(entry.pid));
  for (const entry of live) signal(entry.pid, entry.name === 'postgres' ? 'SIGINT' : 'SIGTERM');
  const deadline = performance.now() + GRACE_MS;
  while (live.some((entry) => isPidAlive(entry.pid)) && performance.now() < deadline) await new Promise((resolveWait) => setTimeout(resolveWait, POLL_MS));
  for (const entry of live) if (isPidAlive(entry.pid)) signal(entry.pid, 'SIGKILL');
  return live.map((entry) => `${entry.name} (pid ${entry.pid})`);
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

/**
 * A stack test's teardown: `duet stack down --purge` on its dir, then, when that left anything
 * running (or failed), the parts it started stopped by pid. Returns what `down` reported still
 * running (undefined when `down` failed), for the test to assert on.
 */
export async function stackDown(dir: string, started: readonly { name: string; pid?: number; supervisorPid?: number }[]): Promise<unknown[] | undefined> {
  let stillRunning: unknown[] | undefined;
  try {
    stillRunning = lastJson<{ stillRunning: unknown[] }>(
      await runDuet(['stack', 'down', '--dir', dir, '--purge', '--json'], { timeoutMs: 120_000 }),
    ).stillRunning;
  } finally {
    if (stillRunning === undefined || stillRunning.length > 0) await stopProcesses(started);
  }
  return stillRunning;
}
