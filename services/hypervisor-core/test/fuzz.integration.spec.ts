// Property-based fuzzing of hypervisor-core (fast-check, bounded runs for CI), as an outsider meets
// it: gRPC ExchangeTick over a real socket gets random and truncated bytes and contract messages
// with hostile ids, shards, ticks and columns, with and without a service identity; its Kafka
// consumer of duet.tick-demands.v1 gets the same on a real broker. Every gRPC answer names the
// caller's fault (or is OK), never INTERNAL / UNKNOWN, and the server stays SERVING; every message
// is handled or dead-lettered, and a valid exchange after the fuzz is still answered.
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { Client, Metadata, credentials, status, type ServiceError } from '@grpc/grpc-js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { common, events, findTopic, hypervisor } from '@duet/contracts';
import {
  encodeDemand,
  InProcessEventBus,
  KafkaCheckpointStore,
  KafkaEventBus,
  Role,
  ServiceIdentities,
  freePort,
  type EventBus,
  type Subscription,
} from '@duet/service-kit';
import { DemandBatch, FleetShard, Persona, prepareRun, type SimulationConfig } from '@duet/sim-core';
import { createRegistryTopics, getInfrastructure, INFRASTRUCTURE_TIMEOUT_MS } from '../../../tests/support/infrastructure';
import {
  awaitEveryPartitionRead,
  DeadLetterWatch,
  decodedOrUndefined,
  deliverFuzz,
  fuzzedCases,
  hostile,
  hostileBytes,
  type FuzzedMessage,
} from '../../../tests/support/consumer-fuzz';
import { RUN_LIFECYCLE, runStartedMessage } from '../../../tests/support/run-started';
import { startHypervisorCoreApp } from '../src/index';

const RUNS = 60;
const SERVICE_KEY = 'hypervisor-fuzz-service-identity-key-0123456789';
const SERVICE = '/duet.hypervisor.v1.HypervisorService';
const DEMANDS = findTopic('duet.tick-demands.v1');
const COMMANDS = findTopic('duet.commands.v1');
const CONFIG: SimulationConfig = { seed: 5, ticks: 4, shards: 2, fleet: { handsets: 12 }, policies: [{ tick: 0, policy: { name: 'policies/baseline' } }] };
const suffix = randomUUID();
const RUN_ID = `hypervisor-fuzz-${suffix}`;
const AFTER_RUN_ID = `hypervisor-fuzz-after-${suffix}`;
// What hostile input may be answered with: the caller's fault, a run not started yet (UNAVAILABLE:
// retry), a run already finished (OUT_OF_RANGE), or a demand waiting for the other persona's
// beyond the client's deadline. Never INTERNAL or UNKNOWN.
const CLEAN = new Set(['OK', 'INVALID_ARGUMENT', 'UNAUTHENTICATED', 'NOT_FOUND', 'FAILED_PRECONDITION', 'OUT_OF_RANGE', 'UNAVAILABLE', 'DEADLINE_EXCEEDED']);

const { runId: text, uint32, small, column, enumValue } = hostile;

/** An ExchangeTickRequest with random fields, its demand naming one of `runIds`. */
function exchangeRequest(runIds: fc.Arbitrary<string>): fc.Arbitrary<FuzzedMessage> {
  const demand = fc.record({
    runId: runIds,
    shard: small,
    tick: small,
    persona: enumValue,
    handsetIds: column(small),
    cpuMhz: column(uint32),
    memoryMb: column(uint32),
    radioKbps: column(uint32),
    screenOn: column(fc.boolean()),
    app: column(uint32),
    worldRequest: column(enumValue),
    policyRevision: column(uint32),
    policyApplied: column(fc.boolean()),
  });
  const flows = fc.record({ handsetIds: column(small), kind: column(enumValue) });
  return fc.record({ demand: fc.option(demand, { nil: undefined }), flowRequests: fc.option(flows, { nil: undefined }) }).map((request) => ({
    runId: request.demand?.runId ?? '',
    shard: request.demand?.shard ?? 0,
    bytes: hypervisor.ExchangeTickRequest.encode(hypervisor.ExchangeTickRequest.fromPartial(request)).finish(),
  }));
}

/** A CommandIssued (duet.commands.v1) with random fields, naming one of `runIds`. */
function commandMessage(runIds: fc.Arbitrary<string>): fc.Arbitrary<FuzzedMessage> {
  return fc.record({ runId: runIds, commandId: text, shard: small, handsetId: small, type: enumValue, tick: small }).map((command) => ({
    runId: command.runId,
    shard: command.handsetId,
    bytes: events.CommandIssued.encode(events.CommandIssued.fromPartial(command)).finish(),
  }));
}

const identities = fc.constantFrom<string | undefined>(
  `Bearer ${new ServiceIdentities(SERVICE_KEY).tokenOf('persona-runtime')}`,
  undefined,
  'Bearer persona-runtime',
  `Bearer ${new ServiceIdentities('another-stack-service-identity-key-0123456789').tokenOf('persona-runtime')}`,
  `Bearer ${'x'.repeat(10_000)}`,
);

