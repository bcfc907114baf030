// policy-authority networked, as main.ts runs it: a real gRPC server and HTTP server on free
// 127.0.0.1 ports, real PostgreSQL (a fresh database for this file) and real Kafka, reached with a
// plain @grpc/grpc-js client built from the .proto, fetch, and a Kafka consumer.
import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { common, events, findTopic, policy } from '@duet/contracts';
import { Database, KafkaEventBus, freePort, type IncomingMessage, type Subscription } from '@duet/service-kit';
import { NonComplianceReason, PolicyTimeline } from '@duet/sim-core';
import { createTopics } from '@duet/stack';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, getInfrastructure, INFRASTRUCTURE_TIMEOUT_MS } from '../../../tests/support/infrastructure';
import { createPolicyAuthorityApp, MAX_BATCH_ROWS, PolicyAuthorityModule } from '../src/index';
import { bearer, grpcError, policyClients } from './policy-clients';

const ADMIN_TOKEN = 'integration-admin-token-0123456789';
const ENROLLMENT_SECRET = 'integration-enrollment-secret-0123456789abcdef';
const RUN_ID = `networked-${randomUUID().slice(0, 8)}`;
const POLICY_CHANGED = findTopic('duet.policy-changed.v1');
const COMMANDS = findTopic('duet.commands.v1');
const KAFKA_WAIT_MS = 30_000;

const BASELINE = { name: 'policies/baseline', cameraAccess: 'CAMERA_ACCESS_USER_CHOICE', duet: { checkInIntervalMinutes: 15 } };
const FIELD_VPN = { name: 'policies/field-vpn', alwaysOnVpnPackage: { packageName: 'com.example.vpn', lockdownEnabled: true }, screenCaptureDisabled: true };

// One shard of 200 handsets, alternately in sales and field.
const HANDSET_IDS = Array.from({ length: 200 }, (_, index) => 1_000 + index);
const GROUPS = HANDSET_IDS.map((_, index) => (index % 2 === 0 ? 'sales' : 'field'));
const SHARD = 0;

type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;
interface JsonObject {
  [field: string]: JsonValue;
}

/** "path [rule]" of each issue of an error body, sorted. */
function issuesOf(body: JsonObject): string[] {
  return (body.issues as { path: string; rule: string }[]).map((issue) => `${issue.path} [${issue.rule}]`).sort();
}

