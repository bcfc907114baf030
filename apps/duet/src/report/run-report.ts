// The report of one run: `report.json` (the data, format `duet-run-report/1`) and `report.html`
// (the same, self-contained, for people). Everything in it is a function of the scenario, the
// overrides and the seed, except the `run` block (id, target, wall time).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunSummary, SimulationConfig } from '@duet/sim-core';
import { kpiValues } from '../thresholds/kpi-registry';
import { allPassed, evaluateThresholds, type ThresholdResult, type ThresholdSpec } from '../thresholds/threshold';
import { loadKpiFigures, type LoadReport } from './load-report';
import type { ForkedFrom } from '../fork/fork-plan';
import type { PacingReport } from './pacing-report';
import { renderRunReportHtml } from './run-report.page';
import type { BreakdownRow, Dimension, DimensionMeasure, OutageMeasurement, RolloutMeasurement, RunMeasurement } from './run-measurement';

export const RUN_REPORT_FORMAT = 'duet-run-report/1';

export interface RunReport {
  readonly format: typeof RUN_REPORT_FORMAT;
  readonly scenario: { readonly name: string; readonly description?: string; readonly file: string; readonly overrides: readonly string[] };
  /** The only part that differs between two runs of the same scenario, overrides and seed. */
  readonly run: { readonly id: string; readonly target: string; readonly wallSeconds: number };
  readonly seed: number;
  readonly handsets: number;
  readonly ticks: number;
  readonly tickSeconds: number;
  readonly startMinuteOfDay: number;
  readonly shards: number;
  readonly digest: string;
  readonly passed: boolean;
  readonly thresholds: readonly ThresholdResult[];
  /** Every registry KPI (thresholds/kpi-registry.ts), in registry order. */
  readonly kpis: Readonly<Record<string, number | null>>;
  readonly summary: RunSummary;
  /** Fleet KPIs per tick (index = tick): the vectors the digest hashes. Absent when the run was not measured. */
  readonly series?: Readonly<Record<string, readonly number[]>>;
  readonly dimensionSeries?: Readonly<Record<Dimension, Readonly<Record<string, Readonly<Partial<Record<DimensionMeasure, readonly number[]>>>>>>>;
  readonly breakdowns?: Readonly<Record<Dimension, readonly BreakdownRow[]>>;
  readonly rollout?: RolloutMeasurement;
  readonly outages?: readonly OutageMeasurement[];
  /** How ticks started on the wall clock and, in real time, whether the run kept pace. Services targets only. */
  readonly pacing?: PacingReport;
  /** The policy calls the business agents made (latency, errors, rates). Embedded target only. */
  readonly load?: LoadReport;
  /** Where the policy authority's answers differed from the reference model (load.divergences). */
  readonly divergences?: LoadReport['divergences'];
  /** The earlier run this one continues from a checkpoint of (`duet run --fork-from DIR --at TIME`). */
  readonly forkedFrom?: ForkedFrom;
}

export interface RunReportInputs {
  readonly scenario: RunReport['scenario'];
  readonly run: RunReport['run'];
  readonly config: SimulationConfig;
  readonly thresholds: ThresholdSpec;
  readonly summary: RunSummary;
  /** The core's measurement of the same run; without it, KPIs that need series are null. */
  readonly measurement?: RunMeasurement;
  readonly pacing?: PacingReport;
  readonly load?: LoadReport;
  readonly forkedFrom?: ForkedFrom;
}

/** Evaluates the KPIs and thresholds of a run and assembles its report. */
export function buildRunReport(inputs: RunReportInputs): RunReport {
  const { summary, measurement } = inputs;
  const kpis = kpiValues({ summary, series: measurement?.figures, load: inputs.load === undefined ? undefined : loadKpiFigures(inputs.load) });
  const thresholds = evaluateThresholds(inputs.thresholds, kpis, summary.handsets);
  return {
    format: RUN_REPORT_FORMAT,
    scenario: inputs.scenario,
    run: inputs.run,
    seed: summary.seed,
    handsets: summary.handsets,
    ticks: summary.ticks,
    tickSeconds: summary.tickSeconds,
    startMinuteOfDay: inputs.config.startMinuteOfDay ?? 0,
    shards: summary.shards,
    digest: summary.digest,
    passed: allPassed(thresholds),
    thresholds,
    kpis,
    summary,
    series: measurement?.series,
    dimensionSeries: measurement?.dimensionSeries,
    breakdowns: measurement?.breakdowns,
    rollout: measurement?.rollout,
    outages: measurement?.outages,
    pacing: inputs.pacing,
    load: inputs.load,
    divergences: inputs.load?.divergences,
    forkedFrom: inputs.forkedFrom,
  };
}

/** Writes `report.json` and `report.html` into `directory` (created if need be); returns their paths. */
export function writeRunReport(directory: string, report: RunReport): { json: string; html: string } {
  mkdirSync(directory, { recursive: true });
  const json = join(directory, 'report.json');
  const html = join(directory, 'report.html');
  writeFileSync(json, `${JSON.stringify(report)}\n`);
  writeFileSync(html, renderRunReportHtml(report));
  return { json, html };
}
