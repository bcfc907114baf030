// The networked telemetry service against real Kafka and PostgreSQL (a fresh database for this
// file): runs published through Kafka with the contracts' codecs are stored and completed with
// the in-process digest, and the HTTP and gRPC query APIs answer on 127.0.0.1.
import 'reflect-metadata';
import { InterceptingCall, credentials, loadPackageDefinition, status, type Client, type Interceptor, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import type { INestApplication } from '@nestjs/common';
import { GRPC_LOADER_OPTIONS, PROTO_ROOT, TOPICS, findTopic, telemetry } from '@duet/contracts';
import fc from 'fast-check';
import { Database, KafkaEventBus, freePort, type Subscription } from '@duet/service-kit';
import { EventKind, Kpi } from '@duet/sim-core';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistryTopics, freshDatabase, getInfrastructure, INFRASTRUCTURE_TIMEOUT_MS } from '../../../tests/support/infrastructure';
import { migrateTelemetry, startTelemetryApplication } from '../src/index';
import { RUN_LIFECYCLE, eventually, publishRunParts, startedMessage } from './run-messages';
import { SMALL_RUN_CONFIG, shuffled, simulateRun } from './simulated-run';

const run = simulateRun(SMALL_RUN_CONFIG);
const suffix = `${process.pid}-${Date.now()}`;
const RUN_ID = `kafka-run-${suffix}`;
const LATE_RUN_ID = `kafka-late-run-${suffix}`;
const HOSTILE_RUN_ID = `hostile\u0000run-${suffix}`;
const CONSUMED_TOPICS = ['duet.run-lifecycle.v1', 'duet.tick-kpis.v1', 'duet.handset-events.v1', 'duet.shard-state.v1'];

/** Bytes that are no message, or a message of the topic with random fields (run ids never RUN_ID's). */
function fuzzedPayload(topic: string): fc.Arbitrary<Uint8Array> {
  const runId = fc.oneof(
    fc.constantFrom('', 'fuzz\u0000run', 'x'.repeat(300)),
    fc.string({ maxLength: 20 }).map((id) => `fuzz-${id}`),
  );
  const uint32 = fc.oneof(fc.constantFrom(0, 0xffff_ffff), fc.nat({ max: 0xffff_ffff }));
  const codec = findTopic(topic as 'duet.tick-kpis.v1').payload as unknown as {
    encode(message: object): { finish(): Uint8Array };
    fromPartial(message: object): object;
  };
  const message = fc
    .record({
      runId,
      tick: uint32,
      shard: uint32,
      role: fc.integer({ min: -1, max: 5 }),
      phase: fc.integer({ min: -1, max: 5 }),
      configJson: fc.string({ maxLength: 40 }),
    })
    .map((fields) => codec.encode(codec.fromPartial(fields)).finish());
  return fc.oneof(fc.uint8Array({ maxLength: 40 }), message);
}
const COMPLETION_TIMEOUT_MS = 60_000;
const VIEWER_TOKEN = 'telemetry-spec-viewer-token-0123456789';
const VIEWER = { authorization: `Bearer ${VIEWER_TOKEN}` };

function viewerFetch(url: string): Promise<Response> {
  return fetch(url, { headers: VIEWER });
}

type Call<Request, Response> = (request: Request, callback: (error: ServiceError | null, response: Response) => void) => void;
interface TelemetryClient {
  getRun: Call<telemetry.GetRunRequest, telemetry.GetRunResponse>;
  listRuns: Call<Partial<telemetry.ListRunsRequest>, telemetry.ListRunsResponse>;
  querySeries: Call<Partial<telemetry.QuerySeriesRequest>, telemetry.QuerySeriesResponse>;
  close(): void;
}

// Every call of `client` shows the viewer token, as a third-party client would in its metadata.
const asViewer: Interceptor = (options, next) =>
  new InterceptingCall(next(options), {
    start: (metadata, listener, proceed) => {
      metadata.set('authorization', VIEWER.authorization);
      proceed(metadata, listener);
    },
  });

