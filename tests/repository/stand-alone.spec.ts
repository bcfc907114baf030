// The repository stands alone (issue #17): no file points at documents outside it, and the README's
// folder map names every package and service.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '..', '..');
const MAX_BYTES = 2 * 1024 * 1024;
const BINARY = /\.(png|jpe?g|gif|ico|woff2?|ttf|gz|zip|jar)$/i;
// What would point outside: the shared folder beside the checkout, or its documents' sections.
const OUTSIDE = [/\.\.\/shared\b/, /\bshared\/(DESIGN|DOMAIN|INFRA|STYLE)\.md/, /\b(DESIGN|DOMAIN|INFRA|STYLE) §/];
// This file names the patterns it looks for.
const SELF = 'tests/repository/stand-alone.spec.ts';

function trackedFiles(): string[] {
  return execFileSync('git', ['ls-files'], { cwd: ROOT, encoding: 'utf8' })
    .split('\n')
    .filter((file) => file !== '' && file !== 'package-lock.json' && file !== SELF && !BINARY.test(file));
}

describe('the repository stands alone', () => {
  it('has no file that points at documents outside it', () => {
    const offending: string[] = [];
    for (const file of trackedFiles()) {
      const path = join(ROOT, file);
      let size: number;
      try {
        size = statSync(path).size;
      } catch {
        continue; // deleted in the work tree
      }
      if (size > MAX_BYTES) continue;
      readFileSync(path, 'utf8')
        .split('\n')
        .forEach((line, index) => {
          if (OUTSIDE.some((pattern) => pattern.test(line))) offending.push(`${file}:${index + 1}: ${line.trim().slice(0, 120)}`);
        });
    }
    expect(offending, offending.join('\n')).toEqual([]);
  });

  it("names every package and service in the README's folder map", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const folders = ['packages', 'services'].flatMap((parent) =>
      readdirSync(join(ROOT, parent), { withFileTypes: true })
        .filter((entry) => entry.isDirectory())
        .map((entry) => `${parent}/${entry.name}/`),
    );
    expect(folders.length).toBeGreaterThan(5);
    expect(folders.filter((folder) => !readme.includes(`\`${folder}\``))).toEqual([]);
  });
});
