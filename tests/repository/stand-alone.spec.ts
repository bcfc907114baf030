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
        .map((file) => /^(packages|services)\/[^/]+\//.exec(file)?.[0])
        .filter((folder): folder is string => folder !== undefined),
    );
    const folders = ['packages', 'services'].flatMap((parent) =>
      readdirSync(join(ROOT, parent), { withFileTypes: true })
        .filter((entry) => entry.isDirectory() && tracked.has(`${parent}/${entry.name}/`))
        .map((entry) => `${parent}/${entry.name}/`),
    );
    expect(folders).toContain('packages/sim-core/');
    expect(folders).toContain('services/hypervisor-core/');
    const missing = folders.filter((folder) => !readme.includes(`\`${folder}\``));
    expect(missing, `folders missing from README.md's folder map: ${missing.join(', ')}`).toEqual([]);
  });
});
