// A telemetry's query API over HTTP (`GET /v1/runs/:runId`): the networked TelemetryRuns, for the
// local stack's runs and for `duet compare` by run id (TELEMETRY_URL).
import { TelemetryUnreachable, type StoredRun, type TelemetryRuns } from './telemetry-runs';

export const DEFAULT_TELEMETRY_URL = 'https://127.0.0.1:8084';

export class HttpTelemetryRuns implements TelemetryRuns {
  private readonly base: string;

  constructor(
    telemetryUrl: string,
    private readonly fetchFunction: typeof fetch = fetch,
    /** telemetry's read-only token (VIEWER_TOKEN), which its query API asks for. */
    private readonly viewerToken: string | undefined = process.env.VIEWER_TOKEN,
  ) {
    this.base = telemetryUrl.replace(/\/+$/, '');
  }

  get where(): string {
    return this.base;
  }

  async find(runId: string, options: { readonly timeoutMs?: number } = {}): Promise<StoredRun | undefined> {
    let response: Response;
    try {
      response = await this.fetchFunction(`${this.base}/v1/runs/${encodeURIComponent(runId)}`, {
        headers: this.viewerToken === undefined ? undefined : { authorization: `Bearer ${this.viewerToken}` },
        signal: options.timeoutMs === undefined ? undefined : AbortSignal.timeout(options.timeoutMs),
      });
    } catch (error) {
      throw new TelemetryUnreachable(this.base, `cannot be reached (${(error as Error).message})`);
    }
    if (response.status === 404) return undefined;
    if (!response.ok) throw new TelemetryUnreachable(this.base, `GET run ${runId} answered ${response.status} ${(await response.text()).slice(0, 500)}`);
    return (await response.json()) as StoredRun;
  }
}