/** The idle demand of one persona of a shard at tick 0: every handset of the shard, no session. */
function validDemand(runId: string, shard: number, persona: Persona): hypervisor.ExchangeTickRequest {
  const run = prepareRun(CONFIG);
  const fleet = new FleetShard(run.fleet, shard, CONFIG.shards, run.random, run.clock.tickSeconds);
  return encodeDemand({ runId, shard, tick: 0, persona }, fleet.ids, new DemandBatch(fleet.size));
}

async function startHypervisor(eventBus: EventBus, shared?: { checkpoints: KafkaCheckpointStore; checkpointTicks: number }) {
  const [grpcPort, httpPort] = [await freePort(), await freePort()];
  const app = await startHypervisorCoreApp(
    { eventBus, instanceId: 'fuzz', serviceIdentityKey: SERVICE_KEY, shared },
    { host: '127.0.0.1', grpcPort, httpPort },
  );
  return { app, grpcAddress: `127.0.0.1:${grpcPort}`, httpBase: `http://127.0.0.1:${httpPort}` };
}

describe('hypervisor-core ExchangeTick over gRPC under fuzzing', () => {
  const bus = new InProcessEventBus();
  let app: INestApplication;
  let client: Client;

  beforeAll(async () => {
    const started = await startHypervisor(bus);
    app = started.app;
    client = new Client(started.grpcAddress, credentials.createInsecure());
    await bus.publish(RUN_LIFECYCLE.name, [runStartedMessage(RUN_ID, 'hypervisor-fuzz', CONFIG)]);
  });

  afterAll(async () => {
    client?.close();
    await app?.close();
    await bus.close();
  });

  function call(path: string, bytes: Uint8Array, authorization?: string): Promise<ServiceError | Buffer> {
    const metadata = new Metadata();
    if (authorization !== undefined) metadata.set('authorization', authorization);
    const identity = (buffer: Buffer) => buffer;
    return new Promise((resolve) =>
      client.makeUnaryRequest(path, identity, identity, Buffer.from(bytes), metadata, { deadline: Date.now() + 2_000 }, (error, response) =>
        resolve(error ?? response!),
      ),
    );
  }

  async function answerOf(bytes: Uint8Array, authorization?: string): Promise<string> {
    const answer = await call(`${SERVICE}/ExchangeTick`, bytes, authorization);
    return answer instanceof Buffer ? 'OK' : status[(answer as ServiceError).code];
  }

  async function expectServing(): Promise<void> {
    expect(await call('/grpc.health.v1.Health/Check', new Uint8Array())).toEqual(Buffer.from([0x08, 0x01])); // SERVING
    const health = await call(`${SERVICE}/CheckHealth`, hypervisor.CheckHealthRequest.encode({}).finish());
    expect(hypervisor.CheckHealthResponse.decode(health as Buffer).status).toBe(hypervisor.HealthStatus.HEALTH_STATUS_SERVING);
  }

  const runIds = fc.oneof(fc.constant(RUN_ID), text);

  it('answers random and truncated bytes with a clean status, then is still SERVING', async () => {
    await fc.assert(
      fc.asyncProperty(hostileBytes(exchangeRequest(runIds).map(({ bytes }) => bytes)), identities, async (bytes, authorization) => {
        expect(CLEAN, `${Buffer.from(bytes).toString('hex')} as ${authorization?.slice(0, 40)}`).toContain(await answerOf(bytes, authorization));
      }),
      { numRuns: RUNS },
    );
    await expectServing();
  });

  it('answers requests with hostile ids, shards, ticks and columns with a clean status, then is still SERVING', async () => {
    const refused = new Set<string>();
    await fc.assert(
      fc.asyncProperty(exchangeRequest(runIds), identities, async ({ bytes }, authorization) => {
        const answer = await answerOf(bytes, authorization);
        expect(CLEAN, `${Buffer.from(bytes).subarray(0, 200).toString('hex')} as ${authorization?.slice(0, 40)}`).toContain(answer);
        refused.add(answer);
      }),
      { numRuns: RUNS },
    );
    // Both doors were reached: the identity check and the checks behind it.
    expect(refused).toContain('UNAUTHENTICATED');
    expect(refused).toContain('INVALID_ARGUMENT');
    await expectServing();
  });
});

