import { Controller, UseFilters, UseGuards } from '@nestjs/common';
import { policy } from '@duet/contracts';
import { CommandService } from '../services/command.service';
import { ComplianceService } from '../services/compliance.service';
import { EnrollmentTokenService } from '../services/enrollment-token.service';
import { PolicyCatalogueService } from '../services/policy-catalogue.service';
import { PublicationService } from '../services/publication.service';
import { AdminTokenGuard } from './admin-token.guard';
import { GrpcExceptionFilter } from './grpc-exception.filter';

@Controller()
@policy.PolicyAdminServiceControllerMethods()
@UseGuards(AdminTokenGuard)
@UseFilters(GrpcExceptionFilter)
export class PolicyAdminGrpcController implements policy.PolicyAdminServiceController {
  constructor(
    private readonly catalogue: PolicyCatalogueService,
    private readonly publications: PublicationService,
    private readonly enrollmentTokens: EnrollmentTokenService,
    private readonly commands: CommandService,
    private readonly compliance: ComplianceService,
  ) {}

  createPolicy(request: policy.CreatePolicyRequest): Promise<policy.CreatePolicyResponse> {
    return this.catalogue.createPolicy(policy.CreatePolicyRequest.fromPartial(request));
  }

  publishPolicy(request: policy.PublishPolicyRequest): Promise<policy.PublishPolicyResponse> {
    return this.publications.publishPolicy(policy.PublishPolicyRequest.fromPartial(request));
  }

  getPolicy(request: policy.GetPolicyRequest): Promise<policy.GetPolicyResponse> {
    return this.catalogue.getPolicy(policy.GetPolicyRequest.fromPartial(request));
  }

  listPolicies(request: policy.ListPoliciesRequest): Promise<policy.ListPoliciesResponse> {
    return this.catalogue.listPolicies(policy.ListPoliciesRequest.fromPartial(request));
  }

  assignPolicy(request: policy.AssignPolicyRequest): Promise<policy.AssignPolicyResponse> {
    return this.publications.assignPolicy(policy.AssignPolicyRequest.fromPartial(request));
  }

  createEnrollmentToken(request: policy.CreateEnrollmentTokenRequest): Promise<policy.CreateEnrollmentTokenResponse> {
    return this.enrollmentTokens.createEnrollmentToken(policy.CreateEnrollmentTokenRequest.fromPartial(request));
  }

  issueCommand(request: policy.IssueCommandRequest): Promise<policy.IssueCommandResponse> {
    return this.commands.issueCommand(policy.IssueCommandRequest.fromPartial(request));
  }

  listCompliance(request: policy.ListComplianceRequest): Promise<policy.ListComplianceResponse> {
    return this.compliance.listCompliance(policy.ListComplianceRequest.fromPartial(request));
  }
}
