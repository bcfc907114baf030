// Runs by id, from telemetry's query API (`GET /v1/runs/:runId`, TELEMETRY_URL for the local stack).
// Telemetry stores the summary, so summary KPIs compare; series KPIs and thresholds are not there.
import type { RunSummary } from '@duet/sim-core';
import { kpiValues } from '../thresholds/kpi-registry';
import { CompareInputError, type ComparedRun } from './compared-run';

export const DEFAULT_TELEMETRY_URL = 'http://127.0.0.1:8084';

interface RunDetails {
  readonly runId: string;
  readonly scenario: string;
  readonly seed: number;
  readonly handsets: number;
  readonly phase: string;
  readonly digest?: string;
  readonly summary?: RunSummary;
}

export class TelemetryRunsRepository {
  constructor(
    private readonly telemetryUrl: string,
    private readonly fetchFunction: typeof fetch = fetch,
    /** telemetry's read-only token (VIEWER_TOKEN), which its query API asks for. */
    private readonly viewerToken: string | undefined = process.env.VIEWER_TOKEN,
  ) {}

  async find(runId: string): Promise<ComparedRun> {
    const url = `${this.telemetryUrl.replace(/\/+$/, '')}/v1/runs/${encodeURIComponent(runId)}`;
    let response: Response;
    try {
      response = await this.fetchFunction(url, this.viewerToken === undefined ? undefined : { headers: { authorization: `Bearer ${this.viewerToken}` } });
    } catch (error) {
      throw new CompareInputError(
        `run ${runId}: telemetry at ${this.telemetryUrl} cannot be reached (${(error as Error).message}); set TELEMETRY_URL or give a report path`,
      );
    }
    if (response.status === 404)
      throw new CompareInputError(`run ${runId}: telemetry at ${this.telemetryUrl} knows no such run, and no such report file exists`);
    if (!response.ok) throw new CompareInputError(`run ${runId}: telemetry answered ${response.status} ${await response.text()}`);
    const run = (await response.json()) as RunDetails;
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
