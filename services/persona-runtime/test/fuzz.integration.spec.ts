// Property-based fuzzing of the persona runtime's Kafka consumer (fast-check, bounded for CI): the
// personal runtime, wired as main.ts wires it, reads duet.personal-grants.v1 on a real broker full
// of random and truncated bytes and of grants with hostile ids, shards, ticks and columns. Each
// is handled or dead-lettered to duet.personal-grants.v1.dlq, and a run started after them still
// runs to its end on the grants this spec answers its demands with (it plays hypervisor-core).
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findTopic, hypervisor } from '@duet/contracts';
import { decodeExchangeTickRequest, encodeGrant, freePort, KafkaCheckpointStore, KafkaEventBus, Role, type Subscription } from '@duet/service-kit';
import { DemandBatch, GrantBatch, GuestState, Persona, type SimulationConfig } from '@duet/sim-core';
import { createRegistryTopics, getInfrastructure, INFRASTRUCTURE_TIMEOUT_MS } from '../../../tests/support/infrastructure';
import {
  awaitEveryPartitionRead,
  DeadLetterWatch,
  decodedOrUndefined,
  deliverFuzz,
  fuzzedCases,
  hostile,
  type FuzzedMessage,
} from '../../../tests/support/consumer-fuzz';
import { RUN_LIFECYCLE, runStartedMessage } from '../../../tests/support/run-started';
import { GrantInbox, KafkaHypervisorPeer, startPersonaRuntimeApp } from '../src/index';

const RUNS = 60;
const DEMANDS = findTopic('duet.tick-demands.v1');
const GRANTS = findTopic('duet.personal-grants.v1');
const SHARD_STATE = findTopic('duet.shard-state.v1');
const CONFIG: SimulationConfig = { seed: 9, ticks: 3, shards: 2, fleet: { handsets: 10 }, policies: [{ tick: 0, policy: { name: 'policies/baseline' } }] };
const suffix = randomUUID();
const RUN_ID = `persona-fuzz-${suffix}`;
const AFTER_RUN_ID = `persona-fuzz-after-${suffix}`;
const UNANSWERED_RUN_ID = `persona-fuzz-unanswered-${suffix}`;
const prefix = `fuzz-${suffix}-`;

const { runId: text, uint32, small, column, enumValue } = hostile;

/** An ExchangeTickResponse (the grants topic's payload) with random fields, naming one of `runIds`. */
function grantMessage(runIds: fc.Arbitrary<string>): fc.Arbitrary<FuzzedMessage> {
  const grant = fc.record({
    runId: runIds,
    shard: small,
    tick: small,
    persona: enumValue,
    handsetIds: column(small),
    cpuMhzGranted: column(uint32),
    memoryMbGranted: column(uint32),
    guestState: column(enumValue),
    batteryPermille: column(uint32),
    powered: column(fc.boolean()),
    foreground: column(enumValue),
    incomingItems: column(uint32),
  });
  const decisions = fc.record({ allowed: column(fc.boolean()), rule: column(text) });
  return fc.record({ grant: fc.option(grant, { nil: undefined }), flowDecisions: fc.option(decisions, { nil: undefined }) }).map((response) => ({
    runId: response.grant?.runId ?? '',
    shard: response.grant?.shard ?? 0,
    bytes: hypervisor.ExchangeTickResponse.encode(hypervisor.ExchangeTickResponse.fromPartial(response)).finish(),
  }));
}

