#!/usr/bin/env node
// The core's hot loop against a previous build, side by side: alternating runs of the in-process
// Simulation (one thread) from this checkout and from another built checkout (`--base DIR`, e.g. a
// `git worktree` of the previous commit after `npm run build`), each in its own process. Prints
// wall and CPU seconds per run and the median ratio of each. On a shared machine wall time swings
// with the neighbours' load; the CPU time of a single-threaded run moves much less, so the CPU
// ratio is the figure to quote for a hot-loop change (bench/README.md).
// Usage: node bench/core-side-by-side.bench.js --base /work/wt-base [--handsets 20000] [--ticks 1440] [--shards 2] [--runs 3]
const { spawnSync } = require('node:child_process');
const { join } = require('node:path');
const { loadavg } = require('node:os');
const { REPOSITORY_ROOT, benchFlags } = require('./support');

const values = benchFlags({ base: undefined, handsets: '20000', ticks: '1440', shards: '2', runs: '3' });
if (values.base === undefined) {
  console.error('--base DIR (a built checkout of the previous build) is required');
  process.exit(2);
}

const RUN = `
const { Simulation } = require(process.argv[1]);
const [handsets, ticks, shards] = process.argv.slice(2).map(Number);
const simulation = new Simulation({ seed: 1, ticks, shards, fleet: { handsets } });
const start = performance.now();
const cpu = process.cpuUsage();
const summary = simulation.run();
const used = process.cpuUsage(cpu);
console.log(JSON.stringify({ wall: (performance.now() - start) / 1000, cpu: (used.user + used.system) / 1e6, digest: summary.digest }));
`;

function once(checkout) {
  const child = spawnSync(process.execPath, ['-e', RUN, join(checkout, 'packages', 'sim-core', 'dist'), values.handsets, values.ticks, values.shards], {
    encoding: 'utf8',
  });
  if (child.status !== 0) {
    process.stderr.write(child.stderr);
    process.exit(child.status ?? 2);
  }
  return JSON.parse(child.stdout.trim().split('\n').pop());
}

const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
const runs = { base: [], this: [] };
for (let run = 1; run <= Number(values.runs); run++) {
  for (const [name, checkout] of [
    ['base', values.base],
    ['this', REPOSITORY_ROOT],
  ]) {
    const load = loadavg()[0].toFixed(1);
    const result = once(checkout);
    runs[name].push(result);
    console.log(`run ${run} ${name}: ${result.wall.toFixed(2)} s wall, ${result.cpu.toFixed(2)} s CPU, load ${load}, digest ${result.digest.slice(0, 16)}…`);
  }
}
const ratio = (pick) => median(runs.base.map(pick)) / median(runs.this.map(pick));
const digests = new Set([...runs.base, ...runs.this].map((result) => result.digest));
console.log(
  `median base/this: wall ${ratio((r) => r.wall).toFixed(2)}×, CPU ${ratio((r) => r.cpu).toFixed(2)}×; digests ${digests.size === 1 ? 'identical' : 'DIFFER'}`,
);
process.exitCode = digests.size === 1 ? 0 : 1;
