import { describe, expect, it } from 'vitest';
import { NON_COMPLIANCE_REASON_COUNT, NonComplianceReason } from './compliance';
import { DEVICE_SCOPE, enforcementFor } from './enforcement';
import { EnforcementAction } from './enums';
import { compilePolicy, DEFAULT_POLICY, parsePolicy } from './policy';

const MINUTES_PER_DAY = 1440;
const TICKS_PER_DAY = 1440; // one-minute ticks
const bit = (reason: number) => Math.log2(reason);

// Password rules block after 1 day and wipe after 7; app rules block the device at once, wipe after 2.
const rules = compilePolicy(
  parsePolicy({
    name: 'policies/rules',
    policyEnforcementRules: [
      { settingName: 'passwordPolicies', blockAction: { blockAfterDays: 1 }, wipeAction: { wipeAfterDays: 7 } },
      { settingName: 'applications', blockAction: { blockAfterDays: 0, blockScope: 'BLOCK_SCOPE_DEVICE' }, wipeAction: { wipeAfterDays: 2 } },
    ],
  }),
).enforcement;

/** Since-ticks with every reason non-compliant from `tick` 0 except as given. */
function since(overrides: Partial<Record<number, number>> = {}): Int32Array {
  const ticks = new Int32Array(NON_COMPLIANCE_REASON_COUNT);
  for (const [reason, tick] of Object.entries(overrides)) ticks[bit(Number(reason))] = tick ?? 0;
  return ticks;
}

describe('enforcementFor (per settingName)', () => {
  const sut = (mask: number, tick: number, sinceTicks = since()) => enforcementFor(rules, mask, sinceTicks, 0, tick, MINUTES_PER_DAY / TICKS_PER_DAY);

  it('does nothing to a compliant handset, however long the clock says', () => {
    expect(sut(0, 100 * TICKS_PER_DAY)).toBe(EnforcementAction.NONE);
  });

  it('runs the password rule on its own clock: WARN, SUSPEND at a day, WIPE at a week', () => {
    const password = NonComplianceReason.USER_ACTION;
    expect(sut(password, TICKS_PER_DAY - 1)).toBe(EnforcementAction.WARN);
    expect(sut(password, TICKS_PER_DAY)).toBe(EnforcementAction.SUSPEND_BUSINESS_WORLD);
    expect(sut(password, 7 * TICKS_PER_DAY)).toBe(EnforcementAction.WIPE_BUSINESS_WORLD);
  });

  it('only warns for a setting no rule names, however long it lasts (the VPN here)', () => {
    expect(sut(NonComplianceReason.VPN, 100 * TICKS_PER_DAY)).toBe(EnforcementAction.WARN);
  });

  it('does not let one setting start the clock of another', () => {
    // Passwords non-compliant for 3 days, the VPN since now: still a work-profile SUSPEND from the password rule only.
    const mask = NonComplianceReason.USER_ACTION | NonComplianceReason.VPN;
    expect(sut(mask, 3 * TICKS_PER_DAY, since({ [NonComplianceReason.VPN]: 3 * TICKS_PER_DAY }))).toBe(EnforcementAction.SUSPEND_BUSINESS_WORLD);
    // A password non-compliant for an hour only warns, whatever else happened before.
    const passwordFresh = since({ [NonComplianceReason.USER_ACTION]: 3 * TICKS_PER_DAY - 60 });
    expect(sut(NonComplianceReason.USER_ACTION, 3 * TICKS_PER_DAY, passwordFresh)).toBe(EnforcementAction.WARN);
  });

  it('blocks the device at once for the app rule, and wipes after its own 2 days', () => {
    expect(sut(NonComplianceReason.APP_INSTALLED, 0)).toBe(EnforcementAction.SUSPEND_BUSINESS_WORLD | DEVICE_SCOPE);
    expect(sut(NonComplianceReason.APP_NOT_INSTALLED, 2 * TICKS_PER_DAY)).toBe(EnforcementAction.WIPE_BUSINESS_WORLD);
  });

  it('takes the most severe action over all reasons', () => {
    const mask = NonComplianceReason.USER_ACTION | NonComplianceReason.APP_INSTALLED;
    expect(sut(mask, 7 * TICKS_PER_DAY, since({ [NonComplianceReason.APP_INSTALLED]: 7 * TICKS_PER_DAY }))).toBe(EnforcementAction.WIPE_BUSINESS_WORLD);
  });

  it('warns forever when the policy has no enforcement rules', () => {
    const lenient = compilePolicy(DEFAULT_POLICY).enforcement;
    expect(enforcementFor(lenient, NonComplianceReason.USER_ACTION, since(), 0, Number.MAX_SAFE_INTEGER, 1)).toBe(EnforcementAction.WARN);
  });
});
