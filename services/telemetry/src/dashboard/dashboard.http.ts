import { Controller, Get, Headers, Inject, Param, Query, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ViewerGuard } from '../controllers/viewer.guard';
import type { Request, Response } from 'express';
import { parseCompareQuery, parsePanelsQuery, parseRunsQuery, parseStreamQuery } from '../domain/dashboard-query';
import { TelemetryHttpExceptionFilter } from '../controllers/telemetry-http.filter';
import { DashboardService, type Comparison, type DashboardRun, type Panels } from './dashboard.service';
import { RunFeed, RunFeedSettings, type RunFeedMessage } from './run-feed';

const RECONNECT_MILLISECONDS = 2_000; // what an EventSource waits before reconnecting

/** The dashboard's JSON API and its live event stream; bad parameters answer 400 naming each one, an unknown run 404. */
@Controller('v1/dashboard')
@UseGuards(ViewerGuard)
@UseFilters(TelemetryHttpExceptionFilter)
export class DashboardHttpController {
  constructor(
    @Inject(DashboardService) private readonly dashboard: DashboardService,
    @Inject(RunFeed) private readonly feed: RunFeed,
    @Inject(RunFeedSettings) private readonly settings: RunFeedSettings,
  ) {}

  @Get('runs')
  listRuns(@Query() query: Record<string, unknown>): Promise<{ runs: DashboardRun[] }> {
    return this.dashboard.listRuns(parseRunsQuery(query));
  }

  @Get('runs/:runId/panels')
  panels(@Param('runId') runId: string, @Query() query: Record<string, unknown>): Promise<Panels> {
    return this.dashboard.panels(parsePanelsQuery(runId, query));
  }

  @Get('compare')
  compare(@Query() query: Record<string, unknown>): Promise<Comparison> {
    return this.dashboard.compare(parseCompareQuery(query));
  }

  /**
   * Server-sent events: `run` once, `tick` as ticks become final (id = ticks completed, so a
   * reconnecting EventSource resumes with Last-Event-ID), `phase` when the run ends, then the
   * stream closes. Comment lines keep an idle connection open.
   */
  @Get('runs/:runId/stream')
  async stream(
    @Param('runId') runId: string,
    @Query() query: Record<string, unknown>,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    const parsed = parseStreamQuery(runId, query, lastEventId);
    const run = await this.dashboard.findRun(parsed.runId); // 404 before the stream starts
    response.status(200).set({
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    response.flushHeaders();
    response.write(`retry: ${RECONNECT_MILLISECONDS}\n\n`);
    const heartbeat = setInterval(() => response.write(': heartbeat\n\n'), this.settings.heartbeatMilliseconds);
    const stop = this.feed.watch(
      run,
      parsed.since,
      (message) => response.write(frame(message)),
      () => {
        clearInterval(heartbeat);
        response.end();
      },
    );
    request.on('close', () => {
      clearInterval(heartbeat);
      stop();
    });
  }
}

/** One SSE message: `event:`, `id:` for ticks, and the JSON payload on one `data:` line. */
export function frame(message: RunFeedMessage): string {
  const { type, ...payload } = message;
  const id = message.type === 'tick' ? `id: ${message.ticksCompleted}\n` : '';
  return `event: ${type}\n${id}data: ${JSON.stringify(payload)}\n\n`;
}