describe('persona-runtime consumer of duet.personal-grants.v1 under fuzzing (real broker)', () => {
  const finalShards = new Set<number>();
  const demanding = new Set<string>();
  let closed = false;
  const subscriptions: Subscription[] = [];
  let bus: KafkaEventBus;
  let standIn: KafkaEventBus;
  let store: KafkaCheckpointStore;
  let watch: DeadLetterWatch;
  let app: INestApplication;
  let httpBase: string;

  /** hypervisor-core's part for the run after the fuzz: each demand answered with a running guest on a charged handset. */
  async function answer(bytes: Uint8Array): Promise<void> {
    const demand = decodedOrUndefined(() => decodeExchangeTickRequest(bytes).demand);
    if (demand !== undefined) demanding.add(demand.runId);
    if (demand?.runId !== AFTER_RUN_ID) return;
    const grant = new GrantBatch(demand.handsetIds.length);
    grant.powered.fill(1);
    grant.guestState.fill(GuestState.RUNNING);
    grant.batteryPermille.fill(800);
    const response = encodeGrant({ ...demand }, Uint32Array.from(demand.handsetIds), grant, new DemandBatch(demand.handsetIds.length));
    await standIn.publish(GRANTS.name, [{ key: String(demand.shard), value: GRANTS.payload.encode(response).finish() }]);
  }

  beforeAll(async () => {
    const { kafkaBrokers } = await getInfrastructure();
    await createRegistryTopics(kafkaBrokers);
    standIn = new KafkaEventBus({ brokers: kafkaBrokers, clientId: 'persona-fuzz-stand-in' });
    subscriptions.push(
      await standIn.subscribe(`persona-fuzz-demands-${suffix}`, [DEMANDS.name], async (messages) => {
        for (const message of messages) await answer(message.value);
      }),
      await standIn.subscribe(
        `persona-fuzz-states-${suffix}`,
        [SHARD_STATE.name],
        async (messages) => {
          for (const message of messages) {
            const state = decodedOrUndefined(() => SHARD_STATE.payload.decode(message.value));
            if (state?.runId === AFTER_RUN_ID && state.role === Role.ROLE_PERSONAL) finalShards.add(state.shard);
          }
        },
        { fromBeginning: true },
      ),
    );
    // As main.ts wires it: grants come over Kafka into the inbox, checkpoints go to Kafka.
    bus = new KafkaEventBus({ brokers: kafkaBrokers, clientId: 'persona-fuzz-runtime' });
    store = new KafkaCheckpointStore(bus, Role.ROLE_PERSONAL, `persona-fuzz-checkpoints-${suffix}`);
    await store.start();
    const grants = new GrantInbox();
    const httpPort = await freePort();
    app = await startPersonaRuntimeApp(
      {
        persona: Persona.PERSONAL,
        eventBus: bus,
        hypervisor: new KafkaHypervisorPeer(bus, grants),
        instanceId: 'persona-fuzz',
        shared: { checkpoints: store, checkpointTicks: 2, grants },
      },
      { host: '127.0.0.1', httpPort },
    );
    httpBase = `http://127.0.0.1:${httpPort}`;
    watch = await DeadLetterWatch.start(kafkaBrokers, GRANTS.name, prefix);
    await standIn.publish(RUN_LIFECYCLE.name, [runStartedMessage(RUN_ID, 'persona-fuzz', CONFIG)]);
    await awaitEveryPartitionRead(standIn, GRANTS, prefix, watch);
  }, INFRASTRUCTURE_TIMEOUT_MS);

  afterAll(async () => {
    if (!closed) await app?.close();
    await store?.close();
    await bus?.close();
    await Promise.all(subscriptions.map((subscription) => subscription.close()));
    await watch?.close();
    await standIn?.close();
  }, 30_000);

  it(
    'dead-letters every grant that is not of a started run, with the group and a reason, and runs a later run to its end',
    async () => {
      const cases = fuzzedCases(grantMessage, { startedRun: RUN_ID, hostileRunIds: text, prefix, runs: RUNS, seed: 15 });
      for (const letter of await deliverFuzz(standIn, GRANTS.name, cases, watch)) {
        expect(letter).toEqual({ group: 'persona-runtime-personal', reason: expect.stringMatching(/\S/) });
      }

      // The consumer goes on: a run started after the fuzz runs every shard to its final state.
      await standIn.publish(RUN_LIFECYCLE.name, [runStartedMessage(AFTER_RUN_ID, 'persona-fuzz', CONFIG)]);
      await expect.poll(() => finalShards.size, { timeout: 30_000, interval: 200 }).toBe(CONFIG.shards);
      expect((await fetch(`${httpBase}/readyz`)).status).toBe(200);
    },
    INFRASTRUCTURE_TIMEOUT_MS,
  );

  it('stops promptly while a run waits for grants that never come (hypervisor-core away)', async () => {
    await standIn.publish(RUN_LIFECYCLE.name, [runStartedMessage(UNANSWERED_RUN_ID, 'persona-fuzz', CONFIG)]);
    await expect.poll(() => demanding.has(UNANSWERED_RUN_ID), { timeout: 20_000, interval: 100 }).toBe(true);
    const started = Date.now();
    closed = true;
    await app.close();
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
