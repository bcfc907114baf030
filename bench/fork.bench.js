#!/usr/bin/env node
// Benchmark of issue #16's fork: the wall time of a what-if forked at the middle of a day against
// the same what-if run in full. Runs `duet run` as separate processes on the core target:
//   1. the earlier run, VPN mandate at 16:00, with checkpoints (--out, --checkpoint-every);
//   2. the what-if from scratch, the mandate at 14:00 instead (its report written, no checkpoints);
//   3. the same what-if forked from run 1 at --at (default 12:00): it restores the last checkpoint
//      at or before 12:00 and simulates the rest of the day.
// Prints wall and CPU time of each; the fork's digest must equal the run from scratch.
// Usage: node bench/fork.bench.js [--handsets 100000] [--duration 24h] [--at 12:00] [--shards 2]
//        [--checkpoint-every 60] [--scenario scenarios/vpn-mandate.yaml]
const { join } = require('node:path');
const { benchFlags, REPOSITORY_ROOT, timedDuet } = require('./support');

const values = benchFlags({
  scenario: 'scenarios/vpn-mandate.yaml',
  handsets: '100000',
  duration: '24h',
  at: '12:00',
  shards: '2',
  'checkpoint-every': '60',
});

const base = [`fleet.handsets=${values.handsets}`, `duration=${values.duration}`, `shards=${values.shards}`, 'thresholds={}'];
const earlierDir = join(REPOSITORY_ROOT, '.duet', 'bench-fork-earlier');
const steps = [
  { name: 'earlier', overrides: ['policies.1.at=16h'], flags: ['--out', earlierDir, '--checkpoint-every', values['checkpoint-every']] },
  { name: 'scratch', overrides: ['policies.1.at=14h'], flags: ['--out', join(REPOSITORY_ROOT, '.duet', 'bench-fork-scratch'), '--checkpoint-every', '0'] },
  {
    name: 'fork',
    overrides: ['policies.1.at=14h'],
    flags: ['--out', join(REPOSITORY_ROOT, '.duet', 'bench-fork-fork'), '--checkpoint-every', '0', '--fork-from', earlierDir, '--at', values.at],
  },
];

const results = {};
for (const step of steps) {
  const args = ['run', values.scenario, '--target', 'core', '--json', ...[...base, ...step.overrides].flatMap((o) => ['--set', o]), ...step.flags];
  const { wallSeconds, cpuSeconds, result } = timedDuet(args);
  results[step.name] = { wallSeconds, cpuSeconds, digest: result.digest, forkedFrom: result.forkedFrom };
  const fork = result.forkedFrom ? `, from the checkpoint at tick ${result.forkedFrom.checkpointTick} (fork point ${result.forkedFrom.atTime})` : '';
  console.log(
    `${step.name.padEnd(8)} ${wallSeconds.toFixed(1)} s wall, ${cpuSeconds.toFixed(1)} s CPU, ${result.handsets.toLocaleString('en-US')} handsets × ${result.ticks} ticks, digest ${result.digest.slice(0, 16)}…${fork}`,
  );
}
const same = results.fork.digest === results.scratch.digest;
console.log(`digest   fork ${same ? '=' : '≠'} from scratch`);
console.log(
  `ratio    fork / from scratch: wall ${(results.fork.wallSeconds / results.scratch.wallSeconds).toFixed(2)}, CPU ${(results.fork.cpuSeconds / results.scratch.cpuSeconds).toFixed(2)}; ` +
    `checkpoints cost the earlier run ${(results.earlier.wallSeconds / results.scratch.wallSeconds).toFixed(2)}× the wall of a run without`,
);
process.exitCode = same ? 0 : 1;
