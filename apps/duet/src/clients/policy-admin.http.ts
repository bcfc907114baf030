// Duet's policy-authority HTTP admin API (`/v1/policies`, `/v1/runs/:runId/...`, bearer token): the
// PolicyAdmin of the local stack, whose environment (stack.env) names that API's URL.
import type { policy } from '@duet/contracts';
import type { PolicyAdmin } from './policy-admin';

export class HttpPolicyAdmin implements PolicyAdmin {
  constructor(
    private readonly baseUrl: string,
    private readonly adminToken: string,
    /** fetch trusting the stack's CA (trustingFetch) for an https:// baseUrl. */
    private readonly fetchFunction: typeof fetch = fetch,
  ) {}

  async createPolicy(document: unknown): Promise<policy.CreatePolicyResponse> {
    return (await this.call('POST', '/v1/policies', document)) as policy.CreatePolicyResponse;
  }

  async publishPolicy(request: policy.PublishPolicyRequest): Promise<policy.PublishPolicyResponse> {
    const { runId, ...publication } = request;
    return (await this.call('POST', `/v1/runs/${encodeURIComponent(runId)}/publications`, publication)) as policy.PublishPolicyResponse;
  }

  async createEnrollmentToken(request: policy.CreateEnrollmentTokenRequest): Promise<policy.CreateEnrollmentTokenResponse> {
    const { runId, ...token } = request;
    return (await this.call('POST', `/v1/runs/${encodeURIComponent(runId)}/enrollment-tokens`, token)) as policy.CreateEnrollmentTokenResponse;
  }

  close(): void {}

  private async call(method: string, path: string, body: unknown): Promise<unknown> {
    const response = await this.fetchFunction(`${this.baseUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.adminToken}` },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`policy-authority: ${method} ${path}: ${response.status} ${text.slice(0, 2000)}`);
    return JSON.parse(text) as unknown;
  }
}
