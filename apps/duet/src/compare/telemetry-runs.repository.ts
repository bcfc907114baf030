// Runs by id, from a telemetry (TelemetryRuns; `GET /v1/runs/:runId` at TELEMETRY_URL for the local
// stack). Telemetry stores the summary, so summary KPIs compare; series KPIs and thresholds are not there.
import { TelemetryUnreachable, type TelemetryRuns } from '../clients/telemetry-runs';
import { kpiValues } from '../thresholds/kpi-registry';
import { CompareInputError, type ComparedRun } from './compared-run';

export class TelemetryRunsRepository {
  constructor(private readonly runs: TelemetryRuns) {}

  async find(runId: string): Promise<ComparedRun> {
    let run;
    try {
      run = await this.runs.find(runId);
    } catch (error) {
      if (error instanceof TelemetryUnreachable) throw new CompareInputError(`run ${runId}: ${error.message}; set TELEMETRY_URL or give a report path`);
      throw error;
    }
    if (run === undefined) throw new CompareInputError(`run ${runId}: telemetry at ${this.runs.where} knows no such run, and no such report file exists`);
    if (run.phase !== 'COMPLETED' || run.summary === undefined)
      throw new CompareInputError(`run ${runId} is ${run.phase}, not COMPLETED: nothing to compare yet`);
    return {
      label: runId,
      source: 'telemetry',
      scenario: run.scenario,
      seed: run.seed,
      handsets: run.handsets,
      digest: run.digest ?? run.summary.digest,
      kpis: kpiValues({ summary: run.summary }),
      measured: false,
      thresholds: [],
    };
  }
}
