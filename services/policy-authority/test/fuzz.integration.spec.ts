// Property-based fuzzing of policy-authority's every gRPC method and HTTP route (fast-check, bounded
// runs for CI): whatever arrives, the answer is a refusal that names a cause or a success, never
// INTERNAL / UNKNOWN / 500, and the server keeps answering. Random bytes exercise decoding; random
// field values (NUL and other control characters, megabyte strings, the largest uint32) exercise
// the checks before storage. Real servers, PostgreSQL and Kafka (networked-policy-authority.ts).
import 'reflect-metadata';
import fc from 'fast-check';
import { Metadata, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { policy } from '@duet/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INFRASTRUCTURE_TIMEOUT_MS } from '../../../tests/support/infrastructure';
import { ADMIN_TOKEN, startNetworkedPolicyAuthority, type NetworkedPolicyAuthority } from './networked-policy-authority';
import { bearer, rawUnary } from './policy-clients';

const RUNS = 30; // per property: a second or two each against the real servers
const AGENT_METHODS = ['Enroll', 'CheckIn', 'EnrollBatch', 'CheckInBatch'];
const ADMIN_METHODS = ['CreatePolicy', 'PublishPolicy', 'GetPolicy', 'ListPolicies', 'AssignPolicy', 'CreateEnrollmentToken', 'IssueCommand', 'ListCompliance'];
// What a server may answer hostile input with: anything that names the caller's fault (or OK).
const CLEAN = new Set(['OK', 'INVALID_ARGUMENT', 'NOT_FOUND', 'UNAUTHENTICATED', 'PERMISSION_DENIED', 'FAILED_PRECONDITION', 'ALREADY_EXISTS', 'OUT_OF_RANGE']);

const text = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('', '\u0000', 'run\u0000id', 'x'.repeat(300), 'x'.repeat(70_000), 'policies/a', 'policies/\u0000'),
);
const uint32 = fc.oneof(fc.constantFrom(0, 1, 0xffff_ffff), fc.nat({ max: 0xffff_ffff }));
const column = <T>(value: fc.Arbitrary<T>) => fc.array(value, { maxLength: 8 });

/** A random message of each method, field by field, as ts-proto encodes it. */
const MESSAGES: Record<string, fc.Arbitrary<Uint8Array>> = {
  Enroll: fc
    .record({ runId: text, enrollmentToken: text, handsetId: uint32, model: text, group: text, tick: uint32 })
    .map((request) => policy.EnrollRequest.encode(policy.EnrollRequest.fromPartial(request)).finish()),
  CheckIn: fc
    .record({
      runId: text,
      handsetId: uint32,
      credential: text,
      appliedRevision: uint32,
      complianceMask: uint32,
      batteryPermille: uint32,
      tick: uint32,
      executedCommandIds: column(fc.nat().map(String)),
    })
    .map((request) => policy.CheckInRequest.encode(policy.CheckInRequest.fromPartial(request)).finish()),
  CheckInBatch: fc
    .record({
      runId: text,
      shard: uint32,
      tick: uint32,
      handsetIds: column(uint32),
      deviceCredentials: column(text),
      appliedRevision: column(uint32),
      complianceMask: column(uint32),
      batteryPermille: column(uint32),
    })
    .map((request) => policy.CheckInBatchRequest.encode(policy.CheckInBatchRequest.fromPartial(request)).finish()),
  PublishPolicy: fc
    .record({ runId: text, name: text, version: fc.integer(), groups: column(text), effectiveTick: uint32 })
    .map((request) => policy.PublishPolicyRequest.encode(policy.PublishPolicyRequest.fromPartial(request)).finish()),
  CreatePolicy: fc
    .record({ name: text, maximumTimeToLock: fc.integer(), minimumApiLevel: fc.integer() })
    .map((document) => policy.CreatePolicyRequest.encode({ policy: policy.Policy.fromPartial(document) }).finish()),
  IssueCommand: fc
    .record({ runId: text, type: fc.integer({ min: -1, max: 9 }), handsetIds: column(uint32), tick: uint32, shards: uint32 })
    .map((request) => policy.IssueCommandRequest.encode(policy.IssueCommandRequest.fromPartial(request)).finish()),
  ListCompliance: fc
    .record({ runId: text, group: text, handsetIds: column(uint32), pageSize: uint32, pageToken: text })
    .map((request) => policy.ListComplianceRequest.encode(policy.ListComplianceRequest.fromPartial(request)).finish()),
  ListPolicies: fc
    .record({ pageSize: uint32, pageToken: text })
    .map((request) => policy.ListPoliciesRequest.encode(policy.ListPoliciesRequest.fromPartial(request)).finish()),
};

