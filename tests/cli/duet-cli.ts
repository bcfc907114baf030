import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const REPOSITORY_ROOT = join(__dirname, '..', '..');
const BIN = join(REPOSITORY_ROOT, 'apps', 'duet', 'bin', 'duet.js');

/** Runs the built `duet` command as its own process, the way a user would. */
export function duet(args: readonly string[], timeoutMs = 120_000): { status: number | null; stdout: string; stderr: string } {
  if (!existsSync(join(REPOSITORY_ROOT, 'apps', 'duet', 'dist', 'main.js'))) {
    throw new Error('the CLI is not built: run `npm run build` (npm test does it first)');
  }
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd: REPOSITORY_ROOT, encoding: 'utf8', timeout: timeoutMs });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

export function lastJsonLine(stdout: string): Record<string, unknown> {
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]) as Record<string, unknown>;
}