describe('policy-authority over gRPC, HTTP, PostgreSQL and Kafka', () => {
  let database: Database;
  let eventBus: KafkaEventBus;
  let listener: KafkaEventBus;
  let subscription: Subscription;
  let app: INestApplication;
  let clients: ReturnType<typeof policyClients>;
  let httpBase: string;
  const received: IncomingMessage[] = [];
  const admin = bearer(ADMIN_TOKEN);
  // Shared by the tests below, which follow one run in order.
  let enrollmentToken = '';
  let credentials: string[] = [];

  beforeAll(async () => {
    const { kafkaBrokers } = await getInfrastructure();
    database = new Database(await freshDatabase('policy-authority-networked'));
    await PolicyAuthorityModule.migrate(database);
    await createTopics(
      kafkaBrokers,
      [POLICY_CHANGED, COMMANDS].map((topic) => ({ topic: topic.name, partitions: topic.partitions })),
    );
    eventBus = new KafkaEventBus({ brokers: kafkaBrokers, clientId: 'policy-authority-test' });
    listener = new KafkaEventBus({ brokers: kafkaBrokers, clientId: 'policy-authority-test-listener' });
    subscription = await listener.subscribe(
      `policy-authority-test-${RUN_ID}`,
      [POLICY_CHANGED.name, COMMANDS.name],
      async (messages) => void received.push(...messages),
      {
        fromBeginning: true,
      },
    );
    const grpcPort = await freePort();
    app = await createPolicyAuthorityApp({
      database,
      eventBus,
      adminToken: ADMIN_TOKEN,
      enrollmentSecret: ENROLLMENT_SECRET,
      grpcUrl: `127.0.0.1:${grpcPort}`,
      ownsConnections: false,
      logLevels: ['error'],
    });
    await app.startAllMicroservices();
    await app.listen(0, '127.0.0.1');
    httpBase = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    clients = policyClients(`127.0.0.1:${grpcPort}`);
  }, INFRASTRUCTURE_TIMEOUT_MS);

  afterAll(async () => {
    clients?.close();
    await app?.close();
    await subscription?.close();
    await Promise.all([eventBus?.close(), listener?.close()]);
    await database?.close();
  });

  // token null: no Authorization header.
  async function http(method: string, path: string, body?: unknown, token: string | null = ADMIN_TOKEN): Promise<{ status: number; body: JsonObject }> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (token !== null) headers.authorization = `Bearer ${token}`;
    const response = await fetch(`${httpBase}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
    return { status: response.status, body: (await response.json()) as JsonObject };
  }

  async function kafkaMessages<T>(topic: typeof POLICY_CHANGED | typeof COMMANDS, count: number): Promise<{ key: string; value: T }[]> {
    const deadline = Date.now() + KAFKA_WAIT_MS;
    for (;;) {
      const mine = received
        .filter((message) => message.topic === topic.name)
        .map((message) => ({ key: message.key, value: topic.payload.decode(message.value) as unknown as T & { runId: string } }))
        .filter((message) => message.value.runId === RUN_ID);
      if (mine.length >= count || Date.now() > deadline) return mine;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  function checkInBatch(tick: number, overrides: Partial<policy.CheckInBatchRequest> = {}): Promise<policy.CheckInBatchResponse> {
    return clients.agent.checkInBatch({
      runId: RUN_ID,
      shard: SHARD,
      tick,
      handsetIds: HANDSET_IDS,
      deviceCredentials: credentials,
      appliedRevision: HANDSET_IDS.map(() => 1),
      complianceMask: HANDSET_IDS.map((_, index) => (index === 3 ? NonComplianceReason.VPN : 0)),
      batteryPermille: HANDSET_IDS.map(() => 900),
      ...overrides,
    });
  }

  async function storedCounts(): Promise<{ records: number; batches: number; checkedIn: number; lastTick: number }> {
    const { rows } = await database.query<{ records: string; batches: string; checked_in: string; last_tick: string | null }>(
      `SELECT (SELECT count(*) FROM policy_authority.compliance_records WHERE run_id = $1) AS records,
              (SELECT count(*) FROM policy_authority.check_in_batches WHERE run_id = $1) AS batches,
              (SELECT count(DISTINCT handset_id) FROM policy_authority.check_in_batches, unnest(handset_ids) AS handset_id WHERE run_id = $1) AS checked_in,
              (SELECT max(tick) FROM policy_authority.check_in_batches WHERE run_id = $1) AS last_tick`,
      [RUN_ID],
    );
    return {
      records: Number(rows[0].records),
      batches: Number(rows[0].batches),
      checkedIn: Number(rows[0].checked_in),
      lastTick: Number(rows[0].last_tick ?? -1),
    };
  }

  describe('admin authentication', () => {
    it('refuses HTTP admin calls without the bearer token, or with another, with 401 naming authorization', async () => {
      for (const token of [null, 'not-the-admin-token']) {
        const response = await http('GET', '/v1/policies', undefined, token);
        expect(response.status).toBe(401);
        expect(response.body.issues).toEqual([{ path: 'authorization', rule: 'bearer-token', message: expect.any(String) }]);
      }
    });

    it('refuses gRPC admin calls without the bearer token with UNAUTHENTICATED', async () => {
      const error = await grpcError(clients.admin.listPolicies({}));
      expect(error.code).toBe(GrpcStatus.UNAUTHENTICATED);
      expect(error.details).toContain('authorization');
    });

    it('serves /readyz without a token, reporting PostgreSQL and Kafka', async () => {
      const response = await fetch(`${httpBase}/readyz`);
      expect(response.status).toBe(200);
      expect(((await response.json()) as JsonObject).checks).toMatchObject({ 'policy-authority.postgresql': true, 'policy-authority.event-bus': true });
    });
  });

  describe('policies', () => {
    it('stores an AMAPI document posted over HTTP as version 1, and the next one of that name as version 2', async () => {
      const first = await http('POST', '/v1/policies', BASELINE);
      expect(first.status).toBe(201);
      expect(first.body.policy).toMatchObject({ name: 'policies/baseline', version: 1, cameraAccess: 'CAMERA_ACCESS_USER_CHOICE' });
      const second = await http('POST', '/v1/policies', { ...BASELINE, screenCaptureDisabled: true });
      expect(second.body.policy).toMatchObject({ name: 'policies/baseline', version: 2, screenCaptureDisabled: true });

      expect((await http('GET', '/v1/policies/baseline')).body.policy).toMatchObject({ version: 2 });
      expect((await http('GET', '/v1/policies/baseline?version=1')).body.policy).not.toHaveProperty('screenCaptureDisabled');
    });

    it('stores a policy sent over gRPC and lists policies a page at a time', async () => {
      const created = await clients.admin.createPolicy({ policy: policy.Policy.fromJSON(FIELD_VPN) }, admin);
      expect(created.policy).toMatchObject({
        name: 'policies/field-vpn',
        version: 1,
        alwaysOnVpnPackage: { packageName: 'com.example.vpn', lockdownEnabled: true },
      });

      const first = await clients.admin.listPolicies({ pageSize: 1 }, admin);
      expect(first.policies.map((item) => `${item.name}@${item.version}`)).toEqual(['policies/baseline@2']);
      const second = await http('GET', `/v1/policies?pageSize=1&pageToken=${first.nextPageToken}`);
      expect(second.body.policies).toEqual([expect.objectContaining({ name: 'policies/field-vpn' })]);
      expect(second.body).not.toHaveProperty('nextPageToken');
    });

    it('rejects a document with an unknown field and a wrong enum with 400 listing both issues', async () => {
      const response = await http('POST', '/v1/policies', { name: 'policies/bad', cameraAccess: 'CAMERA_OFF', screenshotsAllowed: true });
      expect(response.status).toBe(400);
      expect(response.body.error).toContain('invalid policy');
      expect(response.body.issues).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ path: 'cameraAccess', rule: 'enum' }),
          expect.objectContaining({ path: 'screenshotsAllowed', rule: 'unknown-field' }),
        ]),
      );
      expect((await http('GET', '/v1/policies/bad')).status).toBe(404);
    });

    it('rejects a gRPC policy whose enum value AMAPI does not define with INVALID_ARGUMENT naming it', async () => {
      const error = await grpcError(
        clients.admin.createPolicy({ policy: { ...policy.Policy.fromJSON(BASELINE), cameraAccess: 99 as policy.CameraAccess } }, admin),
      );
      expect(error.code).toBe(GrpcStatus.INVALID_ARGUMENT);
      expect(error.details).toContain('cameraAccess');
      expect(error.details).toContain('[enum]');
    });

    it('refuses a field the model does not simulate, over HTTP (400) and gRPC (INVALID_ARGUMENT), naming it as the scenario loader does', async () => {
      const document = { name: 'policies/unmodelled', passwordPolicies: [{ passwordQuality: 'NUMERIC', passwordHistoryLength: 5 }] };
      const response = await http('POST', '/v1/policies', document);
      expect(response.status).toBe(400);
      expect(response.body.issues).toEqual([expect.objectContaining({ path: 'passwordPolicies.0.passwordHistoryLength', rule: 'not-modelled' })]);
      const error = await grpcError(clients.admin.createPolicy({ policy: policy.Policy.fromJSON(document) }, admin));
      expect(error.code).toBe(GrpcStatus.INVALID_ARGUMENT);
      expect(error.details).toContain('passwordHistoryLength');
      expect(error.details).toContain('not modelled');
    });

    it('answers NOT_FOUND naming the version of a policy that has no such version', async () => {
      const error = await grpcError(clients.admin.getPolicy({ name: 'policies/baseline', version: 9 }, admin));
      expect(error.code).toBe(GrpcStatus.NOT_FOUND);
      expect(error.details).toContain('version');
    });
  });

  describe('a run', () => {
    it('numbers publications per run and announces each on duet.policy-changed.v1', async () => {
      const first = await clients.admin.publishPolicy({ runId: RUN_ID, name: 'policies/baseline', version: 1, effectiveTick: 0 }, admin);
      expect(first).toMatchObject({ revision: 1, groups: [], effectiveTick: 0, policy: { name: 'policies/baseline', version: 1 } });
      const second = await http('POST', `/v1/runs/${RUN_ID}/publications`, { name: 'policies/field-vpn', groups: ['field'], effectiveTick: 10 });
      expect(second.status).toBe(201);
      expect(second.body).toMatchObject({ revision: 2, runId: RUN_ID, groups: ['field'], effectiveTick: 10 });

      const changes = await kafkaMessages<events.PolicyChanged>(POLICY_CHANGED, 2);
      expect(
        changes.map(({ key, value }) => ({ key, revision: value.revision, version: value.version, groups: value.groups, effectiveTick: value.effectiveTick })),
      ).toEqual([
        { key: 'policies/baseline', revision: 1, version: 1, groups: [], effectiveTick: 0 },
        { key: 'policies/field-vpn', revision: 2, version: 1, groups: ['field'], effectiveTick: 10 },
      ]);
      expect(JSON.parse(changes[1].value.policyJson)).toMatchObject({ ...FIELD_VPN, version: 1 });
    });

    it('rejects a malformed publication body with 400 naming each field', async () => {
      const response = await http('POST', `/v1/runs/${RUN_ID}/publications`, { name: 'policies/baseline', effectiveTick: 'soon', colour: 'red' });
      expect(response.status).toBe(400);
      expect(issuesOf(response.body)).toEqual(['colour [unknown-field]', 'effectiveTick [type]']);
    });

    it("refuses an enrollment token that is not the run's, or has expired, with UNAUTHENTICATED naming enrollment_token", async () => {
      const created = await http('POST', `/v1/runs/${RUN_ID}/enrollment-tokens`, { durationTicks: 1_000 });
      expect(created.status).toBe(201);
      expect(created.body.enrollmentToken).toMatchObject({ runId: RUN_ID, expiresTick: 1_000 });
      enrollmentToken = (created.body.enrollmentToken as { value: string }).value;

      const short = await clients.admin.createEnrollmentToken({ runId: RUN_ID, tick: 0, durationTicks: 2 }, admin);
      const enroll = (token: string, tick: number) =>
        clients.agent.enrollBatch({ runId: RUN_ID, enrollmentToken: token, shard: SHARD, tick, handsetIds: [1], groups: ['sales'], models: ['optimus-2x'] });
      for (const [token, rule] of [
        ['not-a-token', 'enrollment-token'],
        [short.enrollmentToken!.value, 'expired'],
      ] as const) {
        const error = await grpcError(enroll(token, 5));
        expect(error.code).toBe(GrpcStatus.UNAUTHENTICATED);
        expect(error.details).toContain(`enrollment_token`);
        expect(error.details).toContain(`[${rule}]`);
      }
    });

    it('enrolls a shard in one call, answering derived credentials and the revisions assigned at the tick', async () => {
      const enrolled = await clients.agent.enrollBatch({
        runId: RUN_ID,
        enrollmentToken,
        shard: SHARD,
        tick: 0,
        handsetIds: HANDSET_IDS,
        groups: GROUPS,
        models: HANDSET_IDS.map(() => 'optimus-2x'),
      });
      expect(enrolled.deviceCredentials).toHaveLength(HANDSET_IDS.length);
      expect(new Set(enrolled.deviceCredentials).size).toBe(HANDSET_IDS.length);
      expect(enrolled.assignedRevision).toEqual(HANDSET_IDS.map(() => 1));
      credentials = enrolled.deviceCredentials;
    });

    it("answers a shard's check-ins with the revisions sim-core's PolicyTimeline assigns, and stores a compliance record where the mask changed", async () => {
      const reference = new PolicyTimeline(['sales', 'field']);
      reference.assign(1, 0);
      reference.assign(2, 10, ['field']);
      const expected = (tick: number) => GROUPS.map((group) => reference.policyFor(group === 'sales' ? 0 : 1, tick));

      expect((await checkInBatch(5)).assignedRevision).toEqual(expected(5));
      const started = performance.now();
      const atTen = await checkInBatch(10, { complianceMask: HANDSET_IDS.map((_, index) => (GROUPS[index] === 'field' ? NonComplianceReason.PENDING : 0)) });
      console.info(`[policy-authority] CheckInBatch of ${HANDSET_IDS.length} rows over gRPC: ${(performance.now() - started).toFixed(1)} ms`);
      expect(atTen.assignedRevision).toEqual(expected(10));
      expect(new Set(atTen.assignedRevision)).toEqual(new Set([1, 2]));

      // Tick 5: every handset's first check-in. Tick 10: the 100 field handsets turned PENDING and
      // handset index 3 (field, VPN before) changed too; sales handsets stayed compliant.
      expect(await storedCounts()).toEqual({ records: 300, batches: 2, checkedIn: 200, lastTick: 10 });
      const history = await clients.admin.listCompliance({ runId: RUN_ID, handsetIds: [HANDSET_IDS[3]], history: true }, admin);
      expect(history.complianceRecords).toEqual([
        expect.objectContaining({
          handsetId: HANDSET_IDS[3],
          group: 'field',
          tick: 5,
          revision: 1,
          policyName: 'policies/baseline',
          policyVersion: 1,
          compliant: false,
          complianceMask: NonComplianceReason.VPN,
          nonComplianceDetails: [{ settingName: 'alwaysOnVpnPackage', nonComplianceReason: policy.NonComplianceReason.USER_ACTION, packageName: '' }],
        }),
        expect.objectContaining({ tick: 10, complianceMask: NonComplianceReason.PENDING }),
      ]);
      const nonCompliant = await http('GET', `/v1/runs/${RUN_ID}/compliance?nonCompliantOnly=true&pageSize=40`);
      const records = nonCompliant.body.complianceRecords as { group: string; compliant?: boolean }[];
      expect(records).toHaveLength(40);
      expect(records.every((record) => record.group === 'field' && record.compliant === undefined)).toBe(true);
      expect(nonCompliant.body.nextPageToken).toBeTruthy();
    });

    it('answers a redelivered batch with the first answer and changes nothing', async () => {
      const before = await storedCounts();
      const again = await checkInBatch(10, { complianceMask: HANDSET_IDS.map((_, index) => (GROUPS[index] === 'field' ? NonComplianceReason.PENDING : 0)) });
      expect(again.assignedRevision).toEqual(GROUPS.map((group) => (group === 'field' ? 2 : 1)));
      expect(await storedCounts()).toEqual(before);
    });

    it('refuses a tick lower than one the shard already checked in at, or a different batch at the same tick, naming tick', async () => {
      for (const [tick, rule] of [
        [9, 'tick-order'],
        [10, 'one-batch-per-tick'],
      ] as const) {
        const error = await grpcError(checkInBatch(tick));
        expect(error.code).toBe(GrpcStatus.FAILED_PRECONDITION);
        expect(error.details).toContain('tick');
        expect(error.details).toContain(`[${rule}]`);
      }
    });

    it('stores nothing of a batch with one unenrolled handset, and names its row', async () => {
      const before = await storedCounts();
      const handsetIds = [...HANDSET_IDS];
      handsetIds[7] = 99_999;
      const error = await grpcError(checkInBatch(11, { handsetIds, complianceMask: HANDSET_IDS.map(() => NonComplianceReason.APP_INSTALLED) }));
      expect(error.code).toBe(GrpcStatus.INVALID_ARGUMENT);
      expect(error.details).toContain('handset_ids[7]: handset 99999 is not enrolled');
      expect(error.details).toContain('[enrolled]');
      expect(await storedCounts()).toEqual(before);
      // The shard did not move on: tick 11 is still open to the right batch.
      expect((await checkInBatch(11)).assignedRevision).toHaveLength(HANDSET_IDS.length);
    });

    it('refuses a wrong device credential with UNAUTHENTICATED naming its row', async () => {
      const wrong = [...credentials];
      wrong[2] = credentials[3];
      const error = await grpcError(checkInBatch(12, { deviceCredentials: wrong }));
      expect(error.code).toBe(GrpcStatus.UNAUTHENTICATED);
      expect(error.details).toContain('device_credentials[2]');
      expect(error.details).toContain('[credential]');
    });

    it('refuses an oversized batch, columns of different lengths, unknown reason bits and unpublished revisions, naming each column', async () => {
      const cases: [Partial<policy.CheckInBatchRequest>, string][] = [
        [{ handsetIds: Array.from({ length: MAX_BATCH_ROWS + 1 }, (_, index) => index) }, 'handset_ids: holds 100001 rows'],
        [{ batteryPermille: HANDSET_IDS.slice(1).map(() => 500) }, 'battery_permille: has 199 rows'],
        [{ complianceMask: HANDSET_IDS.map((_, index) => (index === 4 ? 1 << 20 : 0)) }, 'compliance_mask[4]'],
        [{ appliedRevision: HANDSET_IDS.map((_, index) => (index === 5 ? 7 : 1)) }, 'applied_revision[5]'],
      ];
      for (const [overrides, named] of cases) {
        const error = await grpcError(checkInBatch(12, overrides));
        expect(error.code).toBe(GrpcStatus.INVALID_ARGUMENT);
        expect(error.details).toContain(named);
      }
    });

    it('issues commands over HTTP, stores them and fans them out on duet.commands.v1 keyed by handset id', async () => {
      const malformed = await http('POST', `/v1/runs/${RUN_ID}/commands`, { type: 'EXPLODE', handsetIds: [] });
      expect(malformed.status).toBe(400);
      expect(issuesOf(malformed.body)).toEqual(['handsetIds [min]', 'type [enum]']);

      const issued = await http('POST', `/v1/runs/${RUN_ID}/commands`, { type: 'COMMAND_TYPE_LOCK', handsetIds: [HANDSET_IDS[0], HANDSET_IDS[1]], tick: 12 });
      expect(issued.status).toBe(201);
      expect(issued.body.commands).toEqual([
        expect.objectContaining({ runId: RUN_ID, handsetId: HANDSET_IDS[0], type: 'COMMAND_TYPE_LOCK', tick: 12 }),
        expect.objectContaining({ runId: RUN_ID, handsetId: HANDSET_IDS[1], type: 'COMMAND_TYPE_LOCK', tick: 12 }),
      ]);
      // Keyed by handset, the two land on different partitions: no order between them.
      const fannedOut = (await kafkaMessages<events.CommandIssued>(COMMANDS, 2)).sort((a, b) => a.value.handsetId - b.value.handsetId);
      expect(fannedOut.map(({ key, value }) => ({ key, handsetId: value.handsetId, type: value.type, shard: value.shard, tick: value.tick }))).toEqual([
        { key: String(HANDSET_IDS[0]), handsetId: HANDSET_IDS[0], type: common.CommandType.COMMAND_TYPE_LOCK, shard: SHARD, tick: 12 },
        { key: String(HANDSET_IDS[1]), handsetId: HANDSET_IDS[1], type: common.CommandType.COMMAND_TYPE_LOCK, shard: SHARD, tick: 12 },
      ]);
      expect(fannedOut[0].value.commandId).toBe((issued.body.commands as { commandId: string }[])[0].commandId);
    });

    it('enrolls and checks in one handset at a time, handing over the policy and the commands due', async () => {
      const token = await clients.admin.createEnrollmentToken({ runId: RUN_ID, group: 'field', tick: 12 }, admin);
      const enrolled = await clients.agent.enroll({
        runId: RUN_ID,
        enrollmentToken: token.enrollmentToken!.value,
        handsetId: 5_000,
        model: 'optimus-black',
        tick: 12,
      });
      expect(enrolled).toMatchObject({ group: 'field', assignedRevision: 2, policy: { name: 'policies/field-vpn', version: 1 } });

      const command = await clients.admin.issueCommand(
        { runId: RUN_ID, handsetIds: [5_000], type: common.CommandType.COMMAND_TYPE_RESET_PASSWORD, tick: 13, shards: 4 },
        admin,
      );
      const first = await clients.agent.checkIn({
        runId: RUN_ID,
        handsetId: 5_000,
        credential: enrolled.credential,
        appliedRevision: 0,
        tick: 13,
        batteryPermille: 700,
      });
      expect(first).toMatchObject({ assignedRevision: 2, policy: { name: 'policies/field-vpn' } });
      expect(first.commands.map((item) => item.commandId)).toEqual([command.commands[0].commandId]);

      const second = await clients.agent.checkIn({
        runId: RUN_ID,
        handsetId: 5_000,
        credential: enrolled.credential,
        appliedRevision: 2,
        tick: 14,
        batteryPermille: 690,
        executedCommandIds: [first.commands[0].commandId],
      });
      expect(second.commands).toEqual([]);
      expect(second.policy).toBeNull();

      const late = await grpcError(clients.agent.checkIn({ runId: RUN_ID, handsetId: 5_000, credential: enrolled.credential, appliedRevision: 2, tick: 13 }));
      expect(late.code).toBe(GrpcStatus.FAILED_PRECONDITION);
      const unenrolled = await grpcError(clients.agent.checkIn({ runId: RUN_ID, handsetId: 5_001, credential: credentials[0], tick: 14 }));
      expect(unenrolled.code).toBe(GrpcStatus.INVALID_ARGUMENT);
      expect(unenrolled.details).toContain('handset_id: handset 5001 is not enrolled');
      const impostor = await grpcError(clients.agent.checkIn({ runId: RUN_ID, handsetId: 5_000, credential: credentials[0], tick: 15 }));
      expect(impostor.code).toBe(GrpcStatus.UNAUTHENTICATED);
      expect(impostor.details).toContain('credential');
    });

    it('stores concurrent one-at-a-time check-ins in groups, each judged as if alone', async () => {
      // 300 check-ins in flight at once share transactions (group commit); a refused one must not
      // take the others of its group with it, and one handset's check-in sent twice (a redelivery)
      // is stored once.
      const token = await clients.admin.createEnrollmentToken({ runId: RUN_ID, group: 'sales', tick: 20 }, admin);
      const ids = Array.from({ length: 300 }, (_, index) => 7_000 + index);
      const enrolled = await Promise.all(
        ids.map((handsetId) =>
          clients.agent.enroll({ runId: RUN_ID, enrollmentToken: token.enrollmentToken!.value, handsetId, model: 'optimus-2x', tick: 20 }),
        ),
      );
      const checkIn = (row: number, tick: number, credential = enrolled[row].credential) =>
        clients.agent.checkIn({
          runId: RUN_ID,
          handsetId: ids[row],
          credential,
          appliedRevision: 1,
          tick,
          batteryPermille: 500 + row,
          complianceMask: row % 2,
        });
      const [answers, impostor, again] = await Promise.all([
        Promise.all(ids.map((_, row) => (row === 7 ? undefined : checkIn(row, 21)))),
        grpcError(checkIn(7, 21, enrolled[8].credential)),
        checkIn(0, 21),
      ]);
      expect(impostor.code).toBe(GrpcStatus.UNAUTHENTICATED);
      expect(answers.filter((answer) => answer !== undefined).map((answer) => answer.assignedRevision)).toEqual(ids.slice(1).map(() => 1));
      expect(again.assignedRevision).toBe(1);
      const { rows } = await database.query<{
        handset_id: string;
        reported_tick: string | null;
        battery_permille: number | null;
        compliance_mask: number | null;
      }>(
        'SELECT handset_id, reported_tick, battery_permille, compliance_mask FROM policy_authority.devices WHERE run_id = $1 AND handset_id >= 7000 ORDER BY handset_id',
        [RUN_ID],
      );
      expect(
        rows.map((row) => [Number(row.handset_id), row.reported_tick === null ? null : Number(row.reported_tick), row.battery_permille, row.compliance_mask]),
      ).toEqual(ids.map((handsetId, row) => (row === 7 ? [handsetId, null, null, null] : [handsetId, 21, 500 + row, row % 2])));
      const late = await grpcError(checkIn(0, 20));
      expect(late.code).toBe(GrpcStatus.FAILED_PRECONDITION);
    });

    it("sees a one-at-a-time check-in of a shard's handset in the shard's next batch", async () => {
      // The instance holds the shard's reports in memory from its batches; the single check-in
      // writes handset 0's row behind them, and the next batch must compare against that write.
      const handsetId = HANDSET_IDS[0];
      await clients.agent.checkIn({
        runId: RUN_ID,
        handsetId,
        credential: credentials[0],
        appliedRevision: 1,
        tick: 16,
        complianceMask: NonComplianceReason.APP_INSTALLED,
        batteryPermille: 800,
      });
      const before = await storedCounts();
      await checkInBatch(17);
      expect(await storedCounts()).toEqual({ ...before, records: before.records + 1, batches: before.batches + 1, lastTick: 17 });
      const history = await clients.admin.listCompliance({ runId: RUN_ID, handsetIds: [handsetId], history: true }, admin);
      expect(history.complianceRecords.slice(-2)).toEqual([
        expect.objectContaining({ tick: 16, complianceMask: NonComplianceReason.APP_INSTALLED }),
        expect.objectContaining({ tick: 17, complianceMask: 0 }),
      ]);
      const latest = await clients.admin.listCompliance({ runId: RUN_ID, handsetIds: [handsetId, HANDSET_IDS[1], HANDSET_IDS[2]] }, admin);
      // Reported at the check-in that last changed the handset's revision or mask: handset 0's at
      // 17, field handset 1's at 11 (PENDING at 10, compliant again at 11), sales handset 2's at 5.
      expect(latest.complianceRecords.map((record) => [record.handsetId, record.tick])).toEqual([
        [handsetId, 17],
        [HANDSET_IDS[1], 11],
        [HANDSET_IDS[2], 5],
      ]);
    });

    it('starts a re-enrolled handset of a shard over: its next batch check-in is a first one again', async () => {
      const handsetId = HANDSET_IDS[2]; // sales, compliant since tick 5
      const fresh = await clients.admin.createEnrollmentToken({ runId: RUN_ID, group: '', tick: 18 }, admin);
      // Enrolling an enrolled handset again takes more than the run's token: here the admin's.
      await clients.agent.enrollBatch(
        {
          runId: RUN_ID,
          enrollmentToken: fresh.enrollmentToken!.value,
          shard: SHARD,
          tick: 18,
          handsetIds: [handsetId],
          groups: ['sales'],
          models: ['optimus-2x'],
        },
        admin,
      );
      const before = await storedCounts();
      await checkInBatch(19);
      // Only the re-enrolled handset has no report to compare with: one record, compliant.
      expect(await storedCounts()).toEqual({ ...before, records: before.records + 1, batches: before.batches + 1, lastTick: 19 });
      const history = await clients.admin.listCompliance({ runId: RUN_ID, handsetIds: [handsetId], history: true }, admin);
      expect(history.complianceRecords.map((record) => [record.tick, record.complianceMask])).toEqual([
        [5, 0],
        [19, 0],
      ]);
    });

    it("streams the run's publications for the groups asked, stored ones first, then new ones", async () => {
      const sales = clients.agent.streamPolicyChanges({ runId: RUN_ID, groups: ['sales'] }, 2);
      setTimeout(() => void clients.admin.assignPolicy({ runId: RUN_ID, group: 'sales', policyName: 'policies/baseline', effectiveTick: 20 }, admin), 500);
      const changes = await sales;
      expect(changes.map((change) => ({ revision: change.revision, name: change.policy?.name, groups: change.groups }))).toEqual([
        { revision: 1, name: 'policies/baseline', groups: [] },
        { revision: 3, name: 'policies/baseline', groups: ['sales'] },
      ]);
      expect(changes[1].policy?.version).toBe(2);
    });
  });
});
