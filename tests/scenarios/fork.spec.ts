import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { duet, lastJsonLine } from '../cli/duet-cli';

// 150 handsets over three hours from 08:00: the ramp brings them in until 09:00, the sales VPN
// lands at 09:30 (tick 90), amer's policy authority is out from 10:00 to 10:20 (ticks 120..139).
const FORK = 'tests/scenarios/fixtures/fork.yaml';

interface Report {
  digest: string;
  run: { id: string };
  series: Record<string, number[]>;
  forkedFrom?: { dir: string; runId: string; digest: string; atTick: number; atTime: string; checkpointTick: number };
  [key: string]: unknown;
}

const read = (dir: string): Report => JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as Report;
/** A report without what differs between two runs of the same simulation: the run block and the fork record. */
const withoutRun = (report: Report) => Object.fromEntries(Object.entries(report).filter(([key]) => key !== 'run' && key !== 'forkedFrom'));
const before = (report: Report, tick: number) => Object.fromEntries(Object.entries(report.series).map(([name, values]) => [name, values.slice(0, tick)]));

describe('duet run --fork-from', () => {
  const root = mkdtempSync(join(tmpdir(), 'duet-fork-'));
  const earlier = join(root, 'earlier');
  let base: Report;

  beforeAll(() => {
    const run = duet(['run', FORK, '--target', 'core', '--out', earlier, '--checkpoint-every', '20', '--json']);
    expect(run.status, run.stderr).toBe(0);
    base = read(earlier);
  });

  it('keeps a checkpoint every --checkpoint-every ticks, and the run it belongs to', () => {
    const files = readdirSync(join(earlier, 'checkpoints')).sort();
    expect(files).toEqual(['run.json', ...[20, 40, 60, 80, 100, 120, 140, 160, 180].map((tick) => `tick-${String(tick).padStart(9, '0')}.ckpt`)]);
    const run = JSON.parse(readFileSync(join(earlier, 'checkpoints', 'run.json'), 'utf8'));
    expect(run).toMatchObject({ format: 'duet-checkpoints/1', runId: base.run.id, digest: base.digest, every: 20, config: { seed: 16, ticks: 180 } });
  });

  it.each([
    ['during the ramp', '08:50', 50, 40],
    ['after the VPN push, a duration from the start', '100m', 100, 100],
    ['inside the outage, a tick number', '130', 130, 120],
  ])('is the run from scratch when forked %s (--at %s)', (_, at, atTick, checkpointTick) => {
    const out = join(root, `same-${atTick}`);
    const run = duet(['run', FORK, '--fork-from', earlier, '--at', at, '--out', out, '--json']);
    expect(run.status, run.stderr).toBe(0);
    expect(lastJsonLine(run.stdout).digest).toBe(base.digest);
    const fork = read(out);
    expect(fork.forkedFrom).toEqual({ dir: earlier, runId: base.run.id, digest: base.digest, atTick, atTime: expect.any(String), checkpointTick });
    // Everything but the run block and the fork record: the same report as the earlier run's.
    expect(withoutRun(fork)).toEqual(withoutRun(base));
  });

  it('refuses a scenario changed before the fork point, naming the first difference (exit 2)', () => {
    const run = duet(['run', FORK, '--fork-from', earlier, '--at', '10:10', '--set', 'policies.1.at=80m']);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(
      /--at 10:10 \(tick 130, 10:10\): the scenario differs from the earlier run's .* before the fork point: policies\.1\.tick: "90" in the earlier run, "80" now/,
    );
    const fleet = duet(['run', FORK, '--fork-from', earlier, '--at', '1h', '--set', 'fleet.handsets=151']);
    expect(fleet.status).toBe(2);
    expect(fleet.stderr).toContain('fleet.handsets: "150" in the earlier run, "151" now');
  });

  it('accepts a change after the fork point: the series before it are the earlier run’s, the digest the changed scenario’s from scratch', () => {
    const out = join(root, 'vpn-at-10');
    const fork = duet(['run', FORK, '--fork-from', earlier, '--at', '09:30', '--set', 'policies.1.at=2h', '--out', out, '--json']);
    expect(fork.status, fork.stderr).toBe(0);
    const scratch = duet(['run', FORK, '--target', 'core', '--set', 'policies.1.at=2h', '--json']);
    expect(lastJsonLine(fork.stdout).digest).toBe(lastJsonLine(scratch.stdout).digest);
    expect(lastJsonLine(fork.stdout).digest).not.toBe(base.digest);
    const report = read(out);
    expect(report.forkedFrom).toMatchObject({ atTick: 90, atTime: '09:30', checkpointTick: 80 });
    expect(before(report, 90)).toEqual(before(base, 90));
    expect(report.series.policiesApplied).not.toEqual(base.series.policiesApplied);

    // duet compare shows the fork point and where the runs part.
    const compare = duet(['compare', earlier, out]);
    expect(compare.status).toBe(0);
    expect(compare.stdout).toContain('fork point   B is forked from A at 09:30 (tick 90)');
    expect(compare.stdout).toMatch(/parting {6}at (\d\d:\d\d) \(tick (\d+)\): \w+/);
    const parting = Number(/parting {6}at \d\d:\d\d \(tick (\d+)\)/.exec(compare.stdout)![1]);
    expect(parting).toBeGreaterThanOrEqual(90);
    const json = lastJsonLine(duet(['compare', earlier, out, '--json']).stdout) as { parting: { tick: number; forkPoint: { forked: string } } };
    expect(json.parting).toMatchObject({ tick: parting, forkPoint: { forked: 'B', tick: 90 } });
  });

  it('exits 2 with a clear message on a bad directory, a run without checkpoints, a time beyond the run, or a missing --at', () => {
    const cases: [string[], RegExp][] = [
      [['--fork-from', join(root, 'nowhere'), '--at', '1h'], /--fork-from .*nowhere: no such directory/],
      [['--fork-from', root, '--at', '1h'], /no checkpointed run there \(no checkpoints\/run\.json\)/],
      [['--fork-from', earlier, '--at', '4h'], /--at 4h \(tick 240, 12:00\) is beyond the earlier run in .*: it ran 180 ticks, until 11:00/],
      [['--fork-from', earlier, '--at', 'noon'], /--at "noon": must be a time of day/],
      [['--fork-from', earlier], /--fork-from needs --at TIME/],
      [['--fork-from', earlier, '--at', '1h', '--target', 'embedded'], /--fork-from continues the core's state/],
    ];
    for (const [args, message] of cases) {
      const run = duet(['run', FORK, ...args]);
      expect(run.status, args.join(' ')).toBe(2);
      expect(run.stderr).toMatch(message);
    }
    const sparse = join(root, 'sparse');
    expect(duet(['run', FORK, '--target', 'core', '--out', sparse, '--checkpoint-every', '500']).status).toBe(0);
    const run = duet(['run', FORK, '--fork-from', sparse, '--at', '1h']);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/the run kept no checkpoints \(180 ticks, one every 500\)/);
    // A run without checkpoints leaves none of an earlier run's beside its report.
    expect(duet(['run', FORK, '--target', 'core', '--out', sparse, '--checkpoint-every', '0']).status).toBe(0);
    expect(duet(['run', FORK, '--fork-from', sparse, '--at', '1h']).stderr).toMatch(/no checkpointed run there/);
  });
});

