// Runs the built `duet` command as its own process without blocking the test worker, with a hard
// timeout (the child is killed, by its pid, when it runs over).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const REPOSITORY_ROOT = join(__dirname, '..', '..', '..');
const BIN = join(REPOSITORY_ROOT, 'apps', 'duet', 'bin', 'duet.js');

export interface DuetResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Wall seconds from spawn to exit. */
  readonly seconds: number;
}

export function runDuet(args: readonly string[], options: { timeoutMs: number; environment?: Record<string, string> }): Promise<DuetResult> {
  if (!existsSync(join(REPOSITORY_ROOT, 'apps', 'duet', 'dist', 'main.js'))) {
    throw new Error('the CLI is not built: run `npm run build` (npm test does it first)');
  }
  const started = performance.now();
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: REPOSITORY_ROOT,
      env: { ...process.env, ...options.environment },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `duet ${args.join(' ')} did not finish within ${options.timeoutMs} ms\n--- stdout ---\n${stdout.slice(-4000)}\n--- stderr ---\n${stderr.slice(-4000)}`,
        ),
      );
    }, options.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (status) => {
      clearTimeout(timer);
      resolveRun({ status, stdout, stderr, seconds: (performance.now() - started) / 1000 });
    });
  });
}

/** The one JSON object a `--json` command ends with; the output in the error when there is none. */
export function lastJson<T>(result: DuetResult): T {
  const last = result.stdout.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(last) as T;
  } catch {
    throw new Error(
      `no JSON line at the end of stdout (exit ${result.status})\n--- stdout ---\n${result.stdout.slice(-4000)}\n--- stderr ---\n${result.stderr.slice(-4000)}`,
    );
  }
}
