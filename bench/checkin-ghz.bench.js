#!/usr/bin/env node
// Unary CheckIn throughput of a policy authority, measured by a client outside Duet's code: ghz
// (github.com/bojand/ghz, built with `go install`). This script only prepares the run: it creates
// a run with one published policy and an enrollment token, enrolls N handsets with unary Enroll,
// writes ghz's request data (one CheckIn per handset, round-robin, tick = ghz's request number so
// each handset's ticks only go forward), runs ghz, then checks per device that the server stored
// each handset's last check-in (reported_tick in policy_authority.devices).
//
// Usage (against `duet stack up`, whose stack.env gives the addresses):
//   source .duet/stack/stack.env
//   node bench/checkin-ghz.bench.js [--handsets 10000] [--concurrency 100] [--duration 20s] [--connections 10]
// ghz is looked up on PATH, then in $(go env GOPATH)/bin; install it with
//   go install github.com/bojand/ghz/cmd/ghz@latest
const { spawnSync } = require('node:child_process');
const { existsSync, mkdtempSync, readFileSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { parseArgs } = require('node:util');
const { performance } = require('node:perf_hooks');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const { Client } = require('pg');
const { Agent } = require('undici');

const { values } = parseArgs({
  options: {
    handsets: { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '100' },
    connections: { type: 'string', default: '10' },
    duration: { type: 'string', default: '20s' },
  },
});
const root = join(__dirname, '..');
const protoRoot = join(root, 'proto');
const handsets = Number(values.handsets);
const address = need('POLICY_AUTHORITY_ADDRESS');
const httpUrl = need('POLICY_AUTHORITY_URL');
const adminToken = need('ADMIN_TOKEN');
const databaseUrl = need('DATABASE_URL');
// The stack serves TLS only: everything here verifies it with the stack's CA (stack.env); a
// plaintext policy authority (no DUET_TLS_CA) is reached without TLS.
const caFile = process.env.DUET_TLS_CA;
const ca = caFile ? readFileSync(caFile) : undefined;

function need(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: source the stack's stack.env first`);
  return value;
}

function ghzBinary() {
  const onPath = spawnSync('sh', ['-c', 'command -v ghz'], { encoding: 'utf8' }).stdout.trim();
  if (onPath) return onPath;
  const gopath = spawnSync('go', ['env', 'GOPATH'], { encoding: 'utf8' }).stdout?.trim();
  const built = gopath ? join(gopath, 'bin', 'ghz') : '';
  if (built && existsSync(built)) return built;
  throw new Error('ghz not found: go install github.com/bojand/ghz/cmd/ghz@latest');
}

async function admin(path, body) {
  const response = await fetch(`${httpUrl}/v1/${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    ...(ca ? { dispatcher: new Agent({ connect: { ca } }) } : {}),
  });
  if (!response.ok) throw new Error(`POST ${path}: ${response.status} ${await response.text()}`);
  return response.json();
}

function policyClient() {
  const definition = protoLoader.loadSync(join(protoRoot, 'duet/policy/v1/policy.proto'), { includeDirs: [protoRoot], longs: Number, defaults: true });
  const loaded = grpc.loadPackageDefinition(definition);
  return new loaded.duet.policy.v1.PolicyService(address, ca ? grpc.credentials.createSsl(ca) : grpc.credentials.createInsecure());
}

async function enrollAll(runId, token) {
  const client = policyClient();
  const credentials = new Array(handsets);
  let next = 0;
  const worker = async () => {
    while (next < handsets) {
      const id = next++;
      const request = { enrollmentToken: token, runId, handsetId: id, model: 'LG Optimus 2X', apiLevel: 10, hypervisorVersion: '1.0.2.15', tick: 0 };
      const response = await new Promise((resolve, reject) => client.Enroll(request, (error, answer) => (error ? reject(error) : resolve(answer))));
      credentials[id] = response.credential;
    }
  };
  await Promise.all(Array.from({ length: 50 }, worker));
  client.close();
  return credentials;
}

async function main() {
  const runId = `ghz-${Date.now()}`;
  await admin('policies', { name: 'policies/ghz-checkin', passwordPolicies: [{ passwordMinimumLength: 6, passwordScope: 'SCOPE_PROFILE' }] });
  await admin(`runs/${runId}/publications`, { name: 'policies/ghz-checkin' });
  // The run lasts as long as its token: long enough for every tick ghz sends (its request number),
  // since the policy authority refuses check-ins after the run's last tick.
  const { enrollmentToken } = await admin(`runs/${runId}/enrollment-tokens`, { group: 'sales', durationTicks: 1_000_000_000 });
  const enrollStarted = performance.now();
  const credentials = await enrollAll(runId, enrollmentToken.value);
  const enrollSeconds = (performance.now() - enrollStarted) / 1000;
  console.log(`enrolled ${handsets} handsets in ${enrollSeconds.toFixed(1)} s (${Math.round(handsets / enrollSeconds)}/s, unary Enroll, 50 in flight)`);

  // Tick 1 + request number: ticks go forward for each handset as long as two check-ins of one
  // handset (handsets requests apart) are never in flight together.
  const data = credentials.map((credential, id) => ({
    runId,
    handsetId: id,
    credential,
    batteryPermille: 800,
    tick: '{{.RequestNumber}}',
    appliedRevision: 1,
    complianceMask: 0,
  }));
  const dir = mkdtempSync(join(tmpdir(), 'duet-ghz-'));
  const dataFile = join(dir, 'checkins.json');
  writeFileSync(dataFile, JSON.stringify(data));
  const outputFile = join(dir, 'ghz.json');
  const args = [
    ...(caFile ? ['--cacert', caFile] : ['--insecure']),
    '--proto',
    join(protoRoot, 'duet/policy/v1/policy.proto'),
    '--import-paths',
    protoRoot,
    '--call',
    'duet.policy.v1.PolicyService.CheckIn',
    '--data-file',
    dataFile,
    '--concurrency',
    values.concurrency,
    '--connections',
    values.connections,
    '--duration',
    values.duration,
    '--format',
    'json',
    '--output',
    outputFile,
    address,
  ];
  const ghz = ghzBinary();
  console.log(`${ghz} ${args.join(' ')}`);
  const result = spawnSync(ghz, args, { stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`ghz exited ${result.status}`);
  const report = JSON.parse(readFileSync(outputFile, 'utf8'));
  const latency = Object.fromEntries(report.latencyDistribution.map((entry) => [`p${entry.percentage}`, entry.latency / 1e6]));
  console.log(
    JSON.stringify({
      requests: report.count,
      rps: Math.round(report.rps),
      averageMs: +(report.average / 1e6).toFixed(1),
      p50Ms: +latency.p50.toFixed(1),
      p99Ms: +latency.p99.toFixed(1),
      statusCodes: report.statusCodeDistribution,
      errors: report.errorDistribution ?? {},
    }),
  );
  const cutOff = (report.statusCodeDistribution.Unavailable ?? 0) + (report.statusCodeDistribution.Canceled ?? 0);
  await checkDevices(runId, report.count, cutOff);
}

// Handset i's last stored tick is the highest request number r < count with r % handsets = i,
// except for calls ghz cut off when its time ended (Unavailable, Canceled): the server may not
// have stored those, and then holds the handset's check-in before.
async function checkDevices(runId, count, cutOff) {
  const pg = new Client({ connectionString: databaseUrl });
  await pg.connect();
  const { rows } = await pg.query('SELECT handset_id, reported_tick FROM policy_authority.devices WHERE run_id = $1', [runId]);
  await pg.end();
  let wrong = 0;
  let previous = 0;
  for (const row of rows) {
    const id = Number(row.handset_id);
    const expected = count - 1 - ((count - 1 - id) % handsets);
    const stored = row.reported_tick === null ? -1 : Number(row.reported_tick);
    if (id >= count || stored === expected) continue;
    if (stored === expected - handsets) previous++;
    else wrong++;
  }
  const late = Math.max(0, previous - cutOff);
  console.log(
    `per device: ${rows.length - wrong - previous} of ${rows.length} handsets hold their last check-in's tick, ${previous} the one before (${cutOff} calls cut off at the end)` +
      (wrong + late > 0 ? `; ${wrong + late} are wrong` : ''),
  );
  if (wrong + late > 0) process.exitCode = 1;
}

main().catch((error) => {
  console.error(error);
  process.exit(2);
});
