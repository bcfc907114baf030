// policy-authority as the embedded composition root runs it: the module in a Nest application
// context with the in-process event bus and a real PostgreSQL (a fresh database for this file),
// its services called directly with the contract messages. A simulated run's handsets get the same
// revisions from it, tick after tick, as from sim-core's in-process PolicyTimeline.
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import { findTopic, policy } from '@duet/contracts';
import { Database, HealthChecks, InProcessEventBus } from '@duet/service-kit';
import { CATALOGUE, NonComplianceReason, Simulation, type SimulationConfig } from '@duet/sim-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, INFRASTRUCTURE_TIMEOUT_MS } from '../../../tests/support/infrastructure';
import { AgentService, PolicyAuthorityModule, PolicyCatalogueService, PublicationService, RequestError, EnrollmentTokenService } from '../src/index';

const RUN_ID = 'embedded-parity';
const POLICY_CHANGED = findTopic('duet.policy-changed.v1');
const PROBED_TICKS = [0, 1, 4, 5, 6, 19, 20, 21, 39, 40, 41, 60]; // around every effective tick below

// Four publications: every group, one group, a same-tick tie, and a later one for two groups.
const CONFIG: SimulationConfig = {
  seed: 7,
  ticks: 100,
  shards: 3,
  fleet: {
    handsets: 600,
    groups: [
      { name: 'sales', weight: 1 },
      { name: 'field', weight: 1 },
      { name: 'executives', weight: 1 },
    ],
  },
  policies: [
    { tick: 0, policy: { name: 'policies/baseline' } },
    { tick: 5, groups: ['field'], policy: { name: 'policies/field-vpn', alwaysOnVpnPackage: { packageName: 'com.example.vpn' } } },
    { tick: 20, groups: ['sales', 'field'], policy: { name: 'policies/camera-off', cameraAccess: 'CAMERA_ACCESS_DISABLED' } },
    { tick: 20, groups: ['sales'], policy: { name: 'policies/sales-strict', screenCaptureDisabled: true } },
    { tick: 40, groups: ['executives', 'field'], policy: { name: 'policies/baseline', minimumApiLevel: 10 } },
  ],
};

