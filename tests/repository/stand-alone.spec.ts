// The repository stands alone (issue #17): no file points at documents outside it, and the README's
// folder map names every package and service.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '..', '..');
const MAX_BYTES = 2 * 1024 * 1024;
const BINARY = /\.(png|jpe?g|gif|ico|svg|webp|pdf|woff2?|ttf|gz|tgz|zip|jar)$/i;
// What would point outside: the shared folder beside the checkout, its documents or their sections.
// The project's own documents are docs/design.md, docs/sources.md, docs/infrastructure.md and
// docs/conventions.md; a bare DESIGN, DOMAIN or INFRA in capitals only ever named the outside ones.
const OUTSIDE = [
  /\.\.\/shared\b/,
  /\/work\/shared\b/,
  /\bshared\/(DESIGN|DOMAIN|INFRA|STYLE)\.md/,
  /\bshared\/reference\//,
  /\b(DESIGN|DOMAIN|INFRA|STYLE) §/,
  /\b(DESIGN|DOMAIN|INFRA)\b/,
  /\bSTYLE(\.md\b|:)/,
];
// This file spells out the patterns it looks for.
const SELF = 'tests/repository/stand-alone.spec.ts';

function trackedFiles(): string[] {
  return execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
    .split('\0')
    .filter((file) => file !== '' && file !== SELF && !file.endsWith('package-lock.json') && !BINARY.test(file));
}

describe('the repository stands alone', () => {
  it('has no file that points at documents outside it', () => {
    const files = trackedFiles();
    expect(files.length).toBeGreaterThan(100);
    const offending: string[] = [];
    for (const file of files) {
      const path = join(ROOT, file);
      let size: number;
      try {
        size = statSync(path).size;
      } catch {
        continue; // deleted in the work tree
      }
      if (size > MAX_BYTES) continue;
      const text = readFileSync(path, 'utf8');
      if (text.includes('\0')) continue; // binary under an unexpected name
      text.split('\n').forEach((line, index) => {
        if (OUTSIDE.some((pattern) => pattern.test(line))) offending.push(`${file}:${index + 1}: ${line.trim().slice(0, 140)}`);
      });
    }
    expect(offending, `files pointing outside the repository:\n${offending.join('\n')}`).toEqual([]);
  });

  it("names every package and service in the README's folder map", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    // Folders with tracked files, so that a build's or a tool's leftovers do not count.
    const tracked = new Set(
      trackedFiles()
        .map((file) => /^(apps|packages|services)\/[^/]+\//.exec(file)?.[0])
        .filter((folder): folder is string => folder !== undefined),
    );
    const folders = ['apps', 'packages', 'services'].flatMap((parent) =>
      readdirSync(join(ROOT, parent), { withFileTypes: true })
        .filter((entry) => entry.isDirectory() && tracked.has(`${parent}/${entry.name}/`))
        .map((entry) => `${parent}/${entry.name}/`),
    );
    expect(folders).toContain('packages/sim-core/');
    expect(folders).toContain('services/hypervisor-core/');
    expect(folders).toContain('apps/duet/');
    const missing = folders.filter((folder) => !readme.includes(`\`${folder}\``));
    expect(missing, `folders missing from README.md's folder map: ${missing.join(', ')}`).toEqual([]);
  });
});

// The layers (issue #17): packages are libraries the services and the application build on, so
// nothing under packages/ imports a service or the application, and services never import each other.
describe('the layers', () => {
  const WORKSPACES: Record<string, string> = {};
  for (const parent of ['apps', 'packages', 'services']) {
    for (const entry of readdirSync(join(ROOT, parent), { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      try {
        const manifest = JSON.parse(readFileSync(join(ROOT, parent, entry.name, 'package.json'), 'utf8')) as { name: string };
        WORKSPACES[manifest.name] = `${parent}/${entry.name}`;
      } catch {
        // not a workspace
      }
    }
  }
  const IMPORT = /(?:from\s+|import\s*\(\s*|require\s*\(\s*)['"]([^'"]+)['"]/g;

  function importsOf(folder: string): { file: string; target: string }[] {
    const found: { file: string; target: string }[] = [];
    for (const file of trackedFiles().filter((name) => name.startsWith(`${folder}/`) && /\.(ts|mts|js|mjs)$/.test(name))) {
      const text = readFileSync(join(ROOT, file), 'utf8');
      for (const match of text.matchAll(IMPORT)) {
        const specifier = match[1]!;
        const workspace = Object.keys(WORKSPACES).find((name) => specifier === name || specifier.startsWith(`${name}/`));
        if (workspace !== undefined) found.push({ file, target: WORKSPACES[workspace]! });
        else if (specifier.startsWith('.')) {
          const resolved = join(file, '..', specifier);
          const target = Object.values(WORKSPACES).find((dir) => resolved.startsWith(`${dir}/`));
          if (target !== undefined) found.push({ file, target });
        }
      }
    }
    return found;
  }

  it('has the application and the libraries where the map says', () => {
    expect(WORKSPACES['@duet/cli']).toBe('apps/duet');
    expect(WORKSPACES['@duet/sim-core']).toBe('packages/sim-core');
    // The scanner sees imports: the application wires the services together.
    expect(importsOf('apps/duet').some(({ target }) => target === 'services/telemetry')).toBe(true);
  });

  it('has no import from packages/ into services/ or apps/', () => {
    const upward = Object.values(WORKSPACES)
      .filter((dir) => dir.startsWith('packages/'))
      .flatMap((dir) => importsOf(dir).filter(({ target }) => !target.startsWith('packages/')))
      .map(({ file, target }) => `${file} -> ${target}`);
    expect(upward).toEqual([]);
  });

  it('has no service importing another service or the application', () => {
    const across = Object.values(WORKSPACES)
      .filter((dir) => dir.startsWith('services/'))
      .flatMap((dir) => importsOf(dir).filter(({ target }) => target !== dir && !target.startsWith('packages/')))
      .map(({ file, target }) => `${file} -> ${target}`);
    expect(across).toEqual([]);
  });
});
