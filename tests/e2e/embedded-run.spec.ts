import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runScenario } from '@duet/cli/dist/run/run-scenario';
import { loadScenario } from '@duet/cli/dist/scenario/scenario.loader';
import { Simulation } from '@duet/sim-core';
import { REPOSITORY_ROOT } from './support/duet-process';
import { useEmbeddedTarget } from './support/embedded-target';

// The embedded mode runs the four services' Nest modules with in-process adapters; its result
// must be the pure core's, digest for digest (docs/design.md#time-shards-and-determinism).
describe('embedded run of the quickstart scenario', () => {
  const target = useEmbeddedTarget('test-embedded');

  it('gives the same digest and summary as the in-process simulation', async () => {
    const { config } = loadScenario(join(REPOSITORY_ROOT, 'scenarios', 'quickstart.yaml'), ['fleet.handsets=240', 'duration=4h', 'start=08:00']);
    const progress: number[] = [];
    const outcome = await runScenario(target(), { runId: 'e2e-embedded-1', scenario: 'quickstart', config }, (state) => progress.push(state.ticksCompleted));
    const core = new Simulation(config).run();
    expect(outcome.phase).toBe('COMPLETED');
    expect(outcome.digest).toBe(core.digest);
    expect(outcome.summary).toEqual(core);
    expect(progress.at(-1)).toBe(config.ticks);
    // The run exercised the services: agents enrolled and checked in with policy-authority.
    expect(core.kpis.enrolled).toBeGreaterThan(200);
    expect(core.kpis.checkIns).toBeGreaterThan(1000);
  }, 300_000);

  it('refuses nothing silently: a second run with another seed gets another digest', async () => {
    const { config } = loadScenario(join(REPOSITORY_ROOT, 'scenarios', 'quickstart.yaml'), ['fleet.handsets=60', 'duration=1h', 'seed=7']);
    const outcome = await runScenario(target(), { runId: 'e2e-embedded-2', scenario: 'quickstart', config });
    expect(outcome.phase).toBe('COMPLETED');
    expect(outcome.digest).toBe(new Simulation(config).run().digest);
  }, 300_000);
});
