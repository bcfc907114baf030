import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runScenario } from '@duet/cli/dist/run/run-scenario';
import { loadScenario } from '@duet/cli/dist/scenario/scenario.loader';
import { REPOSITORY_ROOT } from './support/duet-process';
import { useEmbeddedTarget } from './support/embedded-target';

const PROMTOOL = '/usr/bin/promtool'; // Debian's `prometheus` package; .ci/run installs it

// Every service serves Prometheus metrics at /metrics; the embedded mode serves all four at once.
describe('Prometheus metrics', () => {
  let exposition = '';

  useEmbeddedTarget('test-metrics', async (target) => {
    const { config } = loadScenario(join(REPOSITORY_ROOT, 'scenarios', 'quickstart.yaml'), ['fleet.handsets=120', 'duration=2h', 'start=09:00', 'shards=4']);
    const outcome = await runScenario(target, { runId: 'metrics-1', scenario: 'quickstart', config });
    expect(outcome.phase).toBe('COMPLETED');
    const response = await fetch(`${target.addresses.runs.replace('/v1/runs', '')}/metrics`);
    expect(response.headers.get('content-type')).toContain('text/plain');
    exposition = await response.text();
  });

  function sample(name: string, labels: Record<string, string> = {}): number {
    const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
    const line = exposition
      .split('\n')
      .find((each) => (each.startsWith(`${name}{`) || each.startsWith(`${name} `) ? wanted.every((label) => each.includes(label)) : false));
    if (line === undefined) throw new Error(`no sample ${name} ${JSON.stringify(labels)}`);
    return Number(line.slice(line.lastIndexOf(' ') + 1));
  }

  it('counts the ticks every role processed and how long they took', () => {
    // 2 h of 60 s ticks over 4 shards.
    for (const role of ['hypervisor', 'personal', 'business']) expect(sample('duet_ticks_processed_total', { role })).toBe(480);
    expect(sample('duet_tick_duration_seconds_count', { role: 'hypervisor' })).toBe(480);
    expect(sample('duet_run_ticks_completed')).toBe(120);
    expect(sample('duet_runs_total', { phase: 'completed' })).toBeGreaterThanOrEqual(1);
  });

  it('exports the fleet state, battery distribution, compliance, flows and RPC latencies', () => {
    expect(sample('duet_handsets', { state: 'online' })).toBeGreaterThan(0);
    expect(sample('duet_handsets_battery_level', { at_most: '1' })).toBe(120);
    expect(sample('duet_handsets_battery_level', { at_most: '0.5' })).toBeLessThanOrEqual(120);
    expect(exposition).toMatch(/duet_handsets_non_compliant\{reason="[A-Z_]+"\} \d+/);
    expect(sample('duet_cross_persona_flows_total', { result: 'allowed' }) + sample('duet_cross_persona_flows_total', { result: 'blocked' })).toBeGreaterThan(
      0,
    );
    expect(sample('duet_rpc_duration_seconds_count', { method: 'ExchangeTick', side: 'client' })).toBe(960);
    expect(sample('duet_rpc_duration_seconds_count', { method: 'CheckInBatch', side: 'client' })).toBeGreaterThan(0);
    expect(sample('duet_events_produced_total', { topic: 'duet.handset-events.v1' })).toBe(1440);
  });

  it('keeps label values bounded: no handset or run ids in any label', () => {
    expect(exposition).not.toMatch(/(handset|run)(_id)?="/);
  });

  it('passes promtool check metrics', (context) => {
    if (!existsSync(PROMTOOL)) {
      console.warn(`skipped: ${PROMTOOL} is missing (apt-get install prometheus; .ci/run installs it)`);
      context.skip();
    }
    const result = spawnSync(PROMTOOL, ['check', 'metrics'], { input: exposition, encoding: 'utf8' });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});
