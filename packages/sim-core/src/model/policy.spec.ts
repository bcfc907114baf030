import { describe, expect, it } from 'vitest';
import { ValidationError, type ValidationIssue } from '../errors';
import { NonComplianceReason } from './compliance';
import { App } from './enums';
import { compilePolicy, DEFAULT_POLICY, parsePolicy, PASSWORD_QUALITIES, policySchema, versionCode } from './policy';

function issuesOf(action: () => unknown): readonly ValidationIssue[] {
  try {
    action();
  } catch (error) {
    if (error instanceof ValidationError) return error.issues;
    throw error;
  }
  throw new Error('expected a ValidationError');
}

const rule = (blockAfterDays: number, wipeAfterDays: number, settingName = 'passwordPolicies') => ({
  settingName,
  blockAction: { blockAfterDays },
  wipeAction: { wipeAfterDays },
});

describe('parsePolicy', () => {
  const sut = parsePolicy;

  it('accepts a full AMAPI-shaped policy', () => {
    const policy = sut({
      name: 'policies/sales-2011',
      version: 3,
      passwordPolicies: [
        {
          passwordScope: 'SCOPE_PROFILE',
          passwordQuality: 'ALPHANUMERIC',
          passwordMinimumLength: 8,
        },
      ],
      maximumTimeToLock: 300000,
      cameraAccess: 'CAMERA_ACCESS_DISABLED',
      screenCaptureDisabled: true,
      crossProfilePolicies: { crossProfileCopyPaste: 'CROSS_PROFILE_COPY_PASTE_ALLOWED' },
      alwaysOnVpnPackage: { packageName: 'com.example.vpn', lockdownEnabled: true },
      encryptionPolicy: 'ENABLED_WITH_PASSWORD',
      minimumApiLevel: 8,
      applications: [{ packageName: 'com.android.email', installType: 'FORCE_INSTALLED', minimumVersionCode: 7 }],
      statusReportingSettings: { softwareInfoEnabled: true, powerManagementEventsEnabled: true },
      policyEnforcementRules: [
        {
          settingName: 'passwordPolicies',
          blockAction: { blockAfterDays: 1, blockScope: 'BLOCK_SCOPE_DEVICE' },
          wipeAction: { wipeAfterDays: 7 },
        },
      ],
      duet: { checkInIntervalMinutes: 60, minimumHypervisorVersion: '1.0.2.15', guestMemoryMb: 256 },
    });
    expect(policy.version).toBe(3);
    expect(policy.crossProfilePolicies.crossProfileCopyPaste).toBe('CROSS_PROFILE_COPY_PASTE_ALLOWED');
    expect(policy.duet.minimumHypervisorVersion).toBe('1.0.2.15');
  });

  it('fills in AMAPI defaults and Duet defaults', () => {
    const policy = sut({
      name: 'policies/minimal',
      passwordPolicies: [{}],
      applications: [{ packageName: 'com.android.mms' }],
      policyEnforcementRules: [rule(1, 2)],
    });
    expect(policy.version).toBe(1);
    expect(policy.passwordPolicies?.[0].passwordScope).toBe('SCOPE_PROFILE');
    expect(policy.applications?.[0].installType).toBe('AVAILABLE');
    expect(policy.policyEnforcementRules?.[0].blockAction?.blockScope).toBe('BLOCK_SCOPE_WORK_PROFILE');
    expect(policy.crossProfilePolicies).toEqual({
      crossProfileCopyPaste: 'COPY_FROM_WORK_TO_PERSONAL_DISALLOWED',
      crossProfileDataSharing: 'DATA_SHARING_FROM_WORK_TO_PERSONAL_DISALLOWED',
      showWorkContactsInPersonalProfile: 'SHOW_WORK_CONTACTS_IN_PERSONAL_PROFILE_ALLOWED',
    });
    expect(policy.duet).toEqual({ checkInIntervalMinutes: 480, guestMemoryMb: 128 }); // the steady 8 h [M1][M2]
  });

  it('fills in defaults inside a partly given crossProfilePolicies', () => {
    const policy = sut({ name: 'policies/p', crossProfilePolicies: { crossProfileDataSharing: 'CROSS_PROFILE_DATA_SHARING_ALLOWED' } });
    expect(policy.crossProfilePolicies.crossProfileCopyPaste).toBe('COPY_FROM_WORK_TO_PERSONAL_DISALLOWED');
    expect(policy.crossProfilePolicies.crossProfileDataSharing).toBe('CROSS_PROFILE_DATA_SHARING_ALLOWED');
  });

  it('rejects an unknown top-level field and lists the allowed ones', () => {
    const issues = issuesOf(() => sut({ name: 'policies/p', cameraDisabled: true }));
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ path: 'cameraDisabled', rule: 'unknown-field' });
    expect(issues[0].message).toContain('cameraAccess');
  });

  it('rejects an unknown nested field with its dotted path', () => {
    const issues = issuesOf(() => sut({ name: 'policies/p', crossProfilePolicies: { workProfileWidgetsDefault: 'ALLOWED' } }));
    expect(issues).toEqual([expect.objectContaining({ path: 'crossProfilePolicies.workProfileWidgetsDefault', rule: 'unknown-field' })]);
    expect(issues[0].message).toContain('crossProfileCopyPaste');
  });

  it('rejects an unknown field inside an array element', () => {
    const issues = issuesOf(() => sut({ name: 'policies/p', applications: [{ packageName: 'com.android.email', disabled: true }] }));
    expect(issues).toEqual([expect.objectContaining({ path: 'applications.0.disabled', rule: 'unknown-field' })]);
  });

  it('rejects a wrong enum value with a message listing the allowed values', () => {
    const issues = issuesOf(() => sut({ name: 'policies/p', crossProfilePolicies: { crossProfileCopyPaste: 'DISALLOWED' } }));
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ path: 'crossProfilePolicies.crossProfileCopyPaste', rule: 'enum' });
    expect(issues[0].message).toContain('COPY_FROM_WORK_TO_PERSONAL_DISALLOWED');
    expect(issues[0].message).toContain('CROSS_PROFILE_COPY_PASTE_ALLOWED');
    expect(issues[0].message).toContain('"DISALLOWED"');
  });

  it('names the array index of a bad element', () => {
    const issues = issuesOf(() =>
      sut({
        name: 'policies/p',
        applications: [{ packageName: 'com.android.email' }, { packageName: 'com.android.mms' }, { packageName: 'com.android.browser', installType: 'DENY' }],
      }),
    );
    expect(issues).toEqual([expect.objectContaining({ path: 'applications.2.installType', rule: 'enum' })]);
  });

  it.each([
    [31, 'max'],
    [-1, 'min'],
  ])('rejects passwordMinimumLength %d with rule %s', (length, ruleName) => {
    const issues = issuesOf(() => sut({ name: 'policies/p', passwordPolicies: [{ passwordMinimumLength: length }] }));
    expect(issues).toEqual([expect.objectContaining({ path: 'passwordPolicies.0.passwordMinimumLength', rule: ruleName })]);
  });

  it('rejects a fractional count as not an integer', () => {
    const issues = issuesOf(() => sut({ name: 'policies/p', passwordPolicies: [{ passwordHistoryLength: 2.5 }] }));
    expect(issues).toEqual([expect.objectContaining({ path: 'passwordPolicies.0.passwordHistoryLength', rule: 'integer' })]);
  });

  it('rejects a value of the wrong type', () => {
    const issues = issuesOf(() => sut({ name: 'policies/p', screenCaptureDisabled: 'yes' }));
    expect(issues).toEqual([expect.objectContaining({ path: 'screenCaptureDisabled', rule: 'type' })]);
  });

  it('requires name and checks its pattern', () => {
    expect(issuesOf(() => sut({}))).toEqual([expect.objectContaining({ path: 'name', rule: 'required' })]);
    expect(issuesOf(() => sut({ name: 'enterprises/e/policies/p' }))).toEqual([expect.objectContaining({ path: 'name', rule: 'pattern' })]);
  });

  it('rejects a policy that is not an object', () => {
    expect(issuesOf(() => sut('policies/p'))).toEqual([expect.objectContaining({ path: '', rule: 'type' })]);
  });

  it('rejects a passwordExpirationTimeout that is not a duration in seconds', () => {
    const issues = issuesOf(() => sut({ name: 'policies/p', passwordPolicies: [{ passwordExpirationTimeout: '90d' }] }));
    expect(issues).toContainEqual(expect.objectContaining({ path: 'passwordPolicies.0.passwordExpirationTimeout', rule: 'pattern' }));
  });

  // AMAPI fields the model gives no effect: refused by name, never silently ignored.
  it.each([
    ['passwordPolicies.0.maximumFailedPasswordsForWipe', { passwordPolicies: [{ maximumFailedPasswordsForWipe: 10 }] }],
    ['passwordPolicies.0.passwordExpirationTimeout', { passwordPolicies: [{ passwordExpirationTimeout: '7776000s' }] }],
    ['passwordPolicies.0.passwordHistoryLength', { passwordPolicies: [{ passwordHistoryLength: 5 }] }],
    ['passwordPolicies.0.requirePasswordUnlock', { passwordPolicies: [{ requirePasswordUnlock: 'REQUIRE_EVERY_DAY' }] }],
    ['passwordPolicies.0.unifiedLockSettings', { passwordPolicies: [{ unifiedLockSettings: 'REQUIRE_SEPARATE_WORK_LOCK' }] }],
    ['passwordPolicies.0.passwordScope', { passwordPolicies: [{ passwordScope: 'SCOPE_DEVICE' }] }],
    ['applications.0.installType', { applications: [{ packageName: 'com.android.email', installType: 'KIOSK' }] }],
    ['applications.0.packageName', { applications: [{ packageName: 'com.example.unsimulated', installType: 'BLOCKED' }] }],
    [
      'policyEnforcementRules.0.wipeAction.preserveFrp',
      { policyEnforcementRules: [{ settingName: 'applications', blockAction: { blockAfterDays: 1 }, wipeAction: { wipeAfterDays: 2, preserveFrp: true } }] },
    ],
  ])('refuses %s as not modelled', (path, fields) => {
    const issues = issuesOf(() => sut({ name: 'policies/p', ...fields }));
    expect(issues).toEqual([expect.objectContaining({ path, rule: 'not-modelled', message: expect.stringMatching(/^not modelled/) })]);
  });

  it.each([
    [3, 3],
    [5, 2],
  ])('rejects blockAfterDays %d not below wipeAfterDays %d', (blockAfterDays, wipeAfterDays) => {
    const issues = issuesOf(() => sut({ name: 'policies/p', policyEnforcementRules: [rule(blockAfterDays, wipeAfterDays)] }));
    expect(issues).toEqual([expect.objectContaining({ path: 'policyEnforcementRules.0.blockAction.blockAfterDays', rule: 'blockAfterDays<wipeAfterDays' })]);
  });

  it('requires blockAction and wipeAction together, as AMAPI does', () => {
    const issues = issuesOf(() =>
      sut({
        name: 'policies/p',
        policyEnforcementRules: [
          { settingName: 'applications', blockAction: { blockAfterDays: 1 } },
          { settingName: 'bogus', wipeAction: { wipeAfterDays: 1 } },
        ],
      }),
    );
    expect(issues.map((issue) => `${issue.path} ${issue.rule}`)).toEqual([
      'policyEnforcementRules.0.wipeAction required',
      'policyEnforcementRules.1.settingName enum',
      'policyEnforcementRules.1.blockAction required',
    ]);
  });

  it('rejects a settingName that is not a top-level setting and lists the allowed ones', () => {
    const issues = issuesOf(() => sut({ name: 'policies/p', policyEnforcementRules: [rule(1, 2, 'cameraDisabled')] }));
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ path: 'policyEnforcementRules.0.settingName', rule: 'enum' });
    expect(issues[0].message).toContain('passwordPolicies');
    expect(issues[0].message).toContain('applications');
    expect(issuesOf(() => sut({ name: 'policies/p', policyEnforcementRules: [rule(1, 2, 'name')] }))[0].rule).toBe('enum');
  });

  it('rejects the same package listed twice', () => {
    const issues = issuesOf(() =>
      sut({
        name: 'policies/p',
        applications: [{ packageName: 'com.android.email' }, { packageName: 'com.android.email', installType: 'BLOCKED' }],
      }),
    );
    expect(issues).toEqual([expect.objectContaining({ path: 'applications.1.packageName', rule: 'unique' })]);
  });

  it.each([
    [{ checkInIntervalMinutes: 0 }, 'duet.checkInIntervalMinutes', 'min'],
    [{ checkInIntervalMinutes: 1441 }, 'duet.checkInIntervalMinutes', 'max'],
    [{ guestMemoryMb: 32 }, 'duet.guestMemoryMb', 'min'],
    [{ minimumHypervisorVersion: '1.x' }, 'duet.minimumHypervisorVersion', 'pattern'],
    [{ minimumHypervisorVersion: '1.0.256' }, 'duet.minimumHypervisorVersion', 'max'],
    [{ hypervisor: 'mvp' }, 'duet.hypervisor', 'unknown-field'],
  ])('rejects duet settings %j at %s with rule %s', (duet, path, ruleName) => {
    expect(issuesOf(() => sut({ name: 'policies/p', duet }))).toEqual([expect.objectContaining({ path, rule: ruleName })]);
  });

  it('reports several problems at once', () => {
    const issues = issuesOf(() =>
      sut({
        name: 'policies/p',
        version: 0,
        kioskMode: true,
        passwordPolicies: [{ passwordMinimumLength: 99, passwordQuality: 'STRONG' }],
        crossProfilePolicies: { crossProfileCopyPaste: 'NO', extra: 1 },
        policyEnforcementRules: [rule(7, 7), rule(1, 2, 'bogus')],
      }),
    );
    expect(issues.map((issue) => `${issue.path} ${issue.rule}`).sort()).toEqual(
      [
        'version min',
        'kioskMode unknown-field',
        'passwordPolicies.0.passwordMinimumLength max',
        'passwordPolicies.0.passwordQuality enum',
        'crossProfilePolicies.crossProfileCopyPaste enum',
        'crossProfilePolicies.extra unknown-field',
        'policyEnforcementRules.0.blockAction.blockAfterDays blockAfterDays<wipeAfterDays',
        'policyEnforcementRules.1.settingName enum',
      ].sort(),
    );
  });

  it('puts every problem in the error message', () => {
    expect(() => sut({ name: 'policies/p', version: 0, kioskMode: true })).toThrow(/version: .*\[min\].*kioskMode: .*\[unknown-field\]/);
  });
});

