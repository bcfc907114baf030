import { Controller, UseFilters, UseGuards } from '@nestjs/common';
import { policy } from '@duet/contracts';
import { Metrics, WellFormedRequestGuard } from '@duet/service-kit';
import { CommandService } from '../services/command.service';
import { ComplianceService } from '../services/compliance.service';
import { EnrollmentTokenService } from '../services/enrollment-token.service';
import { PolicyCatalogueService } from '../services/policy-catalogue.service';
import { PublicationService } from '../services/publication.service';
import { AdminTokenGuard } from './admin-token.guard';
import { GrpcExceptionFilter, grpcStatusOf } from './grpc-exception.filter';

@Controller()
@policy.PolicyAdminServiceControllerMethods()
@UseGuards(AdminTokenGuard, WellFormedRequestGuard)
@UseFilters(GrpcExceptionFilter)
export class PolicyAdminGrpcController implements policy.PolicyAdminServiceController {
  constructor(
    private readonly catalogue: PolicyCatalogueService,
    private readonly publications: PublicationService,
    private readonly enrollmentTokens: EnrollmentTokenService,
    private readonly commands: CommandService,
    private readonly compliance: ComplianceService,
    private readonly metrics: Metrics,
  ) {}

  createPolicy(request: policy.CreatePolicyRequest): Promise<policy.CreatePolicyResponse> {
    return this.timed('CreatePolicy', () => this.catalogue.createPolicy(policy.CreatePolicyRequest.fromPartial(request)));
  }

  publishPolicy(request: policy.PublishPolicyRequest): Promise<policy.PublishPolicyResponse> {
    return this.timed('PublishPolicy', () => this.publications.publishPolicy(policy.PublishPolicyRequest.fromPartial(request)));
  }

  getPolicy(request: policy.GetPolicyRequest): Promise<policy.GetPolicyResponse> {
    return this.timed('GetPolicy', () => this.catalogue.getPolicy(policy.GetPolicyRequest.fromPartial(request)));
  }

  listPolicies(request: policy.ListPoliciesRequest): Promise<policy.ListPoliciesResponse> {
    return this.timed('ListPolicies', () => this.catalogue.listPolicies(policy.ListPoliciesRequest.fromPartial(request)));
  }

  assignPolicy(request: policy.AssignPolicyRequest): Promise<policy.AssignPolicyResponse> {
    return this.timed('AssignPolicy', () => this.publications.assignPolicy(policy.AssignPolicyRequest.fromPartial(request)));
  }

  createEnrollmentToken(request: policy.CreateEnrollmentTokenRequest): Promise<policy.CreateEnrollmentTokenResponse> {
    return this.timed('CreateEnrollmentToken', () => this.enrollmentTokens.createEnrollmentToken(policy.CreateEnrollmentTokenRequest.fromPartial(request)));
  }

  issueCommand(request: policy.IssueCommandRequest): Promise<policy.IssueCommandResponse> {
    return this.timed('IssueCommand', () => this.commands.issueCommand(policy.IssueCommandRequest.fromPartial(request)));
  }

  listCompliance(request: policy.ListComplianceRequest): Promise<policy.ListComplianceResponse> {
    return this.timed('ListCompliance', () => this.compliance.listCompliance(policy.ListComplianceRequest.fromPartial(request)));
  }

  private timed<T>(method: string, call: () => Promise<T>): Promise<T> {
    return this.metrics.timeRpc(method, 'server', call, grpcStatusOf);
  }
}