function call<Request, Response>(client: TelemetryClient, method: 'getRun' | 'listRuns' | 'querySeries', request: Request): Promise<Response> {
  return new Promise((resolve, reject) =>
    (client[method] as unknown as Call<Request, Response>).call(client, request, (error, response) => (error ? reject(error) : resolve(response))),
  );
}

describe('telemetry over Kafka, with its HTTP and gRPC query APIs', () => {
  let database: Database;
  let service: KafkaEventBus;
  let producer: KafkaEventBus;
  let app: INestApplication;
  let http: string;
  let client: TelemetryClient;
  let anonymous: TelemetryClient;
  let listener: Subscription;
  const completed = new Map<string, string>();

  beforeAll(async () => {
    const { kafkaBrokers } = await getInfrastructure();
    database = new Database(await freshDatabase('telemetry-kafka'));
    await migrateTelemetry(database);
    await createRegistryTopics(kafkaBrokers);
    service = new KafkaEventBus({ brokers: kafkaBrokers, clientId: 'telemetry-spec-service' });
    producer = new KafkaEventBus({ brokers: kafkaBrokers, clientId: 'telemetry-spec-producer' });
    const [grpcPort, httpPort] = [await freePort(), await freePort()];
    app = await startTelemetryApplication({
      database,
      eventBus: service,
      consumerGroup: `telemetry-spec-${suffix}`,
      host: '127.0.0.1',
      grpcPort,
      httpPort,
      logLevels: ['warn', 'error'],
      viewerToken: VIEWER_TOKEN,
    });
    http = `http://127.0.0.1:${httpPort}`;
    const definition = loadSync(join(PROTO_ROOT, telemetry.protobufFileName), { ...GRPC_LOADER_OPTIONS, includeDirs: [PROTO_ROOT] });
    const TelemetryService = (
      loadPackageDefinition(definition).duet as never as {
        telemetry: { v1: { TelemetryService: new (address: string, creds: unknown, options?: object) => TelemetryClient } };
      }
    ).telemetry.v1.TelemetryService;
    client = new TelemetryService(`127.0.0.1:${grpcPort}`, credentials.createInsecure(), { interceptors: [asViewer] });
    anonymous = new TelemetryService(`127.0.0.1:${grpcPort}`, credentials.createInsecure());
    listener = await producer.subscribe(
      `telemetry-spec-listener-${suffix}`,
      [RUN_LIFECYCLE.name],
      async (messages) => {
        for (const message of messages) {
          let lifecycle: ReturnType<typeof RUN_LIFECYCLE.payload.decode>;
          try {
            lifecycle = RUN_LIFECYCLE.payload.decode(message.value);
          } catch {
            continue; // one of the fuzzed payloads
          }
          if (lifecycle.phase === telemetry.RunPhase.RUN_PHASE_COMPLETED) completed.set(lifecycle.runId, lifecycle.digest);
        }
      },
      { fromBeginning: true },
    );

    // A STARTED whose run id PostgreSQL cannot store, on the partition of RUN_ID just before it: it
    // is skipped, not retried forever ahead of RUN_ID. Then one run in the usual order, one whose
    // parts all come before its STARTED.
    await producer.publish(RUN_LIFECYCLE.name, [{ ...startedMessage(HOSTILE_RUN_ID, run), key: RUN_ID }]);
    // Fuzzed payloads on every topic telemetry reads, ahead of RUN_ID on its partitions: random
    // bytes and contract messages with random fields; each is skipped or recorded, none stops it.
    for (const topic of TOPICS.filter((each) => CONSUMED_TOPICS.includes(each.name))) {
      const payloads = fc.sample(fuzzedPayload(topic.name), { numRuns: 12, seed: 15 });
      await producer.publish(
        topic.name,
        payloads.map((value) => ({ key: RUN_ID, value })),
      );
    }
    await producer.publish(RUN_LIFECYCLE.name, [startedMessage(RUN_ID, run)]);
    await publishRunParts(producer, RUN_ID, run, (items) => shuffled(items, 17));
    await publishRunParts(producer, LATE_RUN_ID, run, (items) => shuffled(items, 23));
    await producer.publish(RUN_LIFECYCLE.name, [startedMessage(LATE_RUN_ID, run, 'late-start')]);
  }, INFRASTRUCTURE_TIMEOUT_MS);

  afterAll(async () => {
    client?.close();
    anonymous?.close();
    await listener?.close();
    await app?.close();
    await service?.close();
    await producer?.close();
    await database?.close();
  }, 30_000);

  // COMPLETED is decided by the tick parts and final states; event batches travel on their own
  // topic and may still be counted after it (a known gap: completion does not yet wait for them).
  // Wait until every batch is counted (or time out), then assert the exact totals.
  async function eventSeriesSettled(): Promise<{ dimension: string; total: string }[]> {
    const events = run.ticks.reduce((sum, values) => sum + values[Kpi.events], 0);
    return eventually(
      async () => {
        const { rows } = await database.query<{ dimension: string; total: string }>(
          'SELECT dimension, sum(count) AS total FROM telemetry.series WHERE run_id = $1 GROUP BY dimension ORDER BY dimension',
          [RUN_ID],
        );
        return rows.length === 5 && rows.every((row) => Number(row.total) >= events) ? rows : undefined;
      },
      COMPLETION_TIMEOUT_MS,
      `the event series of ${RUN_ID}`,
    );
  }

  it(
    'stores every tick, the event series and the run with the in-process digest, and publishes COMPLETED',
    async () => {
      for (const runId of [RUN_ID, LATE_RUN_ID]) {
        const digest = await eventually(async () => completed.get(runId), COMPLETION_TIMEOUT_MS, `COMPLETED of ${runId}`);
        expect(digest).toBe(run.digest);
      }
      const { rows: runs } = await database.query<{ run_id: string; phase: string; digest: string; summary: unknown; ticks_completed: number }>(
        'SELECT run_id, phase, digest, summary, ticks_completed FROM telemetry.runs WHERE run_id = ANY($1) ORDER BY run_id',
        [[RUN_ID, LATE_RUN_ID]],
      );
      expect(runs.map((row) => row.run_id).sort()).toEqual([RUN_ID, LATE_RUN_ID].sort());
      for (const row of runs)
        expect(row).toMatchObject({ phase: 'COMPLETED', digest: run.digest, summary: run.summary, ticks_completed: SMALL_RUN_CONFIG.ticks });

      const { rows: ticks } = await database.query<{ tick: number; guest_running: string; events: string }>(
        'SELECT tick, guest_running, events FROM telemetry.tick_kpis WHERE run_id = $1 ORDER BY tick',
        [RUN_ID],
      );
      expect(ticks.map((row) => row.tick)).toEqual([...Array(SMALL_RUN_CONFIG.ticks).keys()]);
      expect(ticks.map((row) => Number(row.events))).toEqual(run.ticks.map((values) => values[Kpi.events]));

      // The duplicated event batch is counted once: per dimension, the counts add up to the events.
      const events = run.ticks.reduce((sum, values) => sum + values[Kpi.events], 0);
      const series = await eventSeriesSettled();
      expect(series.map((row) => [row.dimension, Number(row.total)])).toEqual(
        ['group', 'model', 'persona', 'policy_version', 'region'].map((name) => [name, events]),
      );
    },
    COMPLETION_TIMEOUT_MS + 10_000,
  );

  it('answers over HTTP: runs, one run, a KPI series and an event series split by model', async () => {
    await eventually(async () => completed.get(RUN_ID), COMPLETION_TIMEOUT_MS, `COMPLETED of ${RUN_ID}`);
    const list = (await (await viewerFetch(`${http}/v1/runs?pageSize=500`)).json()) as { runs: { runId: string }[] };
    expect(list.runs.map((one) => one.runId)).toEqual(expect.arrayContaining([RUN_ID, LATE_RUN_ID]));

    const details = (await (await viewerFetch(`${http}/v1/runs/${RUN_ID}`)).json()) as {
      phase: string;
      digest: string;
      summary: unknown;
      totals: Record<string, number>;
    };
    expect(details).toMatchObject({ phase: 'COMPLETED', digest: run.digest, summary: run.summary });
    expect(details.totals.sessionsStarted).toBe(run.summary.totals.sessionsStarted);

    const kpi = (await (await viewerFetch(`${http}/v1/runs/${RUN_ID}/series?kpi=guestRunning&from=0&to=10`)).json()) as {
      series: { ticks: number[]; values: number[] }[];
    };
    expect(kpi.series).toEqual([{ dimensions: {}, ticks: [...Array(11).keys()], values: run.ticks.slice(0, 11).map((values) => values[Kpi.guestRunning]) }]);

    await eventSeriesSettled();
    const flows = (await (await viewerFetch(`${http}/v1/runs/${RUN_ID}/series?event=CROSS_PERSONA_FLOW&dimension=model`)).json()) as {
      eventKind: string;
      series: { dimensions: { model: string }; values: number[] }[];
    };
    expect(flows.eventKind).toBe('CROSS_PERSONA_FLOW');
    expect(flows.series.map((one) => one.dimensions.model)).toEqual(['optimus-2x', 'optimus-black', 'optimus-one']);
    const flowTotal = flows.series.flatMap((one) => one.values).reduce((sum, value) => sum + value, 0);
    expect(flowTotal).toBe(run.summary.totals.flowsAllowed + run.summary.totals.flowsBlocked);
  });

  it('rejects bad HTTP parameters with 400 naming the parameter and rule, and an unknown run with 404', async () => {
    const cases: [string, string][] = [
      ['kpi=speed', 'kpi: unknown KPI "speed"'],
      ['event=CHECK_IN&dimension=colour', 'dimension: unknown dimension "colour"'],
      ['kpi=enrolled&from=9&to=3', 'from: must not be greater than to (9 > 3) [range]'],
      ['kpi=enrolled&from=1.5', 'from: must be an integer tick'],
    ];
    for (const [query, message] of cases) {
      const response = await viewerFetch(`${http}/v1/runs/${RUN_ID}/series?${query}`);
      expect(response.status).toBe(400);
      expect(((await response.json()) as { message: string }).message).toContain(message);
    }
    const missing = await viewerFetch(`${http}/v1/runs/no-such-run`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { message: string }).message).toBe('run "no-such-run" is not known');
  });

  it('answers over gRPC and maps bad requests to INVALID_ARGUMENT and unknown runs to NOT_FOUND', async () => {
    await eventually(async () => completed.get(RUN_ID), COMPLETION_TIMEOUT_MS, `COMPLETED of ${RUN_ID}`);
    const response = await call<telemetry.GetRunRequest, telemetry.GetRunResponse>(client, 'getRun', { runId: RUN_ID });
    expect(response.run).toMatchObject({
      runId: RUN_ID,
      phase: telemetry.RunPhase.RUN_PHASE_COMPLETED,
      ticksCompleted: SMALL_RUN_CONFIG.ticks,
      digest: run.digest,
    });
    expect(JSON.parse(response.summaryJson)).toEqual(run.summary);
    expect(response.totals?.checkIns).toBe(run.summary.totals.checkIns);

    const page = await call<Partial<telemetry.ListRunsRequest>, telemetry.ListRunsResponse>(client, 'listRuns', { scenario: 'late-start' });
    expect(page.runs.map((one) => one.runId)).toContain(LATE_RUN_ID);
    expect(page.runs.map((one) => one.runId)).not.toContain(RUN_ID);

    const series = await call<Partial<telemetry.QuerySeriesRequest>, telemetry.QuerySeriesResponse>(client, 'querySeries', {
      runId: RUN_ID,
      eventKind: 'SESSION_STARTED',
      filters: [{ dimension: 'persona', values: ['business'] }],
      groupBy: ['persona'],
      fromTick: 0,
    });
    expect(series.series).toHaveLength(1);
    expect(series.series[0].dimensions).toEqual({ persona: 'business' });
    expect(series.series[0].ticks).toEqual([...Array(SMALL_RUN_CONFIG.ticks).keys()]);
    const businessSessions = run.eventBatches.flatMap((batch) =>
      batch.kind.filter((kind, e) => kind === EventKind.SESSION_STARTED && batch.persona[e] === 2),
    ).length;
    expect(series.series[0].values.reduce((sum, value) => sum + value, 0)).toBe(businessSessions);

    const kpi = await call<Partial<telemetry.QuerySeriesRequest>, telemetry.QuerySeriesResponse>(client, 'querySeries', {
      runId: RUN_ID,
      kpi: 'enrolled',
      fromTick: 5,
      toTick: 5,
    });
    expect(kpi.series[0]).toMatchObject({ ticks: [5], values: [run.ticks[5][Kpi.enrolled]] });

    const invalid = await call(client, 'querySeries', { runId: RUN_ID, kpi: 'enrolled', fromTick: 9, toTick: 2 }).catch((error: ServiceError) => error);
    expect(invalid).toMatchObject({ code: status.INVALID_ARGUMENT, details: 'from_tick: must not be greater than to_tick (9 > 2) [range]' });
    const unknownKpi = await call(client, 'querySeries', { runId: RUN_ID, kpi: 'speed' }).catch((error: ServiceError) => error);
    expect(unknownKpi).toMatchObject({ code: status.INVALID_ARGUMENT });
    expect((unknownKpi as ServiceError).details).toContain('kpi: unknown KPI "speed"');
    const notFound = await call(client, 'getRun', { runId: 'no-such-run' }).catch((error: ServiceError) => error);
    expect(notFound).toMatchObject({ code: status.NOT_FOUND, details: 'run "no-such-run" is not known' });
  });

  it('refuses hostile input cleanly: NUL run ids, megabyte values, undecodable protobuf, oversized headers', async () => {
    const nul = await viewerFetch(`${http}/v1/runs/bad%00run`);
    expect(nul.status).toBe(400);
    expect(((await nul.json()) as { issues: { parameter: string; rule: string }[] }).issues).toEqual([
      expect.objectContaining({ parameter: 'run_id', rule: 'characters' }),
    ]);
    const huge = await viewerFetch(`${http}/v1/runs/${RUN_ID}/series?kpi=${'k'.repeat(10_000)}`);
    expect(huge.status).toBe(400);
    expect(((await huge.json()) as { message: string }).message.length).toBeLessThan(1_000);
    const headers = await fetch(`${http}/v1/runs`, { headers: { ...VIEWER, 'x-padding': 'x'.repeat(1024 * 1024) } });
    expect(headers.status).toBe(431);
    expect(await headers.json()).toMatchObject({ issues: [expect.objectContaining({ path: '(headers)', rule: 'max-bytes' })] });

    const grpcNul = await call(client, 'getRun', { runId: 'bad\u0000run' }).catch((error: ServiceError) => error);
    expect(grpcNul).toMatchObject({ code: status.INVALID_ARGUMENT });
    const garbage = await new Promise<ServiceError | null>((resolve) =>
      (client as unknown as Client).makeUnaryRequest(
        '/duet.telemetry.v1.TelemetryService/GetRun',
        (bytes: Buffer) => bytes,
        (bytes: Buffer) => bytes,
        Buffer.from([0x0a, 0x7f, 0x61]),
        (error) => resolve(error),
      ),
    );
    expect(garbage).toMatchObject({ code: status.INVALID_ARGUMENT });

    const { rows } = await database.query<{ count: string }>("SELECT count(*) FROM telemetry.runs WHERE run_id LIKE 'hostile%'");
    expect(Number(rows[0].count)).toBe(0);
    const metrics = await (await fetch(`${http}/metrics`)).text();
    expect(metrics).toMatch(/duet_rpc_duration_seconds_count\{method="GetRun",side="server",code="INVALID_ARGUMENT"\}/);
    expect(metrics).toMatch(/duet_rpc_duration_seconds_count\{method="GetRun",side="server",code="NOT_FOUND"\}/);
  });

  it('answers only callers with the viewer token: 401 over HTTP, UNAUTHENTICATED over gRPC, the dashboard through its cookie', async () => {
    for (const path of ['/v1/runs', `/v1/runs/${RUN_ID}`, '/v1/dashboard/runs', '/dashboard']) {
      for (const headers of [{} as Record<string, string>, { authorization: 'Bearer not-the-viewer-token' }, { authorization: `Bearer ${VIEWER_TOKEN}x` }]) {
        const response = await fetch(`${http}${path}`, { headers });
        expect(response.status, `${path} ${JSON.stringify(headers)}`).toBe(401);
        expect(response.headers.get('www-authenticate')).toBe('Bearer');
      }
    }
    const refused = await call(anonymous, 'listRuns', {}).catch((error: ServiceError) => error);
    expect(refused).toMatchObject({ code: status.UNAUTHENTICATED });
    await expect(call(client, 'listRuns', {})).resolves.toHaveProperty('runs');
    expect((await fetch(`${http}/readyz`)).status).toBe(200);

    const opened = await fetch(`${http}/dashboard?token=${VIEWER_TOKEN}`, { redirect: 'manual' });
    expect(opened.status).toBe(303);
    expect(opened.headers.get('location')).toBe('/dashboard');
    const cookie = opened.headers.get('set-cookie')!.split(';')[0];
    expect(opened.headers.get('set-cookie')).toMatch(/HttpOnly/i);
    expect((await fetch(`${http}/dashboard`, { headers: { cookie } })).status).toBe(200);
    expect((await fetch(`${http}/v1/dashboard/runs`, { headers: { cookie } })).status).toBe(200);
    expect((await fetch(`${http}/v1/runs?token=${VIEWER_TOKEN}`)).status).toBe(401); // a token in an address only opens the page
  });

  it('answers fuzzed HTTP routes and gRPC requests with 2xx or 4xx, never a server error (fast-check)', async () => {
    const text = fc.oneof(fc.string({ maxLength: 30 }), fc.string({ unit: 'binary', maxLength: 30 }), fc.constantFrom('', '\u0000', 'x'.repeat(5_000)));
    const routes = ['/v1/runs', '/v1/runs/:id', '/v1/runs/:id/series', '/v1/dashboard/runs', '/v1/dashboard/runs/:id/panels', '/v1/dashboard/compare'];
    const query = fc.dictionary(
      fc.constantFrom('kpi', 'event', 'dimension', 'from', 'to', 'step', 'limit', 'pageSize', 'pageToken', 'scenario', 'a', 'b', 'breakdown'),
      text,
      {
        maxKeys: 4,
      },
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }), query, async (route, id, parameters) => {
        const url = `${http}${route.replace(':id', encodeURIComponent(id))}?${new URLSearchParams(parameters).toString()}`;
        const response = await viewerFetch(url);
        expect(response.status, url.slice(0, 300)).toBeLessThan(500);
      }),
      { numRuns: 60 },
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('GetRun', 'ListRuns', 'QuerySeries'), fc.uint8Array({ maxLength: 48 }), async (method, bytes) => {
        const error = await new Promise<ServiceError | null>((resolve) =>
          (client as unknown as Client).makeUnaryRequest(
            `/duet.telemetry.v1.TelemetryService/${method}`,
            (value: Buffer) => value,
            (value: Buffer) => value,
            Buffer.from(bytes),
            (failure) => resolve(failure),
          ),
        );
        expect([status.INTERNAL, status.UNKNOWN], `${method} ← ${Buffer.from(bytes).toString('hex')}`).not.toContain(error?.code);
      }),
      { numRuns: 60 },
    );
  });
});