describe('DEFAULT_POLICY', () => {
  const sut = DEFAULT_POLICY;

  it('is named policies/default and carries AMAPI and Duet defaults', () => {
    expect(sut.name).toBe('policies/default');
    expect(sut.version).toBe(1);
    expect(sut.crossProfilePolicies.crossProfileCopyPaste).toBe('COPY_FROM_WORK_TO_PERSONAL_DISALLOWED');
    expect(sut.duet.checkInIntervalMinutes).toBe(480);
    expect(sut.duet.guestMemoryMb).toBe(128);
  });

  it('is deeply frozen', () => {
    expect(Object.isFrozen(sut)).toBe(true);
    expect(Object.isFrozen(sut.crossProfilePolicies)).toBe(true);
  });

  it('compiles to a policy that asks nothing but AMAPI cross-profile defaults', () => {
    const effective = compilePolicy(sut);
    expect(effective).toMatchObject({
      passwordRequired: false,
      cameraDisabled: false,
      vpnRequired: false,
      encryptionRequired: false,
      minimumApiLevel: 0,
      minimumHypervisorVersionCode: 0,
      blockedAppMask: 0,
      requiredAppMask: 0,
      screenCaptureDisabled: false,
      screenLockSeconds: 60,
      statusReportKilobytes: 0,
      vpnLockdown: false,
    });
    expect(effective.enforcement.blockAfterMinutes.every((minutes) => minutes === Infinity)).toBe(true);
    expect(effective.enforcement.wipeAfterMinutes.every((minutes) => minutes === Infinity)).toBe(true);
  });
});

