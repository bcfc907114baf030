import { describe, expect, it } from 'vitest';
import { duet, lastJsonLine } from './duet-cli';

describe('duet bench core', () => {
  it('prints one JSON object on the last line with the contracted fields', () => {
    const run = duet(['bench', 'core', '--handsets', '500', '--ticks', '120', '--shards', '2', '--seed', '3', '--json']);
    expect(run.status).toBe(0);
    expect(run.stdout.trim().split('\n')).toHaveLength(1);
    const result = lastJsonLine(run.stdout);
    expect(result).toMatchObject({ handsets: 500, ticks: 120, shards: 2, seed: 3 });
    expect(result.threads).toBeGreaterThanOrEqual(1);
    expect(result.handsetTicksPerSecond).toBeGreaterThan(0);
    expect(result.bytesPerHandset).toBeGreaterThan(0);
    expect(result.digest).toMatch(/^[0-9a-f]{64}$/);
  });

  it('gives the same digest in two separate processes with 1 and 7 shards', () => {
    const one = lastJsonLine(duet(['bench', 'core', '--handsets', '700', '--ticks', '300', '--shards', '1', '--seed', '11', '--json']).stdout);
    const seven = lastJsonLine(duet(['bench', 'core', '--handsets', '700', '--ticks', '300', '--shards', '7', '--seed', '11', '--json']).stdout);
    expect(seven.digest).toBe(one.digest);
    expect(seven.kpis).toEqual(one.kpis);
  });

  it('gives the same digest and KPIs for 1, 2 and 3 shards on 1, 2 and 3 threads', () => {
    // 70 ticks: two full chunks of a thread's KPIs and a partial one.
    const runs = [
      [1, 1],
      [2, 1],
      [2, 2],
      [3, 1],
      [3, 2],
      [3, 3],
    ].map(([shards, threads]) => {
      const run = duet(['bench', 'core', '--handsets', '400', '--ticks', '70', '--shards', `${shards}`, '--threads', `${threads}`, '--seed', '5', '--json']);
      expect(run.status, run.stderr).toBe(0);
      const result = lastJsonLine(run.stdout);
      expect(result.threads).toBe(threads);
      return result;
    });
    for (const run of runs.slice(1)) {
      expect(run.digest).toBe(runs[0].digest);
      expect(run.kpis).toEqual(runs[0].kpis);
    }
  });

  it('starts no more threads than there are shards', () => {
    const result = lastJsonLine(duet(['bench', 'core', '--handsets', '50', '--ticks', '5', '--shards', '2', '--threads', '8', '--json']).stdout);
    expect(result.threads).toBe(2);
  });

  it('prints a human summary without --json', () => {
    const run = duet(['bench', 'core', '--handsets', '50', '--ticks', '10']);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/throughput\s+[\d,]+ handset-ticks\/s/);
    expect(run.stdout).toMatch(/digest\s+[0-9a-f]{64}/);
  });

  it('exits 2 naming the option and rule on a negative handset count', () => {
    const run = duet(['bench', 'core', '--handsets', '-5', '--ticks', '10']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('--handsets must be in 1..');
  });

  it('exits 2 on a missing required option and on an unknown command', () => {
    expect(duet(['bench', 'core', '--handsets', '5']).status).toBe(2);
    expect(duet(['teleport']).status).toBe(2);
  });
});
