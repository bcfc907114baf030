import { describe, expect, it } from 'vitest';
import { KPI_BY_NAME, KPI_REGISTRY, kpiValues } from './kpi-registry';
import { evaluateThresholds, expressionProblem, parseThresholdExpression } from './threshold';

describe('threshold expressions', () => {
  it('parses an operator, a number and an optional percent sign, spaces or not', () => {
    expect(parseThresholdExpression('> 0.95')).toEqual({ operator: '>', bound: 0.95, percent: false });
    expect(parseThresholdExpression('<1%')).toEqual({ operator: '<', bound: 1, percent: true });
    expect(parseThresholdExpression(' >= -2 ')).toEqual({ operator: '>=', bound: -2, percent: false });
  });

  it('rejects what is not "<operator> <number>[%]"', () => {
    for (const text of ['0.95', '=> 1', '< abc', 'rate>0.95', '< 1 %%', '']) expect(parseThresholdExpression(text)).toBeUndefined();
  });

  it('allows % only on ratios, percents and handset counts', () => {
    expect(expressionProblem(KPI_BY_NAME.get('battery_empty_handsets')!, '< 1%')).toBeUndefined();
    expect(expressionProblem(KPI_BY_NAME.get('compliance_rate')!, '> 95%')).toBeUndefined();
    expect(expressionProblem(KPI_BY_NAME.get('check_ins')!, '< 5%')).toMatch(/check_ins is in count/);
    expect(expressionProblem(KPI_BY_NAME.get('rollout_p90_minutes')!, '< 5%')).toMatch(/minutes/);
  });
});

describe('evaluateThresholds', () => {
  const values = { compliance_rate: 0.95, battery_empty_handsets: 30, rollout_p90_minutes: null };

  it('judges a handset count against a % bound as a share of the fleet', () => {
    const sut = evaluateThresholds({ battery_empty_handsets: ['< 1%', '< 0.5%'] }, values, 4000);
    expect(sut.map((result) => result.passed)).toEqual([true, false]);
    expect(sut[0]).toEqual({ kpi: 'battery_empty_handsets', expression: '< 1%', value: 30, passed: true });
  });

  it('reads a % bound on a ratio as hundredths, without binary noise at the boundary', () => {
    const sut = evaluateThresholds({ compliance_rate: ['<= 95%', '>= 95%', '> 0.95', '== 0.95'] }, values, 100);
    expect(sut.map((result) => result.passed)).toEqual([true, true, false, true]);
  });

  it('fails a threshold whose KPI has no value (a share never reached)', () => {
    expect(evaluateThresholds({ rollout_p90_minutes: ['< 15'] }, values, 100)[0]).toMatchObject({ value: null, passed: false });
  });
});

describe('the KPI registry', () => {
  it('names every KPI once, in snake_case, with a description', () => {
    const names = KPI_REGISTRY.map((kpi) => kpi.name);
    expect(new Set(names).size).toBe(names.length);
    for (const kpi of KPI_REGISTRY) {
      expect(kpi.name).toMatch(/^[a-z][a-z0-9_]*$/);
      expect(kpi.description.length).toBeGreaterThan(10);
    }
  });

  it('leaves series KPIs null for a run known only by its summary', () => {
    const summary = {
      handsets: 10,
      ticks: 1,
      shards: 1,
      seed: 1,
      tickSeconds: 60,
      digest: 'd',
      kpis: { complianceRate: 0.9, enrolled: 10, batteryMeanPercent: 80, batteryEmptyHandsets: 0, checkIns: 4 },
      totals: { checkInsUnreachable: 1, events: 7 },
    } as unknown as Parameters<typeof kpiValues>[0]['summary'];
    const sut = kpiValues({ summary });
    expect(sut.compliance_rate).toBe(0.9);
    expect(sut.check_in_unreachable_rate).toBe(0.25);
    expect(sut.compliance_rate_min).toBeNull();
    expect(sut.rollout_p90_minutes).toBeNull();
    // Recorded before per-persona cost and the ledger were measured: those KPIs are unknown, not zero.
    expect(sut.energy_business_mah).toBeNull();
    expect(sut.leaks_copy_work_to_personal).toBeNull();
  });
});
