// The embedded policy-authority's services, called in this process: the in-process PolicyAdmin.
import type { policy } from '@duet/contracts';
import { EnrollmentTokenService, PolicyCatalogueService, PublicationService } from '@duet/policy-authority';
import type { INestApplicationContext } from '@nestjs/common';
import type { PolicyAdmin } from './policy-admin';

export class InProcessPolicyAdmin implements PolicyAdmin {
  constructor(private readonly app: INestApplicationContext) {}

  createPolicy(document: unknown): Promise<policy.CreatePolicyResponse> {
    return this.app.get(PolicyCatalogueService).createPolicyDocument(document);
  }

  publishPolicy(request: policy.PublishPolicyRequest): Promise<policy.PublishPolicyResponse> {
    return this.app.get(PublicationService).publishPolicy(request);
  }

  createEnrollmentToken(request: policy.CreateEnrollmentTokenRequest): Promise<policy.CreateEnrollmentTokenResponse> {
    return this.app.get(EnrollmentTokenService).createEnrollmentToken(request);
  }

  close(): void {}
}
