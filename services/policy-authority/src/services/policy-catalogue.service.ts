import { Injectable } from '@nestjs/common';
import { policy } from '@duet/contracts';
import { quoted } from '@duet/service-kit';
import { checkName } from '../domain/columnar-batch';
import { decodePageToken, encodePageToken, pageSize } from '../domain/page-token';
import { validatePolicyDocument } from '../domain/policy-document';
import { IssueList, RequestError } from '../domain/request-error';
import { PolicyRepository, type StoredPolicy } from '../repositories/policy.repository';
import { toPolicyMessage } from './contract-messages';

const DEFAULT_PAGE_SIZE = 100; // policies per page
const MAX_PAGE_SIZE = 1000; // policies per page
// A policy is settings, not data: the largest realistic one (hundreds of applications) is tens of
// KB. Checked here, so gRPC and HTTP refuse the same documents (HTTP bodies may be larger: 1 MB).
export const MAX_POLICY_DOCUMENT_BYTES = 256 * 1024;

function checkDocumentSize(document: unknown): void {
  const bytes = Buffer.byteLength(JSON.stringify(document ?? null) ?? '', 'utf8');
  if (bytes > MAX_POLICY_DOCUMENT_BYTES) {
    throw RequestError.invalid('invalid policy', '(root)', 'max-bytes', `is ${bytes} bytes of JSON; a policy holds at most ${MAX_POLICY_DOCUMENT_BYTES}`);
  }
}

/** Policy documents and their versions (CreatePolicy, GetPolicy, ListPolicies). */
@Injectable()
export class PolicyCatalogueService {
  constructor(private readonly policies: PolicyRepository) {}

  createPolicy(request: policy.CreatePolicyRequest): Promise<policy.CreatePolicyResponse> {
    const message = policy.Policy.fromPartial(request.policy ?? {});
    // proto3 cannot tell 0 from unset, and toJSON drops zeros: a duet extension sent with a check-in
    // interval of 0 would be stored without one and read back as 0, an agent that never waits.
    // Refused instead, as the JSON form refuses 0.
    if (message.duet?.checkInIntervalMinutes === 0) {
      throw RequestError.invalid('CreatePolicyRequest', 'policy.duet.check_in_interval_minutes', 'min', 'must be at least 1 minute (got 0)');
    }
    return this.createPolicyDocument(policy.Policy.toJSON(message));
  }

  /**
   * Stores an AMAPI policy document as its name's next version. Takes the document as JSON, not as
   * a message, so unknown fields and wrong enum names reach parsePolicy instead of being dropped.
   */
  async createPolicyDocument(document: unknown): Promise<policy.CreatePolicyResponse> {
    checkDocumentSize(document);
    const name = validatePolicyDocument(document);
    const stored = await this.policies.insertNextVersion(name, document as Record<string, unknown>);
    return { policy: toPolicyMessage(stored.document) };
  }

  async getPolicy(request: policy.GetPolicyRequest): Promise<policy.GetPolicyResponse> {
    const issues = new IssueList();
    checkName(issues, 'name', request.name, true);
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
    if (latest === undefined)
      throw new RequestError('not-found', 'policy', [{ path: namePath, rule: 'exists', message: `no policy is named ${quoted(name)}` }]);
    throw new RequestError('not-found', 'policy', [
      { path: versionPath, rule: 'exists', message: `${quoted(name)} has no version ${version}; its latest is ${latest.version}` },
    ]);
  }
}
