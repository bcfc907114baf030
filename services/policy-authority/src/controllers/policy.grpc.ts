import { Controller, UseFilters, UseGuards } from '@nestjs/common';
import { policy } from '@duet/contracts';
import { Metrics, WellFormedRequestGuard } from '@duet/service-kit';
import type { Metadata } from '@grpc/grpc-js';
import type { Observable } from 'rxjs';
import { AgentService } from '../services/agent.service';
import { GrpcExceptionFilter, grpcStatusOf } from './grpc-exception.filter';
import { RateLimitGuard } from './rate-limit.guard';
import { ReEnrollAuthority } from './re-enroll-authority';

// Requests arrive from @grpc/proto-loader (unset sub-messages as null); fromPartial gives the
// generated message shape the services take.
@Controller()
@policy.PolicyServiceControllerMethods()
@UseGuards(RateLimitGuard, WellFormedRequestGuard)
@UseFilters(GrpcExceptionFilter)
export class PolicyGrpcController implements policy.PolicyServiceController {
  constructor(
    private readonly agent: AgentService,
    private readonly metrics: Metrics,
    private readonly reEnroll: ReEnrollAuthority,
  ) {}

  enroll(request: policy.EnrollRequest, metadata?: Metadata): Promise<policy.EnrollResponse> {
    return this.timed('Enroll', () => this.agent.enroll(policy.EnrollRequest.fromPartial(request), this.reEnroll.allows(metadata)));
  }

  checkIn(request: policy.CheckInRequest): Promise<policy.CheckInResponse> {
    return this.timed('CheckIn', () => this.agent.checkIn(policy.CheckInRequest.fromPartial(request)));
  }

  streamPolicyChanges(request: policy.StreamPolicyChangesRequest): Observable<policy.StreamPolicyChangesResponse> {
    return this.metrics.timeStream('StreamPolicyChanges', this.agent.streamPolicyChanges(policy.StreamPolicyChangesRequest.fromPartial(request)), grpcStatusOf);
  }

  enrollBatch(request: policy.EnrollBatchRequest, metadata?: Metadata): Promise<policy.EnrollBatchResponse> {
    return this.timed('EnrollBatch', () => this.agent.enrollBatch(policy.EnrollBatchRequest.fromPartial(request), this.reEnroll.allows(metadata)));
  }

  checkInBatch(request: policy.CheckInBatchRequest): Promise<policy.CheckInBatchResponse> {
    return this.timed('CheckInBatch', () => this.agent.checkInBatch(policy.CheckInBatchRequest.fromPartial(request)));
  }

  private timed<T>(method: string, call: () => Promise<T>): Promise<T> {
    return this.metrics.timeRpc(method, 'server', call, grpcStatusOf);
  }
}
