import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ScenarioError, loadScenario } from './scenario.loader';

function scenarioFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'duet-loader-')), 'scenario.yaml');
  writeFileSync(file, text);
  return file;
}

function problemsOf(file: string, overrides: string[] = []) {
  try {
    loadScenario(file, overrides);
  } catch (error) {
    if (error instanceof ScenarioError) return error.problems.map((problem) => [problem.path, problem.line, problem.rule]);
    throw error;
  }
  return [];
}

const BASE = `name: faults
seed: 1
duration: 4h
fleet:
  handsets: 20
  regions: { emea: 1, amer: 1, apac: 1 }
`;

describe('scenario faults', () => {
  it('turns a policy-authority outage into an outage of every region', () => {
    const sut = loadScenario(scenarioFile(`${BASE}faults:\n  - policyAuthorityOutage: { from: 1h, to: 90m }\n`));
    expect(sut.config.outages).toEqual([
      { region: 'emea', fromTick: 60, toTick: 90 },
      { region: 'amer', fromTick: 60, toTick: 90 },
      { region: 'apac', fromTick: 60, toTick: 90 },
    ]);
  });

  it('names the fault of a core problem even after a policy-authority outage expanded into several', () => {
    const file = scenarioFile(`${BASE}faults:\n  - policyAuthorityOutage: { from: 1h, to: 90m }\n  - regionOutage: { region: mars, from: 0, to: 10 }\n`);
    expect(problemsOf(file)).toEqual([['faults.1.regionOutage.region', 9, 'enum']]);
  });

  it('wants exactly one kind per fault entry, and an end after the start', () => {
    const both = scenarioFile(`${BASE}faults:\n  - regionOutage: { region: emea, from: 0, to: 5 }\n    policyAuthorityOutage: { from: 0, to: 5 }\n`);
    expect(problemsOf(both)).toEqual([['faults.0', 8, 'one-fault']]);
    const backwards = scenarioFile(`${BASE}faults:\n  - policyAuthorityOutage: { from: 2h, to: 1h }\n`);
    expect(problemsOf(backwards)).toEqual([['faults.0.policyAuthorityOutage.to', 8, 'after-from']]);
  });
});

describe('scenario thresholds', () => {
  it('keeps the file order, takes a single expression for a list, and accepts --set text that is not YAML', () => {
    const file = scenarioFile(`${BASE}thresholds:\n  events: '> 0'\n  compliance_rate: ['> 0.9', '<= 100%']\n`);
    const sut = loadScenario(file, ['thresholds.enrolled_handsets=>= 20']);
    expect(sut.scenario.thresholds).toEqual({ events: ['> 0'], compliance_rate: ['> 0.9', '<= 100%'], enrolled_handsets: ['>= 20'] });
  });

  it('lists each unknown KPI with its own line', () => {
    const file = scenarioFile(`${BASE}thresholds:\n  happiness: ['> 1']\n  events: ['> 0']\n  latency_p99: ['< 250']\n`);
    expect(problemsOf(file)).toEqual([
      ['thresholds.happiness', 8, 'unknown-kpi'],
      ['thresholds.latency_p99', 10, 'unknown-kpi'],
    ]);
  });

  it('wants a fault for an outage KPI', () => {
    expect(problemsOf(scenarioFile(`${BASE}thresholds:\n  outage_recovery_minutes: ['< 20']\n`))).toEqual([
      ['thresholds.outage_recovery_minutes', 8, 'needs-fault'],
    ]);
  });
});

describe('hostile scenario files', () => {
  it('turns any text into a scenario or a list of problems, never a crash (fuzzed)', () => {
    const base = BASE.split('\n');
    const fragment = fc.oneof(
      fc.string({ maxLength: 60 }),
      fc
        .tuple(fc.constantFrom('seed', 'fleet', 'duration', 'faults', 'policies', 'ramp', 'thresholds', 'pacing'), fc.jsonValue({ maxDepth: 3 }))
        .map(([key, value]) => stringify({ [key]: value })),
      fc.constantFrom('a: &a [1]\nb: [*a, *a]', '!!js/function "x"', '{', '- - -', 'duration: 99999999999h', 'fleet: { handsets: 1e309 }', '\u0000'),
    );
    fc.assert(
      fc.property(fc.array(fragment, { maxLength: 4 }), fc.nat({ max: base.length }), (fragments, at) => {
        const text = [...base.slice(0, at), ...fragments, ...base.slice(at)].join('\n');
        try {
          loadScenario(scenarioFile(text));
        } catch (error) {
          expect(error).toBeInstanceOf(ScenarioError);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('refuses a YAML alias bomb as a problem of the file, not a crash', () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (const name of 'bcdefghi')
      bomb.push(`${name}: &${name} [${Array.from({ length: 9 }, () => `*${String.fromCharCode(name.charCodeAt(0) - 1)}`).join(',')}]`);
    expect(problemsOf(scenarioFile(`${BASE}${bomb.join('\n')}\n`))).toEqual([['', undefined, 'yaml']]);
  });
});
