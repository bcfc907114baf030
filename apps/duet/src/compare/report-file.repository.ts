// Runs by report path: a report.json that `duet run --out` or `duet sweep --out` wrote, or its directory.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { RUN_REPORT_FORMAT, type RunReport } from '../report/run-report';
import { CompareInputError, type ComparedRun } from './compared-run';

export class ReportFileRepository {
  /** Whether `reference` names a report on disk (otherwise it is taken for a run id). */
  static names(reference: string): boolean {
    return existsSync(reference) || reference.endsWith('.json') || reference.includes('/');
  }

  find(reference: string): ComparedRun {
    const path = existsSync(reference) && statSync(reference).isDirectory() ? join(reference, 'report.json') : reference;
    let report: RunReport;
    try {
      report = JSON.parse(readFileSync(path, 'utf8')) as RunReport;
    } catch (error) {
      throw new CompareInputError(`${path}: cannot read a run report: ${(error as Error).message}`);
    }
    if (report?.format !== RUN_REPORT_FORMAT)
      throw new CompareInputError(`${path}: not a run report (format ${JSON.stringify(report?.format)}, expected ${RUN_REPORT_FORMAT})`);
    return {
      label: reference,
      source: 'report',
      scenario: report.scenario.name,
      seed: report.seed,
      handsets: report.handsets,
      digest: report.digest,
      kpis: report.kpis,
      measured: report.series !== undefined,
      thresholds: report.thresholds,
      runId: report.run.id,
      series: report.series,
      timing: { tickSeconds: report.tickSeconds, startMinuteOfDay: report.startMinuteOfDay },
      forkedFrom: report.forkedFrom,
    };
  }
}