describe('compilePolicy', () => {
  const sut = (document: Record<string, unknown>) => compilePolicy(parsePolicy({ name: 'policies/p', ...document }));
  const crossProfile = (crossProfilePolicies: Record<string, string>) => sut({ crossProfilePolicies });

  it('blocks copy to personal when crossProfileCopyPaste is COPY_FROM_WORK_TO_PERSONAL_DISALLOWED', () => {
    expect(crossProfile({ crossProfileCopyPaste: 'COPY_FROM_WORK_TO_PERSONAL_DISALLOWED' }).copyWorkToPersonalAllowed).toBe(false);
  });

  it('allows copy to personal when crossProfileCopyPaste is CROSS_PROFILE_COPY_PASTE_ALLOWED', () => {
    expect(crossProfile({ crossProfileCopyPaste: 'CROSS_PROFILE_COPY_PASTE_ALLOWED' }).copyWorkToPersonalAllowed).toBe(true);
  });

  it('blocks sharing both ways when crossProfileDataSharing is CROSS_PROFILE_DATA_SHARING_DISALLOWED', () => {
    const effective = crossProfile({ crossProfileDataSharing: 'CROSS_PROFILE_DATA_SHARING_DISALLOWED' });
    expect(effective.shareWorkToPersonalAllowed).toBe(false);
    expect(effective.sharePersonalToWorkAllowed).toBe(false);
  });

  it('blocks only work to personal sharing when crossProfileDataSharing is DATA_SHARING_FROM_WORK_TO_PERSONAL_DISALLOWED', () => {
    const effective = crossProfile({ crossProfileDataSharing: 'DATA_SHARING_FROM_WORK_TO_PERSONAL_DISALLOWED' });
    expect(effective.shareWorkToPersonalAllowed).toBe(false);
    expect(effective.sharePersonalToWorkAllowed).toBe(true);
  });

  it('allows sharing both ways when crossProfileDataSharing is CROSS_PROFILE_DATA_SHARING_ALLOWED', () => {
    const effective = crossProfile({ crossProfileDataSharing: 'CROSS_PROFILE_DATA_SHARING_ALLOWED' });
    expect(effective.shareWorkToPersonalAllowed).toBe(true);
    expect(effective.sharePersonalToWorkAllowed).toBe(true);
  });

  it.each([
    ['SHOW_WORK_CONTACTS_IN_PERSONAL_PROFILE_ALLOWED', true],
    ['SHOW_WORK_CONTACTS_IN_PERSONAL_PROFILE_DISALLOWED', false],
    ['SHOW_WORK_CONTACTS_IN_PERSONAL_PROFILE_DISALLOWED_EXCEPT_SYSTEM', false],
  ])('sets workContactsInPersonalAllowed for showWorkContactsInPersonalProfile %s to %s', (value, allowed) => {
    expect(crossProfile({ showWorkContactsInPersonalProfile: value }).workContactsInPersonalAllowed).toBe(allowed);
  });

  it('applies the AMAPI cross-profile defaults when crossProfilePolicies is absent', () => {
    expect(sut({})).toMatchObject({
      copyWorkToPersonalAllowed: false,
      shareWorkToPersonalAllowed: false,
      sharePersonalToWorkAllowed: true,
      workContactsInPersonalAllowed: true,
    });
  });

  it.each([
    ['CAMERA_ACCESS_DISABLED', true],
    ['CAMERA_ACCESS_USER_CHOICE', false],
    ['CAMERA_ACCESS_ENFORCED', false],
  ])('disables the camera only for cameraAccess CAMERA_ACCESS_DISABLED (%s → %s)', (cameraAccess, disabled) => {
    expect(sut({ cameraAccess }).cameraDisabled).toBe(disabled);
  });

  it('ranks password qualities from none to COMPLEX', () => {
    PASSWORD_QUALITIES.forEach((passwordQuality, rank) => {
      expect(sut({ passwordPolicies: [{ passwordQuality }] }).passwordQualityRank).toBe(rank);
    });
  });

  it('takes the strictest password requirement over all requirements', () => {
    const effective = sut({
      passwordPolicies: [
        { passwordQuality: 'NUMERIC', passwordMinimumLength: 8 },
        { passwordScope: 'SCOPE_PROFILE', passwordQuality: 'ALPHANUMERIC', passwordMinimumLength: 6 },
      ],
    });
    expect(effective).toMatchObject({ passwordRequired: true, passwordQualityRank: 6, passwordMinimumLength: 8 });
  });

  it('requires a password when only a minimum length is set', () => {
    expect(sut({ passwordPolicies: [{ passwordMinimumLength: 4 }] }).passwordRequired).toBe(true);
    expect(sut({ passwordPolicies: [{}] }).passwordRequired).toBe(false);
  });

  it('requires VPN, encryption, API level and hypervisor version when the policy names them', () => {
    const effective = sut({
      alwaysOnVpnPackage: { packageName: 'com.example.vpn' },
      encryptionPolicy: 'ENABLED_WITHOUT_PASSWORD',
      minimumApiLevel: 10,
      screenCaptureDisabled: true,
      duet: { minimumHypervisorVersion: '1.5.0', checkInIntervalMinutes: 30, guestMemoryMb: 192 },
    });
    expect(effective).toMatchObject({
      vpnRequired: true,
      encryptionRequired: true,
      minimumApiLevel: 10,
      screenCaptureDisabled: true,
      minimumHypervisorVersionCode: versionCode('1.5.0'),
      checkInIntervalMinutes: 30,
      guestMemoryMb: 192,
    });
  });

  it('maps application install types to app masks and minimum versions by App code', () => {
    const effective = sut({
      applications: [
        { packageName: 'com.rovio.angrybirds', installType: 'BLOCKED', minimumVersionCode: 99 },
        { packageName: 'com.android.email', installType: 'FORCE_INSTALLED', minimumVersionCode: 7 },
        { packageName: 'com.google.android.apps.maps', installType: 'REQUIRED_FOR_SETUP' },
        { packageName: 'com.android.browser', installType: 'AVAILABLE', minimumVersionCode: 3 },
        { packageName: 'com.android.mms', installType: 'PREINSTALLED' },
      ],
    });
    expect(effective.blockedAppMask).toBe(1 << App.GAMES);
    expect(effective.requiredAppMask).toBe((1 << App.EMAIL) | (1 << App.MAPS));
    expect(effective.preinstalledAppMask).toBe(1 << App.MESSAGING);
    expect(effective.minimumAppVersionCode[App.EMAIL]).toBe(7);
    expect(effective.minimumAppVersionCode[App.BROWSER]).toBe(3);
    expect(effective.minimumAppVersionCode[App.GAMES]).toBe(0);
    expect(effective.minimumAppVersionCode).toHaveLength(App.GAMES + 1);
  });

  it('compiles each enforcement rule onto the reasons of its own setting only', () => {
    const effective = sut({
      policyEnforcementRules: [
        { settingName: 'passwordPolicies', blockAction: { blockAfterDays: 3 }, wipeAction: { wipeAfterDays: 30 } },
        {
          settingName: 'applications',
          blockAction: { blockAfterDays: 1, blockScope: 'BLOCK_SCOPE_DEVICE' },
          wipeAction: { wipeAfterDays: 60 },
        },
      ],
    });
    const { blockAfterMinutes, wipeAfterMinutes, blockScopeDevice } = effective.enforcement;
    const bit = (reason: number) => Math.log2(reason);
    expect([blockAfterMinutes[bit(NonComplianceReason.USER_ACTION)], wipeAfterMinutes[bit(NonComplianceReason.USER_ACTION)]]).toEqual([3 * 1440, 30 * 1440]);
    expect(blockScopeDevice[bit(NonComplianceReason.USER_ACTION)]).toBe(false);
    for (const reason of [NonComplianceReason.APP_INSTALLED, NonComplianceReason.APP_NOT_INSTALLED, NonComplianceReason.APP_NOT_UPDATED]) {
      expect([blockAfterMinutes[bit(reason)], wipeAfterMinutes[bit(reason)], blockScopeDevice[bit(reason)]]).toEqual([1440, 60 * 1440, true]);
    }
    expect(blockAfterMinutes[bit(NonComplianceReason.VPN)]).toBe(Infinity);
    expect(blockAfterMinutes[bit(NonComplianceReason.PENDING)]).toBe(Infinity);
  });

  it('blocks the whole device when a rule of the same setting blocking at the earliest time says so', () => {
    const effective = sut({
      policyEnforcementRules: [
        { settingName: 'encryptionPolicy', blockAction: { blockAfterDays: 2 }, wipeAction: { wipeAfterDays: 30 } },
        { settingName: 'encryptionPolicy', blockAction: { blockAfterDays: 2, blockScope: 'BLOCK_SCOPE_DEVICE' }, wipeAction: { wipeAfterDays: 6 } },
      ],
    });
    const bit = Math.log2(NonComplianceReason.ENCRYPTION);
    expect([effective.enforcement.blockAfterMinutes[bit], effective.enforcement.wipeAfterMinutes[bit], effective.enforcement.blockScopeDevice[bit]]).toEqual([
      2 * 1440,
      6 * 1440,
      true,
    ]);
  });

  it('models maximumTimeToLock as the screen-on tail, capped by the Android 60 s default', () => {
    expect(sut({ maximumTimeToLock: 15000 }).screenLockSeconds).toBe(15);
    expect(sut({ maximumTimeToLock: 600000 }).screenLockSeconds).toBe(60);
    expect(sut({ maximumTimeToLock: 0 }).screenLockSeconds).toBe(60);
  });

  it('sizes the status report from the sections statusReportingSettings enables', () => {
    expect(sut({ statusReportingSettings: { applicationReportsEnabled: true, hardwareStatusEnabled: true } }).statusReportKilobytes).toBe(20);
    expect(sut({ statusReportingSettings: { applicationReportsEnabled: false } }).statusReportKilobytes).toBe(0);
  });

  it('returns a frozen policy without strings or nested objects besides the version-code array', () => {
    const effective = sut({ applications: [{ packageName: 'com.android.email', installType: 'FORCE_INSTALLED' }] });
    expect(Object.isFrozen(effective)).toBe(true);
    expect(Object.isFrozen(effective.minimumAppVersionCode)).toBe(true);
    expect(Object.isFrozen(effective.enforcement.blockAfterMinutes)).toBe(true);
    for (const [key, value] of Object.entries(effective)) {
      if (key === 'minimumAppVersionCode' || key === 'enforcement') continue;
      expect(['number', 'boolean']).toContain(typeof value);
    }
  });
});

