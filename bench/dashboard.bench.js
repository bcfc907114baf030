#!/usr/bin/env node
// Benchmark of issue #6's responsiveness target: while an embedded run of many handsets goes
// (default 100,000 over one simulated day), `/metrics` and the dashboard's panels API keep
// answering, a scrape in under 1 second. Starts `duet run` as a child process, reads the dashboard
// address it prints, then once per wall second fetches /metrics and the newest run's panels from
// this process, and prints a JSON summary of the response times (max, p99, median).
// Usage: node bench/dashboard.bench.js [--handsets 100000] [--duration 24h] [--scenario scenarios/quickstart.yaml]
const { spawn } = require('node:child_process');
const { benchFlags, DUET_BIN, REPOSITORY_ROOT } = require('./support');
const { performance } = require('node:perf_hooks');

const values = benchFlags({
  scenario: 'scenarios/quickstart.yaml',
  handsets: '100000',
  duration: '24h',
});
const TARGET_MILLISECONDS = 1_000; // a Prometheus scrape of /metrics answers within this
const INTERVAL_MILLISECONDS = 1_000; // one sample of each endpoint per wall second
const REQUEST_TIMEOUT_MILLISECONDS = 30_000; // a request slower than this counts as this and fails

const root = REPOSITORY_ROOT;
const bin = DUET_BIN;
const args = [bin, 'run', values.scenario, '--set', `fleet.handsets=${values.handsets}`, '--set', `duration=${values.duration}`];

async function timed(url) {
  const started = performance.now();
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MILLISECONDS) });
    await response.arrayBuffer();
    return { milliseconds: performance.now() - started, ok: response.ok };
  } catch (error) {
    return { milliseconds: performance.now() - started, ok: false, error: error.cause?.code ?? error.message };
  }
}

function statistics(samples) {
  const sorted = samples.map((sample) => sample.milliseconds).sort((a, b) => a - b);
  const at = (quantile) => (sorted.length === 0 ? null : Math.round(sorted[Math.min(sorted.length - 1, Math.ceil(quantile * sorted.length) - 1)]));
  const failures = samples.filter((sample) => !sample.ok);
  return { samples: sorted.length, failed: failures.length, firstFailure: failures[0]?.error, medianMs: at(0.5), p99Ms: at(0.99), maxMs: at(1) };
}

async function main() {
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  let base;
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk.toString('utf8');
    base ??= /dashboard\s+(http:\/\/127\.0\.0\.1:\d+)\/dashboard/.exec(output)?.[1];
  });
  // Sampling stops when the run has ended: `duet run` prints its services' time, then closes the stack.
  let done = false;
  void exited.then(() => (done = true));
  child.stdout.on('data', () => (done ||= /^services\s/m.test(output)));
  const startedAt = performance.now();
  const metrics = [];
  const panels = [];
  let runId;
  while (!done) {
    await new Promise((resolve) => setTimeout(resolve, INTERVAL_MILLISECONDS));
    if (base === undefined || done) continue;
    runId ??= await fetch(`${base}/v1/dashboard/runs?limit=1`)
      .then((response) => response.json())
      .then((body) => body.runs[0]?.runId)
      .catch(() => undefined);
    const [scrape, panel] = await Promise.all([
      timed(`${base}/metrics`),
      runId === undefined ? undefined : timed(`${base}/v1/dashboard/runs/${encodeURIComponent(runId)}/panels`),
    ]);
    if (done) break; // the stack was closing: not a sample of a running system
    metrics.push(scrape);
    if (panel !== undefined) panels.push(panel);
  }
  const code = await exited;
  const summary = {
    scenario: values.scenario,
    handsets: Number(values.handsets),
    duration: values.duration,
    runId,
    runExitCode: code,
    wallSeconds: Math.round((performance.now() - startedAt) / 100) / 10,
    metrics: statistics(metrics),
    panels: statistics(panels),
  };
  summary.metricsUnderTarget = summary.metrics.samples > 0 && summary.metrics.failed === 0 && summary.metrics.maxMs < TARGET_MILLISECONDS;
  console.log(JSON.stringify(summary));
  if (code !== 0 || !summary.metricsUnderTarget) process.exitCode = 1;
}

main().catch((error) => {
  console.error(error);
  process.exit(2);
});
