// Scale-out and failover on the local stack (issue #13), with real processes killed by SIGKILL:
//
// 1. Two instances of hypervisor-core and of each persona runtime share the shards through Kafka
//    consumer groups. One instance of each kind is killed in turn, each in its own run, together
//    with its supervisor (the whole process group), so it stays down: the survivor takes its
//    shards over from their checkpoints.
// 2. One instance of everything (`up --replicas 1` stops the extra ones). Each part in turn, the
//    Kafka broker included, is killed mid-run and brought back (a service by its supervisor, the
//    broker by `duet stack up`); PostgreSQL is restarted (fast shutdown) mid-run the same way.
//
// Every run must end with the pure core's digest, and telemetry must count exactly the events of
// the fault-free run (per dimension, event kind and value): none lost, none counted twice, though
// the new owners re-simulate and publish again the ticks after their checkpoints.
//
// Size: the quickstart reduced to 240 handsets over 4 simulated hours (240 ticks) on 16 shards, so
// that each of two instances holds shards (16 partitions, 8 each); checkpoints every 30 ticks.
// Paced at real time ×600 (0.1 s a tick, the digest is the same at any pace) so that telemetry,
// whose completed ticks say when to kill, keeps up with the services: a kill at its tick 45 is
// then a kill in the middle of every shard's run, not after the services were done.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadScenario } from '@duet/cli/dist/scenario/scenario.loader';
import { Simulation } from '@duet/sim-core';
import { isPidAlive } from '@duet/stack';
import { lastJson, REPOSITORY_ROOT, runDuet, type DuetResult } from './support/duet-process';
import { freePortRange } from './support/free-port-range';
import { ONE_INSTANCE_EACH, type RunResult, type StackPart, type StackUp } from './support/stack-json';
import { stackDown } from './support/stop-processes';
import { stackFetch } from './support/stack-tls';

const SCENARIO = join(REPOSITORY_ROOT, 'scenarios', 'quickstart.yaml');
const REDUCED = ['fleet.handsets=240', 'duration=4h', 'start=08:00', 'shards=16', 'pacing.mode=real-time', 'pacing.speedFactor=600'];
const KILL_AT_TICK = 45; // ticks final in telemetry before the kill: mid-run, past the first checkpoint (tick 29)
const STACK_PORT_COUNT = 11;
const STACK_UP_TIMEOUT_MS = 600_000;
const RUN_TIMEOUT_MS = 300_000;

const log = (message: string): void => console.log(`[failover e2e] ${message}`);

