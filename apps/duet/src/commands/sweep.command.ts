import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { ExitCode } from '../exit-codes';
import { integerOption } from '../options';
import { Output } from '../output';
import { textTable } from '../report/console-table';
import { formatKpiValue } from '../report/kpi-format';
import { ScenarioError, formatProblem, loadScenario, type LoadedScenario } from '../scenario/scenario.loader';
import { SweepParameterError, parseSweepParameters, sweepCombinations } from '../sweep/sweep-grid';
import type { SweepJob } from '../sweep/sweep-job';
import { buildSweepReport, combinationDirectory, writeSweepReport } from '../sweep/sweep-report';
import { runSweepJobs } from '../sweep/sweep-runner';
import { prefixDirectory, runSharedPrefix, sharedPrefix, sharedPrefixTicks, type SharedPrefix } from '../sweep/shared-prefix';
import { KPI_BY_NAME, KPI_REGISTRY_NAMES } from '../thresholds/kpi-registry';

interface SweepOptions {
  param: string[];
  set: string[];
  kpi?: string[];
  parallel: number;
  out?: string;
  json: boolean;
}

// Shown when neither --kpi nor the scenario's thresholds say which KPIs matter.
const DEFAULT_COLUMNS = ['compliance_rate', 'battery_mean_percent', 'battery_empty_handsets', 'degraded_session_rate', 'check_ins'];

/** `duet sweep <scenario> --param path=v1,v2 ...`: the scenario over a grid of values, on the pure core in worker processes. */
export function sweepCommand(setExitCode: (code: number) => void): Command {
  return new Command('sweep')
    .description(
      'run a scenario for every combination of parameter values (pure core, in parallel worker processes); prints a KPI table; exit 1 when a combination fails a threshold, 2 on bad input',
    )
    .argument('<scenario>', 'scenario YAML file')
    .requiredOption('--param <path=v1,v2>', 'a swept value, e.g. --param fleet.handsets=1000,5000 (repeatable; values are YAML like --set)', collect, [])
    .option('--set <path=value...>', 'override a value in every combination', [])
    .option('--kpi <names>', `KPIs to show (comma-separated; default: the thresholds' KPIs, then ${DEFAULT_COLUMNS.join(', ')})`, kpiList)
    .option(
      '--parallel <n>',
      'worker processes, at most one per combination (default: the cores available here)',
      integerOption('--parallel', 1, 256),
      availableParallelism(),
    )
    .option('--out <dir>', 'write sweep.json, sweep.html and each combination’s report under runs/')
    .option('--json', 'no progress or text; one JSON object on the last line', false)
    .action(async (file: string, options: SweepOptions) => setExitCode(await sweep(file, options)));
}