describe('policy-authority under fuzzing', () => {
  let server: NetworkedPolicyAuthority;

  beforeAll(async () => {
    server = await startNetworkedPolicyAuthority('policy-authority-fuzz', { rateLimitPerSecond: 0 });
  }, INFRASTRUCTURE_TIMEOUT_MS);

  afterAll(() => server?.close());

  async function answerOf(service: string, method: string, bytes: Uint8Array): Promise<string> {
    const metadata = service === 'PolicyAdminService' ? bearer(ADMIN_TOKEN) : new Metadata();
    const answer = await rawUnary(server.grpcAddress, `/duet.policy.v1.${service}/${method}`, Buffer.from(bytes), metadata);
    return answer instanceof Buffer ? 'OK' : GrpcStatus[(answer as ServiceError).code];
  }

  it('answers random bytes to every gRPC method with a clean status', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...AGENT_METHODS.map((method) => ['PolicyService', method]), ...ADMIN_METHODS.map((method) => ['PolicyAdminService', method])),
        fc.uint8Array({ maxLength: 64 }),
        async ([service, method], bytes) => {
          expect(CLEAN, `${method} ← ${Buffer.from(bytes).toString('hex')}`).toContain(await answerOf(service, method, bytes));
        },
      ),
      { numRuns: RUNS * 4 },
    );
  });

  it.each(Object.keys(MESSAGES))('answers random %s requests with a clean status', async (method) => {
    const service = AGENT_METHODS.includes(method) ? 'PolicyService' : 'PolicyAdminService';
    await fc.assert(
      fc.asyncProperty(MESSAGES[method], async (bytes) => {
        expect(CLEAN, `${method} ← ${Buffer.from(bytes).subarray(0, 200).toString('hex')}`).toContain(await answerOf(service, method, bytes));
      }),
      { numRuns: RUNS },
    );
  });

  it('answers random bodies, path segments and query strings on every HTTP route with 2xx or 4xx in the { error, issues } shape', async () => {
    const routes = [
      ['POST', '/v1/policies'],
      ['GET', '/v1/policies'],
      ['GET', '/v1/policies/:id'],
      ['POST', '/v1/runs/:id/publications'],
      ['POST', '/v1/runs/:id/assignments'],
      ['POST', '/v1/runs/:id/enrollment-tokens'],
      ['POST', '/v1/runs/:id/commands'],
      ['GET', '/v1/runs/:id/compliance'],
    ] as const;
    const body = fc.oneof(
      fc.json(),
      fc.jsonValue().map((value) => JSON.stringify(value)),
      fc.string({ unit: 'binary', maxLength: 80 }),
    );
    const query = fc.dictionary(
      fc.constantFrom('pageSize', 'pageToken', 'version', 'group', 'handsetIds', 'history', 'x'),
      text.map((value) => value.slice(0, 200)),
      {
        maxKeys: 3,
      },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...routes),
        fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }),
        body,
        query,
        async ([method, route], id, payload, parameters) => {
          const path = route.replace(':id', encodeURIComponent(id));
          const url = `${server.httpBase}${path}?${new URLSearchParams(parameters).toString()}`;
          const response = await fetch(url, {
            method,
            headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
            body: method === 'POST' ? payload : undefined,
            signal: AbortSignal.timeout(15_000),
          });
          const answer = (await response.json()) as { error?: unknown; issues?: unknown };
          expect(response.status, `${method} ${url} ${payload.slice(0, 200)}`).toBeLessThan(500);
          if (response.status >= 400) expect(answer).toEqual({ error: expect.any(String), issues: expect.any(Array) });
        },
      ),
      { numRuns: RUNS * 4 },
    );
  });
});
