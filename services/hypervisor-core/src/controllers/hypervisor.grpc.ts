import { Controller, UseGuards } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { status } from '@grpc/grpc-js';
import { hypervisor } from '@duet/contracts';
import { Metrics, ServiceIdentityGuard, WellFormedRequestGuard, withPlainColumns } from '@duet/service-kit';
import { ExchangeRefused } from '../domain/shard-exchange';
import { HypervisorRunsService } from '../services/hypervisor-runs.service';

const STATUS_FOR: Record<ExchangeRefused['reason'], status> = {
  'out-of-order': status.FAILED_PRECONDITION,
  'unknown-run': status.UNAVAILABLE, // the run's start may still be on its way: retry
  'not-owned': status.FAILED_PRECONDITION,
  invalid: status.INVALID_ARGUMENT,
  finished: status.OUT_OF_RANGE,
};

/** gRPC adapter of hypervisor-core (duet.hypervisor.v1.HypervisorService): decode, call, encode. */
@Controller()
@hypervisor.HypervisorServiceControllerMethods()
@UseGuards(WellFormedRequestGuard)
export class HypervisorGrpcController implements hypervisor.HypervisorServiceController {
  constructor(
    private readonly runs: HypervisorRunsService,
    private readonly metrics: Metrics,
  ) {}

  @UseGuards(ServiceIdentityGuard)
  exchangeTick(request: hypervisor.ExchangeTickRequest): Promise<hypervisor.ExchangeTickResponse> {
    // Includes the wait for the other persona's demand of the same tick.
    return this.metrics.timeRpc('ExchangeTick', 'server', async () => withPlainColumns(await this.runs.exchange(request)), statusOf).catch(toRpcError);
  }

  @UseGuards(ServiceIdentityGuard)
  getShardStatus(request: hypervisor.GetShardStatusRequest): hypervisor.GetShardStatusResponse {
    return this.runs.status(request);
  }

  checkHealth(): hypervisor.CheckHealthResponse {
    const healthy = this.runs.healthy();
    return {
      status: healthy ? hypervisor.HealthStatus.HEALTH_STATUS_SERVING : hypervisor.HealthStatus.HEALTH_STATUS_NOT_SERVING,
      problems: healthy ? [] : ['event bus unavailable or reports failing'],
      shards: this.runs.ownedShards(),
    };
  }
}

function statusOf(error: unknown): status {
  return error instanceof ExchangeRefused ? STATUS_FOR[error.reason] : status.INTERNAL;
}

function toRpcError(error: unknown): never {
  if (error instanceof ExchangeRefused) throw new RpcException({ code: STATUS_FOR[error.reason], message: error.message });
  throw error;
}