describe('versionCode', () => {
  const sut = versionCode;

  it('packs up to four components one byte each', () => {
    expect(sut('1.0.2.15')).toBe(1 * 2 ** 24 + 0 * 2 ** 16 + 2 * 2 ** 8 + 15);
    expect(sut('1.5.0')).toBe(1 * 2 ** 24 + 5 * 2 ** 16);
    expect(sut('1.5')).toBe(sut('1.5.0.0'));
  });

  it('orders versions as their components do', () => {
    const ordered = ['0.9', '1.0.0.0', '1.0.2.15', '1.0.10', '1.5.0', '2', '255.255.255.255'];
    const codes = ordered.map(sut);
    for (let index = 1; index < codes.length; index++) expect(codes[index]).toBeGreaterThan(codes[index - 1]);
  });

  it('rejects a malformed version or a component above 255', () => {
    expect(issuesOf(() => sut('1.0.2.15.1'))).toEqual([expect.objectContaining({ path: 'version', rule: 'pattern' })]);
    expect(issuesOf(() => sut('v1'))).toEqual([expect.objectContaining({ rule: 'pattern' })]);
    expect(issuesOf(() => sut('1.256'))).toEqual([expect.objectContaining({ path: 'version', rule: 'max' })]);
  });
});

describe('policySchema', () => {
  it('is a zod schema a JSON-Schema generator can read', async () => {
    const { z } = await import('zod');
    const jsonSchema = z.toJSONSchema(policySchema, { io: 'input', unrepresentable: 'any' }) as {
      properties: Record<string, unknown>;
      additionalProperties: unknown;
    };
    expect(jsonSchema.additionalProperties).toBe(false);
    expect(Object.keys(jsonSchema.properties)).toContain('crossProfilePolicies');
  });
});
