// The dashboard's HTTP API on a listening telemetry application (in-process bus, real PostgreSQL,
// a fresh database for this file): panels and comparisons agree with the in-process simulation,
// the event stream is well-framed SSE that follows a run to its end, and every bad parameter
// answers 400 naming it.
import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Database, InProcessEventBus } from '@duet/service-kit';
import { Kpi } from '@duet/sim-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, INFRASTRUCTURE_TIMEOUT_MS } from '../../../tests/support/infrastructure';
import { RunFeed } from '../src/dashboard/run-feed';
import { TelemetryModule, migrateTelemetry } from '../src/index';
import {
  HANDSET_EVENTS,
  RUN_LIFECYCLE,
  SHARD_STATE,
  TICK_KPIS,
  eventBatchMessage,
  eventually,
  finalStateMessage,
  publishRunParts,
  startedMessage,
  tickPartMessage,
} from './run-messages';
import { SMALL_RUN_CONFIG, simulateRun } from './simulated-run';

const runA = simulateRun(SMALL_RUN_CONFIG);
const runB = simulateRun({ ...SMALL_RUN_CONFIG, seed: 7, fleet: { ...SMALL_RUN_CONFIG.fleet, handsets: 120 } });
const TICKS = SMALL_RUN_CONFIG.ticks;
const sum = (values: ArrayLike<number>[], kpi: number) => values.reduce((total, tick) => total + tick[kpi], 0);

interface SseMessage {
  readonly event?: string;
  readonly id?: string;
  readonly data?: unknown;
  readonly comment?: string;
  readonly retry?: number;
}

/** Splits an SSE body into messages (blank-line separated blocks of `field: value` lines). */
function parseSse(body: string): SseMessage[] {
  return body
    .split('\n\n')
    .filter((block) => block.length > 0)
    .map((block) => {
      const message: { event?: string; id?: string; data?: unknown; comment?: string; retry?: number } = {};
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) message.comment = line.slice(1).trim();
        else if (line.startsWith('event: ')) message.event = line.slice(7);
        else if (line.startsWith('id: ')) message.id = line.slice(4);
        else if (line.startsWith('data: ')) message.data = JSON.parse(line.slice(6));
        else if (line.startsWith('retry: ')) message.retry = Number(line.slice(7));
        else throw new Error(`not an SSE line: ${JSON.stringify(line)}`);
      }
      return message;
    });
}

