// Compliance of one handset's business world with its EffectivePolicy, as a bit mask of reasons,
// and the enforcement ladder that follows from how long it has been non-compliant.
// evaluateCompliance runs at every check-in of every handset, so it reads numbers and allocates nothing.

import { ValidationError } from '../errors';
import type { EffectivePolicy } from './policy';

// One bit per reason. Names are AMAPI NonComplianceReason values [A1] where AMAPI has a matching
// one; ENCRYPTION and VPN are Duet's own bits (AMAPI reports both as USER_ACTION against their
// setting, see describeNonCompliance), kept apart so telemetry can tell them from a weak password.
export const NonComplianceReason = {
  /** Android API level below `minimumApiLevel`. */
  API_LEVEL: 1 << 0,
  /** Password below `passwordPolicies` (AMAPI: PASSWORD_POLICIES_PASSWORD_NOT_SUFFICIENT is a USER_ACTION). */
  USER_ACTION: 1 << 1,
  /** `duet.guestMemoryMb` is more than this handset's RAM can give the guest (the hypervisor caps it). */
  INVALID_VALUE: 1 << 2,
  /** An app the policy installs (FORCE_INSTALLED, REQUIRED_FOR_SETUP) is missing: not yet installed. */
  APP_NOT_INSTALLED: 1 << 3,
  /** A BLOCKED app is still installed: a system app of the business image, which Android before 4.0 cannot disable. */
  APP_INSTALLED: 1 << 4,
  /** An installed app is below its `minimumVersionCode`. */
  APP_NOT_UPDATED: 1 << 5,
  /** Hypervisor older than `duet.minimumHypervisorVersion`. */
  DEVICE_INCOMPATIBLE: 1 << 6,
  /** The handset has not applied this policy version yet. */
  PENDING: 1 << 7,
  /** Duet: `encryptionPolicy` not met: ENABLED_WITH_PASSWORD and the work side has no passcode (the work VM itself is always encrypted [P20][P21]). */
  ENCRYPTION: 1 << 8,
  /** Duet: `alwaysOnVpnPackage` set but the VPN is not up. */
  VPN: 1 << 9,
} as const;
export type NonComplianceReason = (typeof NonComplianceReason)[keyof typeof NonComplianceReason];
/** Number of NonComplianceReason bits: arrays indexed by bit index have this length. */
export const NON_COMPLIANCE_REASON_COUNT = 10;
export const NON_COMPLIANCE_REASON_NAMES: Record<number, string> = Object.fromEntries(Object.entries(NonComplianceReason).map(([name, bit]) => [bit, name]));

/** What the agent knows about its handset at a check-in. */
export interface DeviceFacts {
  apiLevel: number;
  hypervisorVersionCode: number;
  /** Index into PASSWORD_QUALITIES of the current business-world lock; 0 = no lock. */
  passwordQualityRank: number;
  passwordLength: number;
  encrypted: boolean;
  /** Most guest memory (MB) this handset's RAM leaves the guest. */
  guestMemoryCeilingMb: number;
  vpnUp: boolean;
  /** Bit (1 << App) for each installed App. */
  installedAppMask: number;
  /** Installed version code by App code. */
  appVersionCode: ArrayLike<number>;
  appliedPolicyVersion: number;
}

