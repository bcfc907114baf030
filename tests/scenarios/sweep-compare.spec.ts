import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPOSITORY_ROOT, duet, lastJsonLine } from '../cli/duet-cli';

const SMALL = 'tests/scenarios/fixtures/small.yaml';
const GRID = ['--param', 'fleet.handsets=50,80', '--param', 'seed=1,2'];

interface SweepResult {
  passed: boolean;
  combinations: { index: number; parameters: Record<string, string>; digest: string; passed: boolean; kpis: Record<string, number | null> }[];
}

describe('duet sweep', () => {
  it('runs the grid in grid order with the same results in 2 workers, 1 worker and again', () => {
    const runs = [
      ['--parallel', '2'],
      ['--parallel', '1'],
      ['--parallel', '2'],
    ].map((parallel) => duet(['sweep', SMALL, ...GRID, ...parallel, '--set', 'duration=100m', '--json']));
    for (const run of runs) expect(run.status).toBe(0);
    const [first, ...others] = runs.map((run) => lastJsonLine(run.stdout) as unknown as SweepResult);
    expect(first.combinations.map((combination) => combination.parameters)).toEqual([
      { 'fleet.handsets': '50', seed: '1' },
      { 'fleet.handsets': '50', seed: '2' },
      { 'fleet.handsets': '80', seed: '1' },
      { 'fleet.handsets': '80', seed: '2' },
    ]);
    expect(new Set(first.combinations.map((combination) => combination.digest)).size).toBe(4);
    for (const other of others) expect(other).toEqual(first);
  });

  it('exits 1 when a combination fails a threshold, and prints the KPI table', () => {
    const run = duet(['sweep', SMALL, '--param', 'fleet.handsets=50,80', '--set', 'duration=100m', '--set', 'thresholds.enrolled_handsets=< 60']);
    expect(run.status).toBe(1);
    const lines = run.stdout.split('\n');
    expect(lines.find((line) => line.startsWith('#'))).toMatch(
      /^# +fleet\.handsets +compliance_rate +battery_empty_handsets +rollout_p90_minutes +outage_recovery_minutes +enrolled_handsets /,
    );
    expect(lines.find((line) => /^0 /.test(line))).toMatch(/ pass$/);
    expect(lines.find((line) => /^1 /.test(line))).toMatch(/FAIL enrolled_handsets < 60$/);
    expect(run.stdout).toContain('1 of 2 combination(s) FAIL');
  });

  it('writes the same sweep.json twice, and a run report per combination', () => {
    const [a, b] = [1, 2].map(() => mkdtempSync(join(tmpdir(), 'duet-sweep-')));
    for (const out of [a, b]) expect(duet(['sweep', SMALL, '--param', 'seed=3,4', '--set', 'duration=100m', '--out', out]).status).toBe(0);
    expect(readFileSync(join(a, 'sweep.json'), 'utf8')).toBe(readFileSync(join(b, 'sweep.json'), 'utf8'));
    const sweep = JSON.parse(readFileSync(join(a, 'sweep.json'), 'utf8'));
    expect(sweep.format).toBe('duet-sweep-report/1');
    expect(sweep.combinations[1].report).toBe(join('runs', '001', 'report.json'));
    const report = JSON.parse(readFileSync(join(a, 'runs', '001', 'report.json'), 'utf8'));
    expect(report.digest).toBe(sweep.combinations[1].digest);
    expect(readFileSync(join(a, 'sweep.html'), 'utf8')).toContain('href="runs/001/report.html"');
  });

  it('validates every combination first: one bad value exits 2 and nothing runs', () => {
    const out = mkdtempSync(join(tmpdir(), 'duet-sweep-bad-'));
    const run = duet(['sweep', SMALL, '--param', 'fleet.handsets=50,-1,many', '--out', join(out, 'x')]);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/with fleet\.handsets=-1: 1 problem/);
    expect(run.stderr).toMatch(/with fleet\.handsets=many: 1 problem/);
    expect(run.stderr).toMatch(/fleet\.handsets: .*\[min\]/);
    expect(run.stderr).toContain('2 of 3 combination(s) invalid; nothing was run');
    expect(run.stdout).toBe('');
  });
});

