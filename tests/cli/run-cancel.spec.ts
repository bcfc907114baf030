// Ctrl-C during `duet run` cancels the run: it is announced FAILED (cancelled) on the run-lifecycle
// topic, so that every role lets it go, and the command ends with that outcome instead of dying.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPOSITORY_ROOT, lastJsonLine } from './duet-cli';

const BIN = join(REPOSITORY_ROOT, 'apps', 'duet', 'bin', 'duet.js');
const TIMEOUT_MS = 120_000;

describe('duet run, cancelled', () => {
  it(
    'ends a run interrupted with SIGINT as FAILED (cancelled)',
    async () => {
      // Paced at real time ×60: a second of wall time a tick, so the run is surely under way when interrupted.
      const args = [
        'run',
        join(REPOSITORY_ROOT, 'scenarios', 'quickstart.yaml'),
        '--json',
        '--set',
        'fleet.handsets=50',
        '--set',
        'pacing.mode=real-time',
        '--set',
        'pacing.speedFactor=60',
      ];
      const child = spawn(process.execPath, [BIN, ...args], { cwd: REPOSITORY_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      const killer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS);
      // Interrupted once the run has started (its progress goes to stderr).
      const started = Date.now();
      while (!/tick|online/.test(stderr) && Date.now() - started < 15_000) await new Promise((resolveWait) => setTimeout(resolveWait, 200));
      child.kill('SIGINT');
      const status = await new Promise<number | null>((resolveExit) => child.once('close', resolveExit));
      clearTimeout(killer);
      // 2 (the run failed); 130 when the embedded stack's own SIGINT hook (embedded PostgreSQL) ends the process after it.
      expect([2, 130], stderr.slice(-2000)).toContain(status);
      expect(lastJsonLine(stdout)).toMatchObject({ phase: 'FAILED', failure: 'cancelled (SIGINT)' });
    },
    TIMEOUT_MS,
  );
});
