// A Python virtual environment for tests that check Duet as a Python client would (grpcio): made
// once with `python3 -m venv` in .duet/python, its packages installed with pip from PyPI, then
// reused. Where python3, its venv module (Debian's python3-venv, installed with apt when missing)
// or PyPI is not there, the caller gets the reason to print and skips.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDebianPackage, quietLog } from '@duet/stack';

const REPOSITORY_ROOT = join(__dirname, '..', '..');
const VENV = join(REPOSITORY_ROOT, '.duet', 'python');
const INSTALL_TIMEOUT_MS = 300_000;

export type PythonVenv = { readonly python: string } | { readonly python?: undefined; readonly reason: string };

/** The venv's python with `requirements` (pip specifiers, pinned) installed; or why it cannot be had. */
export async function pythonVenv(requirements: readonly string[]): Promise<PythonVenv> {
  const python = join(VENV, 'bin', 'python');
  const marker = join(VENV, 'duet-requirements.txt');
  const wanted = requirements.join('\n');
  if (existsSync(marker) && readFileSync(marker, 'utf8') === wanted) return { python };
  if (spawnSync('python3', ['--version']).status !== 0) return { reason: 'python3 is not installed' };
  const venvModule = await venvAvailable();
  if (venvModule !== undefined) return { reason: venvModule };
  if (!existsSync(python)) {
    const made = spawnSync('python3', ['-m', 'venv', VENV], { encoding: 'utf8', timeout: 120_000 });
    if (made.status !== 0) {
      rmSync(VENV, { recursive: true, force: true });
      return { reason: `python3 -m venv ${VENV} failed: ${made.stderr.trim().slice(-500)}` };
    }
  }
  const pip = spawnSync(python, ['-m', 'pip', 'install', '--disable-pip-version-check', '--only-binary=:all:', '--timeout', '30', ...requirements], {
    encoding: 'utf8',
    timeout: INSTALL_TIMEOUT_MS,
  });
  if (pip.status !== 0) return { reason: `pip install ${requirements.join(' ')} failed (is PyPI reachable?): ${(pip.stderr ?? '').trim().slice(-500)}` };
  writeFileSync(marker, wanted);
  return { python };
}

/** Undefined when `python3 -m venv` can make a venv with pip (ensurepip), installing python3-venv if needed; else why not. */
async function venvAvailable(): Promise<string | undefined> {
  const hasEnsurepip = () => (spawnSync('python3', ['-c', 'import ensurepip']).status === 0 ? 'ensurepip' : undefined);
  try {
    await ensureDebianPackage(
      {
        label: 'Python venv',
        packageName: 'python3-venv',
        find: hasEnsurepip,
        appears: "python3's ensurepip module",
        missingHint: 'apt-get install -y python3-venv',
      },
      { log: quietLog, timeoutMs: 300_000 },
    );
    return undefined;
  } catch (error) {
    return `python3 has no venv module and python3-venv could not be installed: ${(error as Error).message}`;
  }
}
