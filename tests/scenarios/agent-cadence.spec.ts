import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPOSITORY_ROOT, duet, lastJsonLine } from '../cli/duet-cli';

// Agents that behave like real agents, through the CLI: enrollment retries and check-in backoff in
// a fault window, the enrollment phases, their KPIs in report.json, and the scenario's `agents`
// settings validated with their paths and lines.
const SCENARIO = 'tests/scenarios/fixtures/agent-cadence.yaml';

interface Report {
  digest: string;
  ticks: number;
  kpis: Record<string, number | null>;
  series: Record<string, number[]>;
}

function runReport(extra: readonly string[] = []): Report {
  const out = join(mkdtempSync(join(tmpdir(), 'duet-cadence-')), 'run');
  const run = duet(['run', SCENARIO, '--target', 'core', '--out', out, '--json', ...extra]);
  expect(run.status, run.stderr).toBe(0);
  return JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as Report;
}

describe('duet run: agents through a fault window', () => {
  const report = runReport();
  const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);

  it('retries enrollments refused while the policy authority is down, with a backoff, and enrolls every handset after', () => {
    const failures = report.series.enrollmentFailures;
    expect(sum(failures.slice(0, 30))).toBeGreaterThan(150);
    expect(sum(failures.slice(30))).toBe(0);
    // A backoff, not a retry every tick: fewer failed attempts than agents × ticks waiting.
    expect(sum(failures)).toBeLessThan(150 * 10);
    expect(report.kpis.enrollment_failures).toBe(sum(failures));
    expect(report.kpis.enrolled_handsets).toBe(150);
  });

  it('reports the agents backing off: most during the outages, none once calls succeed again', () => {
    const backingOff = report.series.agentsBackingOff;
    expect(report.kpis.agents_backing_off_max).toBe(Math.max(...backingOff));
    expect(Math.max(...backingOff.slice(0, 30))).toBeGreaterThan(140);
    expect(backingOff[119]).toBe(0);
    expect(Math.max(...backingOff.slice(120, 150))).toBeGreaterThan(50); // amer, about half the fleet
    expect(backingOff[backingOff.length - 1]).toBe(0);
  });

  it('checks in faster in the enrollment phases than at the policy’s hourly steady interval', () => {
    const checkIns = report.series.checkIns;
    const perTick = (from: number, to: number) => sum(checkIns.slice(from, to)) / (to - from);
    expect(perTick(40, 50)).toBeGreaterThan(20); // every 3 min: ~50 a tick
    expect(perTick(200, 240)).toBeLessThan(5); // hourly: ~2.5 a tick
    expect(report.kpis.check_ins_peak_per_minute).toBeGreaterThan(50);
  });

  it('gives the same digest on 3 shards', () => {
    expect(runReport(['--set', 'shards=3']).digest).toBe(report.digest);
  });

  it('gives the same digest through the embedded services, whose persona runtime asks the policy authority for exactly the due calls', () => {
    const run = duet(['run', SCENARIO, '--json', '--data-dir', join(REPOSITORY_ROOT, '.duet', 'test-embedded-cadence')], 240_000);
    expect(run.status, run.stderr).toBe(0);
    const result = lastJsonLine(run.stdout) as { target: string; digest: string };
    expect(result.target).toBe('embedded');
    expect(result.digest).toBe(report.digest);
  }, 300_000);
});

describe('duet run: the agents settings', () => {
  it('names each setting out of range with its path and line, and runs nothing', () => {
    const run = duet(['scenario', 'validate', 'tests/scenarios/fixtures/agent-cadence-problems.yaml', '--json']);
    expect(run.status).toBe(2);
    const result = lastJsonLine(run.stdout) as { problems: { path: string; line: number; rule: string; message: string }[] };
    expect(result.problems.map((problem) => [problem.path, problem.line, problem.rule])).toEqual([
      ['agents.checkInPhases.0.every', 8, 'range'],
      ['agents.checkInPhases.1.for', 9, 'range'],
      ['agents.jitter', 10, 'range'],
      ['agents.backoff.max', 11, 'at-least-first'],
    ]);
    expect(result.problems[3].message).toBe('must be at least the first backoff wait (10 min), got 5 min');
  });
});
