// The telemetry module as the embedded composition root runs it: the in-process event bus and a
// real PostgreSQL (a fresh database for this file), queried through TelemetryQueryService.
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import { Database, HealthChecks, InProcessEventBus } from '@duet/service-kit';
import { Kpi, KPI_NAMES } from '@duet/sim-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, INFRASTRUCTURE_TIMEOUT_MS } from '../../../tests/support/infrastructure';
import { TelemetryModule, TelemetryQueryService, migrateTelemetry } from '../src/index';
import { RUN_LIFECYCLE, TICK_KPIS, eventBatchMessage, finalStateMessage, publishRunParts, startedMessage, tickPartMessage } from './run-messages';
import { SMALL_RUN_CONFIG, shuffled, simulateRun } from './simulated-run';

const run = simulateRun(SMALL_RUN_CONFIG);

describe('telemetry in the embedded mode (in-process bus, real PostgreSQL)', () => {
  let database: Database;

  beforeAll(async () => {
    database = new Database(await freshDatabase('telemetry-embedded'));
    await migrateTelemetry(database);
  }, INFRASTRUCTURE_TIMEOUT_MS);

  afterAll(async () => {
    await database?.close();
  });

  async function start(eventBus: InProcessEventBus): Promise<INestApplicationContext> {
    return NestFactory.createApplicationContext(TelemetryModule.register({ database, eventBus }), { logger: ['error'] });
  }

  /** Runs `body` against a telemetry module on a fresh in-process bus, closed afterwards. */
  async function withTelemetry(body: (eventBus: InProcessEventBus, app: INestApplicationContext) => Promise<void>): Promise<void> {
    const eventBus = new InProcessEventBus();
    const app = await start(eventBus);
    try {
      await body(eventBus, app);
    } finally {
      await app.close();
    }
  }

  it('completes a run with the in-process digest and summary and tells the bus', async () => {
    const eventBus = new InProcessEventBus();
    const app = await start(eventBus);
    const completed: string[] = [];
    await eventBus.subscribe('listener', [RUN_LIFECYCLE.name], async (messages) => {
      for (const message of messages) {
        const lifecycle = RUN_LIFECYCLE.payload.decode(message.value);
        if (lifecycle.digest) completed.push(`${lifecycle.runId} ${lifecycle.digest}`);
      }
    });
    try {
      await eventBus.publish(RUN_LIFECYCLE.name, [startedMessage('embedded-1', run)]);
      await publishRunParts(eventBus, 'embedded-1', run, (items) => shuffled(items, 3));
      await eventBus.drain();

      const sut = app.get(TelemetryQueryService);
      expect(await sut.completedRun('embedded-1')).toEqual({ digest: run.digest, summary: run.summary });
      expect(completed).toEqual([`embedded-1 ${run.digest}`]);
      const details = await sut.getRun('embedded-1');
      expect(details).toMatchObject({ phase: 'COMPLETED', ticksCompleted: SMALL_RUN_CONFIG.ticks, digest: run.digest });
      for (const name of KPI_NAMES) expect(details.totals[name]).toBe(run.ticks.reduce((sum, values) => sum + values[Kpi[name]], 0));
      const { rows } = await database.query<{ parts: string; pending: string }>(
        `SELECT (SELECT count(*) FROM telemetry.tick_kpi_parts) AS parts, (SELECT count(*) FROM telemetry.final_state_parts) AS pending`,
      );
      expect(rows[0]).toEqual({ parts: '0', pending: '0' });
      expect((await app.get(HealthChecks).report()).checks).toMatchObject({ 'telemetry.postgresql': true, 'telemetry.event-bus': true });
    } finally {
      await app.close();
    }
  });

  it("completes only once every role's event batch is counted, empty batches included", async () => {
    await withTelemetry(async (eventBus, app) => {
      // Every tick part and final state, and every event batch but one empty one: not complete yet.
      const last = run.eventBatches.findLastIndex((batch) => batch.kind.length === 0);
      expect(last).toBeGreaterThanOrEqual(0);
      await eventBus.publish(RUN_LIFECYCLE.name, [startedMessage('embedded-events', run)]);
      await eventBus.publish(
        TICK_KPIS.name,
        run.tickParts.map((part) => tickPartMessage('embedded-events', part)),
      );
      await eventBus.publish(
        'duet.shard-state.v1',
        run.finalStateParts.map((part) => finalStateMessage('embedded-events', part)),
      );
      await eventBus.publish(
        'duet.handset-events.v1',
        run.eventBatches.filter((_batch, i) => i !== last).map((batch) => eventBatchMessage('embedded-events', batch)),
      );
      await eventBus.drain();
      const sut = app.get(TelemetryQueryService);
      expect((await sut.getRun('embedded-events')).phase).toBe('STARTED');

      await eventBus.publish('duet.handset-events.v1', [eventBatchMessage('embedded-events', run.eventBatches[last])]);
      await eventBus.drain();
      expect(await sut.completedRun('embedded-events')).toEqual({ digest: run.digest, summary: run.summary });
    });
  });

  it('takes parts that arrived before STARTED, and continues after a restart from what it stored', async () => {
    const firstBus = new InProcessEventBus();
    let app = await start(firstBus);
    const parts = shuffled(run.tickParts, 5);
    const half = Math.floor(parts.length / 2);
    // Half the tick parts and every event batch before the run is known, then STARTED.
    await firstBus.publish(
      TICK_KPIS.name,
      parts.slice(0, half).map((part) => tickPartMessage('embedded-2', part)),
    );
    await firstBus.publish(
      'duet.handset-events.v1',
      run.eventBatches.map((batch) => eventBatchMessage('embedded-2', batch)),
    );
    await firstBus.publish(RUN_LIFECYCLE.name, [startedMessage('embedded-2', run)]);
    await firstBus.drain();
    const partial = await app.get(TelemetryQueryService).getRun('embedded-2');
    expect(partial.phase).toBe('STARTED');
    await app.close();

    // A new process: the bus redelivers a few parts it had seen, then the rest.
    const secondBus = new InProcessEventBus();
    app = await start(secondBus);
    try {
      await secondBus.publish(
        TICK_KPIS.name,
        parts.slice(half - 10).map((part) => tickPartMessage('embedded-2', part)),
      );
      await secondBus.publish(
        'duet.shard-state.v1',
        run.finalStateParts.map((part) => finalStateMessage('embedded-2', part)),
      );
      await secondBus.drain();
      const sut = app.get(TelemetryQueryService);
      expect(await sut.completedRun('embedded-2')).toEqual({ digest: run.digest, summary: run.summary });
      const series = await sut.querySeries({ runId: 'embedded-2', measure: { type: 'event', eventKind: 1, eventKindName: 'SESSION_STARTED' }, fromTick: 0 });
      expect(series.series[0].values.reduce((sum, value) => sum + value, 0)).toBe(run.summary.totals.sessionsStarted);
    } finally {
      await app.close();
    }
  });

  it('fails a run whose config is not valid, naming the field and rule, and skips a payload that is not protobuf', async () => {
    await withTelemetry(async (eventBus, app) => {
      const config = { ...SMALL_RUN_CONFIG, fleet: { ...SMALL_RUN_CONFIG.fleet, models: [{ name: 'nexus-one', weight: 1 }] } };
      await eventBus.publish(TICK_KPIS.name, [{ key: '0', value: Uint8Array.from([0xff, 0xff, 0xff]) }]);
      await eventBus.publish(RUN_LIFECYCLE.name, [startedMessage('embedded-bad', { ...run, config })]);
      await eventBus.drain();
      const sut = app.get(TelemetryQueryService);
      const failed = await sut.getRun('embedded-bad');
      expect(failed.phase).toBe('FAILED');
      expect(failed.failure).toContain('config_json.fleet.models.0.name');
      expect(failed.failure).toContain('[enum]');
      expect(eventBus.healthy()).toBe(true);
    });
  });
});
