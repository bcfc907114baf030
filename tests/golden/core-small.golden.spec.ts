import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Simulation } from '@duet/sim-core';
import { CORE_SMALL } from './core-small.config';

// Golden test (conventions.md principle 8): the committed summary and digest of a small scenario. A model
// change that moves them must update the file on purpose: UPDATE_GOLDEN=1 npx vitest run tests/golden
const GOLDEN_FILE = join(__dirname, 'core-small.summary.json');

describe('golden scenario core-small', () => {
  it('reproduces the committed digest and summary', () => {
    const summary = new Simulation(CORE_SMALL).run();
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(GOLDEN_FILE, `${JSON.stringify(summary, null, 2)}\n`);
    const golden = JSON.parse(readFileSync(GOLDEN_FILE, 'utf8'));
    expect(summary).toEqual(golden);
  });

  it('exercises the behaviours it pins', () => {
    const golden = JSON.parse(readFileSync(GOLDEN_FILE, 'utf8'));
    // A golden file that pins an idle run would prove little: check it holds real activity.
    expect(golden.kpis.sessions).toBeGreaterThan(1000);
    expect(golden.kpis.flowsAllowed).toBeGreaterThan(0);
    expect(golden.kpis.flowsBlocked).toBeGreaterThan(0);
    expect(golden.kpis.enforcementActions).toBeGreaterThan(0);
    expect(golden.kpis.commandsExecuted).toBe(6);
    expect(golden.totals.checkInsUnreachable).toBeGreaterThan(0);
    expect(golden.totals.policiesApplied).toBeGreaterThan(golden.kpis.enrolled);
  });
});
