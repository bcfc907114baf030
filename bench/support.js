// What the benchmarks share: where the built `duet` command is, and their flags. Every flag is
// `--name value` with a default, except those whose default is a boolean (`--name` alone) or
// undefined (optional, no default).
const { spawnSync } = require('node:child_process');
const { existsSync, readFileSync } = require('node:fs');
const { join } = require('node:path');
const { performance } = require('node:perf_hooks');
const { parseArgs } = require('node:util');

const REPOSITORY_ROOT = join(__dirname, '..');
const DUET_BIN = join(REPOSITORY_ROOT, 'apps', 'duet', 'bin', 'duet.js');

/** The command line's values, given each flag's default. */
function benchFlags(defaults) {
  const options = Object.fromEntries(
    Object.entries(defaults).map(([name, value]) =>
      typeof value === 'boolean'
        ? [name, { type: 'boolean', default: value }]
        : [name, value === undefined ? { type: 'string' } : { type: 'string', default: String(value) }],
    ),
  );
  return parseArgs({ options }).values;
}

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ of /proc/<pid>/stat on Linux
const TIMER = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

/**
 * Runs `duet <args>` to completion and times it: wall seconds, CPU seconds of the whole process tree,
 * peak RSS in MB (when /usr/bin/time is there) and the last JSON line it printed. A failing run
 * ends the benchmark with its exit code and its stderr.
 */
function timedDuet(args) {
  const cpuBefore = childrenCpuSeconds();
  const startedAt = performance.now();
  const command = [process.execPath, DUET_BIN, ...args];
  const child = TIMER
    ? spawnSync(TIMER, ['-f', 'duet-bench-max-rss-kb %M', ...command], { cwd: REPOSITORY_ROOT, encoding: 'utf8', maxBuffer: 1 << 26 })
    : spawnSync(command[0], command.slice(1), { cwd: REPOSITORY_ROOT, encoding: 'utf8', maxBuffer: 1 << 26 });
  const wallSeconds = (performance.now() - startedAt) / 1000;
  const cpuSeconds = childrenCpuSeconds() - cpuBefore;
  if (child.status !== 0) {
    process.stderr.write(child.stderr);
    process.exit(child.status ?? 2);
  }
  const rss = /duet-bench-max-rss-kb (\d+)/.exec(child.stderr ?? '');
  return {
    wallSeconds,
    cpuSeconds,
    maxRssMb: rss ? Math.round(Number(rss[1]) / 1024) : undefined,
    result: JSON.parse(child.stdout.trim().split('\n').pop()),
  };
}

// CPU seconds of this process's reaped children (and theirs): /proc/self/stat cutime + cstime.
function childrenCpuSeconds() {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  return (Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS_PER_SECOND;
}

module.exports = { REPOSITORY_ROOT, DUET_BIN, benchFlags, timedDuet };
