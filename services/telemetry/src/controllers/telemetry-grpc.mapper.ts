import { telemetry } from '@duet/contracts';
import { KPI_NAMES } from '@duet/sim-core';
import type { RunDetails, RunPage, RunView, SeriesView } from '../services/telemetry-query.service';

// From the query service's views to the generated messages of duet.telemetry.v1.

const PHASES = {
  STARTED: telemetry.RunPhase.RUN_PHASE_STARTED,
  COMPLETED: telemetry.RunPhase.RUN_PHASE_COMPLETED,
  FAILED: telemetry.RunPhase.RUN_PHASE_FAILED,
} as const;

function timestamp(date: Date | undefined) {
  return date === undefined ? undefined : { seconds: Math.floor(date.getTime() / 1000), nanos: (date.getTime() % 1000) * 1_000_000 };
}

export function toRun(run: RunView): telemetry.Run {
  return {
    runId: run.runId,
    scenario: run.scenario,
    seed: run.seed,
    handsets: run.handsets,
    ticks: run.ticks,
    shards: run.shards,
    phase: PHASES[run.phase],
    ticksCompleted: run.ticksCompleted,
    digest: run.digest ?? '',
    failure: run.failure ?? '',
    startedAt: timestamp(run.startedAt),
    finishedAt: timestamp(run.finishedAt),
  };
}

export function toGetRunResponse(run: RunDetails): telemetry.GetRunResponse {
  return {
    run: toRun(run),
    totals: telemetry.TickKpis.fromPartial(Object.fromEntries(KPI_NAMES.map((name) => [name, run.totals[name]]))),
    summaryJson: run.summary === undefined ? '' : JSON.stringify(run.summary),
  };
}

export function toListRunsResponse(page: RunPage): telemetry.ListRunsResponse {
  return { runs: page.runs.map(toRun), nextPageToken: page.nextPageToken };
}

export function toQuerySeriesResponse(view: SeriesView): telemetry.QuerySeriesResponse {
  return {
    kpi: view.kpi ?? '',
    eventKind: view.eventKind ?? '',
    series: view.series.map((series) => ({ dimensions: { ...series.dimensions }, ticks: series.ticks, values: series.values })),
  };
}
