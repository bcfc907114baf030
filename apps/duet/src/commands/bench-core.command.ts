import { Command } from 'commander';
import { Simulation, ValidationError, type RunSummary } from '@duet/sim-core';
import { ExitCode } from '../exit-codes';
import { retainedBytes } from '../memory';
import { integerOption } from '../options';
import { Output } from '../output';
import { printSummary, printValidationError } from '../report';

interface BenchCoreOptions {
  handsets: number;
  ticks: number;
  shards: number;
  seed: number;
  json: boolean;
}

export interface BenchCoreResult {
  handsets: number;
  ticks: number;
  shards: number;
  seed: number;
  handsetTicks: number;
  setupSeconds: number;
  runSeconds: number;
  handsetTicksPerSecond: number;
  bytesPerHandset: number;
  digest: string;
  kpis: RunSummary['kpis'];
}

/** `duet bench core`: the pure simulation core in one process, timed and weighed. */
export function benchCoreCommand(setExitCode: (code: number) => void): Command {
  return new Command('core')
    .description('run the pure simulation core in one process and report throughput, memory per handset and the digest')
    .requiredOption('--handsets <n>', 'handsets in the fleet', integerOption('--handsets', 1, 10_000_000))
    .requiredOption('--ticks <n>', 'ticks to simulate (1 tick = 60 simulated seconds)', integerOption('--ticks', 1, 10_000_000))
    .option('--shards <n>', 'shards to partition the fleet into', integerOption('--shards', 1, 1024), 1)
    .option('--seed <n>', 'seed of the counter-based randomness', integerOption('--seed', Number.MIN_SAFE_INTEGER), 1)
    .option('--json', 'print one JSON object on the last line and nothing else on stdout', false)
    .action((options: BenchCoreOptions) => {
      const output = new Output(options.json);
      try {
        setExitCode(runBenchCore(options, output));
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        printValidationError(output, error);
        setExitCode(ExitCode.BAD_INPUT);
      }
    });
}

function runBenchCore(options: BenchCoreOptions, output: Output): number {
  const baseline = retainedBytes();
  const setupStart = performance.now();
  const simulation = new Simulation({ seed: options.seed, ticks: options.ticks, shards: options.shards, fleet: { handsets: options.handsets } });
  const runStart = performance.now();
  const progress = output.progress(options.ticks, 'core');
  let lastUpdate = 0;
  const summary = simulation.run((kpis) => {
    const now = performance.now();
    if (now - lastUpdate > 200 || kpis.tick === options.ticks - 1) {
      lastUpdate = now;
      const rate = ((kpis.tick + 1) * options.handsets) / ((now - runStart) / 1000);
      progress.update(kpis.tick + 1, { rate: `${(rate / 1e6).toFixed(2)}M handset-ticks/s` });
    }
  });
  const runEnd = performance.now();
  progress.stop();
  const retained = retainedBytes() - baseline;
  const runSeconds = (runEnd - runStart) / 1000;
  const handsetTicks = options.handsets * options.ticks;
  const result: BenchCoreResult = {
    handsets: options.handsets,
    ticks: options.ticks,
    shards: options.shards,
    seed: options.seed,
    handsetTicks,
    setupSeconds: round((runStart - setupStart) / 1000),
    runSeconds: round(runSeconds),
    handsetTicksPerSecond: Math.round(handsetTicks / runSeconds),
    bytesPerHandset: Math.round(retained / options.handsets),
    digest: summary.digest,
    kpis: summary.kpis,
  };
  // Keep the simulation reachable until after the memory reading.
  void simulation.tick;
  printSummary(output, summary);
  output.line(
    `throughput   ${result.handsetTicksPerSecond.toLocaleString('en-US')} handset-ticks/s (${result.runSeconds} s for ${handsetTicks.toLocaleString('en-US')})`,
  );
  output.line(`memory       ${result.bytesPerHandset.toLocaleString('en-US')} bytes per handset retained`);
  output.result(result);
  return ExitCode.OK;
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
