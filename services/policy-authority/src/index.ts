// Public entry of @duet/policy-authority, for the embedded composition root and tests.
export { PolicyAuthorityModule, POLICY_AUTHORITY_SCHEMA } from './policy-authority.module';
export type { PolicyAuthorityModuleOptions } from './policy-authority.module';
export { createPolicyAuthorityApp, policyAuthorityGrpcOptions } from './policy-authority.app';
export type { NetworkedOptions } from './policy-authority.app';
export { loadPolicyAuthorityConfig, policyAuthorityEnvironment } from './config';
export type { PolicyAuthorityConfig } from './config';
export { AgentService } from './services/agent.service';
export { PolicyCatalogueService } from './services/policy-catalogue.service';
export { PublicationService } from './services/publication.service';
export { EnrollmentTokenService } from './services/enrollment-token.service';
export { CommandService } from './services/command.service';
export { ComplianceService } from './services/compliance.service';
export { RequestError } from './domain/request-error';
export type { RefusalStatus } from './domain/request-error';
export { MAX_BATCH_ROWS } from './domain/columnar-batch';
export { prunePolicyAuthorityRuns } from './repositories/run-retention';
