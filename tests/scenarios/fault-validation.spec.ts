import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ScenarioError, loadScenario } from '@duet/cli/dist/scenario/scenario.loader';
import { duet, lastJsonLine } from '../cli/duet-cli';

// Ramp and the fault kinds (powerLoss, serviceRestart): every problem listed with its path and
// line, at each tier (the schema, the scenario's own rules, the core's check against the fleet).
type Problems = { problems: { path: string; line: number; rule: string }[] };

describe('ramp and fault validation', () => {
  it.each([
    {
      what: 'a bad ramp target, an unknown service, two fault kinds in one entry and a bad power loss',
      fixture: 'fault-schema-problems.yaml',
      problems: [
        ['ramp.0.target', 8, 'format'],
        ['faults.0.serviceRestart.service', 10, 'enum'],
        ['faults.1', 11, 'one-fault'],
        ['faults.2.powerLoss.handsets', 13, 'min'],
        ['faults.2.powerLoss.colour', 13, 'unknown-key'],
      ],
    },
    {
      what: 'a ramp beyond the fleet, unknown region and group, a percent above 100 and a batch larger than its region and group',
      fixture: 'fault-problems.yaml',
      problems: [
        ['ramp.1.target', 11, 'range'],
        ['faults.0.powerLoss.region', 13, 'enum'],
        ['faults.1.powerLoss.group', 14, 'enum'],
        ['faults.2.powerLoss.handsets', 15, 'range'],
        ['faults.3.powerLoss.handsets', 16, 'max'],
      ],
    },
  ])('lists $what, with lines', ({ fixture, problems }) => {
    const run = duet(['scenario', 'validate', `tests/scenarios/fixtures/${fixture}`, '--json']);
    expect(run.status).toBe(2);
    expect((lastJsonLine(run.stdout) as Problems).problems.map((problem) => [problem.path, problem.line, problem.rule])).toEqual(problems);
  });

  function problemsOf(yaml: string) {
    const file = join(mkdtempSync(join(tmpdir(), 'duet-faults-')), 'scenario.yaml');
    writeFileSync(file, yaml);
    try {
      loadScenario(file);
    } catch (error) {
      expect(error).toBeInstanceOf(ScenarioError);
      return (error as ScenarioError).problems.map((problem) => [problem.path, problem.line, problem.rule]);
    }
    throw new Error('expected a ScenarioError');
  }

  const HEAD = 'name: t\nseed: 1\nduration: 2h\nfleet: { handsets: 100 }\n';

  it('refuses a ramp target above 100 % and a power loss that ends before it starts', () => {
    expect(problemsOf(`${HEAD}ramp:\n  - { duration: 10m, target: 120% }\nfaults:\n  - powerLoss: { handsets: 5, from: 1h, to: 1h }\n`)).toEqual([
      ['ramp.0.target', 6, 'max'],
      ['faults.0.powerLoss.to', 8, 'after-from'],
    ]);
  });

  it('maps ramp and faults onto the core config: percent of the fleet, durations in ticks, restart default of 2 minutes', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'duet-faults-')), 'scenario.yaml');
    writeFileSync(
      file,
      `${HEAD}ramp:\n  - { duration: 30m, target: 25% }\n  - { duration: 1h, target: 100 }\nfaults:\n` +
        '  - powerLoss: { handsets: 10%, from: 1h, to: 90m }\n  - serviceRestart: { service: hypervisor-core, at: 1h }\n' +
        '  - serviceRestart: { service: policy-authority, at: 80m, downFor: 5m }\n',
    );
    const { config } = loadScenario(file);
    expect(config.ramp).toEqual([
      { ticks: 30, handsets: 25 },
      { ticks: 60, handsets: 100 },
    ]);
    expect(config.powerLosses).toEqual([{ percent: 10, region: undefined, group: undefined, fromTick: 60, toTick: 90 }]);
    expect(config.serviceRestarts).toEqual([
      { service: 'hypervisor-core', tick: 60, downTicks: 2 },
      { service: 'policy-authority', tick: 80, downTicks: 5 },
    ]);
  });
});