describe('hypervisor-core consumers of duet.tick-demands.v1 and duet.commands.v1 under fuzzing (real broker)', () => {
  const grants: { runId: string; persona: number }[] = [];
  const prefix = `fuzz-${suffix}-`;
  let bus: KafkaEventBus;
  let producer: KafkaEventBus;
  let checkpoints: KafkaCheckpointStore;
  let demandLetters: DeadLetterWatch;
  let commandLetters: DeadLetterWatch;
  let listener: Subscription;
  let app: INestApplication;
  let httpBase: string;

  beforeAll(async () => {
    const { kafkaBrokers } = await getInfrastructure();
    await createRegistryTopics(kafkaBrokers);
    bus = new KafkaEventBus({ brokers: kafkaBrokers, clientId: 'hypervisor-fuzz-service' });
    producer = new KafkaEventBus({ brokers: kafkaBrokers, clientId: 'hypervisor-fuzz-producer' });
    // As main.ts wires it: the instance shares shards over Kafka with checkpoints.
    checkpoints = new KafkaCheckpointStore(bus, Role.ROLE_HYPERVISOR, `hypervisor-fuzz-checkpoints-${suffix}`);
    await checkpoints.start();
    ({ app, httpBase } = await startHypervisor(bus, { checkpoints, checkpointTicks: 2 }));
    demandLetters = await DeadLetterWatch.start(kafkaBrokers, DEMANDS.name, prefix);
    commandLetters = await DeadLetterWatch.start(kafkaBrokers, COMMANDS.name, prefix);
    listener = await producer.subscribe(
      `hypervisor-fuzz-grants-${suffix}`,
      ['duet.personal-grants.v1', 'duet.business-grants.v1'],
      async (messages) => {
        for (const message of messages) {
          const grant = decodedOrUndefined(() => hypervisor.ExchangeTickResponse.decode(message.value).grant);
          if (grant?.runId === AFTER_RUN_ID) grants.push({ runId: grant.runId, persona: grant.persona });
        }
      },
      { fromBeginning: true },
    );
    await producer.publish(RUN_LIFECYCLE.name, [runStartedMessage(RUN_ID, 'hypervisor-fuzz', CONFIG)]);
    await awaitEveryPartitionRead(producer, DEMANDS, prefix, demandLetters);
    await awaitEveryPartitionRead(producer, COMMANDS, prefix, commandLetters);
  }, INFRASTRUCTURE_TIMEOUT_MS);

  afterAll(async () => {
    await app?.close();
    await checkpoints?.close();
    await bus?.close();
    await listener?.close();
    await demandLetters?.close();
    await commandLetters?.close();
    await producer?.close();
  }, 30_000);

  it(
    'dead-letters every demand that is not of a started run, with the group and a reason, and answers a valid exchange after them',
    async () => {
      const cases = fuzzedCases(exchangeRequest, { startedRun: RUN_ID, hostileRunIds: text, prefix: `${prefix}demand-`, runs: RUNS, seed: 15 });
      for (const letter of await deliverFuzz(producer, DEMANDS.name, cases, demandLetters)) {
        expect(letter).toEqual({ group: 'hypervisor-core', reason: expect.stringMatching(/\S/) });
      }
      // The consumer goes on: both personas' demands of a run started after the fuzz get their grants.
      await producer.publish(RUN_LIFECYCLE.name, [runStartedMessage(AFTER_RUN_ID, 'hypervisor-fuzz', CONFIG)]);
      await producer.publish(
        DEMANDS.name,
        [Persona.PERSONAL, Persona.BUSINESS].map((persona) => ({ key: '1', value: DEMANDS.payload.encode(validDemand(AFTER_RUN_ID, 1, persona)).finish() })),
      );
      await expect.poll(() => grants.map((grant) => grant.persona).sort(), { timeout: 20_000, interval: 200 }).toEqual([Persona.PERSONAL, Persona.BUSINESS]);
      expect((await fetch(`${httpBase}/readyz`)).status).toBe(200);
    },
    INFRASTRUCTURE_TIMEOUT_MS,
  );

  it(
    'dead-letters every command that is not of a started run, and keeps a valid command after them',
    async () => {
      const cases = fuzzedCases(commandMessage, { startedRun: RUN_ID, hostileRunIds: text, prefix: `${prefix}command-`, runs: RUNS, seed: 16 });
      for (const letter of await deliverFuzz(producer, COMMANDS.name, cases, commandLetters)) {
        expect(letter).toEqual({ group: 'hypervisor-core-fuzz-commands', reason: expect.stringMatching(/\S/) });
      }
      // The consumer goes on: a valid command, then garbage behind it in its partition. Once the
      // garbage is dead-lettered the command was read, and it was kept.
      const valid = { runId: RUN_ID, commandId: 'fuzz-lock', shard: 1, handsetId: 1, type: common.CommandType.COMMAND_TYPE_LOCK, tick: 1 };
      await producer.publish(COMMANDS.name, [
        { key: `${prefix}command-valid`, shard: 1, value: events.CommandIssued.encode(events.CommandIssued.fromPartial(valid)).finish() },
        { key: `${prefix}command-behind`, shard: 1, value: Uint8Array.of(0xff, 0xff) },
      ]);
      await commandLetters.awaitAll([`${prefix}command-behind`], 20_000);
      expect(commandLetters.letters.has(`${prefix}command-valid`)).toBe(false);
      expect((await fetch(`${httpBase}/readyz`)).status).toBe(200);
    },
    INFRASTRUCTURE_TIMEOUT_MS,
  );
});
