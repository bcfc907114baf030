// The local stack end to end (issue #4): `duet stack up` starts real Kafka, real PostgreSQL and the
// four services as separate processes (five: persona-runtime twice) talking real gRPC, every port
// TLS only (issue #15; tests/e2e/secure-stack.spec.ts checks the ports); `duet run --target local`
// runs the quickstart on them over TLS, trusting the stack's CA from its environment. Its digest must be the pure core's (docs/design.md#time-shards-and-determinism), for
// 4 shards and for 1, and what the run left behind is read back by plain clients: the protobuf
// messages on Kafka and the rows in PostgreSQL.
//
// Size: the quickstart reduced to 240 handsets over 4 simulated hours (240 ticks), as in the
// embedded e2e test. The full quickstart (2,000 handsets, 1,440 ticks) takes many minutes on the
// local stack of a 2-core machine (bench/README.md, "Local stack"), too long for every `npm test`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { STACK_SERVICES } from '@duet/cli/dist/stack/stack-services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { telemetry as telemetryContract, findTopic } from '@duet/contracts';
import { loadScenario } from '@duet/cli/dist/scenario/scenario.loader';
import { Simulation } from '@duet/sim-core';
import { isPidAlive, isPortOpen } from '@duet/stack';
import { RunSecrets, isSealed } from '@duet/service-kit';
import { lastJson, REPOSITORY_ROOT, runDuet } from './support/duet-process';
import { freePortRange } from './support/free-port-range';
import { readTopics, type TopicRecord } from './support/kafka-topics.reader';
import { stackKafka } from './support/stack-kafka';
import { ONE_INSTANCE_EACH, type RunResult, type StackPart, type StackUp } from './support/stack-json';
import { stopProcesses } from './support/stop-processes';

const SCENARIO = join(REPOSITORY_ROOT, 'scenarios', 'quickstart.yaml');
const REDUCED = ['fleet.handsets=240', 'duration=4h', 'start=08:00', 'shards=4'];
const STACK_PORT_COUNT = 11; // duet stack up --base-port N uses N..N+10
const ROLES_PER_SHARD = 3; // hypervisor, personal, business: each publishes its part of every tick
// A machine that never ran the stack fetches the Kafka jars (~30 s) and may apt-install PostgreSQL.
const STACK_UP_TIMEOUT_MS = 600_000;
const RUN_TIMEOUT_MS = 600_000;

const log = (message: string): void => console.log(`[local-stack e2e] ${message}`);

function coreDigest(sets: readonly string[]): string {
  return new Simulation(loadScenario(SCENARIO, sets).config).run().digest;
}

