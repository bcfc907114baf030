// The first hour (issue #17): `npm start` (`duet run ... --out .duet/quickstart --serve`) on a
// terminal writes the report to the folder it names and keeps the dashboard up after the run until
// Ctrl-C; without a terminal (CI, a pipe) it ends by itself as before. The terminal is a real
// pseudo-terminal from util-linux's `script`, and Ctrl-C is the ^C character typed into it.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPOSITORY_ROOT } from './duet-cli';

const BIN = join(REPOSITORY_ROOT, 'apps', 'duet', 'bin', 'duet.js');
const SMALL = ['--set', 'fleet.handsets=100', '--set', 'duration=1h'];
const SCRIPT = '/usr/bin/script'; // util-linux, part of every Debian install (bsdutils)

function runArgs(out: string): string[] {
  return [BIN, 'run', join(REPOSITORY_ROOT, 'scenarios', 'quickstart.yaml'), ...SMALL, '--out', out, '--serve', '--data-dir', join(out, 'data')];
}

describe('duet run --serve (npm start)', () => {
  it('on a terminal, writes the report, keeps the dashboard up after the run, and stops on Ctrl-C', async () => {
    const out = mkdtempSync(join(tmpdir(), 'duet-serve-'));
    const command = [process.execPath, ...runArgs(out)].map((part) => `'${part}'`).join(' ');
    const child = spawn(SCRIPT, ['-qfec', command, '/dev/null'], { cwd: REPOSITORY_ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let screen = '';
    child.stdout.on('data', (chunk: Buffer) => (screen += chunk.toString('utf8')));
    const exited = new Promise<number | null>((resolveExit) => child.once('close', resolveExit));
    try {
      const deadline = Date.now() + 120_000;
      while (!/serving .* until you press Ctrl-C/.test(screen)) {
        if (Date.now() > deadline) throw new Error(`no "serving" line within 120 s:\n${screen.slice(-3000)}`);
        await new Promise((resolveWait) => setTimeout(resolveWait, 200));
      }
      // The run is over, its report written to the folder it named, and the dashboard still answers.
      expect(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')).run.target).toBe('embedded');
      expect(screen).toContain(`report       ${join(out, 'report.html')}`);
      const dashboard = /serving\s+the dashboard stays at (\S+)/.exec(screen)![1];
      await new Promise((resolveWait) => setTimeout(resolveWait, 1_500));
      const response = await fetch(dashboard);
      expect(response.status).toBe(200);
      await response.body?.cancel();

      child.stdin.write('\x03'); // Ctrl-C, typed into the terminal
      const code = await Promise.race([exited, new Promise<'still running'>((resolveWait) => setTimeout(() => resolveWait('still running'), 30_000))]);
      expect(code, screen.slice(-2000)).not.toBe('still running');
      expect(screen).toContain('stopping the embedded services');
      await expect(fetch(dashboard)).rejects.toThrow();
    } finally {
      child.kill('SIGKILL');
    }
  }, 180_000);

  it('without a terminal, ends by itself once the run is done', () => {
    const out = mkdtempSync(join(tmpdir(), 'duet-serve-'));
    const result = spawnSync(process.execPath, runArgs(out), { cwd: REPOSITORY_ROOT, encoding: 'utf8', timeout: 120_000 });
    expect(result.signal, result.stderr.slice(-2000)).toBeNull(); // not killed by the timeout
    expect([0, 1]).toContain(result.status);
    expect(result.stdout).not.toContain('until you press Ctrl-C');
    expect(existsSync(join(out, 'report.json'))).toBe(true);
  }, 180_000);
});
