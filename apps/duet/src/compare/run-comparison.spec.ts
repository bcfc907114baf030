import { describe, expect, it } from 'vitest';
import type { ComparedRun } from './compared-run';
import { compareRuns } from './run-comparison';

const run = (label: string, kpis: Record<string, number | null>, thresholds: ComparedRun['thresholds'] = [], measured = true): ComparedRun => ({
  label,
  source: measured ? 'report' : 'telemetry',
  scenario: 's',
  seed: 1,
  handsets: 1000,
  digest: label,
  kpis,
  measured,
  thresholds,
});

describe('compareRuns', () => {
  it('gives each KPI with B − A and flags the thresholds whose verdict flips', () => {
    const a = run('a', { compliance_rate: 0.97, battery_empty_handsets: 5 }, [{ kpi: 'compliance_rate', expression: '> 0.95', value: 0.97, passed: true }]);
    const b = run('b', { compliance_rate: 0.93, battery_empty_handsets: 20 }, [
      { kpi: 'battery_empty_handsets', expression: '< 1%', value: 20, passed: false },
    ]);
    const sut = compareRuns(a, b);
    expect(sut.kpis.find((row) => row.kpi === 'compliance_rate')).toEqual({ kpi: 'compliance_rate', unit: 'ratio', a: 0.97, b: 0.93, delta: -0.04 });
    expect(sut.thresholds).toEqual([
      { kpi: 'compliance_rate', expression: '> 0.95', a: { value: 0.97, passed: true }, b: { value: 0.93, passed: false }, flipped: true, regressed: true },
      { kpi: 'battery_empty_handsets', expression: '< 1%', a: { value: 5, passed: true }, b: { value: 20, passed: false }, flipped: true, regressed: true },
    ]);
  });

  it('judges both by the given thresholds instead, and never flips on a run that was not measured', () => {
    const a = run('a', { compliance_rate: 0.97, compliance_rate_min: 0.9 });
    const b = run('b', { compliance_rate: 0.99, compliance_rate_min: null }, [], false);
    const sut = compareRuns(a, b, { compliance_rate: ['> 0.98'], compliance_rate_min: ['> 0.8'] });
    expect(sut.thresholds.map((row) => [row.a.passed, row.b.passed, row.flipped, row.regressed])).toEqual([
      [false, true, true, false],
      [true, null, false, false],
    ]);
  });

  it('gives the first tick where the series part, which ones, and the fork point of a fork', () => {
    const timing = { tickSeconds: 60, startMinuteOfDay: 8 * 60 };
    const a = { ...run('a', {}), runId: 'run-a', timing, series: { enrolled: [1, 2, 3, 4], compliant: [0, 1, 2, 3] } };
    const forkedFrom = { dir: 'out/a', runId: 'run-a', digest: 'a', atTick: 2, atTime: '08:02', checkpointTick: 0 };
    const b = { ...run('b', {}), runId: 'run-b', timing, forkedFrom, series: { enrolled: [1, 2, 3, 5, 6], compliant: [0, 1, 2, 2, 2] } };
    expect(compareRuns(a, b).parting).toEqual({
      tick: 3,
      time: '08:03',
      kpis: ['enrolled', 'compliant'],
      comparedTicks: 4,
      forkPoint: { forked: 'B', tick: 2, time: '08:02' },
    });
    expect(compareRuns(b, a).parting?.forkPoint?.forked).toBe('A');
    expect(compareRuns(a, { ...a, label: 'a2' }).parting).toMatchObject({ tick: null, kpis: [], comparedTicks: 4, forkPoint: undefined });
    expect(compareRuns(a, run('t', {}, [], false)).parting).toBeUndefined();
  });
});
