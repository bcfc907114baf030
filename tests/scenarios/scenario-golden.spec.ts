import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { format, resolveConfig } from 'prettier';
import { describe, expect, it } from 'vitest';
import { measureRun } from '@duet/cli/dist/report/run-measurement';
import { buildRunReport } from '@duet/cli/dist/report/run-report';
import { loadScenario } from '@duet/cli/dist/scenario/scenario.loader';
import { REPOSITORY_ROOT } from '../cli/duet-cli';

// Golden scenarios (conventions.md principle 8): every shipped scenario's digest, summary, KPIs and threshold
// verdicts, run on the pure core at a size small enough for the test run. A model change that moves
// them must update the files on purpose: UPDATE_GOLDEN=1 npx vitest run tests/scenarios
interface GoldenScenario {
  readonly name: string;
  /** Shrinks the scenario for tests; its shape (timeline, faults, thresholds) stays. */
  readonly overrides: readonly string[];
  /** What a golden file of this scenario must show, so it never pins an idle run. */
  readonly exercises: (golden: Golden) => void;
}

interface Golden {
  readonly scenario: string;
  readonly overrides: readonly string[];
  readonly digest: string;
  readonly summary: { readonly kpis: Record<string, number>; readonly totals: Record<string, number> };
  readonly kpis: Record<string, number | null>;
  readonly thresholds: readonly { kpi: string; expression: string; value: number | null; passed: boolean }[];
  readonly breakdowns: Record<string, readonly { value: string; nonCompliance: Record<string, number> }[]>;
  readonly outages: readonly { region: string; recoveryMinutes: number | null }[];
}

const SCENARIOS: readonly GoldenScenario[] = [
  {
    name: 'checkin-load',
    overrides: ['fleet.handsets=300'],
    exercises: (golden) => {
      // The load it offers: every handset enrolled and checking in; its latency KPIs need the services.
      expect(golden.kpis.enrolled_handsets).toBe(300);
      expect(golden.kpis.check_ins_peak_per_minute).toBeGreaterThan(0);
      expect(golden.kpis.checkin_latency_p99_ms).toBeUndefined();
      expect(golden.thresholds.find((threshold) => threshold.kpi === 'checkin_latency_p99_ms')).toMatchObject({ value: null, passed: false });
    },
  },
  {
    name: 'quickstart',
    overrides: ['fleet.handsets=400'],
    exercises: (golden) => {
      expect(golden.kpis.enrolled_handsets).toBe(400);
      expect(golden.kpis.rollout_p99_minutes).not.toBeNull();
      expect(golden.summary.kpis.flowsBlocked).toBeGreaterThan(0);
    },
  },
  {
    name: 'vpn-mandate',
    overrides: ['fleet.handsets=600'],
    exercises: (golden) => {
      // The mandate reached the fleet, and a VPN that did not come up shows as the reason.
      expect(golden.kpis.rollout_applied_rate).toBeGreaterThan(0.99);
      const reasons = golden.breakdowns.group.flatMap((row) => Object.keys(row.nonCompliance));
      expect(reasons).toContain('VPN');
    },
  },
  {
    name: 'policy-rollout-50k',
    overrides: ['fleet.handsets=1500'],
    exercises: (golden) => {
      expect(golden.kpis.rollout_p50_minutes).toBeGreaterThan(0);
      expect(golden.kpis.rollout_p99_minutes).toBeGreaterThanOrEqual(golden.kpis.rollout_p90_minutes!);
      expect(golden.kpis.compliance_rate_min).toBeLessThan(golden.kpis.compliance_rate!);
    },
  },
  {
    name: 'region-outage',
    overrides: ['fleet.handsets=800'],
    exercises: (golden) => {
      expect(golden.kpis.check_ins_unreachable).toBeGreaterThan(0);
      expect(golden.outages).toHaveLength(1);
      expect(golden.outages[0]).toMatchObject({ region: 'amer' });
      expect(golden.outages[0].recoveryMinutes).toBeGreaterThan(0);
      // The push lands inside the outage, so amer holds the rollout back.
      expect(golden.kpis.rollout_p99_minutes).toBeGreaterThan(60);
    },
  },
  {
    name: 'morning-ramp',
    overrides: ['fleet.handsets=800'],
    exercises: (golden) => {
      // The ramp starts from an empty fleet and ends with everyone enrolled.
      expect(golden.kpis.handsets_online_min).toBe(0);
      expect(golden.kpis.enrolled_handsets).toBe(800);
      // policy-authority's restart: refused check-ins, then every agent checking in within a minute.
      expect(golden.kpis.check_ins_unreachable).toBeGreaterThan(0);
      expect(golden.kpis.check_ins_peak_per_minute).toBeGreaterThanOrEqual(760);
    },
  },
];

describe.each(SCENARIOS)('golden scenario $name', ({ name, overrides, exercises }) => {
  const file = join(REPOSITORY_ROOT, 'scenarios', `${name}.yaml`);
  const goldenFile = join(__dirname, `${name}.golden.json`);

  it('reproduces the committed digest, summary, KPIs and threshold verdicts on the pure core', async () => {
    const { scenario, config } = loadScenario(file, overrides);
    const measurement = measureRun(config);
    const report = buildRunReport({
      scenario: { name, file: `scenarios/${name}.yaml`, overrides },
      run: { id: 'golden', target: 'core', wallSeconds: 0 },
      config,
      thresholds: scenario.thresholds,
      summary: measurement.summary,
      measurement,
    });
    const actual: Golden = {
      scenario: name,
      overrides,
      digest: report.digest,
      summary: report.summary,
      kpis: report.kpis,
      thresholds: report.thresholds,
      breakdowns: report.breakdowns!,
      outages: report.outages!,
    };
    // Written as the repository's Prettier would, so `npm run lint` passes on regenerated files.
    if (process.env.UPDATE_GOLDEN === '1')
      writeFileSync(goldenFile, await format(JSON.stringify(actual), { ...(await resolveConfig(goldenFile)), parser: 'json' }));
    const golden = JSON.parse(readFileSync(goldenFile, 'utf8')) as Golden;
    expect(JSON.parse(JSON.stringify(actual))).toEqual(golden);
  });

  it('pins a run that exercises what the scenario is about', () => {
    exercises(JSON.parse(readFileSync(goldenFile, 'utf8')) as Golden);
  });

  it('is valid at full size and opens with a header saying what question it answers', () => {
    const text = readFileSync(file, 'utf8');
    expect(text.split('\n')[0]).toMatch(/^# .+\?|^# .+:/);
    expect(() => loadScenario(file)).not.toThrow();
  });
});
