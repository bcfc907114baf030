import { Body, Controller, Get, Param, Post, Query, UseFilters, UseGuards } from '@nestjs/common';
import { policy } from '@duet/contracts';
import { CommandService } from '../services/command.service';
import { ComplianceService } from '../services/compliance.service';
import { EnrollmentTokenService } from '../services/enrollment-token.service';
import { PolicyCatalogueService } from '../services/policy-catalogue.service';
import { PublicationService } from '../services/publication.service';
import { AdminTokenGuard } from './admin-token.guard';
import { HttpExceptionFilter } from './http-exception.filter';
import {
  assignPolicyBody,
  createEnrollmentTokenBody,
  getPolicyQuery,
  issueCommandBody,
  listComplianceQuery,
  listPoliciesQuery,
  parseRequestPart,
  publishPolicyBody,
} from './http-request';

/**
 * The admin API as HTTP/JSON for curl and dashboards: the same services as PolicyAdminService, and
 * its messages' proto3 JSON form. A policy is posted as the bare AMAPI document.
 */
@Controller('v1')
@UseGuards(AdminTokenGuard)
@UseFilters(HttpExceptionFilter)
export class PolicyAdminHttpController {
  constructor(
    private readonly catalogue: PolicyCatalogueService,
    private readonly publications: PublicationService,
    private readonly enrollmentTokens: EnrollmentTokenService,
    private readonly commands: CommandService,
    private readonly compliance: ComplianceService,
  ) {}

  @Post('policies')
  async createPolicy(@Body() document: unknown): Promise<unknown> {
    return policy.CreatePolicyResponse.toJSON(await this.catalogue.createPolicyDocument(document));
  }

  @Get('policies')
  async listPolicies(@Query() query: unknown): Promise<unknown> {
    const request = policy.ListPoliciesRequest.fromJSON(parseRequestPart(listPoliciesQuery, query, 'ListPoliciesRequest'));
    return policy.ListPoliciesResponse.toJSON(await this.catalogue.listPolicies(request));
  }

  @Get('policies/:id')
  async getPolicy(@Param('id') id: string, @Query() query: unknown): Promise<unknown> {
    const request = policy.GetPolicyRequest.fromJSON({ ...parseRequestPart(getPolicyQuery, query, 'GetPolicyRequest'), name: `policies/${id}` });
    return policy.GetPolicyResponse.toJSON(await this.catalogue.getPolicy(request));
  }

  @Post('runs/:runId/publications')
  async publishPolicy(@Param('runId') runId: string, @Body() body: unknown): Promise<unknown> {
    const request = policy.PublishPolicyRequest.fromJSON({ ...parseRequestPart(publishPolicyBody, body, 'PublishPolicyRequest'), runId });
    return policy.PublishPolicyResponse.toJSON(await this.publications.publishPolicy(request));
  }

  @Post('runs/:runId/assignments')
  async assignPolicy(@Param('runId') runId: string, @Body() body: unknown): Promise<unknown> {
    const request = policy.AssignPolicyRequest.fromJSON({ ...parseRequestPart(assignPolicyBody, body, 'AssignPolicyRequest'), runId });
    return policy.AssignPolicyResponse.toJSON(await this.publications.assignPolicy(request));
  }

  @Post('runs/:runId/enrollment-tokens')
  async createEnrollmentToken(@Param('runId') runId: string, @Body() body: unknown): Promise<unknown> {
    const request = policy.CreateEnrollmentTokenRequest.fromJSON({
      ...parseRequestPart(createEnrollmentTokenBody, body, 'CreateEnrollmentTokenRequest'),
      runId,
    });
    return policy.CreateEnrollmentTokenResponse.toJSON(await this.enrollmentTokens.createEnrollmentToken(request));
  }

  @Post('runs/:runId/commands')
  async issueCommand(@Param('runId') runId: string, @Body() body: unknown): Promise<unknown> {
    const request = policy.IssueCommandRequest.fromJSON({ ...parseRequestPart(issueCommandBody, body, 'IssueCommandRequest'), runId });
    return policy.IssueCommandResponse.toJSON(await this.commands.issueCommand(request));
  }

  @Get('runs/:runId/compliance')
  async listCompliance(@Param('runId') runId: string, @Query() query: unknown): Promise<unknown> {
    const request = policy.ListComplianceRequest.fromJSON({ ...parseRequestPart(listComplianceQuery, query, 'ListComplianceRequest'), runId });
    return policy.ListComplianceResponse.toJSON(await this.compliance.listCompliance(request));
  }
}
