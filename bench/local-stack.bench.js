#!/usr/bin/env node
// The local stack's throughput and failover (issue #13): starts a stack in a temporary dir with
// --replicas N, runs the quickstart scenario resized on it (and, with --compare-embedded, the same
// run embedded), and prints handset-ticks/s, events/s through Kafka into telemetry and, with
// --kill PART, the time from a SIGKILL of that part to the first fleet tick completed after it.
// With --speed F the run is paced in real time ×F and the pacing verdict is printed.
//
// Usage:
//   node bench/local-stack.bench.js [--replicas 1] [--handsets 100000] [--ticks 60] [--shards 4]
//        [--kill hypervisor-core-2] [--speed 60] [--compare-embedded] [--checkpoint-ticks 30]
const { spawn, spawnSync } = require('node:child_process');
const { createServer } = require('node:net');
const { mkdtempSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { benchFlags, DUET_BIN, REPOSITORY_ROOT } = require('./support');
const { performance } = require('node:perf_hooks');
const { readFileSync } = require('node:fs');
const { Kafka, logLevel } = require('kafkajs');
const { Client } = require('pg');

const ROLE_OF = { hypervisor: 1, personal: 2, business: 3 };

const values = benchFlags({
  replicas: '1',
  handsets: '100000',
  ticks: '60',
  shards: '4',
  kill: undefined,
  speed: undefined,
  'compare-embedded': false,
});
const root = REPOSITORY_ROOT;
const bin = DUET_BIN;
const ticks = Number(values.ticks);
const handsets = Number(values.handsets);
const sets = [`fleet.handsets=${handsets}`, `duration=${ticks}m`, 'start=08:00', `shards=${values.shards}`];
if (values.speed) sets.push('pacing.mode=real-time', `pacing.speedFactor=${values.speed}`);
const setArgs = sets.flatMap((set) => ['--set', set]);

function duet(args, environment = {}) {
  const result = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, ...environment }, maxBuffer: 64 << 20 });
  const last = result.stdout.trim().split('\n').pop();
  try {
    return { status: result.status, json: JSON.parse(last), stderr: result.stderr };
  } catch {
    throw new Error(`duet ${args.join(' ')} exited ${result.status} without JSON:\n${result.stdout.slice(-2000)}\n${result.stderr.slice(-2000)}`);
  }
}

function duetAsync(args, environment) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: root, env: { ...process.env, ...environment } });
    let stdout = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', () => undefined);
    child.on('close', (status) => resolve({ status, json: JSON.parse(stdout.trim().split('\n').pop()) }));
  });
}

async function freeBase(count) {
  for (;;) {
    const base = 20_000 + Math.floor(Math.random() * 12_000);
    const ok = await Promise.all(
      Array.from(
        { length: count },
        (_, k) =>
          new Promise((resolve) => {
            const server = createServer();
            server.once('error', () => resolve(false));
            server.listen(base + k, '127.0.0.1', () => server.close(() => resolve(true)));
          }),
      ),
    );
    if (ok.every(Boolean)) return base;
  }
}

async function storedRun(environment, runId) {
  const response = await fetch(`${environment.TELEMETRY_URL}/v1/runs/${runId}`, { headers: { authorization: `Bearer ${environment.VIEWER_TOKEN}` } }).catch(
    () => undefined,
  );
  return response?.ok ? response.json() : undefined;
}

/**
 * The first tick part of a shard the victim held, of the victim's role, published after the kill:
 * the new owner's first tick. Its shards are the partitions the victim's log last said it held.
 */
