// Nothing stuck, nothing lost (issue #19), on the local stack as an outsider would try it:
//
// 1. Garbage and contract-breaking messages are published with a plain kafkajs producer on every
//    registered topic: bytes that are not protobuf, a run id with a NUL byte, a shard and tick past
//    2^31, an over-long run id, a run that never started, a final-state column named __proto__.
//    Every consumer moves each of them to `<topic>.dlq` (headers: source partition and offset,
//    group, reason) and goes on. duet.policy-changed.v1 has no consumer in the stack: its garbage
//    is published but nobody reads it, so nothing is dead-lettered there.
// 2. A service killed with SIGKILL is started again by its supervisor; `stack status` counts it.
// 3. A run then completes with the pure core's digest, though the broker is killed and PostgreSQL
//    stopped mid-run, both brought back (`duet stack up`) a minute later: no partition was left
//    stuck, no run lost.
// 4. `duet runs prune --older-than` deletes it, with its rows in telemetry and policy-authority,
//    and the parts of a run that never started.
import { join } from 'node:path';
import type { Kafka, Producer } from 'kafkajs';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEAD_LETTER_HEADERS, TOPICS, events, hypervisor, type RegisteredTopic } from '@duet/contracts';
import { loadScenario } from '@duet/cli/dist/scenario/scenario.loader';
import { Simulation } from '@duet/sim-core';
import { isPidAlive } from '@duet/stack';
import { lastJson, REPOSITORY_ROOT, runDuet } from './support/duet-process';
import { freePortRange } from './support/free-port-range';
import { readTopics } from './support/kafka-topics.reader';
import { stackKafka } from './support/stack-kafka';
import { stackDown } from './support/stop-processes';
import { stackFetch } from './support/stack-tls';

const SCENARIO = join(REPOSITORY_ROOT, 'scenarios', 'quickstart.yaml');
const REDUCED = ['fleet.handsets=240', 'duration=4h', 'start=08:00', 'shards=4'];
const STACK_PORT_COUNT = 11;
const STACK_UP_TIMEOUT_MS = 600_000;
const RUN_TIMEOUT_MS = 300_000;
const DEAD_LETTER_TIMEOUT_MS = 120_000;
const RESTART_TIMEOUT_MS = 90_000;
const DOWN_AT_TICK = 40; // of 240: mid-run
const DOWN_MS = 60_000;
const BEYOND_INT32 = 2 ** 31 + 16; // ≡ 0 mod 16: read from partition 0 like shard 0, so only the range is wrong

// Topics whose consumers check the run is known (the exchange and commands): a message of a run
// that never started is dead-lettered. Telemetry keeps parts that come before their STARTED.
const CHECKS_RUN = new Set<string>(['duet.tick-demands.v1', 'duet.personal-grants.v1', 'duet.business-grants.v1', 'duet.commands.v1']);
// Who consumes each topic in the stack (consumer group names start with the service's name).
const PERSONAS = ['persona-runtime-personal', 'persona-runtime-business'];
const CONSUMERS: Record<string, readonly string[]> = {
  'duet.handset-events.v1': ['telemetry'],
  'duet.tick-kpis.v1': ['telemetry'],
  'duet.shard-state.v1': ['telemetry'],
  'duet.policy-changed.v1': [], // nobody in the stack reads it
  'duet.commands.v1': ['hypervisor-core'],
  'duet.tick-demands.v1': ['hypervisor-core'],
  'duet.personal-grants.v1': ['persona-runtime-personal'],
  'duet.business-grants.v1': ['persona-runtime-business'],
  'duet.checkpoints.v1': ['hypervisor-core', ...PERSONAS],
  'duet.run-lifecycle.v1': ['telemetry', 'hypervisor-core', ...PERSONAS],
};

interface StackPart {
  name: string;
  running: boolean;
  pid?: number;
  supervisorPid?: number;
  restarts?: number;
  ready: boolean;
}
interface Poison {
  readonly kind: string;
  readonly value: Buffer;
}

const log = (message: string): void => console.log(`[poison e2e] ${message}`);

