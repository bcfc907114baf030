import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Simulation } from '@duet/sim-core';
import { loadScenario } from '@duet/cli/dist/scenario/scenario.loader';
import { REPOSITORY_ROOT, duet, lastJsonLine } from '../cli/duet-cli';

const SMALL = 'tests/scenarios/fixtures/small.yaml';

interface RunResult {
  digest: string;
  passed: boolean;
  thresholds: { kpi: string; expression: string; value: number | null; passed: boolean }[];
  report?: { json: string; html: string };
}

describe('duet run thresholds', () => {
  it('exits 0 when every threshold passes, with the verdicts in --json', () => {
    const run = duet(['run', SMALL, '--target', 'core', '--json']);
    expect(run.status).toBe(0);
    const result = lastJsonLine(run.stdout) as unknown as RunResult;
    expect(result.passed).toBe(true);
    expect(result.thresholds.map((threshold) => [threshold.kpi, threshold.expression, threshold.passed])).toEqual([
      ['compliance_rate', '> 0.9', true],
      ['battery_empty_handsets', '< 1%', true],
      ['rollout_p90_minutes', '<= 30', true],
      ['outage_recovery_minutes', '<= 15', true],
    ]);
    for (const threshold of result.thresholds) expect(typeof threshold.value).toBe('number');
  });

  it('exits 1 when a threshold fails, and prints the table with the failure', () => {
    const run = duet(['run', SMALL, '--target', 'core', '--set', 'thresholds.compliance_rate=> 1']);
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/thresholds {3}3 of 4 pass; 1 FAILED/);
    expect(run.stdout).toMatch(/FAIL {2}compliance_rate +> 1 +[01]\.\d{4} \(/);
  });

  it('writes report.json and report.html that parse, hold the series and stand alone', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'duet-report-')), 'run');
    const run = duet(['run', SMALL, '--target', 'core', '--out', out, '--json']);
    expect(run.status).toBe(0);
    const result = lastJsonLine(run.stdout) as unknown as RunResult;
    expect(result.report).toEqual({ json: join(out, 'report.json'), html: join(out, 'report.html') });
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report.format).toBe('duet-run-report/1');
    expect(report.digest).toBe(result.digest);
    expect(report.series.checkIns).toHaveLength(report.ticks);
    expect(report.series.compliant).toHaveLength(report.ticks);
    expect(report.breakdowns.region.map((row: { value: string }) => row.value)).toEqual(['emea', 'amer']);
    expect(report.breakdowns.model.reduce((sum: number, row: { handsets: number }) => sum + row.handsets, 0)).toBe(120);
    expect(report.dimensionSeries.region.amer.checkInsUnreachable.some((count: number) => count > 0)).toBe(true);
    expect(report.rollout).toMatchObject({ policy: 'policies/sales-vpn', groups: ['sales'] });
    expect(report.outages).toHaveLength(1);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html.match(/<svg /g)!.length).toBeGreaterThanOrEqual(8);
    expect(html).toContain('rollout_p90_minutes');
    expect(html).not.toMatch(/<script|(src|href)="https?:/);
  });

  it('judges a run on the embedded services, and its report matches the pure core digest for digest', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'duet-embedded-report-')), 'run');
    // The outage ends at 80m: the region's agents need up to 11 min (a jittered 10-min wait) to reach the authority again.
    const overrides = ['--set', 'fleet.handsets=60', '--set', 'duration=100m'];
    const run = duet(['run', SMALL, ...overrides, '--out', out, '--json', '--data-dir', join(REPOSITORY_ROOT, '.duet', 'test-embedded-scenarios')], 240_000);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const result = lastJsonLine(run.stdout) as unknown as RunResult & { target: string };
    expect(result.target).toBe('embedded');
    const { config } = loadScenario(join(REPOSITORY_ROOT, SMALL), ['fleet.handsets=60', 'duration=100m']);
    expect(result.digest).toBe(new Simulation(config).run().digest);
    expect(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')).run.target).toBe('embedded');
  }, 300_000);
});
