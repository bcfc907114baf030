import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { duet } from '../cli/duet-cli';

// Every AMAPI field the policy schema knows but the model gives no effect is refused, naming the
// field, so a what-if never silently ignores part of a policy (docs/design.md "policy model").
const REFUSED: readonly (readonly [path: string, policyYaml: string])[] = [
  ['passwordPolicies.0.maximumFailedPasswordsForWipe', 'passwordPolicies: [{ maximumFailedPasswordsForWipe: 10 }]'],
  ['passwordPolicies.0.passwordExpirationTimeout', 'passwordPolicies: [{ passwordExpirationTimeout: "7776000s" }]'],
  ['passwordPolicies.0.passwordHistoryLength', 'passwordPolicies: [{ passwordHistoryLength: 5 }]'],
  ['passwordPolicies.0.requirePasswordUnlock', 'passwordPolicies: [{ requirePasswordUnlock: REQUIRE_EVERY_DAY }]'],
  ['passwordPolicies.0.unifiedLockSettings', 'passwordPolicies: [{ unifiedLockSettings: REQUIRE_SEPARATE_WORK_LOCK }]'],
  ['passwordPolicies.0.passwordScope', 'passwordPolicies: [{ passwordScope: SCOPE_DEVICE }]'],
  ['applications.0.installType', 'applications: [{ packageName: com.android.email, installType: KIOSK }]'],
  ['applications.0.packageName', 'applications: [{ packageName: com.example.unsimulated, installType: BLOCKED }]'],
  [
    'policyEnforcementRules.0.wipeAction.preserveFrp',
    'policyEnforcementRules: [{ settingName: applications, blockAction: { blockAfterDays: 1 }, wipeAction: { wipeAfterDays: 2, preserveFrp: true } }]',
  ],
];

function scenarioWith(policyYaml: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'duet-not-modelled-')), 'scenario.yaml');
  writeFileSync(
    file,
    [
      'name: not-modelled',
      'seed: 1',
      'duration: 10m',
      'fleet: { handsets: 10 }',
      'policies:',
      '  - at: 0',
      `    policy: { name: policies/p, ${policyYaml} }`,
      '',
    ].join('\n'),
  );
  return file;
}

describe('policy fields the model does not simulate', () => {
  it.each(REFUSED)('refuses %s: exit 2 naming the field, nothing run', (path, policyYaml) => {
    const run = duet(['run', scenarioWith(policyYaml), '--target', 'core']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(`policies.0.policy.${path}`);
    expect(run.stderr).toMatch(new RegExp(`policies\\.0\\.policy\\.${path.replace(/\./g, '\\.')}.*: not modelled`));
    expect(run.stdout).toBe('');
  });

  it('accepts every scenario shipped in scenarios/', () => {
    for (const name of ['quickstart', 'vpn-mandate', 'policy-rollout-50k', 'region-outage', 'morning-ramp', 'checkin-load']) {
      const run = duet(['scenario', 'validate', `scenarios/${name}.yaml`]);
      expect({ name, status: run.status, stderr: run.stderr }).toEqual({ name, status: 0, stderr: '' });
    }
  });
});