/** Polls `check` every 200 ms until it holds, for at most 20 s. */
async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within 20 s`);
    await new Promise((resolveWait) => setTimeout(resolveWait, 200));
  }
}

/** The topic's payload with this identity, encoded (demands and grants carry it in a nested batch). */
function payload(topic: RegisteredTopic, identity: { runId: string; shard: number; tick: number }, extra: Record<string, unknown> = {}): Buffer {
  const persona = 1;
  if (topic.name === 'duet.tick-demands.v1')
    return Buffer.from(hypervisor.ExchangeTickRequest.encode({ demand: { ...emptyDemand(), ...identity, persona }, flowRequests: undefined }).finish());
  if (topic.name === 'duet.personal-grants.v1' || topic.name === 'duet.business-grants.v1') {
    return Buffer.from(hypervisor.ExchangeTickResponse.encode(hypervisor.ExchangeTickResponse.fromPartial({ grant: { ...identity, persona } })).finish());
  }
  const codec = topic.payload as unknown as events.MessageFns<object>;
  return Buffer.from(codec.encode(codec.fromPartial({ ...identity, phase: 1, ...extra })).finish());
}

function emptyDemand() {
  return hypervisor.ExchangeTickRequest.fromPartial({ demand: {} }).demand!;
}

/** What is published on a topic: each message breaks the contract in one way. */
function poisonsOf(topic: RegisteredTopic): Poison[] {
  const poisons: Poison[] = [
    { kind: 'not protobuf', value: Buffer.from('not protobuf at all \u0000\u00ff', 'latin1') },
    { kind: 'NUL in run id', value: payload(topic, { runId: 'e2e\u0000poison', shard: 0, tick: 0 }) },
    { kind: 'over-long run id', value: payload(topic, { runId: 'x'.repeat(300), shard: 0, tick: 0 }) },
  ];
  // A lifecycle message carries neither: with a valid run id it would be a run's STARTED.
  if (topic.name !== 'duet.run-lifecycle.v1') {
    poisons.push({ kind: 'shard and tick past 2^31', value: payload(topic, { runId: 'e2e-poison', shard: BEYOND_INT32, tick: BEYOND_INT32 }) });
  }
  if (topic.name === 'duet.run-lifecycle.v1')
    poisons.push({ kind: 'unknown phase', value: payload(topic, { runId: 'e2e-poison', shard: 0, tick: 0 }, { phase: 9 }) });
  if (CHECKS_RUN.has(topic.name)) poisons.push({ kind: 'run never started', value: payload(topic, { runId: 'e2e-never-started', shard: 0, tick: 0 }) });
  if (topic.name === 'duet.shard-state.v1') {
    poisons.push({
      kind: 'column named __proto__',
      value: payload(topic, { runId: 'e2e-poison', shard: 0, tick: 0 }, { handsetIds: [0], columns: [{ name: '__proto__', values: [1] }] }),
    });
  }
  return poisons;
}

describe('the local stack dead-letters poison messages, restarts what dies, and still completes runs', () => {
  const dir = join(REPOSITORY_ROOT, '.duet', 'test-poison', `run-${process.pid}`);
  const expectedDigest = new Simulation(loadScenario(SCENARIO, REDUCED).config).run().digest;
  let environment: Record<string, string> = {};
  const started: StackPart[] = [];
  let kafka: Kafka;
  let producer: Producer;
  const runId = `e2e-poison-${process.pid}`;
  /** What was published: "topic/offset" → the kind of poison. */
  const published = new Map<string, string>();

  /** What telemetry's query API asks for: the stack's read-only viewer token. */
  function viewer(): Record<string, string> {
    return { authorization: `Bearer ${environment.VIEWER_TOKEN}` };
  }

  /** Waits until telemetry holds `ticks` final ticks of the run (or it ended); what it holds then. */
  async function waitForTicks(ticks: number): Promise<{ ticksCompleted: number; phase: string }> {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const response = await stackFetch(environment)(`${environment.TELEMETRY_URL}/v1/runs/${runId}`, { headers: viewer() }).catch(() => undefined);
      const run = response?.ok ? ((await response.json()) as { ticksCompleted: number; phase: string }) : undefined;
      if (run !== undefined && (run.ticksCompleted >= ticks || run.phase !== 'STARTED')) return run;
      if (Date.now() > deadline) throw new Error(`run ${runId} did not reach tick ${ticks} within 120 s`);
      await new Promise((resolveWait) => setTimeout(resolveWait, 100));
    }
  }

  async function status(): Promise<StackPart[]> {
    return lastJson<{ parts: StackPart[] }>(await runDuet(['stack', 'status', '--dir', dir, '--json'], { timeoutMs: 60_000 })).parts;
  }

  beforeAll(async () => {
    const basePort = await freePortRange(STACK_PORT_COUNT);
    const result = await runDuet(['stack', 'up', '--dir', dir, '--base-port', String(basePort), '--json'], { timeoutMs: STACK_UP_TIMEOUT_MS });
    const up = lastJson<{ ok: boolean; error?: string; parts: StackPart[]; environment: Record<string, string> }>(result);
    if (!up.ok) throw new Error(`duet stack up failed:\n${up.error}`);
    environment = up.environment;
    started.push(...up.parts);
    log(`stack up in ${result.seconds.toFixed(1)} s`);
    // The broker's super user: it may publish on every topic (no service's principal may).
    kafka = stackKafka(dir, environment.KAFKA_BROKERS!.split(','), 'e2e-poison');
    producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
  }, STACK_UP_TIMEOUT_MS);

  afterAll(async () => {
    await producer?.disconnect();
    const stillRunning = await stackDown(dir, started);
    expect(stillRunning).toEqual([]);
    for (const part of started) {
      expect(isPidAlive(part.pid ?? 0), `${part.name} (pid ${part.pid}) still alive`).toBe(false);
      expect(isPidAlive(part.supervisorPid ?? 0), `${part.name}'s supervisor (pid ${part.supervisorPid}) still alive`).toBe(false);
    }
  }, 180_000);

  it(
    'moves every garbage or contract-breaking message of every consumed topic to <topic>.dlq, saying why',
    async () => {
      for (const topic of TOPICS) {
        const poisons = poisonsOf(topic);
        const [sent] = await producer.send({
          topic: topic.name,
          acks: -1,
          messages: poisons.map((poison) => ({ key: '0', value: poison.value, partition: 0 })),
        });
        const first = Number(sent.baseOffset);
        poisons.forEach((poison, i) => published.set(`${topic.name}/${first + i}`, poison.kind));
      }
      const topicOf = (key: string): string => key.slice(0, key.lastIndexOf('/'));
      const expected = [...published].filter(([key]) => CONSUMERS[topicOf(key)].length > 0);
      const deadline = Date.now() + DEAD_LETTER_TIMEOUT_MS;
      let missing: string[] = [];
      const reasons = new Map<string, string>();
      for (;;) {
        const groups = new Map<string, string[]>();
        for (const letter of await readTopics(
          kafka,
          TOPICS.map((topic) => `${topic.name}.dlq`),
          60_000,
        )) {
          const header = (name: string): string => letter.headers[name]?.toString('utf8') ?? '';
          const key = `${header(DEAD_LETTER_HEADERS.topic)}/${header(DEAD_LETTER_HEADERS.offset)}`;
          reasons.set(key, `${header(DEAD_LETTER_HEADERS.group)}: ${header(DEAD_LETTER_HEADERS.reason)}`);
          groups.set(key, [...(groups.get(key) ?? []), header(DEAD_LETTER_HEADERS.group)]);
        }
        // Every consumer of the topic dead-letters the message, in its own group.
        missing = expected.flatMap(([key, kind]) =>
          CONSUMERS[topicOf(key)]
            .filter((service) => !(groups.get(key) ?? []).some((group) => group.startsWith(service)))
            .map((service) => `${key} (${kind}) by ${service}`),
        );
        if (missing.length === 0 || Date.now() > deadline) break;
        await new Promise((resolveWait) => setTimeout(resolveWait, 2_000));
      }
      expect(missing, `not dead-lettered within ${DEAD_LETTER_TIMEOUT_MS / 1000} s`).toEqual([]);
      for (const [key, kind] of expected) log(`${key} (${kind}) → ${reasons.get(key)}`);
      // The reasons name the rule: a sample of each kind.
      expect(reasons.get(expected.find(([, kind]) => kind === 'NUL in run id')![0])).toMatch(/run_id: no control characters/);
      expect(reasons.get(expected.find(([, kind]) => kind === 'shard and tick past 2^31')![0])).toMatch(/shard: an integer in 0\.\.2147483647/);
      expect(reasons.get(expected.find(([, kind]) => kind === 'run never started')![0])).toMatch(/run_id: no run "e2e-never-started" was started/);
      expect(reasons.get(expected.find(([, kind]) => kind === 'column named __proto__')![0])).toMatch(/columns\."__proto__"/);
      expect(Object.prototype).not.toHaveProperty('0');
    },
    DEAD_LETTER_TIMEOUT_MS + 60_000,
  );

  it(
    'starts a service killed with SIGKILL again (its supervisor), and status counts the restart',
    async () => {
      const before = (await status()).find((part) => part.name === 'hypervisor-core')!;
      expect(before.pid).toBeDefined();
      expect(before.supervisorPid).toBeDefined();
      process.kill(before.pid!, 'SIGKILL');
      const killedAt = Date.now();
      let after: StackPart | undefined;
      while (Date.now() - killedAt < RESTART_TIMEOUT_MS) {
        after = (await status()).find((part) => part.name === 'hypervisor-core');
        if (after?.running && after.ready && after.pid !== before.pid) break;
        await new Promise((resolveWait) => setTimeout(resolveWait, 500));
      }
      log(`hypervisor-core (pid ${before.pid}) killed; back as pid ${after?.pid} and ready in ${((Date.now() - killedAt) / 1000).toFixed(1)} s`);
      expect(after?.running && after.ready, 'hypervisor-core running and ready again').toBe(true);
      expect(after!.pid).not.toBe(before.pid);
      expect(after!.supervisorPid).toBe(before.supervisorPid);
      expect(after!.restarts).toBe((before.restarts ?? 0) + 1);
      started.push(after!);
    },
    RESTART_TIMEOUT_MS + 30_000,
  );

  it(
    'then completes a run across the broker and PostgreSQL down for a minute mid-run, with the digest of the core',
    async () => {
      const finished = runDuet(['run', SCENARIO, '--target', 'local', '--json', '--run-id', runId, ...REDUCED.flatMap((set) => ['--set', set])], {
        timeoutMs: RUN_TIMEOUT_MS,
        environment,
      });
      const reached = await waitForTicks(DOWN_AT_TICK);
      const parts = await status();
      const broker = parts.find((part) => part.name === 'kafka')!;
      const postgres = parts.find((part) => part.name === 'postgres')!;
      process.kill(broker.pid!, 'SIGKILL');
      process.kill(postgres.pid!, 'SIGINT'); // fast shutdown: what restarting the server does
      const downAt = Date.now();
      expect(reached.phase, 'the run ended before the broker and PostgreSQL went down').toBe('STARTED');
      await new Promise((resolveWait) => setTimeout(resolveWait, DOWN_MS));
      const up = await runDuet(['stack', 'up', '--dir', dir, '--json'], { timeoutMs: STACK_UP_TIMEOUT_MS });
      expect(lastJson<{ ok: boolean }>(up).ok, up.stderr.slice(-2000)).toBe(true);
      log(`broker killed and PostgreSQL stopped at tick ≥ ${DOWN_AT_TICK}, both back after ${((Date.now() - downAt) / 1000).toFixed(1)} s`);
      const result = await finished;
      const run = lastJson<{ phase: string; digest: string; passed?: boolean; wallSeconds: number }>(result);
      expect(result.status, result.stderr.slice(-4000)).toBe(run.passed === false ? 1 : 0);
      expect(run.phase).toBe('COMPLETED');
      expect(run.digest).toBe(expectedDigest);
      log(`run completed in ${run.wallSeconds.toFixed(1)} s with the core's digest`);
    },
    RUN_TIMEOUT_MS,
  );

  it('prunes runs older than --older-than, with every row of them in telemetry and policy-authority', async () => {
    const prune = async (olderThan: string): Promise<string[]> => {
      const result = await runDuet(['runs', 'prune', '--older-than', olderThan, '--database-url', environment.DATABASE_URL!, '--json'], { timeoutMs: 60_000 });
      expect(result.status, result.stderr).toBe(0);
      return lastJson<{ runIds: string[] }>(result).runIds;
    };
    const database = new Client({ connectionString: environment.DATABASE_URL, connectionTimeoutMillis: 10_000 });
    await database.connect();
    const orphanParts = async (): Promise<number> =>
      Number((await database.query<{ count: string }>("SELECT count(*) AS count FROM telemetry.tick_kpi_parts WHERE run_id = 'e2e-orphan'")).rows[0].count);
    try {
      // A valid part of a run that never starts: telemetry keeps it for its STARTED, until pruned.
      const orphan = events.TickKpisRecorded.fromPartial({ runId: 'e2e-orphan', shard: 0, tick: 0, role: 1 });
      await producer.send({
        topic: 'duet.tick-kpis.v1',
        acks: -1,
        messages: [{ key: '0', partition: 0, value: Buffer.from(events.TickKpisRecorded.encode(orphan).finish()) }],
      });
      await until('the orphan part stored', async () => (await orphanParts()) > 0);
      expect(await prune('1d')).not.toContain(runId);
      expect(await orphanParts()).toBe(1);
      await new Promise((resolveWait) => setTimeout(resolveWait, 1_500));
      expect(await prune('1s')).toContain(runId);
      expect(await orphanParts()).toBe(0);
      expect((await stackFetch(environment)(`${environment.TELEMETRY_URL}/v1/runs/${runId}`, { headers: viewer() })).status).toBe(404);
      for (const table of [
        'telemetry.series',
        'telemetry.tick_kpis',
        'policy_authority.devices',
        'policy_authority.publications',
        'policy_authority.check_in_batches',
      ]) {
        const { rows } = await database.query<{ count: string }>(`SELECT count(*) AS count FROM ${table} WHERE run_id = $1`, [runId]);
        expect(Number(rows[0].count), table).toBe(0);
      }
    } finally {
      await database.end();
    }
    const bad = await runDuet(['runs', 'prune', '--older-than', 'a while', '--database-url', environment.DATABASE_URL!], { timeoutMs: 60_000 });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--older-than must be a duration like 90s, 15m, 2h or 7d, got "a while"/);
  });
});
