import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors';
import { describeNonCompliance, evaluateCompliance, NON_COMPLIANCE_REASON_NAMES, NonComplianceReason, type DeviceFacts } from './compliance';
import { App } from './enums';
import { compilePolicy, DEFAULT_POLICY, parsePolicy, versionCode, type EffectivePolicy } from './policy';

// A policy asking for everything compliance can judge, and a handset meeting all of it.
const strictPolicy: EffectivePolicy = compilePolicy(
  parsePolicy({
    name: 'policies/strict',
    version: 4,
    passwordPolicies: [{ passwordQuality: 'NUMERIC', passwordMinimumLength: 6 }],
    alwaysOnVpnPackage: { packageName: 'com.example.vpn' },
    encryptionPolicy: 'ENABLED_WITHOUT_PASSWORD',
    minimumApiLevel: 8,
    applications: [
      { packageName: 'com.android.email', installType: 'FORCE_INSTALLED', minimumVersionCode: 10 },
      { packageName: 'com.rovio.angrybirds', installType: 'BLOCKED' },
    ],
    policyEnforcementRules: [{ settingName: 'passwordPolicies', blockAction: { blockAfterDays: 1 }, wipeAction: { wipeAfterDays: 7 } }],
    duet: { minimumHypervisorVersion: '1.0.2.15' },
  }),
);

function appVersions(email: number): number[] {
  const versions = new Array<number>(App.GAMES + 1).fill(0);
  versions[App.EMAIL] = email;
  return versions;
}

const compliantDevice: DeviceFacts = {
  apiLevel: 10,
  hypervisorVersionCode: versionCode('1.5.0'),
  passwordQualityRank: 3, // NUMERIC
  passwordLength: 6,
  encrypted: true,
  guestMemoryCeilingMb: 316,
  vpnUp: true,
  installedAppMask: (1 << App.EMAIL) | (1 << App.BROWSER),
  appVersionCode: appVersions(10),
  appliedPolicyVersion: 4,
};

describe('evaluateCompliance', () => {
  const sut = evaluateCompliance;

  it('finds a handset meeting every requirement compliant', () => {
    expect(sut(strictPolicy, compliantDevice)).toBe(0);
  });

  it('finds any handset compliant with the default policy once applied', () => {
    const bare: DeviceFacts = {
      ...compliantDevice,
      apiLevel: 8,
      hypervisorVersionCode: 0,
      passwordQualityRank: 0,
      passwordLength: 0,
      encrypted: false,
      vpnUp: false,
      installedAppMask: 0,
      appliedPolicyVersion: 1,
    };
    expect(sut(compilePolicy(DEFAULT_POLICY), bare)).toBe(0);
  });

  it('reports only PENDING while the handset holds another policy version', () => {
    const stale = { ...compliantDevice, appliedPolicyVersion: 3, encrypted: false, vpnUp: false };
    expect(sut(strictPolicy, stale)).toBe(NonComplianceReason.PENDING);
    expect(sut(strictPolicy, { ...compliantDevice, appliedPolicyVersion: 0 })).toBe(NonComplianceReason.PENDING);
  });

  it.each<[string, Partial<DeviceFacts>, number]>([
    ['API level below minimumApiLevel', { apiLevel: 7 }, NonComplianceReason.API_LEVEL],
    ['hypervisor older than minimumHypervisorVersion', { hypervisorVersionCode: versionCode('1.0.2.14') }, NonComplianceReason.DEVICE_INCOMPATIBLE],
    ['no lock at all', { passwordQualityRank: 0, passwordLength: 0 }, NonComplianceReason.USER_ACTION],
    ['lock quality below policy', { passwordQualityRank: 2 }, NonComplianceReason.USER_ACTION],
    ['password shorter than policy', { passwordLength: 5 }, NonComplianceReason.USER_ACTION],
    ['business world not encrypted', { encrypted: false }, NonComplianceReason.ENCRYPTION],
    ['VPN down', { vpnUp: false }, NonComplianceReason.VPN],
    ['guest memory above what the handset can give', { guestMemoryCeilingMb: 100 }, NonComplianceReason.INVALID_VALUE],
    ['required app missing', { installedAppMask: 1 << App.BROWSER }, NonComplianceReason.APP_NOT_INSTALLED],
    ['blocked app installed', { installedAppMask: (1 << App.EMAIL) | (1 << App.GAMES) }, NonComplianceReason.APP_INSTALLED],
    ['app below minimumVersionCode', { appVersionCode: appVersions(9) }, NonComplianceReason.APP_NOT_UPDATED],
  ])('reports only the matching reason when %s', (_case, change, reason) => {
    expect(sut(strictPolicy, { ...compliantDevice, ...change })).toBe(reason);
  });

  it('accepts a stronger lock and a newer hypervisor, API level and app than required', () => {
    const ahead = {
      ...compliantDevice,
      apiLevel: 15,
      hypervisorVersionCode: versionCode('2.0'),
      passwordQualityRank: 7,
      passwordLength: 12,
      appVersionCode: appVersions(11),
    };
    expect(sut(strictPolicy, ahead)).toBe(0);
  });

  it('reports a missing required app as APP_NOT_INSTALLED, not APP_NOT_UPDATED', () => {
    expect(sut(strictPolicy, { ...compliantDevice, installedAppMask: 0, appVersionCode: appVersions(0) })).toBe(NonComplianceReason.APP_NOT_INSTALLED);
  });

  it('reads a missing version code as 0', () => {
    expect(sut(strictPolicy, { ...compliantDevice, appVersionCode: [] })).toBe(NonComplianceReason.APP_NOT_UPDATED);
  });

  it('reports several reasons at once', () => {
    const device = { ...compliantDevice, apiLevel: 7, passwordLength: 4, vpnUp: false, installedAppMask: 1 << App.GAMES };
    expect(sut(strictPolicy, device)).toBe(
      NonComplianceReason.API_LEVEL |
        NonComplianceReason.USER_ACTION |
        NonComplianceReason.VPN |
        NonComplianceReason.APP_NOT_INSTALLED |
        NonComplianceReason.APP_INSTALLED,
    );
  });

  it('reads typed-array version codes as the hot path stores them', () => {
    const versions = new Int32Array(App.GAMES + 1);
    versions[App.EMAIL] = 10;
    expect(sut(strictPolicy, { ...compliantDevice, appVersionCode: versions })).toBe(0);
  });
});

