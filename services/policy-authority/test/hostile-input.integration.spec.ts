// policy-authority against hostile and broken input, as a third-party client would send it: each
// refusal is INVALID_ARGUMENT / 400 (or the status that fits) naming the field, before anything
// reaches PostgreSQL, with a reply small enough to travel; and the server keeps serving after it.
// Real gRPC and HTTP servers, real PostgreSQL and Kafka (networked-policy-authority.ts).
import 'reflect-metadata';
import { Metadata, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { common, policy } from '@duet/contracts';
import { ServiceIdentities, type Database } from '@duet/service-kit';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INFRASTRUCTURE_TIMEOUT_MS } from '../../../tests/support/infrastructure';
import { ADMIN_TOKEN, startNetworkedPolicyAuthority, type NetworkedPolicyAuthority } from './networked-policy-authority';
import { bearer, grpcError, rawUnary } from './policy-clients';

const RUN_ID = `hostile-${randomUUID().slice(0, 8)}`;
const RUN_TICKS = 100;
const SERVICE_KEY = 'hostile-input-service-identity-key-0123456789';
const MEGABYTE = 'x'.repeat(1024 * 1024);
const LARGEST_TICK = 0xffff_ffff;
// A refusal's message must fit the reply's trailers whatever the request held.
const MAX_REPLY_MESSAGE = 8 * 1024;

interface ErrorBody {
  error: string;
  issues: { path: string; rule: string; message: string }[];
}

