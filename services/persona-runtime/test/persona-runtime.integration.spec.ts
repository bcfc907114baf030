// The personal persona runtime as a networked application on a real Kafka broker: this spec plays
// hypervisor-core, answering every demand the runtime publishes on duet.tick-demands.v1 with a
// grant on duet.personal-grants.v1, and reads what the runtime reports and checkpoints.
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findTopic } from '@duet/contracts';
import { decodeExchangeTickRequest, encodeGrant, KafkaCheckpointStore, KafkaEventBus, Role, type Subscription } from '@duet/service-kit';
import { DemandBatch, GrantBatch, GuestState, Persona, type SimulationConfig } from '@duet/sim-core';
import { freePort } from '../../../packages/stack/src/index';
import { createRegistryTopics, getInfrastructure, INFRASTRUCTURE_TIMEOUT_MS } from '../../../tests/support/infrastructure';
import { RUN_LIFECYCLE, runStartedMessage } from '../../../tests/support/run-started';
import { GrantInbox, KafkaHypervisorPeer, startPersonaRuntimeApp } from '../src/index';

const DEMANDS = findTopic('duet.tick-demands.v1');
const GRANTS = findTopic('duet.personal-grants.v1');
const TICK_KPIS = findTopic('duet.tick-kpis.v1');
const SHARD_STATE = findTopic('duet.shard-state.v1');
const CHECKPOINTS = findTopic('duet.checkpoints.v1');
const CONFIG: SimulationConfig = { seed: 9, ticks: 5, shards: 2, fleet: { handsets: 10 }, policies: [{ tick: 0, policy: { name: 'policies/baseline' } }] };
const CHECKPOINT_TICKS = 2;
const RUN_ID = `persona-spec-${randomUUID()}`;