describe('NonComplianceReason', () => {
  it('gives every reason its own bit and a name', () => {
    const bits = Object.values(NonComplianceReason);
    expect(new Set(bits).size).toBe(bits.length);
    for (const bit of bits) {
      expect(bit & (bit - 1)).toBe(0);
      expect(NON_COMPLIANCE_REASON_NAMES[bit]).toBeDefined();
    }
  });
});

describe('describeNonCompliance', () => {
  const sut = describeNonCompliance;

  it('returns nothing for a compliant handset', () => {
    expect(sut(0)).toEqual([]);
  });

  it('names the AMAPI setting and reason of each bit, lowest bit first', () => {
    expect(sut(NonComplianceReason.VPN | NonComplianceReason.API_LEVEL | NonComplianceReason.DEVICE_INCOMPATIBLE)).toEqual([
      { settingName: 'minimumApiLevel', nonComplianceReason: 'API_LEVEL' },
      { settingName: 'duet.minimumHypervisorVersion', nonComplianceReason: 'DEVICE_INCOMPATIBLE' },
      { settingName: 'alwaysOnVpnPackage', nonComplianceReason: 'USER_ACTION' },
    ]);
  });

  it.each([
    [NonComplianceReason.USER_ACTION, 'passwordPolicies', 'USER_ACTION'],
    [NonComplianceReason.INVALID_VALUE, 'duet.guestMemoryMb', 'INVALID_VALUE'],
    [NonComplianceReason.APP_NOT_INSTALLED, 'applications', 'APP_NOT_INSTALLED'],
    [NonComplianceReason.APP_INSTALLED, 'applications', 'APP_INSTALLED'],
    [NonComplianceReason.APP_NOT_UPDATED, 'applications', 'APP_NOT_UPDATED'],
    [NonComplianceReason.PENDING, 'version', 'PENDING'],
    [NonComplianceReason.ENCRYPTION, 'encryptionPolicy', 'USER_ACTION'],
  ])('describes bit %i as %s / %s', (bit, settingName, nonComplianceReason) => {
    expect(sut(bit)).toEqual([{ settingName, nonComplianceReason }]);
  });

  it('rejects a mask with bits no reason uses', () => {
    expect(() => sut(1 << 20)).toThrow(ValidationError);
    expect(() => sut(-1)).toThrow(/mask: /);
  });
});

describe('evaluateCompliance, encryptionPolicy', () => {
  const withPassword = compilePolicy(parsePolicy({ name: 'policies/e', encryptionPolicy: 'ENABLED_WITH_PASSWORD' }));
  const withoutPassword = compilePolicy(parsePolicy({ name: 'policies/e', encryptionPolicy: 'ENABLED_WITHOUT_PASSWORD' }));
  const noPasscode: DeviceFacts = { ...compliantDevice, passwordQualityRank: 0, passwordLength: 0, appliedPolicyVersion: 1 };

  it('asks ENABLED_WITH_PASSWORD for a work-side passcode: ENCRYPTION without one', () => {
    expect(evaluateCompliance(withPassword, noPasscode)).toBe(NonComplianceReason.ENCRYPTION);
    expect(evaluateCompliance(withPassword, { ...noPasscode, passwordQualityRank: 3, passwordLength: 4 })).toBe(0);
  });

  it('finds the always-encrypted work VM compliant with ENABLED_WITHOUT_PASSWORD', () => {
    expect(evaluateCompliance(withoutPassword, noPasscode)).toBe(0);
  });
});