describe('policy-authority in the embedded mode (in-process bus, real PostgreSQL)', () => {
  const simulation = new Simulation(CONFIG);
  const eventBus = new InProcessEventBus();
  const announced: { revision: number; policyName: string; version: number; groups: string[] }[] = [];
  let database: Database;
  let app: INestApplicationContext;
  let agent: AgentService;

  beforeAll(async () => {
    database = new Database(await freshDatabase('policy-authority-embedded'));
    await PolicyAuthorityModule.migrate(database);
    await eventBus.subscribe('embedded-listener', [POLICY_CHANGED.name], async (messages) => {
      for (const message of messages) {
        const change = POLICY_CHANGED.payload.decode(message.value);
        announced.push({ revision: change.revision, policyName: change.policyName, version: change.version, groups: change.groups });
      }
    });
    app = await NestFactory.createApplicationContext(
      PolicyAuthorityModule.register({ database, eventBus, adminToken: 'embedded-admin-token', enrollmentSecret: 'embedded-enrollment-secret-0123456789' }),
      { logger: ['error'] },
    );
    agent = app.get(AgentService);
  }, INFRASTRUCTURE_TIMEOUT_MS);

  afterAll(async () => {
    await app?.close();
    await eventBus.close();
    await database?.close();
  });

  it('numbers publications 1, 2, 3 ... as sim-core PolicyRegistry does, and announces each on duet.policy-changed.v1', async () => {
    const catalogue = app.get(PolicyCatalogueService);
    const publications = app.get(PublicationService);
    for (const [index, assignment] of (CONFIG.policies ?? []).entries()) {
      const created = await catalogue.createPolicyDocument(assignment.policy);
      const published = await publications.publishPolicy(
        policy.PublishPolicyRequest.fromPartial({
          runId: RUN_ID,
          name: created.policy!.name,
          version: created.policy!.version,
          groups: [...(assignment.groups ?? [])],
          effectiveTick: assignment.tick,
        }),
      );
      expect(published.revision).toBe(index + 1);
      expect(simulation.registry.policies[index + 1].name).toBe(created.policy!.name);
    }
    await eventBus.drain();
    expect(announced).toEqual([
      { revision: 1, policyName: 'policies/baseline', version: 1, groups: [] },
      { revision: 2, policyName: 'policies/field-vpn', version: 1, groups: ['field'] },
      { revision: 3, policyName: 'policies/camera-off', version: 1, groups: ['sales', 'field'] },
      { revision: 4, policyName: 'policies/sales-strict', version: 1, groups: ['sales'] },
      { revision: 5, policyName: 'policies/baseline', version: 2, groups: ['executives', 'field'] },
    ]);
  });

  it("answers every handset of every shard, at every probed tick, with the revision sim-core's PolicyTimeline assigns", async () => {
    const token = await app
      .get(EnrollmentTokenService)
      .createEnrollmentToken(policy.CreateEnrollmentTokenRequest.fromPartial({ runId: RUN_ID, durationTicks: 1_000 }));
    const shards = simulation.shards.map((shard, index) => {
      const handsetIds = [...shard.fleet.ids];
      const groupCodes = [...shard.fleet.group];
      return {
        index,
        handsetIds,
        groupCodes,
        groups: groupCodes.map((code) => simulation.fleet.groupNames[code]),
        credentials: [] as string[],
        applied: handsetIds.map(() => 0),
      };
    });
    for (const shard of shards) {
      const enrolled = await agent.enrollBatch({
        runId: RUN_ID,
        enrollmentToken: token.enrollmentToken!.value,
        shard: shard.index,
        tick: 0,
        handsetIds: shard.handsetIds,
        groups: shard.groups,
        models: Array.from(simulation.shards[shard.index].fleet.model, (code) => CATALOGUE[code].name),
      });
      shard.credentials = enrolled.deviceCredentials;
      expect(enrolled.assignedRevision).toEqual(shard.groupCodes.map((code) => simulation.timeline.policyFor(code, 0)));
    }

    const milliseconds: number[] = [];
    for (const tick of PROBED_TICKS) {
      for (const shard of shards) {
        const started = performance.now();
        const answer = await agent.checkInBatch({
          runId: RUN_ID,
          shard: shard.index,
          tick,
          handsetIds: shard.handsetIds,
          deviceCredentials: shard.credentials,
          appliedRevision: shard.applied,
          complianceMask: shard.handsetIds.map((id) => (id % 7 === 0 ? NonComplianceReason.VPN : 0)),
          batteryPermille: shard.handsetIds.map(() => 800),
        });
        milliseconds.push(performance.now() - started);
        expect(answer.assignedRevision).toEqual(shard.groupCodes.map((code) => simulation.timeline.policyFor(code, tick)));
        shard.applied = answer.assignedRevision;
      }
    }
    milliseconds.sort((a, b) => a - b);
    const rows = shards[0].handsetIds.length;
    const median = milliseconds[Math.floor(milliseconds.length / 2)];
    const p95 = milliseconds[Math.floor(milliseconds.length * 0.95)];
    console.info(
      `[policy-authority] CheckInBatch of ~${rows} rows in-process: median ${median.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms over ${milliseconds.length} batches`,
    );
    expect(median).toBeLessThan(100); // generous for a shared machine; the figure above is the measurement
  });

  it('refuses a check-in batch of another run with the contract error, naming the field', async () => {
    const failure = await agent
      .checkInBatch({
        runId: '',
        shard: 0,
        tick: 0,
        handsetIds: [1],
        deviceCredentials: ['x'],
        appliedRevision: [0],
        complianceMask: [0],
        batteryPermille: [0],
      })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(RequestError);
    expect((failure as RequestError).issues).toEqual([{ path: 'run_id', rule: 'required', message: 'is required' }]);
  });

  it('reports its PostgreSQL and event bus healthy', async () => {
    expect((await app.get(HealthChecks).report()).checks).toMatchObject({ 'policy-authority.postgresql': true, 'policy-authority.event-bus': true });
  });
});
