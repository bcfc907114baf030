// Third-party Go tools (grpcurl, ghz) for tests that check Duet as an outsider would: built once
// with `go install` into .duet/tools from the Go module proxy, then reused. Where Go or the proxy
// is not there, the caller gets the reason to print and skips.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

const REPOSITORY_ROOT = join(__dirname, '..', '..');
const TOOLS = join(REPOSITORY_ROOT, '.duet', 'tools');
const INSTALL_TIMEOUT_MS = 480_000; // a cold module cache downloads and compiles a few dozen modules

export type GoTool = { readonly path: string } | { readonly path?: undefined; readonly reason: string };

/** The tool's binary, installed from `module@version` if missing; or why it cannot be had. */
export function goTool(name: string, moduleAtVersion: string): GoTool {
  const path = join(TOOLS, name);
  if (existsSync(path)) return { path };
  const go = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (go.error !== undefined || go.status !== 0) return { reason: `Go is not installed, so ${name} cannot be built with go install` };
  mkdirSync(TOOLS, { recursive: true });
  const install = spawnSync('go', ['install', moduleAtVersion], { encoding: 'utf8', env: { ...process.env, GOBIN: TOOLS }, timeout: INSTALL_TIMEOUT_MS });
  if (install.status !== 0 || !existsSync(path)) {
    return { reason: `go install ${moduleAtVersion} failed (is the Go module proxy reachable?): ${(install.stderr ?? '').trim().slice(-500)}` };
  }
  return { path };
}
