import { availableParallelism } from 'node:os';
import { Command } from 'commander';
import { Simulation, ValidationError, type RunSummary, type SimulationConfig, type TickKpis } from '@duet/sim-core';
import { runCoreOnThreads } from '../core/parallel-core';
import { ExitCode } from '../exit-codes';
import { retainedBytes } from '../memory';
import { integerOption } from '../options';
import { Output } from '../output';
import { printSummary, printValidationError } from '../report';

interface BenchCoreOptions {
  handsets: number;
  ticks: number;
  shards: number;
  threads: number;
  seed: number;
  json: boolean;
}

export interface BenchCoreResult {
  handsets: number;
  ticks: number;
  shards: number;
  /** Threads that stepped shards: at most one per shard. */
  threads: number;
  seed: number;
  handsetTicks: number;
  setupSeconds: number;
  runSeconds: number;
  /** CPU time of the process over the run, every thread included: less sensitive than wall time to a busy machine. */
  cpuSeconds: number;
  handsetTicksPerSecond: number;
  bytesPerHandset: number;
  digest: string;
  kpis: RunSummary['kpis'];
}

/** `duet bench core`: the pure simulation core in one process (its shards on worker threads), timed and weighed. */
export function benchCoreCommand(setExitCode: (code: number) => void): Command {
  return new Command('core')
    .description('run the pure simulation core in one process and report throughput, memory per handset and the digest')
    .requiredOption('--handsets <n>', 'handsets in the fleet', integerOption('--handsets', 1, 10_000_000))
    .requiredOption('--ticks <n>', 'ticks to simulate (1 tick = 60 simulated seconds)', integerOption('--ticks', 1, 10_000_000))
    .option('--shards <n>', 'shards to partition the fleet into', integerOption('--shards', 1, 1024), 1)
    .option(
      '--threads <n>',
      'worker threads stepping the shards (at most one per shard; 1 = in the main thread)',
      integerOption('--threads', 1, 1024),
      availableParallelism(),
    )
    .option('--seed <n>', 'seed of the counter-based randomness', integerOption('--seed', Number.MIN_SAFE_INTEGER), 1)
    .option('--json', 'print one JSON object on the last line and nothing else on stdout', false)
    .action(async (options: BenchCoreOptions) => {
      const output = new Output(options.json);
      try {
        setExitCode(await runBenchCore(options, output));
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        printValidationError(output, error);
        setExitCode(ExitCode.BAD_INPUT);
      }
    });
}

async function runBenchCore(options: BenchCoreOptions, output: Output): Promise<number> {
  const config: SimulationConfig = { seed: options.seed, ticks: options.ticks, shards: options.shards, fleet: { handsets: options.handsets } };
  const progress = output.progress(options.ticks, 'core');
  let runStart = performance.now();
  let lastUpdate = 0;
  const onTick = (kpis: TickKpis) => {
    const now = performance.now();
    if (now - lastUpdate > 200 || kpis.tick === options.ticks - 1) {
      lastUpdate = now;
      const rate = ((kpis.tick + 1) * options.handsets) / ((now - runStart) / 1000);
      progress.update(kpis.tick + 1, { rate: `${(rate / 1e6).toFixed(2)}M handset-ticks/s` });
    }
  };
  const baseline = retainedBytes();
  let measured: { summary: RunSummary; threads: number; setupSeconds: number; runSeconds: number; cpuSeconds: number; retained: number };
  if (Math.min(options.threads, options.shards) > 1) {
    const run = await runCoreOnThreads(config, options.threads, (kpis) => {
      if (kpis.tick === 0) runStart = performance.now();
      onTick(kpis);
    });
    measured = { ...run, retained: retainedBytes() - baseline + run.workerRetainedBytes };
  } else {
    const setupStart = performance.now();
    const simulation = new Simulation(config);
    runStart = performance.now();
    const cpuStart = process.cpuUsage();
    const summary = simulation.run(onTick);
    const runEnd = performance.now();
    const cpu = process.cpuUsage(cpuStart);
    const retained = retainedBytes() - baseline;
    // Keep the simulation reachable until after the memory reading.
    void simulation.tick;
    measured = {
      summary,
      threads: 1,
      setupSeconds: (runStart - setupStart) / 1000,
      runSeconds: (runEnd - runStart) / 1000,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      retained,
    };
  }
  progress.stop();
  const handsetTicks = options.handsets * options.ticks;
  const result: BenchCoreResult = {
    handsets: options.handsets,
    ticks: options.ticks,
    shards: options.shards,
    threads: measured.threads,
    seed: options.seed,
    handsetTicks,
    setupSeconds: round(measured.setupSeconds),
    runSeconds: round(measured.runSeconds),
    cpuSeconds: round(measured.cpuSeconds),
    handsetTicksPerSecond: Math.round(handsetTicks / measured.runSeconds),
    bytesPerHandset: Math.round(measured.retained / options.handsets),
    digest: measured.summary.digest,
    kpis: measured.summary.kpis,
  };
  printSummary(output, measured.summary);
  output.line(
    `throughput   ${result.handsetTicksPerSecond.toLocaleString('en-US')} handset-ticks/s (${result.runSeconds} s for ${handsetTicks.toLocaleString('en-US')} on ${result.threads} thread${result.threads === 1 ? '' : 's'})`,
  );
  output.line(`memory       ${result.bytesPerHandset.toLocaleString('en-US')} bytes per handset retained`);
  output.result(result);
  return ExitCode.OK;
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