describe('duet compare', () => {
  let baseline: string;
  let candidate: string;

  beforeAll(() => {
    const root = mkdtempSync(join(tmpdir(), 'duet-compare-'));
    baseline = join(root, 'baseline');
    candidate = join(root, 'candidate');
    // The candidate's fleet is smaller than the baseline's threshold on enrolled handsets.
    const threshold = ['--set', 'thresholds.enrolled_handsets=[">= 100"]', '--set', 'duration=100m'];
    expect(duet(['run', SMALL, '--target', 'core', ...threshold, '--out', baseline]).status).toBe(0);
    expect(duet(['run', SMALL, '--target', 'core', ...threshold, '--set', 'fleet.handsets=90', '--out', candidate]).status).toBe(1);
  });

  it('shows KPIs side by side with deltas and the threshold that flips, the same every time', () => {
    const runs = [1, 2].map(() => duet(['compare', baseline, join(candidate, 'report.json')]));
    expect(runs[0].status).toBe(1);
    expect(runs[1].stdout).toBe(runs[0].stdout);
    expect(runs[0].stdout).toMatch(/enrolled_handsets +120 +90 +−30 +−25\.00 %/);
    expect(runs[0].stdout).toMatch(/enrolled_handsets +>= 100 +pass +FAIL +flipped: now fails/);
    expect(runs[0].stdout).toContain('1 threshold(s) flip; 1 pass in A and fail in B');
  });

  it('exits 0 the other way round, where the threshold flips to passing', () => {
    const run = duet(['compare', candidate, baseline, '--json']);
    expect(run.status).toBe(0);
    const result = lastJsonLine(run.stdout) as { thresholds: { kpi: string; flipped: boolean; regressed: boolean }[] };
    expect(result.thresholds.find((row) => row.kpi === 'enrolled_handsets')).toMatchObject({ flipped: true, regressed: false });
  });

  describe('by run id, from telemetry', () => {
    let server: Server;
    let url: string;

    beforeAll(async () => {
      const reports: Record<string, { summary: unknown; digest: string; seed: number; handsets: number }> = {
        'run-a': JSON.parse(readFileSync(join(baseline, 'report.json'), 'utf8')),
        'run-b': JSON.parse(readFileSync(join(candidate, 'report.json'), 'utf8')),
      };
      // Telemetry's query API as the local stack serves it: GET /v1/runs/:runId.
      server = createServer((request, response) => {
        const runId = decodeURIComponent(request.url!.replace(/^\/v1\/runs\//, ''));
        const report = reports[runId];
        if (report === undefined) return response.writeHead(404).end('{"message":"unknown run"}');
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(
          JSON.stringify({
            runId,
            scenario: 'small',
            seed: report.seed,
            handsets: report.handsets,
            phase: 'COMPLETED',
            digest: report.digest,
            summary: report.summary,
          }),
        );
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    });

    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('compares summary KPIs of a stored run with a report, judged by a scenario’s thresholds', async () => {
      const run = await duetAsync(['compare', 'run-a', candidate, '--thresholds', SMALL, '--json'], { TELEMETRY_URL: url });
      expect(run.status).toBe(0);
      const result = JSON.parse(run.stdout.trim().split('\n').pop()!);
      expect(result.a).toMatchObject({ label: 'run-a', source: 'telemetry' });
      expect(result.kpis.find((row: { kpi: string }) => row.kpi === 'compliance_rate').a).toBeGreaterThan(0.9);
      // Telemetry keeps no series: a series KPI's threshold is not judged on run-a, and never counts as a flip.
      expect(result.thresholds.find((row: { kpi: string }) => row.kpi === 'rollout_p90_minutes')).toMatchObject({ a: { passed: null }, flipped: false });
    });

    it('exits 2 naming the run when telemetry does not know it', async () => {
      const run = await duetAsync(['compare', 'run-zzz', 'run-a'], { TELEMETRY_URL: url });
      expect(run.status).toBe(2);
      expect(run.stderr).toContain('run run-zzz: telemetry at');
    });
  });
});

/** Like duet(), but without blocking this process, which serves the fake telemetry. */
function duetAsync(args: readonly string[], environment: Record<string, string>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(REPOSITORY_ROOT, 'apps', 'duet', 'bin', 'duet.js'), ...args], {
      cwd: REPOSITORY_ROOT,
      env: { ...process.env, ...environment },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}
