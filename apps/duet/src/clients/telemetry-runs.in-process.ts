// The embedded telemetry's query service, called in this process: the in-process TelemetryRuns.
import type { INestApplicationContext } from '@nestjs/common';
import { RunNotFoundError, TelemetryQueryService } from '@duet/telemetry';
import type { StoredRun, TelemetryRuns } from './telemetry-runs';

export class InProcessTelemetryRuns implements TelemetryRuns {
  readonly where = 'this process';

  constructor(private readonly app: INestApplicationContext) {}

  async find(runId: string): Promise<StoredRun | undefined> {
    try {
      return await this.app.get(TelemetryQueryService).getRun(runId);
    } catch (error) {
      if (error instanceof RunNotFoundError) return undefined;
      throw error;
    }
  }
}
