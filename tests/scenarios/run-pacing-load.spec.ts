// Real-time pacing and the load-test target, through the built `duet` as its own process: a run
// that keeps pace, one that cannot and says so, and a load test of a real policy-authority server
// listening on a loopback gRPC port (its Nest app in this process, real gRPC, the shared PostgreSQL).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPolicyAuthorityApp, PolicyAuthorityModule } from '@duet/policy-authority';
import { Database, InProcessEventBus } from '@duet/service-kit';
import { Simulation } from '@duet/sim-core';
import { loadScenario } from '@duet/cli/dist/scenario/scenario.loader';
import { REPOSITORY_ROOT, duet, lastJsonLine } from '../cli/duet-cli';
import { INFRASTRUCTURE_TIMEOUT_MS, freshDatabase } from '../support/infrastructure';

const PACED = 'tests/scenarios/fixtures/paced.yaml'; // 12 ticks, a tick every 0.5 s
const DATA_DIR = join(REPOSITORY_ROOT, '.duet', 'test-embedded-pacing');
const RUN_TIMEOUT_MS = 180_000;

interface RpcFigures {
  calls: number;
  errors: number;
  errorRate: number;
  handsets: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
}

interface PacedResult {
  runId: string;
  digest: string;
  kpis: { checkIns: number };
  passed: boolean;
  thresholds: { kpi: string; expression: string; value: number | null; passed: boolean }[];
  pacing: { mode: string; speedFactor: number; tickWallMs: number; lag: { p50Ms: number; p99Ms: number; maxMs: number }; keptPace: boolean };
  load: {
    policyAuthority: string;
    paced: boolean;
    trustworthy: boolean;
    rpc: { CheckInBatch: RpcFigures; EnrollBatch: RpcFigures };
    checkIns: { handsets: number; achievedPerSecond: number; targetPerSecond: number | null };
  };
}

/** `duet` without blocking this process's event loop (the policy authority under test runs here). */
function duetAsync(args: readonly string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(REPOSITORY_ROOT, 'apps', 'duet', 'bin', 'duet.js'), ...args], { cwd: REPOSITORY_ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGTERM'), RUN_TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe('duet run with real-time pacing', () => {
  it(
    'keeps pace at a speed it can hold, and reports trustworthy latency percentiles',
    () => {
      const out = join(mkdtempSync(join(tmpdir(), 'duet-paced-')), 'run');
      const run = duet(['run', PACED, '--json', '--out', out, '--data-dir', DATA_DIR], RUN_TIMEOUT_MS);
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      const result = lastJsonLine(run.stdout) as unknown as PacedResult;
      expect(result.pacing).toMatchObject({ mode: 'real-time', speedFactor: 120, tickWallMs: 500, keptPace: true });
      expect(result.pacing.lag.maxMs).toBeLessThan(500);
      expect(result.load).toMatchObject({ policyAuthority: 'embedded', paced: true, trustworthy: true });
      const checkIns = result.load.rpc.CheckInBatch;
      expect(checkIns.calls).toBeGreaterThan(0);
      expect(checkIns.p50Ms).toBeGreaterThan(0);
      expect(checkIns.p99Ms).toBeGreaterThanOrEqual(checkIns.p50Ms);
      expect(checkIns.maxMs).toBeGreaterThanOrEqual(checkIns.p99Ms);
      expect(result.load.checkIns.handsets).toBe(result.kpis.checkIns);
      // Kept pace: the rate achieved is the one the schedule asks for, within a fifth.
      expect(result.load.checkIns.achievedPerSecond / result.load.checkIns.targetPerSecond!).toBeGreaterThan(0.8);
      expect(result.thresholds.find((threshold) => threshold.kpi === 'checkin_latency_p99_ms')).toMatchObject({ value: checkIns.p99Ms, passed: true });
      // Pacing leaves the digest alone.
      const { config } = loadScenario(join(REPOSITORY_ROOT, PACED));
      expect(result.digest).toBe(new Simulation(config).run().digest);
      const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as PacedResult;
      expect(report.pacing.keptPace).toBe(true);
      expect(report.load.trustworthy).toBe(true);
      expect(readFileSync(join(out, 'report.html'), 'utf8')).not.toContain('not trustworthy');
    },
    RUN_TIMEOUT_MS,
  );

  it(
    'says so when it cannot keep pace, and marks its latency figures as not trustworthy',
    () => {
      const out = join(mkdtempSync(join(tmpdir(), 'duet-lost-pace-')), 'run');
      // ×1,000,000: a tick every 0.06 ms, far below what one tick takes.
      const run = duet(['run', PACED, '--set', 'pacing.speedFactor=1000000', '--json', '--out', out, '--data-dir', DATA_DIR], RUN_TIMEOUT_MS);
      expect(run.status).toBe(0);
      expect(run.stderr).toMatch(/WARNING: the run could not keep real-time pace ×1000000 .*latency figures are not trustworthy/);
      const result = lastJsonLine(run.stdout) as unknown as PacedResult;
      expect(result.pacing.keptPace).toBe(false);
      expect(result.pacing.lag.maxMs).toBeGreaterThan(result.pacing.tickWallMs);
      expect(result.load).toMatchObject({ paced: true, trustworthy: false });
      expect(result.load.checkIns.achievedPerSecond).toBeLessThan(result.load.checkIns.targetPerSecond!);
      const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as PacedResult;
      expect(report.pacing.keptPace).toBe(false);
      expect(report.load.trustworthy).toBe(false);
      expect(readFileSync(join(out, 'report.html'), 'utf8')).toMatch(/class="lost-pace"[^>]*><strong>Latency figures not trustworthy/);
    },
    RUN_TIMEOUT_MS,
  );

  it('refuses, naming the reason, what the core target cannot do', () => {
    const realTime = duet(['run', PACED, '--target', 'core', '--set', 'thresholds={}']);
    expect(realTime.status).toBe(2);
    expect(realTime.stderr).toMatch(/pacing\.mode real-time: the core target runs as fast as possible/);
    const loadKpi = duet(['run', PACED, '--target', 'core', '--set', 'pacing.mode=as-fast-as-possible']);
    expect(loadKpi.status).toBe(2);
    expect(loadKpi.stderr).toMatch(
      /thresholds\.checkin_latency_p99_ms: checkin_latency_p99_ms, rpc_error_rate are load KPIs, measured only on the embedded target/,
    );
    const remote = duet(['run', PACED, '--target', 'local', '--policy-authority', '127.0.0.1:1', '--admin-token', 'x'.repeat(16), '--set', 'thresholds={}']);
    expect(remote.status).toBe(2);
    expect(remote.stderr).toMatch(/--policy-authority works with the embedded target/);
  });
});

