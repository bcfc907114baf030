import { Controller, UseFilters } from '@nestjs/common';
import { policy } from '@duet/contracts';
import { Metrics } from '@duet/service-kit';
import type { Observable } from 'rxjs';
import { AgentService } from '../services/agent.service';
import { GrpcExceptionFilter } from './grpc-exception.filter';

// Requests arrive from @grpc/proto-loader (unset sub-messages as null); fromPartial gives the
// generated message shape the services take.
@Controller()
@policy.PolicyServiceControllerMethods()
@UseFilters(GrpcExceptionFilter)
export class PolicyGrpcController implements policy.PolicyServiceController {
  constructor(
    private readonly agent: AgentService,
    private readonly metrics: Metrics,
  ) {}

  enroll(request: policy.EnrollRequest): Promise<policy.EnrollResponse> {
    return this.metrics.timeRpc('Enroll', 'server', () => this.agent.enroll(policy.EnrollRequest.fromPartial(request)));
  }

  checkIn(request: policy.CheckInRequest): Promise<policy.CheckInResponse> {
    return this.metrics.timeRpc('CheckIn', 'server', () => this.agent.checkIn(policy.CheckInRequest.fromPartial(request)));
  }

  streamPolicyChanges(request: policy.StreamPolicyChangesRequest): Observable<policy.StreamPolicyChangesResponse> {
    return this.agent.streamPolicyChanges(policy.StreamPolicyChangesRequest.fromPartial(request));
  }

  enrollBatch(request: policy.EnrollBatchRequest): Promise<policy.EnrollBatchResponse> {
    return this.metrics.timeRpc('EnrollBatch', 'server', () => this.agent.enrollBatch(policy.EnrollBatchRequest.fromPartial(request)));
  }

  checkInBatch(request: policy.CheckInBatchRequest): Promise<policy.CheckInBatchResponse> {
    return this.metrics.timeRpc('CheckInBatch', 'server', () => this.agent.checkInBatch(policy.CheckInBatchRequest.fromPartial(request)));
  }
}