describe('the dashboard API (HTTP on 127.0.0.1, real PostgreSQL)', () => {
  let database: Database;
  let bus: InProcessEventBus;
  let app: INestApplication;
  let base: string;

  beforeAll(async () => {
    database = new Database(await freshDatabase('telemetry-dashboard'));
    await migrateTelemetry(database);
    bus = new InProcessEventBus();
    app = await NestFactory.create(TelemetryModule.register({ database, eventBus: bus, dashboardFeed: { pollMilliseconds: 50, heartbeatMilliseconds: 100 } }), {
      logger: ['error'],
    });
    await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
    // Run A complete; run B started with nothing final yet (its parts come in the stream test).
    await bus.publish(RUN_LIFECYCLE.name, [startedMessage('dashboard-a', runA, 'dashboard-spec')]);
    await publishRunParts(bus, 'dashboard-a', runA, (items) => [...items]);
    await bus.publish(RUN_LIFECYCLE.name, [startedMessage('dashboard-b', runB, 'dashboard-spec')]);
    await bus.drain();
  }, INFRASTRUCTURE_TIMEOUT_MS);

  afterAll(async () => {
    await app?.close();
    await bus?.close();
    await database?.close();
  });

  async function get(path: string): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(`${base}${path}`);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  it('lists runs newest first', async () => {
    const { status, body } = await get('/v1/dashboard/runs?limit=10');
    expect(status).toBe(200);
    expect((body.runs as { runId: string; phase: string }[]).map((run) => [run.runId, run.phase])).toEqual([
      ['dashboard-b', 'STARTED'],
      ['dashboard-a', 'COMPLETED'],
    ]);
  });

  it('gives the stat, series, battery and breakdown panels of a completed run as the simulation measured them', async () => {
    const { status, body } = await get('/v1/dashboard/runs/dashboard-a/panels?step=1&breakdown=region');
    expect(status).toBe(200);
    const panels = body as unknown as import('../src/dashboard/dashboard.service').Panels;
    const last = runA.ticks[TICKS - 1];
    expect(panels.range).toEqual({ fromTick: 0, toTick: TICKS - 1, step: 1 });
    expect(panels.stats).toMatchObject({
      ticksCompleted: TICKS,
      ticks: TICKS,
      handsets: 90,
      handsetsOnline: last[Kpi.handsetsOnline],
      complianceRate: last[Kpi.compliant] / last[Kpi.enrolled],
      batteryMeanPercent: last[Kpi.batteryPermilleSum] / 90 / 10,
      tickLagSeconds: null,
    });
    expect(panels.stats.eventsPerSecond).toBeGreaterThan(0);
    expect(panels.series.ticks).toEqual(runA.ticks.map((_, tick) => tick));
    expect(panels.series.eventsPerTick).toEqual(runA.ticks.map((tick) => tick[Kpi.events]));
    expect(panels.series.guest.running).toEqual(runA.ticks.map((tick) => tick[Kpi.guestRunning]));
    expect(panels.series.leaks.copy).toEqual(runA.ticks.map((tick) => tick[Kpi.leaksCopyWorkToPersonal]));
    for (const [i, tick] of runA.ticks.entries()) {
      const shares = panels.battery.bands.map((band) => band.share[i]);
      expect(shares[0]).toBeCloseTo(tick[Kpi.batteryEmpty] / 90, 9);
      expect(shares[0] + shares[1] + shares[2]).toBeCloseTo(1, 9); // off + low + the rest = the fleet
    }
    expect(panels.breakdown.dimension).toBe('region');
    expect(panels.breakdown.rows.map((row) => row.value).sort()).toEqual(['amer', 'emea']);
    expect(panels.breakdown.rows.reduce((total, row) => total + row.handsets, 0)).toBe(90);
    const sessions = panels.breakdown.columns.findIndex((column) => column.eventKind === 'SESSION_STARTED');
    expect(panels.breakdown.rows.reduce((total, row) => total + row.counts[sessions], 0)).toBe(sum(runA.ticks, Kpi.sessionsStarted));
    expect(panels.summary).toEqual(runA.summary.kpis);
  });

  it('averages ticks into points of `step` ticks and keeps to the range asked', async () => {
    const { body } = await get('/v1/dashboard/runs/dashboard-a/panels?from=10&to=19&step=5&breakdown=model');
    const panels = body as unknown as import('../src/dashboard/dashboard.service').Panels;
    expect(panels.range).toEqual({ fromTick: 10, toTick: 19, step: 5 });
    expect(panels.series.ticks).toEqual([10, 15]);
    const mean = (from: number) => runA.ticks.slice(from, from + 5).reduce((total, tick) => total + tick[Kpi.events], 0) / 5;
    expect(panels.series.eventsPerTick[0]).toBeCloseTo(mean(10), 9);
    expect(panels.series.eventsPerTick[1]).toBeCloseTo(mean(15), 9);
    expect(panels.breakdown.rows.map((row) => row.value).sort()).toEqual(['optimus-2x', 'optimus-black', 'optimus-one']);
  });

  it('streams a run as server-sent events: every final tick once and in order, heartbeats, the end, then closes', async () => {
    const response = await fetch(`${base}/v1/dashboard/runs/dashboard-b/stream?since=0`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-cache, no-transform');
    const body = response.text();
    // Half the ticks, a pause long enough for heartbeats, then the rest and the final state.
    const half = runB.tickParts.filter((part) => part.tick < TICKS / 2);
    await bus.publish(
      TICK_KPIS.name,
      half.map((part) => tickPartMessage('dashboard-b', part)),
    );
    await bus.drain();
    await new Promise((resolve) => setTimeout(resolve, 400));
    await bus.publish(
      TICK_KPIS.name,
      runB.tickParts.filter((part) => part.tick >= TICKS / 2).map((part) => tickPartMessage('dashboard-b', part)),
    );
    await bus.publish(
      HANDSET_EVENTS.name,
      runB.eventBatches.map((batch) => eventBatchMessage('dashboard-b', batch)),
    );
    await bus.publish(
      SHARD_STATE.name,
      runB.finalStateParts.map((part) => finalStateMessage('dashboard-b', part)),
    );
    await bus.drain();

    const messages = parseSse(await body); // the server ends the response after the phase message
    expect(messages[0]).toEqual({ retry: 2000 });
    expect(messages[1]).toMatchObject({ event: 'run', data: { run: { runId: 'dashboard-b', phase: 'STARTED', handsets: 120 } } });
    expect(messages.some((message) => message.comment === 'heartbeat')).toBe(true);
    const ticks = messages.filter((message) => message.event === 'tick');
    const received = ticks.flatMap((message) => (message.data as { ticks: { tick: number; kpis: { events: number } }[] }).ticks);
    expect(received.map((tick) => tick.tick)).toEqual(runB.ticks.map((_, tick) => tick));
    expect(received.map((tick) => tick.kpis.events)).toEqual(runB.ticks.map((tick) => tick[Kpi.events]));
    for (const message of ticks) expect(message.id).toBe(String((message.data as { ticksCompleted: number }).ticksCompleted));
    expect(messages.at(-1)).toEqual({ event: 'phase', data: { runId: 'dashboard-b', phase: 'COMPLETED', digest: runB.digest } });
  });

  it('resumes a stream from Last-Event-ID and ends at once for a finished run', async () => {
    const response = await fetch(`${base}/v1/dashboard/runs/dashboard-a/stream`, { headers: { 'last-event-id': String(TICKS - 2) } });
    const messages = parseSse(await response.text());
    const ticks = messages.filter((message) => message.event === 'tick');
    expect(ticks.flatMap((message) => (message.data as { ticks: { tick: number }[] }).ticks.map((tick) => tick.tick))).toEqual([TICKS - 2, TICKS - 1]);
    expect(messages.at(-1)).toMatchObject({ event: 'phase', data: { phase: 'COMPLETED' } });
  });

  it('stops watching when the client goes away', async () => {
    await bus.publish(RUN_LIFECYCLE.name, [startedMessage('dashboard-idle', runA, 'dashboard-spec')]);
    await bus.drain();
    const feed = app.get(RunFeed);
    const before = feed.watchers;
    const abort = new AbortController();
    const response = await fetch(`${base}/v1/dashboard/runs/dashboard-idle/stream`, { signal: abort.signal });
    expect(response.status).toBe(200);
    await eventually(async () => (feed.watchers === before + 1 ? true : undefined), 5_000, 'the stream to be watched');
    abort.abort();
    await eventually(async () => (feed.watchers === before ? true : undefined), 5_000, 'the watch to stop after the client left');
  });

  it('compares two runs: KPIs side by side with deltas, series at the same ticks', async () => {
    const { status, body } = await get('/v1/dashboard/compare?a=dashboard-a&b=dashboard-b');
    expect(status).toBe(200);
    const comparison = body as unknown as import('../src/dashboard/dashboard.service').Comparison;
    expect([comparison.a.runId, comparison.b.runId]).toEqual(['dashboard-a', 'dashboard-b']);
    const kpi = (name: string) => comparison.kpis.find((each) => each.name === name)!;
    expect(kpi('handsets')).toMatchObject({ a: 90, b: 120, delta: 30, relative: 30 / 90 });
    const eventsA = sum(runA.ticks, Kpi.events);
    const eventsB = sum(runB.ticks, Kpi.events);
    expect(kpi('events')).toMatchObject({ a: eventsA, b: eventsB, delta: eventsB - eventsA });
    expect(kpi('complianceRate').a).toBeCloseTo(runA.summary.kpis.complianceRate, 4);
    expect(comparison.series.ticks).toHaveLength(TICKS);
    expect(comparison.series.b.eventsPerTick).toEqual(runB.ticks.map((tick) => tick[Kpi.events]));
  });

  it.each([
    ['/v1/dashboard/runs/dashboard-a/panels?from=abc', 'from', 'integer'],
    ['/v1/dashboard/runs/dashboard-a/panels?from=10&to=2', 'from', 'range'],
    ['/v1/dashboard/runs/dashboard-a/panels?from=99999999999', 'from', 'integer'],
    ['/v1/dashboard/runs/dashboard-a/panels?from=1&from=2', 'from', 'single'],
    ['/v1/dashboard/runs/dashboard-a/panels?step=0', 'step', 'range'],
    ['/v1/dashboard/runs/dashboard-a/panels?breakdown=planet', 'breakdown', 'enum'],
    ['/v1/dashboard/runs/dashboard-a/panels?colour=red', 'colour', 'unknown'],
    [`/v1/dashboard/runs/${'r'.repeat(129)}/panels`, 'runId', 'length'],
    ['/v1/dashboard/compare?a=dashboard-a', 'b', 'required'],
    ['/v1/dashboard/compare?a=dashboard-a&b=dashboard-a', 'b', 'range'],
    ['/v1/dashboard/runs?limit=1000', 'limit', 'range'],
    ['/v1/dashboard/runs?limit=ten', 'limit', 'integer'],
    ['/v1/dashboard/runs/dashboard-a/stream?since=-1', 'since', 'integer'],
  ])('answers 400 naming the parameter for %s', async (path, parameter, rule) => {
    const { status, body } = await get(path);
    expect(status).toBe(400);
    expect(body.issues).toContainEqual(expect.objectContaining({ parameter, rule }));
    expect(body.message).toContain(`${parameter}: `);
  });

  it.each(['/v1/dashboard/runs/nobody/panels', '/v1/dashboard/runs/nobody/stream', '/v1/dashboard/compare?a=dashboard-a&b=nobody'])(
    'answers 404 for an unknown run: %s',
    async (path) => {
      const response = await fetch(`${base}${path}`);
      expect(response.status).toBe(404);
      expect(response.headers.get('content-type')).toContain('application/json');
      expect(((await response.json()) as { message: string }).message).toBe('run "nobody" is not known');
    },
  );

  it('serves the page, its scripts and uPlot, and nothing else from disk', async () => {
    const page = await fetch(`${base}/dashboard`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(await page.text()).toContain('<main id="main">');
    for (const name of ['dashboard.js', 'charts.js', 'uPlot.esm.js']) {
      const asset = await fetch(`${base}/dashboard/assets/${name}`);
      expect(asset.status).toBe(200);
      expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    }
    expect((await fetch(`${base}/dashboard/assets/..%2F..%2Fpackage.json`)).status).toBe(404);
    expect((await fetch(`${base}/dashboard/assets/index.html`)).status).toBe(404);
  });
});
