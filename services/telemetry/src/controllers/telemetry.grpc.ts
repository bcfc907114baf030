import { Controller, Inject, UseFilters, UseGuards } from '@nestjs/common';
import { telemetry } from '@duet/contracts';
import { Metrics, WellFormedRequestGuard } from '@duet/service-kit';
import { parseGrpcSeriesQuery } from '../domain/series-query';
import { TelemetryQueryService } from '../services/telemetry-query.service';
import { TelemetryGrpcExceptionFilter, telemetryStatusOf } from './telemetry-grpc.filter';
import { ViewerGuard } from './viewer.guard';
import { toGetRunResponse, toListRunsResponse, toQuerySeriesResponse } from './telemetry-grpc.mapper';

/** duet.telemetry.v1.TelemetryService: the contract's interface, implemented one line a method, each timed. */
@Controller()
@UseGuards(ViewerGuard, WellFormedRequestGuard)
@UseFilters(TelemetryGrpcExceptionFilter)
@telemetry.TelemetryServiceControllerMethods()
export class TelemetryGrpcController implements telemetry.TelemetryServiceController {
  constructor(
    @Inject(TelemetryQueryService) private readonly query: TelemetryQueryService,
    @Inject(Metrics) private readonly metrics: Metrics,
  ) {}

  getRun(request: telemetry.GetRunRequest): Promise<telemetry.GetRunResponse> {
    return this.timed('GetRun', async () => toGetRunResponse(await this.query.getRun(request.runId)));
  }

  listRuns(request: telemetry.ListRunsRequest): Promise<telemetry.ListRunsResponse> {
    return this.timed('ListRuns', async () => toListRunsResponse(await this.query.listRuns(request)));
  }

  querySeries(request: telemetry.QuerySeriesRequest): Promise<telemetry.QuerySeriesResponse> {
    return this.timed('QuerySeries', async () => toQuerySeriesResponse(await this.query.querySeries(parseGrpcSeriesQuery(request))));
  }

  private timed<T>(method: string, call: () => Promise<T>): Promise<T> {
    return this.metrics.timeRpc(method, 'server', call, telemetryStatusOf);
  }
}