describe('the local stack scales out and survives the loss of any instance', () => {
  const dir = join(REPOSITORY_ROOT, '.duet', 'test-failover', `run-${process.pid}`);
  const expectedDigest = new Simulation(loadScenario(SCENARIO, REDUCED).config).run().digest;
  let environment: Record<string, string> = {};
  const started: StackPart[] = [];
  let baseline: Map<string, number> | undefined;
  let runCount = 0;

  async function stackUp(extra: readonly string[]): Promise<StackPart[]> {
    const result = await runDuet(['stack', 'up', '--dir', dir, '--json', ...extra], { timeoutMs: STACK_UP_TIMEOUT_MS });
    const up = lastJson<StackUp>(result);
    if (!up.ok) throw new Error(`duet stack up ${extra.join(' ')} failed:\n${up.error}`);
    environment = up.environment;
    started.push(...up.parts.filter((part) => !started.some((known) => known.pid === part.pid)));
    return up.parts;
  }

  async function status(): Promise<StackPart[]> {
    return lastJson<{ parts: StackPart[] }>(await runDuet(['stack', 'status', '--dir', dir, '--json'], { timeoutMs: 60_000 })).parts;
  }

  function startRun(): { runId: string; finished: Promise<DuetResult> } {
    const runId = `e2e-failover-${process.pid}-${++runCount}`;
    const args = ['run', SCENARIO, '--target', 'local', '--json', '--run-id', runId, ...REDUCED.flatMap((set) => ['--set', set])];
    return { runId, finished: runDuet(args, { timeoutMs: RUN_TIMEOUT_MS, environment }) };
  }

  /** Waits until telemetry holds `ticks` final ticks of the run; what it holds then. */
  async function waitForTicks(runId: string, ticks: number): Promise<{ ticksCompleted: number; phase: string }> {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const response = await stackFetch(environment)(`${environment.TELEMETRY_URL}/v1/runs/${runId}`, {
        headers: { authorization: `Bearer ${environment.VIEWER_TOKEN}` },
      }).catch(() => undefined);
      const run = response?.ok ? ((await response.json()) as { ticksCompleted: number; phase: string }) : undefined;
      if (run !== undefined && (run.ticksCompleted >= ticks || run.phase !== 'STARTED')) return run;
      if (Date.now() > deadline) throw new Error(`run ${runId} did not reach tick ${ticks} within 120 s`);
      await new Promise((resolveWait) => setTimeout(resolveWait, 100));
    }
  }

  async function finish(run: { runId: string; finished: Promise<DuetResult> }): Promise<RunResult> {
    const result = await run.finished;
    const outcome = lastJson<RunResult>(result);
    // Exit 1: a scenario threshold failed (the reduced run never reaches the 09:00 rollout); the verdict, not an error.
    expect(result.status, result.stderr.slice(-4000)).toBe(outcome.passed === false ? 1 : 0);
    expect(outcome.phase).toBe('COMPLETED');
    return outcome;
  }

  /** Telemetry's event counts of a run, per dimension, event kind and value, summed over ticks. */
  async function eventCounts(runId: string): Promise<Map<string, number>> {
    // A connection per read: PostgreSQL is restarted by one of the cases.
    const database = new Client({ connectionString: environment.DATABASE_URL, connectionTimeoutMillis: 10_000 });
    await database.connect();
    try {
      const { rows } = await database.query<{ key: string; total: string }>(
        `SELECT dimension || '/' || event_kind || '/' || value AS key, sum(count) AS total FROM telemetry.series WHERE run_id = $1 GROUP BY 1`,
        [runId],
      );
      return new Map(rows.map((row) => [row.key, Number(row.total)]));
    } finally {
      await database.end();
    }
  }

  async function expectSameAsFaultFree(outcome: RunResult): Promise<void> {
    expect(outcome.digest).toBe(expectedDigest);
    const counts = await eventCounts(outcome.runId);
    expect(counts.size).toBeGreaterThan(0);
    expect(Object.fromEntries(counts)).toEqual(Object.fromEntries(baseline!));
  }

  /** Shards of the run an instance restored from a checkpoint, by its log: the takeovers it made. */
  function restoredShards(instance: string, runId: string): number {
    const logged = readFileSync(join(dir, 'logs', `${instance}.log`), 'utf8').split('\n');
    return logged.filter((line) => line.includes(`run ${runId}: shard `) && line.includes('restored from its checkpoint')).length;
  }

  /**
   * Kills the part once the run is past KILL_AT_TICK, and checks the run was still under way then;
   * `forGood`: a service with its supervisor (their process group), so that nothing restarts it.
   */
  async function sigkillMidRun(runId: string, victim: string, forGood = false): Promise<StackPart> {
    const reached = await waitForTicks(runId, KILL_AT_TICK);
    const part = (await status()).find((each) => each.name === victim)!;
    expect(part.pid, `${part.name} has no pid`).toBeDefined();
    if (forGood) process.kill(-part.supervisorPid!, 'SIGKILL');
    else process.kill(part.pid!, 'SIGKILL');
    // Mid-run, or the test proves nothing: the run must not have completed before the kill.
    expect(reached.phase, `run ${runId} ended before ${victim} was killed`).toBe('STARTED');
    return part;
  }

  beforeAll(async () => {
    const basePort = await freePortRange(STACK_PORT_COUNT);
    const parts = await stackUp(['--base-port', String(basePort), '--replicas', '2']);
    log(`stack up with 2 replicas: ${parts.map((part) => part.name).join(', ')}`);
  }, STACK_UP_TIMEOUT_MS);

  afterAll(async () => {
    const stillRunning = await stackDown(dir, started);
    expect(stillRunning).toEqual([]);
    for (const part of started) expect(isPidAlive(part.pid ?? 0), `${part.name} (pid ${part.pid}) still alive`).toBe(false);
  }, 180_000);

  it('lists every instance as its own part, named after its service', async () => {
    const names = (await status()).map((part) => part.name);
    for (const service of ['hypervisor-core', 'persona-runtime-personal', 'persona-runtime-business']) {
      expect(names).toContain(service);
      expect(names).toContain(`${service}-2`);
    }
    expect(names.filter((name) => name.startsWith('policy-authority'))).toEqual(['policy-authority']);
  });

  it(
    'runs without faults on two instances each with the core digest (the counts every other run must match)',
    async () => {
      const outcome = await finish(startRun());
      expect(outcome.digest).toBe(expectedDigest);
      baseline = await eventCounts(outcome.runId);
      expect(baseline.size).toBeGreaterThan(0);
      log(`fault-free run in ${outcome.wallSeconds.toFixed(1)} s, ${baseline.size} event series`);
    },
    RUN_TIMEOUT_MS,
  );

  it.each(['hypervisor-core-2', 'persona-runtime-personal-2', 'persona-runtime-business-2'])(
    'loses %s to SIGKILL mid-run and, without restarting it, ends like the fault-free run',
    async (victim) => {
      const run = startRun();
      await sigkillMidRun(run.runId, victim, true);
      const killedAt = Date.now();
      const outcome = await finish(run);
      log(
        `${victim} killed at tick ≥ ${KILL_AT_TICK}; run completed ${((Date.now() - killedAt) / 1000).toFixed(1)} s later (${outcome.wallSeconds.toFixed(1)} s in all)`,
      );
      await expectSameAsFaultFree(outcome);
      // The survivor took the victim's shards over mid-run: it restored them from their checkpoints.
      expect(restoredShards(victim.replace(/-2$/, ''), run.runId)).toBeGreaterThan(0);
      const after = await status();
      expect(after.find((each) => each.name === victim)?.running).toBe(false);
    },
    RUN_TIMEOUT_MS,
  );

  it('scales down to one instance each with `up --replicas 1`', async () => {
    const parts = await stackUp(['--replicas', '1']);
    expect(parts.map((part) => part.name)).toEqual(ONE_INSTANCE_EACH);
    expect(parts.every((part) => part.running && part.ready)).toBe(true);
  }, 180_000);

  it.each(['hypervisor-core', 'persona-runtime-personal', 'persona-runtime-business', 'policy-authority', 'telemetry', 'kafka'])(
    'loses its only %s to SIGKILL mid-run, gets it back from `duet stack up`, and ends like the fault-free run',
    async (victim) => {
      const run = startRun();
      const part = await sigkillMidRun(run.runId, victim);
      const killedAt = Date.now();
      await new Promise((resolveWait) => setTimeout(resolveWait, 1_000));
      const restarted = (await stackUp([])).find((each) => each.name === victim)!;
      expect(restarted.pid).not.toBe(part.pid);
      const outcome = await finish(run);
      log(`${victim} killed at tick ≥ ${KILL_AT_TICK} and restarted; run completed ${((Date.now() - killedAt) / 1000).toFixed(1)} s later`);
      await expectSameAsFaultFree(outcome);
      // A restarted stateful instance took its shards up again from their checkpoints.
      if (!['policy-authority', 'telemetry', 'kafka'].includes(victim)) expect(restoredShards(victim, run.runId)).toBeGreaterThan(0);
    },
    RUN_TIMEOUT_MS,
  );

  it(
    'survives a PostgreSQL restart mid-run (fast shutdown, back with `duet stack up`) and ends like the fault-free run',
    async () => {
      const run = startRun();
      const reached = await waitForTicks(run.runId, KILL_AT_TICK);
      const postgres = (await status()).find((each) => each.name === 'postgres')!;
      process.kill(postgres.pid!, 'SIGINT'); // fast shutdown: what restarting the server does
      expect(reached.phase, `run ${run.runId} ended before PostgreSQL was stopped`).toBe('STARTED');
      const stoppedAt = Date.now();
      while (isPidAlive(postgres.pid!) && Date.now() - stoppedAt < 30_000) await new Promise((resolveWait) => setTimeout(resolveWait, 100));
      await new Promise((resolveWait) => setTimeout(resolveWait, 2_000)); // down a while: check-ins meet a closed door
      await stackUp([]);
      const outcome = await finish(run);
      log(`PostgreSQL stopped at tick ≥ ${KILL_AT_TICK} and restarted; run completed ${((Date.now() - stoppedAt) / 1000).toFixed(1)} s later`);
      await expectSameAsFaultFree(outcome);
    },
    RUN_TIMEOUT_MS,
  );
});