describe('the local stack runs the quickstart like the core does', () => {
  const dir = join(REPOSITORY_ROOT, '.duet', 'test-local-stack', `run-${process.pid}`);
  let up: StackUp | undefined;
  let environment: Record<string, string> = {};
  const runs: { four?: RunResult; one?: RunResult } = {};

  async function runOnStack(sets: readonly string[], runId: string): Promise<RunResult> {
    const result = await runDuet(['run', SCENARIO, '--target', 'local', '--json', '--run-id', runId, ...sets.flatMap((set) => ['--set', set])], {
      timeoutMs: RUN_TIMEOUT_MS,
      environment,
    });
    const run = lastJson<RunResult>(result);
    // Exit 1 means a scenario threshold failed: the reduced run never reaches the quickstart's 09:00
    // rollout, so `rollout_p99_minutes` has no value. That is the verdict, not an error (exit 2).
    expect(result.status, result.stderr.slice(-4000)).toBe(run.passed === false ? 1 : 0);
    expect(run.phase).toBe('COMPLETED');
    log(`run ${runId} (${sets.join(' ')}): ${run.ticks} ticks, ${run.handsets} handsets, ${run.shards} shards in ${run.wallSeconds.toFixed(1)} s`);
    return run;
  }

  beforeAll(async () => {
    const basePort = await freePortRange(STACK_PORT_COUNT);
    const result = await runDuet(['stack', 'up', '--dir', dir, '--base-port', String(basePort), '--json'], { timeoutMs: STACK_UP_TIMEOUT_MS });
    up = lastJson<StackUp>(result);
    if (!up.ok) throw new Error(`duet stack up failed:\n${up.error}`);
    environment = up.environment;
    log(
      `stack up in ${up.seconds.toFixed(1)} s (process ${result.seconds.toFixed(1)} s; infrastructure ${up.phases.infrastructure} s, ` +
        `topics ${up.phases.topics} s, services ${up.phases.services} s) on ports ${basePort}..${basePort + STACK_PORT_COUNT - 1}`,
    );
  }, STACK_UP_TIMEOUT_MS);

  afterAll(async () => {
    let stillRunning: unknown[] | undefined;
    try {
      const down = lastJson<{ ok: boolean; stillRunning: unknown[]; seconds: number }>(
        await runDuet(['stack', 'down', '--dir', dir, '--purge', '--json'], { timeoutMs: 120_000 }),
      );
      stillRunning = down.stillRunning;
      log(`stack down in ${down.seconds.toFixed(1)} s`);
    } finally {
      // When `down` could not run or left something, what `up` reported is stopped here by pid.
      if (stillRunning === undefined || stillRunning.length > 0) {
        const leftovers = await stopProcesses(up?.parts ?? []);
        if (leftovers.length > 0) log(`stopped by pid after \`duet stack down\` failed: ${leftovers.join(', ')}`);
      }
    }
    expect(stillRunning).toEqual([]);
    if (up?.parts) {
      for (const part of up.parts) expect(isPidAlive(part.pid ?? 0), `${part.name} (pid ${part.pid}) still alive`).toBe(false);
      for (const [name, port] of Object.entries(up.ports)) expect(await isPortOpen(port), `${name} port ${port} still open`).toBe(false);
    }
  }, 180_000);

  it('starts every part once: a second `up` adopts them all, and `status` exits 0', async () => {
    expect(up!.parts.map((part) => part.name)).toEqual(ONE_INSTANCE_EACH);
    const again = lastJson<StackUp>(await runDuet(['stack', 'up', '--dir', dir, '--json'], { timeoutMs: 120_000 }));
    expect(again.ok).toBe(true);
    expect(again.parts.map((part) => [part.name, part.pid, part.started])).toEqual(up!.parts.map((part) => [part.name, part.pid, false]));
    log(`second up (everything running) in ${again.seconds.toFixed(1)} s`);

    const status = await runDuet(['stack', 'status', '--dir', dir, '--json'], { timeoutMs: 60_000 });
    expect(status.status).toBe(0);
    expect(lastJson<{ parts: StackPart[] }>(status).parts.every((part) => part.running && part.ready)).toBe(true);
  }, 180_000);

  it(
    'gives the digest of the core for the reduced quickstart on 4 shards, over TLS',
    async () => {
      // The run talks to the stack over TLS only: https:// URLs, verified with the stack's CA.
      expect([environment.POLICY_AUTHORITY_URL, environment.TELEMETRY_URL]).toEqual([expect.stringMatching(/^https:/), expect.stringMatching(/^https:/)]);
      expect(environment.DUET_TLS_CA).toBe(join(dir, 'tls', 'ca.pem'));
      runs.four = await runOnStack(REDUCED, `e2e-local-${process.pid}-shards-4`);
      expect(runs.four.shards).toBe(4);
      expect(runs.four.handsets).toBe(240);
      expect(runs.four.ticks).toBe(240);
      expect(runs.four.digest).toBe(coreDigest(REDUCED));
      expect(runs.four.kpis.enrolled).toBeGreaterThan(200);
    },
    RUN_TIMEOUT_MS,
  );

  it(
    'gives the same digest on 1 shard as on 4',
    async () => {
      runs.one = await runOnStack([...REDUCED, 'shards=1'], `e2e-local-${process.pid}-shards-1`);
      expect(runs.one.shards).toBe(1);
      expect(runs.one.digest).toBe(coreDigest([...REDUCED, 'shards=1']));
      expect(runs.one.digest).toBe(runs.four?.digest);
    },
    RUN_TIMEOUT_MS,
  );

  it("leaves the run's events on Kafka as protobuf messages that carry its run id", async () => {
    const run = runs.four!;
    const names = ['duet.handset-events.v1', 'duet.tick-kpis.v1', 'duet.run-lifecycle.v1'] as const;
    const records = await readTopics(stackKafka(dir, environment.KAFKA_BROKERS!.split(','), 'e2e-reader'), names, 120_000);
    const of = (topic: string): TopicRecord[] => records.filter((record) => record.topic === topic);

    // Every message of the three topics decodes with its registered codec.
    const eventBatches = of(names[0]).map((record) => findTopic('duet.handset-events.v1').payload.decode(record.value));
    const tickParts = of(names[1]).map((record) => ({ record, part: findTopic('duet.tick-kpis.v1').payload.decode(record.value) }));
    const lifecycle = of(names[2]).map((record) => findTopic('duet.run-lifecycle.v1').payload.decode(record.value));
    const ourRuns = new Set([run.runId, runs.one?.runId]);
    expect(new Set([...eventBatches, ...tickParts.map(({ part }) => part), ...lifecycle].map((message) => message.runId))).toEqual(ourRuns);

    const phases = lifecycle.filter((message) => message.runId === run.runId).map((message) => message.phase);
    expect(phases).toEqual([telemetryContract.RunPhase.RUN_PHASE_STARTED, telemetryContract.RunPhase.RUN_PHASE_COMPLETED]);
    const completed = lifecycle.find((message) => message.runId === run.runId && message.phase === telemetryContract.RunPhase.RUN_PHASE_COMPLETED);
    expect(completed?.digest).toBe(run.digest);
    // The run's enrollment token travels sealed: what a reader of the topic sees enrolls nothing.
    const started = lifecycle.find((message) => message.runId === run.runId && message.phase === telemetryContract.RunPhase.RUN_PHASE_STARTED);
    expect(isSealed(started!.enrollmentToken)).toBe(true);
    expect(new RunSecrets(environment.RUN_SECRETS_KEY!).open(run.runId, started!.enrollmentToken)).toMatch(/^[A-Za-z0-9_-]{32}$/);

    // Every role of every shard measured every tick; their events are all on the events topic.
    const ourParts = tickParts.filter(({ part }) => part.runId === run.runId);
    expect(ourParts).toHaveLength(run.ticks * run.shards * ROLES_PER_SHARD);
    expect(new Set(ourParts.map(({ part }) => part.tick)).size).toBe(run.ticks);
    const ourBatches = eventBatches.filter((batch) => batch.runId === run.runId);
    const eventsOnKafka = ourBatches.reduce((sum, batch) => sum + batch.kind.length, 0);
    const eventsMeasured = ourParts.reduce((sum, { part }) => sum + Number(part.kpis?.events ?? 0), 0);
    expect(ourBatches.length).toBeGreaterThan(0);
    expect(eventsOnKafka).toBe(eventsMeasured);

    // Figures for bench/README.md: throughput, and per tick how long the slowest part trailed the
    // first (skew between shards and roles) and how far apart ticks completed.
    const completions = new Map<number, { first: number; last: number }>();
    for (const { record, part } of ourParts) {
      const tick = completions.get(part.tick) ?? { first: Infinity, last: 0 };
      completions.set(part.tick, { first: Math.min(tick.first, record.timestamp), last: Math.max(tick.last, record.timestamp) });
    }
    const ticks = [...completions.entries()].sort(([a], [b]) => a - b).map(([, times]) => times);
    const skews = ticks.map((tick) => tick.last - tick.first).sort((a, b) => a - b);
    const gaps = ticks
      .slice(1)
      .map((tick, index) => tick.last - ticks[index].last)
      .sort((a, b) => a - b);
    const quantile = (values: number[], q: number): number => values[Math.min(values.length - 1, Math.floor(q * values.length))];
    const spanSeconds = (ticks.at(-1)!.last - ticks[0].first) / 1000;
    log(
      `Kafka: ${eventsOnKafka} events in ${ourBatches.length} batches, ${ourParts.length} KPI parts; ` +
        `${Math.round(eventsOnKafka / run.wallSeconds)} events/s over the run's wall time (${run.wallSeconds.toFixed(1)} s), ` +
        `${Math.round(eventsOnKafka / spanSeconds)} events/s from first to last tick (${spanSeconds.toFixed(1)} s); ` +
        `wall per tick median ${quantile(gaps, 0.5)} ms, p95 ${quantile(gaps, 0.95)} ms; ` +
        `tick skew (last part minus first) median ${quantile(skews, 0.5)} ms, p95 ${quantile(skews, 0.95)} ms, max ${skews.at(-1)} ms`,
    );
  }, 180_000);

  it('takes Kafka and PostgreSQL clients only with credentials over TLS, and runs each service as its own Kafka principal', async () => {
    const brokers = environment.KAFKA_BROKERS!.split(',');
    // No credentials, plaintext or TLS: no metadata.
    for (const ssl of [undefined, { ca: [readFileSync(environment.DUET_TLS_CA!, 'utf8')] }]) {
      const outsider = new Kafka({
        clientId: 'e2e-outsider',
        brokers,
        ssl,
        connectionTimeout: 3_000,
        retry: { retries: 0 },
        logLevel: logLevel.NOTHING,
      }).admin();
      await expect((async () => (await outsider.connect(), outsider.fetchTopicMetadata({ topics: ['duet.run-lifecycle.v1'] })))()).rejects.toThrow();
      await outsider.disconnect().catch(() => undefined);
    }
    // The command line's own principal (stack.env) reads what `duet run` follows, and nothing it does not.
    expect(environment.KAFKA_SASL_USERNAME).toBe('duet');
    const cli = new Kafka({
      clientId: 'e2e-cli',
      brokers,
      ssl: { ca: [readFileSync(environment.KAFKA_SSL_CA!, 'utf8')] },
      sasl: { mechanism: 'scram-sha-512', username: environment.KAFKA_SASL_USERNAME!, password: environment.KAFKA_SASL_PASSWORD! },
      retry: { retries: 0 },
      logLevel: logLevel.NOTHING,
    }).admin();
    await cli.connect();
    try {
      expect((await cli.fetchTopicMetadata({ topics: ['duet.run-lifecycle.v1'] })).topics).toHaveLength(1);
      await expect(cli.fetchTopicMetadata({ topics: ['duet.tick-demands.v1'] })).rejects.toThrow(/authoriz/i);
    } finally {
      await cli.disconnect();
    }
    // Each service process was given its own SCRAM user (its environment, as the kernel holds it).
    const principals = Object.fromEntries(
      up!.parts
        .filter((part) => part.name !== 'kafka' && part.name !== 'postgres')
        .map((part) => [part.name, /(?:^|\0)KAFKA_SASL_USERNAME=([^\0]*)/.exec(readFileSync(`/proc/${part.pid}/environ`, 'utf8'))?.[1]]),
    );
    // The same principal per service as `duet stack up` gives (apps/duet/src/stack/stack-services.ts).
    expect(principals).toEqual(Object.fromEntries(STACK_SERVICES.map((service) => [service.name, service.kafkaPrincipal])));
    // PostgreSQL: the URL without TLS, or without the password, is refused.
    const url = new URL(environment.DATABASE_URL!);
    expect(url.searchParams.get('sslmode')).toBe('verify-full');
    const plaintext = new URL(url);
    plaintext.search = '?sslmode=disable';
    const noPassword = new URL(url);
    noPassword.password = '';
    for (const refused of [plaintext, noPassword]) {
      const client = new Client({ connectionString: refused.toString(), connectionTimeoutMillis: 10_000 });
      await expect(client.connect(), refused.search).rejects.toThrow(/pg_hba|no encryption|password/i);
      await client.end().catch(() => undefined);
    }
  }, 60_000);

  it('leaves the run, its series and compliance records in PostgreSQL', async () => {
    const run = runs.four!;
    const client = new Client({ connectionString: environment.DATABASE_URL, connectionTimeoutMillis: 10_000 });
    await client.connect();
    try {
      const stored = await client.query<{ phase: string; digest: string; ticks: number; handsets: number; shards: number }>(
        'SELECT phase, digest, ticks, handsets, shards FROM telemetry.runs WHERE run_id = $1',
        [run.runId],
      );
      expect(stored.rows).toHaveLength(1);
      expect(stored.rows[0]).toMatchObject({ phase: 'COMPLETED', digest: run.digest, ticks: 240, handsets: 240, shards: 4 });

      const series = await client.query<{ ticks: string; events: string; first_tick: number; last_tick: number }>(
        'SELECT count(*) AS ticks, sum(events) AS events, min(tick) AS first_tick, max(tick) AS last_tick FROM telemetry.tick_kpis WHERE run_id = $1',
        [run.runId],
      );
      expect(Number(series.rows[0].ticks)).toBe(run.ticks);
      expect([series.rows[0].first_tick, series.rows[0].last_tick]).toEqual([0, run.ticks - 1]);
      expect(Number(series.rows[0].events)).toBeGreaterThan(0);
      const dimensions = await client.query<{ dimension: string }>('SELECT DISTINCT dimension FROM telemetry.series WHERE run_id = $1 ORDER BY 1', [run.runId]);
      expect(dimensions.rows.length).toBeGreaterThan(0);

      // Every enrolled handset checked in, so each has at least one compliance record.
      const compliance = await client.query<{ records: string; handsets: string; non_compliant: string }>(
        'SELECT count(*) AS records, count(DISTINCT handset_id) AS handsets, count(*) FILTER (WHERE compliance_mask <> 0) AS non_compliant FROM policy_authority.compliance_records WHERE run_id = $1',
        [run.runId],
      );
      expect(Number(compliance.rows[0].handsets)).toBe(run.kpis.enrolled);
      expect(Number(compliance.rows[0].records)).toBeGreaterThanOrEqual(run.kpis.enrolled);
      const devices = await client.query<{ count: string }>('SELECT count(*) FROM policy_authority.devices WHERE run_id = $1', [run.runId]);
      expect(Number(devices.rows[0].count)).toBe(run.kpis.enrolled);
      log(
        `PostgreSQL: ${series.rows[0].ticks} tick rows, ${dimensions.rows.length} series dimensions, ` +
          `${compliance.rows[0].records} compliance records for ${compliance.rows[0].handsets} handsets (${compliance.rows[0].non_compliant} non-compliant)`,
      );
    } finally {
      await client.end();
    }
  }, 60_000);
});
