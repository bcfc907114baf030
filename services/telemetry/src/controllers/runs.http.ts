import { Controller, Get, Inject, Param, Query, UseFilters, UseGuards } from '@nestjs/common';
import { ViewerGuard } from './viewer.guard';
import { parseHttpSeriesQuery } from '../domain/series-query';
import { TelemetryQueryService, type RunDetails, type RunPage, type SeriesView } from '../services/telemetry-query.service';
import { TelemetryHttpExceptionFilter } from './telemetry-http.filter';

/** The query API as JSON: runs and their series (the same answers as the gRPC TelemetryService). */
@Controller('v1/runs')
@UseGuards(ViewerGuard)
@UseFilters(TelemetryHttpExceptionFilter)
export class RunsHttpController {
  constructor(@Inject(TelemetryQueryService) private readonly query: TelemetryQueryService) {}

  @Get()
  listRuns(@Query('scenario') scenario?: string, @Query('pageSize') pageSize?: string, @Query('pageToken') pageToken?: string): Promise<RunPage> {
    return this.query.listRuns({ scenario, pageSize: pageSize === undefined ? undefined : Number(pageSize), pageToken });
  }

  @Get(':runId')
  getRun(@Param('runId') runId: string): Promise<RunDetails> {
    return this.query.getRun(runId);
  }

  @Get(':runId/series')
  querySeries(@Param('runId') runId: string, @Query() parameters: Record<string, unknown>): Promise<SeriesView> {
    return this.query.querySeries(parseHttpSeriesQuery(runId, parameters));
  }
}
