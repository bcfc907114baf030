import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runScenario } from '@duet/cli/dist/run/run-scenario';
import { loadScenario } from '@duet/cli/dist/scenario/scenario.loader';
import { Simulation } from '@duet/sim-core';
import { REPOSITORY_ROOT } from './support/duet-process';
import { useEmbeddedTarget } from './support/embedded-target';

// The ramp and the fault kinds live in sim-core's models, which the services run: a run through
// the four services' Nest modules (embedded mode) must give the pure core's digest for a scenario
// with a ramp, a power loss and both service restarts (docs/design.md#time-shards-and-determinism).
describe('embedded run of the morning-ramp scenario (ramp, power loss, service restarts)', () => {
  const target = useEmbeddedTarget('test-embedded-faults');

  it('gives the same digest and summary as the in-process simulation', async () => {
    // The same shape, compressed into four simulated hours.
    const { config } = loadScenario(join(REPOSITORY_ROOT, 'scenarios', 'morning-ramp.yaml'), [
      'fleet.handsets=160',
      'duration=4h',
      'ramp.0.duration=20m',
      'ramp.1.duration=40m',
      'faults.0.powerLoss.from=90m',
      'faults.0.powerLoss.to=2h',
      'faults.1.serviceRestart.at=150m',
      'faults.2.serviceRestart.at=3h',
    ]);
    const outcome = await runScenario(target(), { runId: 'e2e-embedded-faults-1', scenario: 'morning-ramp', config });
    const core = new Simulation(config).run();
    expect(outcome.phase).toBe('COMPLETED');
    expect(outcome.digest).toBe(core.digest);
    expect(outcome.summary).toEqual(core);
    // The run exercised the faults: refused check-ins during policy-authority's restart, everyone enrolled by the end.
    expect(core.totals.checkInsUnreachable).toBeGreaterThan(0);
    expect(core.kpis.enrolled).toBe(160);
    // And it differs from the same run without them.
    const calm = new Simulation({ ...config, ramp: undefined, powerLosses: [], serviceRestarts: [] }).run();
    expect(calm.digest).not.toBe(core.digest);
  }, 300_000);
});