async function sweep(file: string, options: SweepOptions): Promise<number> {
  const output = new Output(options.json);
  let parameters;
  try {
    parameters = parseSweepParameters(options.param);
  } catch (error) {
    if (!(error instanceof SweepParameterError)) throw error;
    for (const problem of error.problems) output.error(`duet: ${problem}`);
    return ExitCode.BAD_INPUT;
  }
  const combinations = sweepCombinations(parameters);
  // Every combination is validated before any runs: a grid is all good or nothing starts.
  const loaded: LoadedScenario[] = [];
  let invalid = 0;
  for (const combination of combinations) {
    try {
      loaded.push(loadScenario(file, [...options.set, ...combination.overrides]));
    } catch (error) {
      if (!(error instanceof ScenarioError)) throw error;
      invalid++;
      output.error(`duet: ${file} with ${combination.label}: ${error.problems.length} problem(s)`);
      for (const problem of error.problems) output.error(`  ${formatProblem(problem)}`);
    }
  }
  if (invalid > 0) {
    output.error(`duet: ${invalid} of ${combinations.length} combination(s) invalid; nothing was run`);
    return ExitCode.BAD_INPUT;
  }
  const scenario = loaded[0].scenario;
  const columns = options.kpi ?? [...new Set([...Object.keys(scenario.thresholds), ...DEFAULT_COLUMNS])];
  const out = options.out === undefined ? undefined : resolve(options.out);
  const workers = Math.min(options.parallel, combinations.length);
  output.line(
    `sweep of ${scenario.name}: ${combinations.length} combination(s) of ${parameters.map((parameter) => parameter.path).join(' × ')}, ${workers} worker(s)`,
  );
  const startedAt = performance.now();
  // Combinations that run alike up to some tick share that prefix: simulated once, forked from.
  const prefixTicks = sharedPrefixTicks(loaded.map((combination) => combination.config));
  const scratch = prefixTicks > 0 && out === undefined ? mkdtempSync(join(tmpdir(), 'duet-sweep-prefix-')) : undefined;
  const prefixDir = prefixTicks > 0 ? prefixDirectory(out, scratch!) : undefined;
  let prefix: SharedPrefix | undefined;
  if (prefixDir !== undefined) {
    prefix = sharedPrefix(prefixTicks, loaded[0].config, out);
    const prefixStartedAt = performance.now();
    runSharedPrefix(loaded[0].config, prefixTicks, prefixDir);
    output.line(
      `shared prefix ticks 0..${prefixTicks - 1} (until ${prefix.time}) are the same in every combination: simulated once in ${((performance.now() - prefixStartedAt) / 1000).toFixed(1)} s, each combination forks from it`,
    );
  }
  const jobs: SweepJob[] = combinations.map((combination) => ({
    index: combination.index,
    file,
    overrides: [...options.set, ...combination.overrides],
    out: out === undefined ? undefined : combinationDirectory(out, combination.index),
    prefix: prefixDir === undefined ? undefined : { dir: prefixDir, tick: prefixTicks },
  }));
  let results;
  try {
    // Progress goes to stderr in the order combinations finish; stdout stays in grid order.
    results = await runSweepJobs(jobs, workers, (result, done) => {
      if (!options.json)
        process.stderr.write(
          `[${done}/${jobs.length}] #${result.index} ${combinations[result.index].label}: ${result.passed ? 'pass' : 'FAIL'} (${result.seconds.toFixed(1)} s)\n`,
        );
    });
  } catch (error) {
    output.error(`duet: sweep failed: ${(error as Error).message}`);
    return ExitCode.BAD_INPUT;
  } finally {
    if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
  }
  const report = buildSweepReport({ name: scenario.name, file, overrides: options.set }, parameters, columns, combinations, results, out, prefix);
  const paths = parameters.map((parameter) => parameter.path);
  const rows = report.combinations.map((combination) => [
    String(combination.index),
    ...paths.map((path) => combination.parameters[path]),
    ...columns.map((name) => formatKpiValue(KPI_BY_NAME.get(name)!.unit, combination.kpis[name], true)),
    combination.thresholds.length === 0
      ? '—'
      : combination.passed
        ? 'pass'
        : `FAIL ${combination.thresholds
            .filter((threshold) => !threshold.passed)
            .map((threshold) => `${threshold.kpi} ${threshold.expression}`)
            .join('; ')}`,
  ]);
  for (const line of textTable(['#', ...paths, ...columns, 'thresholds'], rows, 1 + paths.length)) output.line(line);
  const written = out === undefined ? undefined : writeSweepReport(out, report);
  if (written !== undefined) output.line(`report       ${written.html}`);
  const failed = report.combinations.filter((combination) => !combination.passed).length;
  output.line(failed === 0 ? `thresholds   every combination passes` : `thresholds   ${failed} of ${combinations.length} combination(s) FAIL`);
  if (!options.json) process.stderr.write(`wall time ${((performance.now() - startedAt) / 1000).toFixed(1)} s\n`);
  output.result({ ...report, report: written });
  return report.passed ? ExitCode.OK : ExitCode.THRESHOLDS_FAILED;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function kpiList(value: string): string[] {
  const names = value
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  const unknown = names.filter((name) => !KPI_BY_NAME.has(name));
  if (names.length === 0 || unknown.length > 0)
    throw new InvalidArgumentError(`unknown KPI ${unknown.join(', ') || '(none)'}; known: ${KPI_REGISTRY_NAMES.join(', ')}`);
  return names;
}
