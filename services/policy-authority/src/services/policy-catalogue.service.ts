import { Injectable } from '@nestjs/common';
import { policy } from '@duet/contracts';
import { decodePageToken, encodePageToken, pageSize } from '../domain/page-token';
import { validatePolicyDocument } from '../domain/policy-document';
import { IssueList, RequestError } from '../domain/request-error';
import { PolicyRepository, type StoredPolicy } from '../repositories/policy.repository';
import { toPolicyMessage } from './contract-messages';

const DEFAULT_PAGE_SIZE = 100; // policies per page
const MAX_PAGE_SIZE = 1000; // policies per page

/** Policy documents and their versions (CreatePolicy, GetPolicy, ListPolicies). */
@Injectable()
export class PolicyCatalogueService {
  constructor(private readonly policies: PolicyRepository) {}

  createPolicy(request: policy.CreatePolicyRequest): Promise<policy.CreatePolicyResponse> {
    return this.createPolicyDocument(policy.Policy.toJSON(policy.Policy.fromPartial(request.policy ?? {})));
  }

  /**
   * Stores an AMAPI policy document as its name's next version. Takes the document as JSON, not as
   * a message, so unknown fields and wrong enum names reach parsePolicy instead of being dropped.
   */
  async createPolicyDocument(document: unknown): Promise<policy.CreatePolicyResponse> {
    const name = validatePolicyDocument(document);
    const stored = await this.policies.insertNextVersion(name, document as Record<string, unknown>);
    return { policy: toPolicyMessage(stored.document) };
  }

  async getPolicy(request: policy.GetPolicyRequest): Promise<policy.GetPolicyResponse> {
    const issues = new IssueList();
    if (request.name === '') issues.add('name', 'required', 'is required');
    if (!Number.isSafeInteger(request.version) || request.version < 0) issues.add('version', 'min', `must be a whole number ≥ 0 (got ${request.version})`);
    issues.throwIfAny('invalid-argument', 'GetPolicyRequest');
    return { policy: toPolicyMessage((await this.find(request.name, request.version)).document) };
  }

  async listPolicies(request: policy.ListPoliciesRequest): Promise<policy.ListPoliciesResponse> {
    const [afterName] = decodePageToken(request.pageToken, ['string'] as const) ?? [''];
    const limit = pageSize(request.pageSize, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
    const rows = await this.policies.listLatest(afterName, limit + 1);
    const page = rows.slice(0, limit);
    return {
      policies: page.map((row) => toPolicyMessage(row.document)),
      nextPageToken: rows.length > limit ? encodePageToken([page[page.length - 1].name]) : '',
    };
  }

  /** The policy at `version` (0 = latest); NOT_FOUND naming `namePath` or `versionPath` otherwise. */
  async find(name: string, version: number, namePath = 'name', versionPath = 'version'): Promise<StoredPolicy> {
    const stored = await this.policies.find(name, version);
    if (stored !== undefined) return stored;
    const latest = version === 0 ? undefined : await this.policies.find(name, 0);
    if (latest === undefined) throw new RequestError('not-found', 'policy', [{ path: namePath, rule: 'exists', message: `no policy is named "${name}"` }]);
    throw new RequestError('not-found', 'policy', [
      { path: versionPath, rule: 'exists', message: `"${name}" has no version ${version}; its latest is ${latest.version}` },
    ]);
  }
}