describe('persona-runtime (personal) over a real Kafka broker', () => {
  const demands: { shard: number; tick: number; persona: number; handsets: number }[] = [];
  const kpiParts: { shard: number; tick: number; role: number }[] = [];
  const finalStates: { shard: number; role: number }[] = [];
  const checkpoints: { shard: number; role: number; tick: number }[] = [];
  const subscriptions: Subscription[] = [];
  let runtimeBus: KafkaEventBus;
  let hypervisorBus: KafkaEventBus;
  let store: KafkaCheckpointStore;
  let app: INestApplication;
  let httpBase: string;

  /** hypervisor-core's part: every demand answered with a grant of a running guest on a charged, powered handset. */
  async function answer(request: ReturnType<typeof decodeExchangeTickRequest>): Promise<void> {
    const demand = request.demand!;
    const size = demand.handsetIds.length;
    const grant = new GrantBatch(size);
    grant.powered.fill(1);
    grant.guestState.fill(GuestState.RUNNING);
    grant.batteryPermille.fill(800);
    const response = encodeGrant(
      { runId: demand.runId, shard: demand.shard, tick: demand.tick, persona: demand.persona },
      Uint32Array.from(demand.handsetIds),
      grant,
      new DemandBatch(size),
    );
    await hypervisorBus.publish(GRANTS.name, [{ key: String(demand.shard), value: GRANTS.payload.encode(response).finish() }]);
  }

  beforeAll(async () => {
    const { kafkaBrokers } = await getInfrastructure();
    await createRegistryTopics(kafkaBrokers);
    hypervisorBus = new KafkaEventBus({ brokers: kafkaBrokers, clientId: 'persona-spec-hypervisor' });
    const group = `persona-spec-${randomUUID()}`;
    subscriptions.push(
      await hypervisorBus.subscribe(
        `${group}-demands`,
        [DEMANDS.name],
        async (messages) => {
          for (const message of messages) {
            const request = decodeExchangeTickRequest(message.value);
            const demand = request.demand;
            if (demand?.runId !== RUN_ID) continue;
            demands.push({ shard: demand.shard, tick: demand.tick, persona: demand.persona, handsets: demand.handsetIds.length });
            await answer(request);
          }
        },
        { fromBeginning: true },
      ),
      await hypervisorBus.subscribe(
        `${group}-reports`,
        [TICK_KPIS.name, SHARD_STATE.name, CHECKPOINTS.name],
        async (messages) => {
          for (const message of messages) {
            if (message.topic === TICK_KPIS.name) {
              const part = TICK_KPIS.payload.decode(message.value);
              if (part.runId === RUN_ID) kpiParts.push({ shard: part.shard, tick: part.tick, role: part.role });
            } else if (message.topic === SHARD_STATE.name) {
              const state = SHARD_STATE.payload.decode(message.value);
              if (state.runId === RUN_ID) finalStates.push({ shard: state.shard, role: state.role });
            } else {
              const checkpoint = CHECKPOINTS.payload.decode(message.value);
              if (checkpoint.runId === RUN_ID) checkpoints.push({ shard: checkpoint.shard, role: checkpoint.role, tick: checkpoint.tick });
            }
          }
        },
        { fromBeginning: true },
      ),
    );

    runtimeBus = new KafkaEventBus({ brokers: kafkaBrokers, clientId: 'persona-spec-runtime' });
    store = new KafkaCheckpointStore(runtimeBus, Role.ROLE_PERSONAL, `${group}-checkpoints`);
    await store.start();
    const grants = new GrantInbox();
    const httpPort = await freePort();
    app = await startPersonaRuntimeApp(
      {
        persona: Persona.PERSONAL,
        eventBus: runtimeBus,
        hypervisor: new KafkaHypervisorPeer(runtimeBus, grants),
        instanceId: 'persona-spec',
        shared: { checkpoints: store, checkpointTicks: CHECKPOINT_TICKS, grants },
      },
      { host: '127.0.0.1', httpPort },
    );
    httpBase = `http://127.0.0.1:${httpPort}`;
    await hypervisorBus.publish(RUN_LIFECYCLE.name, [runStartedMessage(RUN_ID, 'persona-spec', CONFIG)]);
  }, INFRASTRUCTURE_TIMEOUT_MS);

  afterAll(async () => {
    await app?.close();
    await store?.close();
    await runtimeBus?.close();
    await Promise.all(subscriptions.map((subscription) => subscription.close()));
    await hypervisorBus?.close();
  });

  it('runs every shard of the run tick by tick on the grants it gets, and reports each tick and the final state', async () => {
    await expect.poll(() => finalStates.length, { timeout: 60_000, interval: 200 }).toBe(CONFIG.shards);
    for (let shard = 0; shard < CONFIG.shards; shard++) {
      const ticks = demands.filter((demand) => demand.shard === shard).map((demand) => demand.tick);
      // One demand per tick, in order; a redelivered one (after a rebalance) may repeat a tick.
      expect([...new Set(ticks)]).toEqual([0, 1, 2, 3, 4]);
      expect(ticks).toEqual([...ticks].sort((a, b) => a - b));
      expect(new Set(kpiParts.filter((part) => part.shard === shard && part.role === Role.ROLE_PERSONAL).map((part) => part.tick))).toEqual(
        new Set([0, 1, 2, 3, 4]),
      );
    }
    expect(demands.every((demand) => demand.persona === Persona.PERSONAL)).toBe(true);
    // The shards split the fleet: their first demands cover every handset once.
    const firsts = new Map(demands.filter((demand) => demand.tick === 0).map((demand) => [demand.shard, demand.handsets]));
    expect([...firsts.values()].reduce((sum, handsets) => sum + handsets, 0)).toBe(CONFIG.fleet.handsets);
    expect(finalStates.every((state) => state.role === Role.ROLE_PERSONAL)).toBe(true);
  }, 90_000);

  it(`checkpoints each shard every ${CHECKPOINT_TICKS} ticks and at its end`, async () => {
    await expect.poll(() => checkpoints.length, { timeout: 30_000, interval: 200 }).toBeGreaterThanOrEqual(CONFIG.shards * 3);
    for (let shard = 0; shard < CONFIG.shards; shard++) {
      const ticks = new Set(
        checkpoints.filter((checkpoint) => checkpoint.shard === shard && checkpoint.role === Role.ROLE_PERSONAL).map((checkpoint) => checkpoint.tick),
      );
      expect(ticks).toEqual(new Set([1, 3, 4]));
    }
  });

  it('is ready on HTTP while its bus is connected', async () => {
    expect((await fetch(`${httpBase}/readyz`)).status).toBe(200);
  });
});