describe('duet sweep with a shared prefix', () => {
  it('simulates the prefix the combinations share once and forks each from it, with the digests of runs from scratch', () => {
    const out = mkdtempSync(join(tmpdir(), 'duet-fork-sweep-'));
    const sweep = duet(['sweep', FORK, '--param', 'policies.1.at=90m,2h', '--parallel', '1', '--out', out]);
    expect(sweep.status, sweep.stderr).toBe(0);
    expect(sweep.stdout).toContain('shared prefix ticks 0..89 (until 09:30) are the same in every combination');
    const report = JSON.parse(readFileSync(join(out, 'sweep.json'), 'utf8'));
    expect(report.sharedPrefix).toEqual({ ticks: 90, time: '09:30', dir: 'prefix' });
    const scratch = ['90m', '2h'].map((at) => lastJsonLine(duet(['run', FORK, '--target', 'core', '--set', `policies.1.at=${at}`, '--json']).stdout).digest);
    expect(report.combinations.map((combination: { digest: string }) => combination.digest)).toEqual(scratch);
    expect(read(join(out, 'runs', '001')).forkedFrom).toMatchObject({ dir: join('..', '..', 'prefix'), atTick: 90, checkpointTick: 90 });
    // Combinations that differ from tick 0 share nothing.
    const apart = JSON.parse(duet(['sweep', FORK, '--param', 'seed=1,2', '--json']).stdout.trim().split('\n').at(-1)!);
    expect(apart.sharedPrefix).toBeUndefined();
  });
});
