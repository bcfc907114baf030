// One combination of a sweep: the scenario with its overrides, run and measured on the pure core,
// its thresholds judged, and its report written when the sweep has an --out directory.
import { relative } from 'node:path';
import { forkedFrom, planFork } from '../fork/fork-plan';
import { measureRun } from '../report/run-measurement';
import { buildRunReport, writeRunReport } from '../report/run-report';
import { loadScenario } from '../scenario/scenario.loader';
import type { ThresholdResult } from '../thresholds/threshold';

export interface SweepJob {
  readonly index: number;
  readonly file: string;
  /** The sweep's --set assignments, then this combination's. */
  readonly overrides: readonly string[];
  /** Where to write this combination's report.json and report.html, if anywhere. */
  readonly out?: string;
  /** The sweep's shared prefix: the directory of its checkpoint, and its tick, to fork from. */
  readonly prefix?: { readonly dir: string; readonly tick: number };
}

export interface SweepJobResult {
  readonly index: number;
  readonly digest: string;
  readonly handsets: number;
  readonly kpis: Readonly<Record<string, number | null>>;
  readonly thresholds: readonly ThresholdResult[];
  readonly passed: boolean;
  readonly report?: { readonly json: string; readonly html: string };
  /** Wall time of the combination in its worker (not part of any report). */
  readonly seconds: number;
}

export function runSweepJob(job: SweepJob): SweepJobResult {
  const startedAt = performance.now();
  const { scenario, config } = loadScenario(job.file, job.overrides);
  // Forked from the shared prefix with the checks of `duet run --fork-from` (the same scenario up to it).
  const fork = job.prefix === undefined ? undefined : planFork(job.prefix.dir, String(job.prefix.tick), config);
  const measurement = measureRun(config, undefined, { resume: fork?.resume });
  const forked = fork === undefined ? undefined : forkedFrom(fork, config);
  const seconds = Math.round(performance.now() - startedAt) / 1000;
  const report = buildRunReport({
    scenario: { name: scenario.name, description: scenario.description, file: job.file, overrides: job.overrides },
    // A sweep's combination is identified by its place in the grid; its id is stable run after run.
    run: { id: `sweep-${job.index}`, target: 'core', wallSeconds: seconds },
    config,
    thresholds: scenario.thresholds,
    summary: measurement.summary,
    measurement,
    // Relative to the combination's report, so that the same sweep writes the same reports anywhere.
    forkedFrom: forked === undefined ? undefined : { ...forked, dir: job.out === undefined ? forked.dir : relative(job.out, forked.dir) },
  });
  return {
    index: job.index,
    digest: report.digest,
    handsets: report.handsets,
    kpis: report.kpis,
    thresholds: report.thresholds,
    passed: report.passed,
    report: job.out === undefined ? undefined : writeRunReport(job.out, report),
    seconds,
  };
}
