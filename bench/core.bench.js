#!/usr/bin/env node
// Benchmark of the pure simulation core against issue #2's targets: at least 1,000,000
// handset-ticks per second for 100,000 handsets, and at most 2 KiB per handset.
// Runs `duet bench core` as separate processes and prints min / median / max.
// Usage: node bench/core.bench.js [--handsets 100000] [--ticks 200] [--shards 4] [--runs 3]
const { spawnSync } = require('node:child_process');
const { benchFlags, DUET_BIN } = require('./support');

const values = benchFlags({
  handsets: '100000',
  ticks: '200',
  shards: '4',
  runs: '3',
});
const TARGET_HANDSET_TICKS_PER_SECOND = 1_000_000;
const TARGET_BYTES_PER_HANDSET = 2048;

const bin = DUET_BIN;
const results = [];
for (let run = 1; run <= Number(values.runs); run++) {
  const child = spawnSync(
    process.execPath,
    [bin, 'bench', 'core', '--handsets', values.handsets, '--ticks', values.ticks, '--shards', values.shards, '--json'],
    {
      encoding: 'utf8',
    },
  );
  if (child.status !== 0) {
    process.stderr.write(child.stderr);
    process.exit(child.status ?? 2);
  }
  const result = JSON.parse(child.stdout.trim().split('\n').pop());
  results.push(result);
  console.log(
    `run ${run}: ${result.handsetTicksPerSecond.toLocaleString('en-US')} handset-ticks/s, ${result.bytesPerHandset} B/handset, digest ${result.digest.slice(0, 16)}…`,
  );
}

const stats = (pick) => {
  const sorted = results.map(pick).sort((a, b) => a - b);
  return { min: sorted[0], median: sorted[Math.floor(sorted.length / 2)], max: sorted[sorted.length - 1] };
};
const rate = stats((r) => r.handsetTicksPerSecond);
const bytes = stats((r) => r.bytesPerHandset);
const digests = new Set(results.map((r) => r.digest));
console.log(
  `handset-ticks/s  min ${rate.min.toLocaleString('en-US')}  median ${rate.median.toLocaleString('en-US')}  max ${rate.max.toLocaleString('en-US')}  (target ≥ ${TARGET_HANDSET_TICKS_PER_SECOND.toLocaleString('en-US')})`,
);
console.log(`bytes/handset    min ${bytes.min}  median ${bytes.median}  max ${bytes.max}  (target ≤ ${TARGET_BYTES_PER_HANDSET})`);
console.log(`digests          ${digests.size === 1 ? 'identical across runs' : 'DIFFER across runs'}`);
const ok = rate.median >= TARGET_HANDSET_TICKS_PER_SECOND && bytes.median <= TARGET_BYTES_PER_HANDSET && digests.size === 1;
process.exitCode = ok ? 0 : 1;