async function firstTickOfNewOwner(environment, dir, runId, failover) {
  const held = [...readFileSync(join(dir, 'logs', `${failover.part}.log`), 'utf8').matchAll(/holds partitions ([0-9,]+) of/g)].at(-1)?.[1] ?? '';
  const partitions = new Set(held.split(',').filter(Boolean).map(Number));
  const role = ROLE_OF[failover.part.startsWith('hypervisor') ? 'hypervisor' : failover.part.includes('personal') ? 'personal' : 'business'];
  const { events } = require(join(root, 'packages', 'contracts', 'dist'));
  const kafka = new Kafka({ clientId: 'bench', brokers: environment.KAFKA_BROKERS.split(','), logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `bench-${process.pid}-${Date.now()}` });
  await consumer.connect();
  await consumer.subscribe({ topic: 'duet.tick-kpis.v1', fromBeginning: true });
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map((await admin.fetchTopicOffsets('duet.tick-kpis.v1')).map((entry) => [entry.partition, Number(entry.high)]));
  await admin.disconnect();
  let first;
  const shards = new Set();
  await new Promise((resolve) => {
    const done = new Set();
    consumer.run({
      eachMessage: async ({ partition, message }) => {
        const part = events.TickKpisRecorded.decode(message.value);
        const at = Number(message.timestamp);
        if (part.runId === runId && part.role === role && partitions.has(part.shard % 16)) {
          shards.add(part.shard);
          if (at > failover.killedAtWall && (first === undefined || at < first.at)) first = { at, tick: part.tick, shard: part.shard };
        }
        if (Number(message.offset) + 1 >= ends.get(partition)) done.add(partition);
        if ([...ends].every(([each, high]) => high === 0 || done.has(each))) resolve();
      },
    });
  });
  await consumer.disconnect();
  return {
    shards: [...shards].sort((a, b) => a - b),
    seconds: first ? (first.at - failover.killedAtWall) / 1000 : NaN,
    tick: first?.tick,
    shard: first?.shard,
  };
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'duet-bench-stack-'));
  // --replicas only when asked for more than one: a build from before it can then be measured too.
  const replicas = values.replicas === '1' ? [] : ['--replicas', values.replicas];
  const up = duet(['stack', 'up', '--dir', dir, '--base-port', String(await freeBase(11)), ...replicas, '--json']);
  if (!up.json.ok) throw new Error(up.json.error);
  const environment = up.json.environment;
  console.log(`stack up in ${up.json.seconds.toFixed(1)} s with ${values.replicas} instance(s) of each stateful role (${dir})`);
  try {
    const runId = `bench-${process.pid}`;
    const running = duetAsync(['run', 'scenarios/quickstart.yaml', '--target', 'local', '--json', '--run-id', runId, ...setArgs], environment);
    let failover;
    if (values.kill) {
      let stored;
      do {
        await new Promise((resolve) => setTimeout(resolve, 50));
        stored = await storedRun(environment, runId);
      } while (!stored || stored.ticksCompleted < ticks / 3);
      const part = duet(['stack', 'status', '--dir', dir, '--json']).json.parts.find((each) => each.name === values.kill);
      if (!part?.pid) throw new Error(`no running part ${values.kill}`);
      const atKill = (await storedRun(environment, runId)).ticksCompleted;
      process.kill(part.pid, 'SIGKILL');
      const killedAt = performance.now();
      // Shards run a few ticks apart: the first tick past the one each shard was at when killed.
      let now = atKill;
      while (now <= atKill + 1) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        now = (await storedRun(environment, runId))?.ticksCompleted ?? now;
      }
      failover = {
        part: values.kill,
        atTick: atKill,
        killedAtWall: Date.now() - (performance.now() - killedAt),
        seconds: (performance.now() - killedAt) / 1000,
      };
    }
    const run = await running;
    const result = run.json;
    const client = new Client({ connectionString: environment.DATABASE_URL });
    await client.connect();
    const { rows } = await client.query('SELECT sum(events)::bigint AS events FROM telemetry.tick_kpis WHERE run_id = $1', [runId]);
    await client.end();
    const events = Number(rows[0].events);
    console.log(
      `local stack: ${result.phase}, digest ${result.digest.slice(0, 16)}…, ${handsets.toLocaleString('en-US')} handsets × ${ticks} ticks on ${values.shards} shards in ` +
        `${result.wallSeconds.toFixed(1)} s: ${Math.round((handsets * ticks) / result.wallSeconds).toLocaleString('en-US')} handset-ticks/s, ` +
        `${Math.round(events / result.wallSeconds).toLocaleString('en-US')} events/s (${events.toLocaleString('en-US')} events)`,
    );
    if (result.pacing?.mode === 'real-time') {
      console.log(`pacing ×${result.pacing.speedFactor}: kept pace ${result.pacing.keptPace}, lag ${JSON.stringify(result.pacing.lag)}`);
    }
    if (failover) {
      console.log(`SIGKILL of ${failover.part} at fleet tick ${failover.atTick}: the fleet's next tick completed ${failover.seconds.toFixed(1)} s later`);
      const taken = await firstTickOfNewOwner(environment, dir, runId, failover);
      console.log(
        `  the victim held shards ${taken.shards.join(',')}; the first tick of one of them published after the kill came ${taken.seconds.toFixed(2)} s after it (tick ${taken.tick} of shard ${taken.shard}, re-simulated from a checkpoint)`,
      );
    }
    if (values['compare-embedded']) {
      const embedded = duet(['run', 'scenarios/quickstart.yaml', '--json', ...setArgs]).json;
      console.log(
        `embedded: ${embedded.wallSeconds.toFixed(1)} s, digest ${embedded.digest.slice(0, 16)}…; local stack / embedded = ${(result.wallSeconds / embedded.wallSeconds).toFixed(2)}`,
      );
    }
  } finally {
    duet(['stack', 'down', '--dir', dir, '--purge', '--json']);
  }
}

main().catch((error) => {
  console.error(error.stack ?? error);
  process.exit(2);
});