describe('duet run --policy-authority (load test of a real policy authority over gRPC)', () => {
  const ADMIN_TOKEN = 'load-test-admin-token';
  let database: Database;
  let bus: InProcessEventBus;
  let app: INestApplication;
  let address: string;

  beforeAll(async () => {
    database = new Database(await freshDatabase('run-pacing-load'));
    await PolicyAuthorityModule.migrate(database);
    bus = new InProcessEventBus();
    address = `127.0.0.1:${await freePort()}`;
    app = await createPolicyAuthorityApp({
      database,
      eventBus: bus,
      adminToken: ADMIN_TOKEN,
      enrollmentSecret: 'a-load-test-enrollment-secret-of-32+chars',
      grpcUrl: address,
      ownsConnections: false,
      logLevels: ['error'],
    });
    await app.startAllMicroservices();
    await app.init();
  }, INFRASTRUCTURE_TIMEOUT_MS);

  afterAll(async () => {
    await app?.close();
    await bus?.close();
    await database?.close();
  });

  it(
    'drives the server’s PolicyService, reports per-RPC latency and rates, and judges a latency threshold',
    async () => {
      // A bound no server meets: the threshold must be judged on a measured value, and fail.
      const run = await duetAsync([
        'run',
        PACED,
        '--policy-authority',
        address,
        '--admin-token',
        ADMIN_TOKEN,
        '--set',
        'thresholds.checkin_latency_p99_ms=< 0.001',
        '--json',
        '--data-dir',
        DATA_DIR,
      ]);
      expect(run.stderr).toBe('');
      const result = lastJsonLine(run.stdout) as unknown as PacedResult;
      expect(result.thresholds).toContainEqual({
        kpi: 'checkin_latency_p99_ms',
        expression: '< 0.001',
        passed: false,
        value: result.load.rpc.CheckInBatch.p99Ms,
      });
      expect(run.status).toBe(1);
      expect(result.load.policyAuthority).toBe(address);
      expect(result.load.rpc.EnrollBatch.errors).toBe(0);
      expect(result.load.rpc.EnrollBatch.handsets).toBeGreaterThan(0);
      expect(result.load.rpc.CheckInBatch.calls).toBeGreaterThan(0);
      expect(result.load.rpc.CheckInBatch.errorRate).toBe(0);
      expect(result.load.rpc.CheckInBatch.p99Ms).toBeGreaterThan(0);
      expect(result.load.checkIns.handsets).toBe(result.kpis.checkIns);
      expect(result.load.checkIns.targetPerSecond).toBeGreaterThan(0);
      expect(result.thresholds.find((threshold) => threshold.kpi === 'rpc_error_rate')).toMatchObject({ value: 0, passed: true });
      // The server under test stored what the agents sent, and answered as the core's timeline does.
      const devices = await database.query<{ count: string }>('SELECT count(*) FROM policy_authority.devices WHERE run_id = $1', [result.runId]);
      expect(Number(devices.rows[0].count)).toBe(result.load.rpc.EnrollBatch.handsets);
      const { config } = loadScenario(join(REPOSITORY_ROOT, PACED));
      expect(result.digest).toBe(new Simulation(config).run().digest);
    },
    RUN_TIMEOUT_MS,
  );

  it('fails with a clear message when no policy authority answers at the address', async () => {
    const run = await duetAsync(['run', PACED, '--policy-authority', `127.0.0.1:${await freePort()}`, '--admin-token', ADMIN_TOKEN, '--json']);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/no policy authority answers gRPC at 127\.0\.0\.1:\d+/);
  }, 60_000);
});
