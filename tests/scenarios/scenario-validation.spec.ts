import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { duet, lastJsonLine } from '../cli/duet-cli';

// A malformed scenario exits 2 listing every problem with its path and line, and nothing runs.
describe('malformed scenarios', () => {
  it('lists an unknown key, a wrong type, an unknown model, a negative duration and an unknown KPI at once, and runs nothing', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'duet-malformed-')), 'report');
    const run = duet(['run', 'tests/scenarios/fixtures/malformed.yaml', '--out', out]);
    expect(run.status).toBe(2);
    const problems = run.stderr.trim().split('\n').slice(1);
    expect(problems).toHaveLength(5);
    expect(problems[0]).toMatch(/^ {2}duration \(line 3\): .*>=1 \[min\]$/);
    expect(problems[1]).toMatch(/^ {2}colour \(line 4\): unknown key "colour" \[unknown-key\]$/);
    expect(problems[2]).toMatch(/^ {2}fleet\.handsets \(line 6\): .*expected number, received string \[type\]$/);
    expect(problems[3]).toMatch(
      /^ {2}fleet\.models\.optimus-9000 \(line 9\): unknown model "optimus-9000"; the catalogue has: optimus-one.* \[unknown-model\]$/,
    );
    expect(problems[4]).toMatch(/^ {2}thresholds\.happiness_index \(line 12\): unknown KPI "happiness_index"; known: compliance_rate.* \[unknown-kpi\]$/);
    expect(run.stderr).toContain('nothing was run');
    // Nothing ran: no run line, no target started, no report directory.
    expect(run.stdout).toBe('');
    expect(existsSync(out)).toBe(false);
  });

  it('lists a % bound on a count, a rollout KPI without a policy and a malformed expression together', () => {
    const run = duet(['scenario', 'validate', 'tests/scenarios/fixtures/threshold-problems.yaml', '--json']);
    expect(run.status).toBe(2);
    const result = lastJsonLine(run.stdout) as { problems: { path: string; line: number; rule: string }[] };
    expect(result.problems.map((problem) => [problem.path, problem.line, problem.rule])).toEqual([
      ['thresholds.check_ins.0', 7, 'unit'],
      ['thresholds.rollout_p90_minutes', 8, 'needs-policy'],
      ['thresholds.compliance_rate.0', 9, 'format'],
    ]);
  });

  it('rejects a negative duration given with --set, naming the path without a line', () => {
    const run = duet(['run', 'tests/scenarios/fixtures/small.yaml', '--target', 'core', '--set', 'duration=-2h']);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/ {2}duration: /);
    expect(run.stdout).toBe('');
  });

  it('publishes the thresholds and every registry KPI in the JSON Schema', () => {
    const schema = JSON.parse(duet(['scenario', 'schema']).stdout) as { properties: { thresholds: { properties: Record<string, { description: string }> } } };
    const kpis = schema.properties.thresholds.properties;
    expect(Object.keys(kpis)).toContain('battery_empty_handsets');
    expect(kpis.rollout_p90_minutes.description).toMatch(/\[minutes\]$/);
  });
});
