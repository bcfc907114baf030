import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { ExitCode } from '../exit-codes';
import { Output } from '../output';
import { printSummary } from '../report';
import { EmbeddedTarget } from '../run/embedded.target';
import { LocalTarget } from '../run/local.target';
import { runScenario } from '../run/run-scenario';
import type { RunTarget } from '../run/run-target';
import { ScenarioError, loadScenario } from '../scenario/scenario.loader';
import { printScenarioError } from './scenario.command';

interface RunOptions {
  set: string[];
  json: boolean;
  target: 'embedded' | 'local';
  runId?: string;
  dataDir: string;
}

/** `duet run <scenario>`: runs a scenario embedded (default) or on the local stack. */
export function runCommand(setExitCode: (code: number) => void): Command {
  return new Command('run')
    .description('run a scenario: embedded in this process (default) or on the local stack of separate services')
    .argument('<scenario>', 'scenario YAML file, e.g. scenarios/quickstart.yaml')
    .option('--set <path=value...>', 'override a scenario value, e.g. --set fleet.handsets=500 (repeatable)', [])
    .option('--json', 'no progress or text; one JSON object on the last line', false)
    .addOption(new Option('--target <target>', 'where the services run').choices(['embedded', 'local']).default('embedded'))
    .option('--run-id <id>', 'id of the run (default: a new UUID)')
    .option('--data-dir <dir>', 'where the embedded PostgreSQL keeps its data', join(process.cwd(), '.duet', 'embedded'))
    .action(async (file: string, options: RunOptions) => setExitCode(await run(file, options)));
}

async function run(file: string, options: RunOptions): Promise<number> {
  const output = new Output(options.json);
  let loaded;
  try {
    loaded = loadScenario(file, options.set);
  } catch (error) {
    if (!(error instanceof ScenarioError)) throw error;
    printScenarioError(output, error);
    return ExitCode.BAD_INPUT;
  }
  const { scenario, config } = loaded;
  const runId = options.runId ?? randomUUID();
  const startedAt = performance.now();
  output.line(
    `run ${runId}: ${scenario.name}, ${config.fleet.handsets.toLocaleString('en-US')} handsets, ${config.ticks} ticks, ${config.shards} shards, target ${options.target}`,
  );
  let target: RunTarget;
  try {
    target = options.target === 'embedded' ? await EmbeddedTarget.start(options.dataDir) : await LocalTarget.connect();
  } catch (error) {
    output.error(`duet: cannot start the ${options.target} target: ${(error as Error).message}`);
    return ExitCode.BAD_INPUT;
  }
  for (const [name, address] of Object.entries(target.addresses)) output.line(`  ${name.padEnd(8)} ${address}`);
  const progress = output.progress(config.ticks, scenario.name);
  let firstTickAt: number | undefined;
  try {
    const outcome = await runScenario(target, { runId, scenario: scenario.name, config }, (state) => {
      if (state.ticksCompleted > 0) firstTickAt ??= performance.now();
      const seconds = (performance.now() - startedAt) / 1000;
      progress.update(state.ticksCompleted, { rate: `${Math.round(state.events / Math.max(seconds, 0.001)).toLocaleString('en-US')} events/s` });
    });
    progress.stop();
    const seconds = (performance.now() - startedAt) / 1000;
    if (outcome.phase === 'FAILED' || outcome.summary === undefined) {
      output.error(`duet: run ${runId} failed: ${outcome.failure ?? 'no summary recorded'}`);
      output.result({ runId, scenario: scenario.name, target: options.target, phase: 'FAILED', failure: outcome.failure });
      return ExitCode.BAD_INPUT;
    }
    printSummary(output, outcome.summary);
    output.line(`wall time    ${seconds.toFixed(1)} s (first tick after ${(((firstTickAt ?? performance.now()) - startedAt) / 1000).toFixed(1)} s)`);
    output.result({
      runId,
      scenario: scenario.name,
      target: options.target,
      phase: outcome.phase,
      digest: outcome.digest,
      handsets: outcome.summary.handsets,
      ticks: outcome.summary.ticks,
      shards: outcome.summary.shards,
      seed: outcome.summary.seed,
      wallSeconds: Math.round(seconds * 1000) / 1000,
      kpis: outcome.summary.kpis,
    });
    return ExitCode.OK;
  } finally {
    progress.stop();
    await target.close();
  }
}
