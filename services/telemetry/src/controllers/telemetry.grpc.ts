import { Controller, Inject, UseFilters } from '@nestjs/common';
import { telemetry } from '@duet/contracts';
import { parseGrpcSeriesQuery } from '../domain/series-query';
import { TelemetryQueryService } from '../services/telemetry-query.service';
import { TelemetryGrpcExceptionFilter } from './telemetry-grpc.filter';
import { toGetRunResponse, toListRunsResponse, toQuerySeriesResponse } from './telemetry-grpc.mapper';

/** duet.telemetry.v1.TelemetryService: the contract's interface, implemented one line a method. */
@Controller()
@UseFilters(TelemetryGrpcExceptionFilter)
@telemetry.TelemetryServiceControllerMethods()
export class TelemetryGrpcController implements telemetry.TelemetryServiceController {
  constructor(@Inject(TelemetryQueryService) private readonly query: TelemetryQueryService) {}

  async getRun(request: telemetry.GetRunRequest): Promise<telemetry.GetRunResponse> {
    return toGetRunResponse(await this.query.getRun(request.runId));
  }

  async listRuns(request: telemetry.ListRunsRequest): Promise<telemetry.ListRunsResponse> {
    return toListRunsResponse(await this.query.listRuns(request));
  }

  async querySeries(request: telemetry.QuerySeriesRequest): Promise<telemetry.QuerySeriesResponse> {
    return toQuerySeriesResponse(await this.query.querySeries(parseGrpcSeriesQuery(request)));
  }
}
