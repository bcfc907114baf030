// The report of a sweep: `sweep.json` (format `duet-sweep-report/1`) and `sweep.html`, with one row
// per combination, and each combination's own run report under `runs/<index>/`. No wall-clock
// figure enters it, so the same sweep writes the same bytes.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { escapeHtml, htmlPage, htmlTable, passBadge } from '../report/html';
import { formatKpiValue } from '../report/kpi-format';
import { KPI_BY_NAME } from '../thresholds/kpi-registry';
import type { ThresholdResult } from '../thresholds/threshold';
import type { SweepCombination, SweepParameter } from './sweep-grid';
import type { SweepJobResult } from './sweep-job';
import type { SharedPrefix } from './shared-prefix';

export const SWEEP_REPORT_FORMAT = 'duet-sweep-report/1';

export interface SweepReport {
  readonly format: typeof SWEEP_REPORT_FORMAT;
  readonly scenario: { readonly name: string; readonly file: string; readonly overrides: readonly string[] };
  readonly parameters: readonly SweepParameter[];
  /** The KPIs the table shows, in order. */
  readonly columns: readonly string[];
  readonly passed: boolean;
  /** The prefix every combination shares, simulated once and forked from (absent when they share none). */
  readonly sharedPrefix?: SharedPrefix;
  readonly combinations: readonly {
    readonly index: number;
    readonly parameters: Readonly<Record<string, string>>;
    readonly digest: string;
    readonly passed: boolean;
    readonly thresholds: readonly ThresholdResult[];
    readonly kpis: Readonly<Record<string, number | null>>;
    /** This combination's run report, relative to the sweep report's directory. */
    readonly report?: string;
  }[];
}

export function buildSweepReport(
  scenario: SweepReport['scenario'],
  parameters: readonly SweepParameter[],
  columns: readonly string[],
  combinations: readonly SweepCombination[],
  results: readonly SweepJobResult[],
  directory?: string,
  prefix?: SharedPrefix,
): SweepReport {
  return {
    format: SWEEP_REPORT_FORMAT,
    scenario,
    parameters,
    columns,
    passed: results.every((result) => result.passed),
    sharedPrefix: prefix,
    combinations: combinations.map((combination) => {
      const result = results[combination.index];
      return {
        index: combination.index,
        parameters: combination.parameters,
        digest: result.digest,
        passed: result.passed,
        thresholds: result.thresholds,
        kpis: result.kpis,
        report: result.report && directory !== undefined ? relative(directory, result.report.json) : undefined,
      };
    }),
  };
}

/** Directory of a combination's run report inside the sweep's --out directory. */
export function combinationDirectory(directory: string, index: number): string {
  return join(directory, 'runs', String(index).padStart(3, '0'));
}

export function writeSweepReport(directory: string, report: SweepReport): { json: string; html: string } {
  mkdirSync(directory, { recursive: true });
  const json = join(directory, 'sweep.json');
  const html = join(directory, 'sweep.html');
  writeFileSync(json, `${JSON.stringify(report, null, 1)}\n`);
  writeFileSync(html, renderSweepHtml(report));
  return { json, html };
}

function renderSweepHtml(report: SweepReport): string {
  const paths = report.parameters.map((parameter) => parameter.path);
  const thresholdKeys = [
    ...new Set(report.combinations.flatMap((combination) => combination.thresholds.map((threshold) => `${threshold.kpi} ${threshold.expression}`))),
  ];
  const rows = report.combinations.map((combination) => [
    combination.report === undefined
      ? String(combination.index)
      : { html: `<a href="${escapeHtml(combination.report.replace(/\.json$/, '.html'))}">${combination.index}</a>` },
    passBadge(combination.passed),
    ...paths.map((path) => combination.parameters[path]),
    ...report.columns.map((name) => formatKpiValue(KPI_BY_NAME.get(name)!.unit, combination.kpis[name], true)),
    ...thresholdKeys.map((key) => {
      const threshold = combination.thresholds.find((candidate) => `${candidate.kpi} ${candidate.expression}` === key);
      return threshold === undefined ? '—' : passBadge(threshold.passed);
    }),
  ]);
  const headers = ['#', 'thresholds', ...paths, ...report.columns, ...thresholdKeys];
  const grid = report.parameters.map(
    (parameter) => `<code>${escapeHtml(parameter.path)}</code> = ${parameter.values.map((value) => `<code>${escapeHtml(value)}</code>`).join(', ')}`,
  );
  const verdict = `<span class="verdict ${report.passed ? 'ok' : 'ko'}">${report.passed ? 'every combination passes' : 'a combination FAILS'}</span>`;
  const overrides =
    report.scenario.overrides.length === 0 ? 'none' : report.scenario.overrides.map((override) => `<code>${escapeHtml(override)}</code>`).join(' ');
  return htmlPage(
    `${report.scenario.name}: duet sweep`,
    `<h1>Sweep of ${escapeHtml(report.scenario.name)} ${verdict}</h1>
<p class="meta">scenario <code>${escapeHtml(report.scenario.file)}</code>, overrides ${overrides}<br>${report.combinations.length} combinations of ${grid.join('; ')}<br>
Each combination ran on the pure core; follow its number to its run report.</p>
${htmlTable(headers, rows, 2 + paths.length)}`,
  );
}
