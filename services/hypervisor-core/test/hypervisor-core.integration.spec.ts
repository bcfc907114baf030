// hypervisor-core as a networked application on real sockets: gRPC HypervisorService reached with a
// plain @grpc/grpc-js client built from the .proto (as another language's runtime would), HTTP
// health and metrics, and the in-process bus for the run lifecycle and its reports.
import 'reflect-metadata';
import { join } from 'node:path';
import { credentials, loadPackageDefinition, Metadata, status, type Client, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import type { INestApplication } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findTopic, GRPC_LOADER_OPTIONS, PROTO_ROOT, type hypervisor } from '@duet/contracts';
import { encodeDemand, InProcessEventBus, Role, ServiceIdentities, withPlainColumns } from '@duet/service-kit';
import { DemandBatch, FleetShard, Persona, prepareRun, type SimulationConfig } from '@duet/sim-core';
import { freePorts } from '@duet/stack';
import { RUN_LIFECYCLE, runStartedMessage } from '../../../tests/support/run-started';
import { startHypervisorCoreApp } from '../src/index';

const TICK_KPIS = findTopic('duet.tick-kpis.v1');
const CONFIG: SimulationConfig = { seed: 5, ticks: 4, shards: 2, fleet: { handsets: 12 }, policies: [{ tick: 0, policy: { name: 'policies/baseline' } }] };
const RUN_ID = 'hypervisor-spec';
const SERVICE_KEY = 'hypervisor-core-spec-service-identity-key-0123456789';

type Unary = (request: unknown, metadata: Metadata, options: { deadline: number }, callback: (error: ServiceError | null, response: unknown) => void) => void;

describe('hypervisor-core over gRPC and HTTP (in-process bus)', () => {
  const bus = new InProcessEventBus();
  const kpiParts: { shard: number; tick: number; role: number; handsetsOnline: number }[] = [];
  let app: INestApplication;
  let client: Client;
  let httpBase: string;
  // What a persona runtime presents: the exchange answers Duet services only.
  const persona = new Metadata();
  persona.set('authorization', `Bearer ${new ServiceIdentities(SERVICE_KEY).tokenOf('persona-runtime')}`);

  function call<Response>(method: string, request: unknown): Promise<Response> {
    return new Promise((resolve, reject) =>
      (client as unknown as Record<string, Unary>)[method].call(client, request, persona, { deadline: Date.now() + 10_000 }, (error, response) =>
        error ? reject(error) : resolve(response as Response),
      ),
    );
  }

  /** The idle demand of one persona for one tick of a shard: every handset of the shard, no session. */
  function demand(shard: number, tick: number, persona: number, runId = RUN_ID): unknown {
    const run = prepareRun(CONFIG);
    const fleet = new FleetShard(run.fleet, shard, CONFIG.shards, run.random, run.clock.tickSeconds);
    return withPlainColumns(encodeDemand({ runId, shard, tick, persona }, fleet.ids, new DemandBatch(fleet.size)));
  }

  beforeAll(async () => {
    const [grpcPort, httpPort] = await freePorts(2);
    app = await startHypervisorCoreApp({ eventBus: bus, instanceId: 'spec', serviceIdentityKey: SERVICE_KEY }, { host: '127.0.0.1', grpcPort, httpPort });
    httpBase = `http://127.0.0.1:${httpPort}`;
    const definition = loadSync(join(PROTO_ROOT, 'duet', 'hypervisor', 'v1', 'hypervisor.proto'), {
      ...GRPC_LOADER_OPTIONS,
      includeDirs: [...GRPC_LOADER_OPTIONS.includeDirs],
    });
    const service = (
      loadPackageDefinition(definition) as unknown as { duet: { hypervisor: { v1: Record<string, new (address: string, c: unknown) => Client> } } }
    ).duet.hypervisor.v1.HypervisorService;
    client = new service(`127.0.0.1:${grpcPort}`, credentials.createInsecure());
    await bus.subscribe('spec-kpis', [TICK_KPIS.name], async (messages) => {
      for (const message of messages) {
        const part = TICK_KPIS.payload.decode(message.value);
        kpiParts.push({ shard: part.shard, tick: part.tick, role: part.role, handsetsOnline: part.kpis?.handsetsOnline ?? -1 });
      }
    });
    await bus.publish(RUN_LIFECYCLE.name, [runStartedMessage(RUN_ID, 'hypervisor-spec', CONFIG)]);
  }, 60_000);

  afterAll(async () => {
    client?.close();
    await app?.close();
    await bus.close();
  });

  it('answers both personas of a shard with grants for exactly its handsets, then reports the tick', async () => {
    const [personal, business] = await Promise.all([
      call<hypervisor.ExchangeTickResponse>('exchangeTick', demand(1, 0, Persona.PERSONAL)),
      call<hypervisor.ExchangeTickResponse>('exchangeTick', demand(1, 0, Persona.BUSINESS)),
    ]);
    const run = prepareRun(CONFIG);
    const ids = [...new FleetShard(run.fleet, 1, CONFIG.shards, run.random, run.clock.tickSeconds).ids];
    for (const [grant, persona] of [
      [personal, Persona.PERSONAL],
      [business, Persona.BUSINESS],
    ] as const) {
      expect(grant.grant).toMatchObject({ runId: RUN_ID, shard: 1, tick: 0, persona });
      expect(grant.grant?.handsetIds).toEqual(ids);
    }
    await expect.poll(() => kpiParts.filter((part) => part.shard === 1 && part.tick === 0 && part.role === Role.ROLE_HYPERVISOR)).toHaveLength(1);
    const [part] = kpiParts;
    expect(part.handsetsOnline).toBeGreaterThan(0);
    expect(part.handsetsOnline).toBeLessThanOrEqual(ids.length);
    const shardStatus = await call<hypervisor.GetShardStatusResponse>('getShardStatus', { runId: RUN_ID, shard: 1 });
    expect(shardStatus).toMatchObject({ owned: true, handsets: ids.length, ticksCompleted: 1 });
  });

  it('refuses what breaks the contract with the status a caller can act on', async () => {
    const refusal = (request: unknown) =>
      call('exchangeTick', request).then(
        () => undefined,
        (error: ServiceError) => [error.code, error.details],
      );
    // A run it has not seen start may still be on its way: retry.
    expect(await refusal(demand(0, 0, Persona.PERSONAL, 'no-such-run'))).toEqual([status.UNAVAILABLE, expect.stringContaining('no-such-run')]);
    expect(
      await refusal({ ...(demand(0, 0, Persona.PERSONAL) as object), demand: { ...(demand(0, 0, Persona.PERSONAL) as { demand: object }).demand, shard: 9 } }),
    ).toEqual([status.INVALID_ARGUMENT, expect.stringContaining('shards 0..1')]);
    expect(await refusal({})).toEqual([status.INVALID_ARGUMENT, expect.stringContaining('demand')]);
  });

  it('serves readiness and the exchange timing on HTTP', async () => {
    expect((await fetch(`${httpBase}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${httpBase}/metrics`)).text();
    expect(metrics).toMatch(/duet_rpc_duration_seconds_count\{[^}]*method="ExchangeTick"[^}]*\} [1-9]/);
  });
});