describe('policy-authority refuses hostile input cleanly', () => {
  let server: NetworkedPolicyAuthority;
  let database: Database;
  let clients: NetworkedPolicyAuthority['clients'];
  let grpcAddress: string;
  let httpBase: string;
  const admin = bearer(ADMIN_TOKEN);
  let credential = '';
  let enrollmentToken = '';
  const HANDSET = 7;

  beforeAll(async () => {
    server = await startNetworkedPolicyAuthority('policy-authority-hostile', { rateLimitPerSecond: 200, serviceIdentityKey: SERVICE_KEY });
    ({ database, clients, grpcAddress, httpBase } = server);
    const token = await clients.admin.createEnrollmentToken({ runId: RUN_ID, tick: 0, durationTicks: RUN_TICKS }, admin);
    enrollmentToken = token.enrollmentToken!.value;
    const enrolled = await clients.agent.enroll({ runId: RUN_ID, enrollmentToken, handsetId: HANDSET, model: 'optimus-2x', group: 'sales' });
    credential = enrolled.credential;
  }, INFRASTRUCTURE_TIMEOUT_MS);

  afterAll(() => server?.close());

  async function http(method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<{ status: number; body: ErrorBody }> {
    const response = await fetch(`${httpBase}${path}`, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}`, ...headers },
      body,
      signal: AbortSignal.timeout(15_000),
    });
    return { status: response.status, body: (await response.json()) as ErrorBody };
  }

  function expectRefusal(error: ServiceError, code: GrpcStatus, field: string): void {
    expect(GrpcStatus[error.code]).toBe(GrpcStatus[code]);
    expect(error.details).toContain(field);
    expect(error.details.length).toBeLessThan(MAX_REPLY_MESSAGE);
  }

  describe('text', () => {
    it.each([
      ['run_id', { runId: `${RUN_ID}\u0000` }],
      ['model', { model: 'optimus\u00002x' }],
      ['group', { group: 'sales\u0000' }],
    ])('refuses a NUL character in %s with INVALID_ARGUMENT naming it', async (field, override) => {
      const request = { runId: RUN_ID, enrollmentToken: 'whatever', handsetId: 8, model: 'optimus-2x', group: 'sales', ...override };
      expectRefusal(await grpcError(clients.agent.enroll(request)), GrpcStatus.INVALID_ARGUMENT, field);
    });

    it('refuses a NUL character in a group over HTTP with 400 naming it', async () => {
      const response = await http('POST', `/v1/runs/${RUN_ID}/assignments`, JSON.stringify({ group: 'sa\u0000les', policyName: 'policies/x' }));
      expect(response.status).toBe(400);
      expect(response.body.issues).toEqual([expect.objectContaining({ path: 'group', rule: 'characters' })]);
    });

    it('refuses a long policy name over gRPC and HTTP alike, naming it, and a 1 MB one with a short reply', async () => {
      const long = `policies/${'x'.repeat(10_000)}`;
      expectRefusal(
        await grpcError(clients.admin.createPolicy({ policy: policy.Policy.fromPartial({ name: long }) }, admin)),
        GrpcStatus.INVALID_ARGUMENT,
        'name',
      );
      const response = await http('POST', '/v1/policies', JSON.stringify({ name: long }));
      expect(response.status).toBe(400);
      expect(response.body.issues).toEqual([expect.objectContaining({ path: 'name', rule: 'max' })]);

      const huge = `policies/${MEGABYTE}`;
      expectRefusal(
        await grpcError(clients.admin.createPolicy({ policy: policy.Policy.fromPartial({ name: huge }) }, admin)),
        GrpcStatus.INVALID_ARGUMENT,
        'max-bytes',
      );
      expectRefusal(await grpcError(clients.admin.getPolicy({ name: huge }, admin)), GrpcStatus.INVALID_ARGUMENT, 'name');
    });

    it('truncates a value it echoes', async () => {
      const name = `policies/${'y'.repeat(150)}`;
      const error = await grpcError(clients.admin.getPolicy({ name }, admin));
      expect(error.code).toBe(GrpcStatus.NOT_FOUND);
      expect(error.details).toContain('(159 characters)');
      expect(error.details).not.toContain(name);
    });
  });

  describe('ranges and references', () => {
    it('refuses a check-in after the run, and the handset keeps checking in', async () => {
      const checkIn = (tick: number) => clients.agent.checkIn({ runId: RUN_ID, handsetId: HANDSET, credential, tick });
      expectRefusal(await grpcError(checkIn(LARGEST_TICK)), GrpcStatus.INVALID_ARGUMENT, 'tick');
      expectRefusal(await grpcError(checkIn(RUN_TICKS + 1)), GrpcStatus.INVALID_ARGUMENT, 'tick');
      await expect(checkIn(5)).resolves.toMatchObject({ assignedRevision: 0 });
    });

    it('refuses a command for a run it does not know, and stores none', async () => {
      const unknown = `${RUN_ID}-never-started`;
      const error = await grpcError(
        clients.admin.issueCommand({ runId: unknown, type: common.CommandType.COMMAND_TYPE_LOCK, handsetIds: [1], tick: 1, shards: 4 }, admin),
      );
      expectRefusal(error, GrpcStatus.NOT_FOUND, 'run_id');
      const { rows } = await database.query<{ count: string }>('SELECT count(*) FROM policy_authority.commands WHERE run_id = $1', [unknown]);
      expect(Number(rows[0].count)).toBe(0);
    });

    it('refuses check_in_interval_minutes 0 over gRPC, as over HTTP', async () => {
      const request = {
        policy: policy.Policy.fromPartial({
          name: 'policies/zero-interval',
          duet: { checkInIntervalMinutes: 0, minimumHypervisorVersion: '', guestMemoryMb: 128 },
        }),
      };
      expectRefusal(await grpcError(clients.admin.createPolicy(request, admin)), GrpcStatus.INVALID_ARGUMENT, 'check_in_interval_minutes');
      const response = await http('POST', '/v1/policies', JSON.stringify({ name: 'policies/zero-interval', duet: { checkInIntervalMinutes: 0 } }));
      expect(response.status).toBe(400);
      expect((await grpcError(clients.admin.getPolicy({ name: 'policies/zero-interval' }, admin))).code).toBe(GrpcStatus.NOT_FOUND);
    });
  });

  describe('re-enrollment', () => {
    const again = (metadata?: Metadata) =>
      clients.agent.enroll({ runId: RUN_ID, enrollmentToken, handsetId: HANDSET, model: 'optimus-2x', group: 'field' }, metadata);
    const groupOf = async () =>
      (await database.query<{ group_name: string }>('SELECT group_name FROM policy_authority.devices WHERE run_id = $1 AND handset_id = $2', [RUN_ID, HANDSET]))
        .rows[0].group_name;

    it("refuses to enroll an enrolled handset again with only the run's enrollment token, and moves nothing", async () => {
      const identities = new ServiceIdentities(SERVICE_KEY);
      for (const metadata of [undefined, bearer('not-the-admin'), bearer(identities.tokenOf('telemetry'))]) {
        const error = await grpcError(again(metadata));
        expectRefusal(error, GrpcStatus.PERMISSION_DENIED, 'handset_id');
        expect(error.details).toContain('[re-enroll]');
      }
      const batch = await grpcError(
        clients.agent.enrollBatch({
          runId: RUN_ID,
          enrollmentToken,
          shard: 0,
          tick: 1,
          handsetIds: [HANDSET + 1, HANDSET],
          groups: ['x', 'x'],
          models: ['m', 'm'],
        }),
      );
      expectRefusal(batch, GrpcStatus.PERMISSION_DENIED, 'handset_ids[1]');
      expect(await groupOf()).toBe('sales');
    });

    it('lets the admin and persona-runtime re-enroll a handset', async () => {
      await expect(again(admin)).resolves.toMatchObject({ group: 'field', credential });
      const runtime = bearer(new ServiceIdentities(SERVICE_KEY).tokenOf('persona-runtime'));
      await expect(
        clients.agent.enroll({ runId: RUN_ID, enrollmentToken, handsetId: HANDSET, model: 'optimus-2x', group: 'sales' }, runtime),
      ).resolves.toMatchObject({ group: 'sales' });
      expect(await groupOf()).toBe('sales');
    });
  });

  describe('bytes that are not the message', () => {
    it.each([
      ['garbage', Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])],
      ['a field cut short', Buffer.from([0x0a, 0x20, 0x61, 0x62])], // run_id announces 32 bytes, 2 follow
    ])('answers %s with INVALID_ARGUMENT, on the agent and the admin API', async (_what, bytes) => {
      for (const [path, metadata] of [
        ['/duet.policy.v1.PolicyService/CheckIn', new Metadata()],
        ['/duet.policy.v1.PolicyAdminService/IssueCommand', admin],
      ] as const) {
        const answer = await rawUnary(grpcAddress, path, bytes, metadata);
        expect(answer).toBeInstanceOf(Error);
        expect(GrpcStatus[(answer as ServiceError).code]).toBe('INVALID_ARGUMENT');
        expect((answer as ServiceError).details).toContain('not a valid protobuf message');
      }
    });
  });

  describe('size limits', () => {
    // A valid document of ~300 KB: one application repeated with distinct package names.
    const hugePolicy = {
      name: 'policies/huge',
      applications: Array.from({ length: 6_000 }, (_, index) => ({ packageName: `com.example.application${index}`, installType: 'AVAILABLE' })),
    };

    it('refuses a policy over the size limit over gRPC and HTTP with the same issue', async () => {
      const grpc = await grpcError(clients.admin.createPolicy({ policy: policy.Policy.fromJSON(hugePolicy) }, admin));
      expectRefusal(grpc, GrpcStatus.INVALID_ARGUMENT, 'max-bytes');
      const response = await http('POST', '/v1/policies', JSON.stringify(hugePolicy));
      expect(response.status).toBe(400);
      expect(response.body.issues).toEqual([expect.objectContaining({ rule: 'max-bytes' })]);
    });

    it('answers an HTTP body over the limit with 413 in the { error, issues } shape', async () => {
      const response = await http('POST', '/v1/policies', JSON.stringify({ name: 'policies/big', padding: MEGABYTE }));
      expect(response.status).toBe(413);
      expect(response.body).toEqual({ error: expect.any(String), issues: [expect.objectContaining({ path: '(body)', rule: 'max-bytes' })] });
    });

    it('answers a 1 MB authorization header at once, over HTTP (431, same shape) and gRPC, and keeps serving', async () => {
      const response = await http('GET', '/v1/policies', undefined, { authorization: `Bearer ${MEGABYTE}` });
      expect(response.status).toBe(431);
      expect(response.body.issues).toEqual([expect.objectContaining({ path: '(headers)', rule: 'max-bytes' })]);

      const started = Date.now();
      const error = await grpcError(clients.admin.listPolicies({}, bearer(MEGABYTE)));
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(error.code).not.toBe(GrpcStatus.OK);
      await expect(clients.admin.listPolicies({}, admin)).resolves.toBeDefined();
    });

    it('refuses gRPC metadata over the 16 KB HTTP headers may hold, naming it', async () => {
      const metadata = new Metadata();
      metadata.set('x-padding', 'x'.repeat(20 * 1024));
      const error = await grpcError(clients.agent.checkIn({ runId: RUN_ID, handsetId: HANDSET, credential, tick: 5 }, metadata));
      expectRefusal(error, GrpcStatus.INVALID_ARGUMENT, 'metadata');
    });
  });

  describe('rate limit', () => {
    it('answers a client over its rate RESOURCE_EXHAUSTED with google.rpc.RetryInfo', async () => {
      const calls = Array.from({ length: 400 }, () =>
        clients.agent.checkIn({ runId: RUN_ID, handsetId: HANDSET, credential, tick: 6 }).then(
          () => undefined,
          (error: ServiceError) => error,
        ),
      );
      const refused = (await Promise.all(calls)).filter((error) => error?.code === GrpcStatus.RESOURCE_EXHAUSTED);
      expect(refused.length).toBeGreaterThan(0);
      const trailers = refused[0]!.metadata;
      expect(Number(trailers.get('retry-after-ms')[0])).toBeGreaterThan(0);
      const details = trailers.get('grpc-status-details-bin')[0] as Buffer;
      expect(details.toString('latin1')).toContain('type.googleapis.com/google.rpc.RetryInfo');
      await new Promise((resolve) => setTimeout(resolve, 1_100));
    });
  });

  describe('metrics', () => {
    it('labels refusals with gRPC status names and times the admin API', async () => {
      const text = await (await fetch(`${httpBase}/metrics`)).text();
      const codes = new Set([...text.matchAll(/duet_rpc_duration_seconds_count\{[^}]*code="([^"]+)"/g)].map((match) => match[1]));
      expect([...codes].sort()).toEqual(expect.arrayContaining(['INVALID_ARGUMENT', 'NOT_FOUND', 'OK']));
      expect([...codes].filter((code) => !/^[A-Z_]+$/.test(code) || code === 'ERROR')).toEqual([]);
      expect(text).toMatch(/duet_rpc_duration_seconds_count\{method="CreatePolicy",side="server",code="INVALID_ARGUMENT"\}/);
      expect(text).toMatch(/duet_rpc_duration_seconds_count\{method="IssueCommand",side="server",code="NOT_FOUND"\}/);
    });
  });
});
