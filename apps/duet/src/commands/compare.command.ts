import { Command } from 'commander';
import { tlsCaFile, trustingFetch } from '@duet/service-kit';
import { CompareInputError, type ComparedRun } from '../compare/compared-run';
import { ReportFileRepository } from '../compare/report-file.repository';
import { compareRuns, type Verdict } from '../compare/run-comparison';
import { DEFAULT_TELEMETRY_URL, HttpTelemetryRuns } from '../clients/telemetry-runs.http';
import { TelemetryRunsRepository } from '../compare/telemetry-runs.repository';
import { ExitCode } from '../exit-codes';
import { Output } from '../output';
import { textTable } from '../report/console-table';
import { formatDelta, formatKpiValue } from '../report/kpi-format';
import { ScenarioError, loadScenario } from '../scenario/scenario.loader';
import type { ThresholdSpec } from '../thresholds/threshold';
import { printScenarioError } from './scenario.command';

interface CompareOptions {
  thresholds?: string;
  telemetryUrl: string;
  json: boolean;
}

/** `duet compare <runA> <runB>`: KPIs side by side with deltas, and the thresholds whose verdict flips. */
export function compareCommand(setExitCode: (code: number) => void): Command {
  return new Command('compare')
    .description(
      'compare two runs, each a report (report.json or its directory) or a run id stored by telemetry; exit 1 when a threshold that passes in A fails in B, 2 on bad input',
    )
    .argument('<runA>', 'the baseline: report path or run id')
    .argument('<runB>', 'the candidate: report path or run id')
    .option('--thresholds <scenario>', "judge both runs by this scenario's thresholds (default: the thresholds either run was judged by)")
    .option('--telemetry-url <url>', 'telemetry query API for run ids', process.env.TELEMETRY_URL ?? DEFAULT_TELEMETRY_URL)
    .option('--json', 'one JSON object on the last line', false)
    .action(async (runA: string, runB: string, options: CompareOptions) => setExitCode(await compare(runA, runB, options)));
}

async function compare(referenceA: string, referenceB: string, options: CompareOptions): Promise<number> {
  const output = new Output(options.json);
  let spec: ThresholdSpec | undefined;
  if (options.thresholds !== undefined) {
    try {
      spec = loadScenario(options.thresholds).scenario.thresholds;
    } catch (error) {
      if (!(error instanceof ScenarioError)) throw error;
      printScenarioError(output, error);
      return ExitCode.BAD_INPUT;
    }
  }
  const reports = new ReportFileRepository();
  // DUET_TLS_CA is read when a run id is looked up: comparing two report files needs no telemetry.
  const fetchTrustingCa = ((input, init) => trustingFetch(tlsCaFile())(input, init)) as typeof fetch;
  const telemetry = new TelemetryRunsRepository(new HttpTelemetryRuns(options.telemetryUrl, fetchTrustingCa));
  const find = (reference: string): Promise<ComparedRun> | ComparedRun =>
    ReportFileRepository.names(reference) ? reports.find(reference) : telemetry.find(reference);
  let a: ComparedRun;
  let b: ComparedRun;
  try {
    a = await find(referenceA);
    b = await find(referenceB);
  } catch (error) {
    if (!(error instanceof CompareInputError)) throw error;
    output.error(`duet: ${error.message}`);
    return ExitCode.BAD_INPUT;
  }
  const comparison = compareRuns(a, b, spec);

  const describe = (run: ComparedRun) =>
    `${run.label} (${run.scenario}, ${run.handsets.toLocaleString('en-US')} handsets, seed ${run.seed}, digest ${run.digest.slice(0, 12)}…)`;
  output.line(`A  ${describe(a)}`);
  output.line(`B  ${describe(b)}`);
  if (a.digest === b.digest) output.line('   same digest: the two runs are the same simulation');
  const parting = comparison.parting;
  if (parting?.forkPoint !== undefined)
    output.line(
      `fork point   ${parting.forkPoint.forked} is forked from ${parting.forkPoint.forked === 'B' ? 'A' : 'B'} at ${parting.forkPoint.time} (tick ${parting.forkPoint.tick})`,
    );
  if (parting !== undefined)
    output.line(
      parting.tick === null
        ? `parting      none: the series are the same over ${parting.comparedTicks} ticks`
        : `parting      at ${parting.time} (tick ${parting.tick}): ${parting.kpis.join(', ')} differ first`,
    );
  output.line();
  const kpiRows = comparison.kpis.map((row) => {
    const { delta, relative } = formatDelta(row.unit, row.a, row.b);
    return [row.kpi, formatKpiValue(row.unit, row.a, true), formatKpiValue(row.unit, row.b, true), delta, relative];
  });
  for (const line of textTable(['KPI', 'A', 'B', 'B − A', 'change'], kpiRows)) output.line(line);
  if (!a.measured || !b.measured) output.line('(—: a run read from telemetry has no per-tick measurement; compare reports for series KPIs)');
  output.line();
  output.line('cost of a policy (by the persona that caused it; B against A)');
  const costRows = comparison.costOfPolicy.map((row) => {
    const { delta, relative } = formatDelta(row.unit, row.a, row.b);
    return [row.persona, row.measure, formatKpiValue(row.unit, row.a, true), formatKpiValue(row.unit, row.b, true), delta, relative];
  });
  for (const line of textTable(['persona', 'measure', 'A', 'B', 'B − A', 'change'], costRows, 2)) output.line(line);
  output.line();
  const verdict = (passed: Verdict) => (passed === null ? 'n/a' : passed ? 'pass' : 'FAIL');
  if (comparison.thresholds.length === 0) output.line('thresholds   none set in either run (use --thresholds <scenario>)');
  else {
    const rows = comparison.thresholds.map((row) => [
      row.kpi,
      row.expression,
      verdict(row.a.passed),
      verdict(row.b.passed),
      row.regressed ? 'flipped: now fails' : row.flipped ? 'flipped: now passes' : '',
    ]);
    for (const line of textTable(['KPI', 'threshold', 'A', 'B', 'verdict'], rows, 5)) output.line(line);
  }
  const regressions = comparison.thresholds.filter((row) => row.regressed).length;
  const flips = comparison.thresholds.filter((row) => row.flipped).length;
  output.line(`flips        ${flips} threshold(s) flip; ${regressions} pass in A and fail in B`);
  output.result({
    a: { label: a.label, source: a.source, scenario: a.scenario, seed: a.seed, handsets: a.handsets, digest: a.digest },
    b: { label: b.label, source: b.source, scenario: b.scenario, seed: b.seed, handsets: b.handsets, digest: b.digest },
    sameDigest: a.digest === b.digest,
    ...comparison,
  });
  return regressions > 0 ? ExitCode.THRESHOLDS_FAILED : ExitCode.OK;
}