/** Reason mask, 0 when compliant. Allocation-free: the check-in hot path. */
export function evaluateCompliance(policy: EffectivePolicy, device: DeviceFacts): number {
  // A handset holding another version is judged on nothing else: its other facts answer the old
  // policy (it has not yet installed, removed or locked what the new one asks).
  if (device.appliedPolicyVersion !== policy.version) return NonComplianceReason.PENDING;

  let mask = 0;
  if (device.apiLevel < policy.minimumApiLevel) mask |= NonComplianceReason.API_LEVEL;
  if (device.hypervisorVersionCode < policy.minimumHypervisorVersionCode) mask |= NonComplianceReason.DEVICE_INCOMPATIBLE;
  if (
    policy.passwordRequired &&
    (device.passwordQualityRank === 0 || device.passwordQualityRank < policy.passwordQualityRank || device.passwordLength < policy.passwordMinimumLength)
  ) {
    mask |= NonComplianceReason.USER_ACTION;
  }
  if (policy.encryptionRequired && (!device.encrypted || (policy.encryptionNeedsPasscode && device.passwordQualityRank === 0))) {
    mask |= NonComplianceReason.ENCRYPTION;
  }
  if (policy.guestMemoryMb > device.guestMemoryCeilingMb) mask |= NonComplianceReason.INVALID_VALUE;
  if (policy.vpnRequired && !device.vpnUp) mask |= NonComplianceReason.VPN;

  const installed = device.installedAppMask;
  if ((installed & policy.requiredAppMask) !== policy.requiredAppMask) mask |= NonComplianceReason.APP_NOT_INSTALLED;
  if ((installed & policy.blockedAppMask) !== 0) mask |= NonComplianceReason.APP_INSTALLED;
  const minimums = policy.minimumAppVersionCode;
  for (let app = 1; app < minimums.length; app++) {
    const minimum = minimums[app];
    // A missing app is APP_NOT_INSTALLED (when required), never APP_NOT_UPDATED [A1].
    if (minimum > 0 && (installed & (1 << app)) !== 0 && (device.appVersionCode[app] ?? 0) < minimum) {
      mask |= NonComplianceReason.APP_NOT_UPDATED;
      break;
    }
  }
  return mask;
}

/** AMAPI `NonComplianceDetail` subset for reports. */
export interface NonComplianceDetail {
  readonly settingName: string;
  readonly nonComplianceReason: string;
}

// Per bit: the AMAPI setting it concerns and the AMAPI reason a report states [A1].
const DETAILS: readonly (readonly [bit: number, settingName: string, nonComplianceReason: string])[] = [
  [NonComplianceReason.API_LEVEL, 'minimumApiLevel', 'API_LEVEL'],
  [NonComplianceReason.USER_ACTION, 'passwordPolicies', 'USER_ACTION'],
  [NonComplianceReason.INVALID_VALUE, 'duet.guestMemoryMb', 'INVALID_VALUE'],
  [NonComplianceReason.APP_NOT_INSTALLED, 'applications', 'APP_NOT_INSTALLED'],
  [NonComplianceReason.APP_INSTALLED, 'applications', 'APP_INSTALLED'],
  [NonComplianceReason.APP_NOT_UPDATED, 'applications', 'APP_NOT_UPDATED'],
  [NonComplianceReason.DEVICE_INCOMPATIBLE, 'duet.minimumHypervisorVersion', 'DEVICE_INCOMPATIBLE'],
  [NonComplianceReason.PENDING, 'version', 'PENDING'],
  [NonComplianceReason.ENCRYPTION, 'encryptionPolicy', 'USER_ACTION'],
  [NonComplianceReason.VPN, 'alwaysOnVpnPackage', 'USER_ACTION'],
];
const KNOWN_REASONS_MASK = DETAILS.reduce((mask, [bit]) => mask | bit, 0);

/** One detail per reason bit, lowest bit first; throws on bits no reason uses. */
export function describeNonCompliance(mask: number): NonComplianceDetail[] {
  if (!Number.isInteger(mask) || mask < 0 || (mask & ~KNOWN_REASONS_MASK) !== 0) {
    throw new ValidationError('non-compliance mask', [
      {
        path: 'mask',
        rule: 'enum',
        message: `${mask} has bits no NonComplianceReason uses; known bits: ${KNOWN_REASONS_MASK.toString(2)} (binary)`,
      },
    ]);
  }
  return DETAILS.filter(([bit]) => (mask & bit) !== 0).map(([, settingName, nonComplianceReason]) => ({
    settingName,
    nonComplianceReason,
  }));
}

/** Top-level setting (the name a policyEnforcementRule gives) a reason bit index concerns; PENDING concerns none. */
export function reasonSetting(bitIndex: number): string {
  for (const [bit, settingName] of DETAILS) if (bit === 1 << bitIndex) return bit === NonComplianceReason.PENDING ? '' : settingName.split('.')[0];
  return '';
}
