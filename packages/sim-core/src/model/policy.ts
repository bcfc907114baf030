// The business persona's policy: an Android Management API `Policy` [A1] subset with AMAPI's JSON
// field names and enum values, plus a `duet` extension for what AMAPI has no words for (check-in
// cadence, hypervisor version, guest memory). `parsePolicy` validates a document and reports every
// problem at once; `compilePolicy` is the one place that turns AMAPI semantics into the flat,
// numeric `EffectivePolicy` the per-tick loop reads.

import { z } from 'zod';
import { ValidationError, type ValidationIssue } from '../errors';
import { STEADY_CHECK_IN_MINUTES } from './calibration';
import { compileEnforcement, type EnforcementRules } from './enforcement';
import { APP_PACKAGES, APP_SLOTS } from './enums';

const POLICY_NAME = /^policies\/[A-Za-z0-9._-]+$/;
const MAX_POLICY_NAME_LENGTH = 200; // characters, as policy-authority's other names
const PACKAGE_NAME = /^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)+$/; // Java package name, as Android requires
const DURATION_SECONDS = /^\d+s$/; // protobuf Duration JSON, whole seconds only
const DOTTED_VERSION = /^\d+(\.\d+){0,3}$/;
const VERSION_COMPONENT_MAX = 255; // one byte per component keeps versionCode monotone
const MINUTES_PER_DAY = 1440;
// Android's default screen-off timeout, which maximumTimeToLock can only shorten (AOSP
// SettingsProvider def_screen_off_timeout, 60 s; docs/sources.md#policy-model, [A5]).
export const DEFAULT_SCREEN_OFF_SECONDS = 60;
// Size of each section of the status report a check-in uploads (NV: the order of magnitude of the
// JSON AMAPI's Device resource gives each part; docs/sources.md#not-verified). Indexed by field.
const STATUS_REPORT_KILOBYTES = {
  applicationReportsEnabled: 16, // ~one line per installed app, dozens of apps
  deviceSettingsEnabled: 1,
  softwareInfoEnabled: 1,
  memoryInfoEnabled: 1,
  networkInfoEnabled: 1,
  displayInfoEnabled: 1,
  powerManagementEventsEnabled: 2,
  hardwareStatusEnabled: 4,
} as const;

/**
 * A field the schema knows (AMAPI has it) but the model gives no effect: accepted only when absent,
 * so a scenario or an admin call that sets it is refused naming it rather than silently ignored.
 */
function notModelled<T extends z.ZodType>(schema: T, why: string) {
  return schema.optional().superRefine((value, context) => {
    if (value !== undefined) context.addIssue({ code: 'custom', message: `not modelled: ${why}`, params: { rule: 'not-modelled' } });
  });
}

/** AMAPI `passwordQuality` values, weakest first; the index is the rank `EffectivePolicy` and `DeviceFacts` use. */
export const PASSWORD_QUALITIES = [
  'PASSWORD_QUALITY_UNSPECIFIED',
  'BIOMETRIC_WEAK',
  'SOMETHING',
  'NUMERIC',
  'NUMERIC_COMPLEX',
  'ALPHABETIC',
  'ALPHANUMERIC',
  'COMPLEX',
] as const;

// AMAPI PasswordRequirements [A1]; the numeric ranges are the era's EAS PolicySet limits [E2].
// Only the business world's lock (MVP's work-side PIN [P22]) is simulated: passwordQuality and
// passwordMinimumLength are judged against it; the rest needs owner behaviour the model lacks.
const passwordRequirementsSchema = z.strictObject({
  passwordScope: z
    .enum(['SCOPE_DEVICE', 'SCOPE_PROFILE'])
    .default('SCOPE_PROFILE')
    .superRefine((scope, context) => {
      if (scope === 'SCOPE_DEVICE') {
        context.addIssue({
          code: 'custom',
          message: "not modelled: SCOPE_DEVICE (the host world's lock is not simulated; use SCOPE_PROFILE)",
          params: { rule: 'not-modelled' },
        });
      }
    }),
  passwordQuality: z.enum(PASSWORD_QUALITIES).optional(),
  passwordMinimumLength: z.int().min(0).max(30).optional(), // [E2] minPasswordLength 0–30
  maximumFailedPasswordsForWipe: notModelled(z.int().min(0).max(31), 'owners never mistype their passcode in the model'), // [E2] 0–31
  passwordExpirationTimeout: notModelled(
    z.string().regex(DURATION_SECONDS, { error: 'must be a duration in whole seconds, e.g. "7776000s"' }),
    'passcodes do not age in the model',
  ),
  passwordHistoryLength: notModelled(z.int().min(0).max(255), 'passcode history is not simulated'), // [E2] 0–255
  requirePasswordUnlock: notModelled(z.enum(['USE_DEFAULT_DEVICE_TIMEOUT', 'REQUIRE_EVERY_DAY']), 'strong-auth timeouts are not simulated'),
  unifiedLockSettings: notModelled(
    z.enum(['ALLOW_UNIFIED_WORK_AND_PERSONAL_LOCK', 'REQUIRE_SEPARATE_WORK_LOCK']),
    'the work side always has its own PIN in MVP [P22]',
  ),
});

// Defaults are AMAPI's CrossProfilePolicies defaults [A1], docs/sources.md#policy-model.
const crossProfilePoliciesSchema = z.strictObject({
  crossProfileCopyPaste: z.enum(['COPY_FROM_WORK_TO_PERSONAL_DISALLOWED', 'CROSS_PROFILE_COPY_PASTE_ALLOWED']).default('COPY_FROM_WORK_TO_PERSONAL_DISALLOWED'),
  crossProfileDataSharing: z
    .enum(['CROSS_PROFILE_DATA_SHARING_DISALLOWED', 'DATA_SHARING_FROM_WORK_TO_PERSONAL_DISALLOWED', 'CROSS_PROFILE_DATA_SHARING_ALLOWED'])
    .default('DATA_SHARING_FROM_WORK_TO_PERSONAL_DISALLOWED'),
  showWorkContactsInPersonalProfile: z
    .enum([
      'SHOW_WORK_CONTACTS_IN_PERSONAL_PROFILE_DISALLOWED',
      'SHOW_WORK_CONTACTS_IN_PERSONAL_PROFILE_ALLOWED',
      'SHOW_WORK_CONTACTS_IN_PERSONAL_PROFILE_DISALLOWED_EXCEPT_SYSTEM',
    ])
    .default('SHOW_WORK_CONTACTS_IN_PERSONAL_PROFILE_ALLOWED'),
});

const APP_BY_PACKAGE: ReadonlyMap<string, number> = new Map(Object.entries(APP_PACKAGES).map(([code, packageName]) => [packageName, Number(code)]));

const applicationPolicySchema = z.strictObject({
  // Only the apps the workloads use can be installed, blocked or updated in the model.
  packageName: z
    .string()
    .regex(PACKAGE_NAME, { error: 'must be an Android package name, e.g. "com.android.email"' })
    .superRefine((packageName, context) => {
      if (PACKAGE_NAME.test(packageName) && !APP_BY_PACKAGE.has(packageName)) {
        context.addIssue({
          code: 'custom',
          message: `not modelled: no simulated app is ${JSON.stringify(packageName.slice(0, 80))} (simulated: ${[...APP_BY_PACKAGE.keys()].join(', ')})`,
          params: { rule: 'not-modelled' },
        });
      }
    }),
  // AMAPI: INSTALL_TYPE_UNSPECIFIED defaults to AVAILABLE [A1].
  installType: z
    .enum(['PREINSTALLED', 'FORCE_INSTALLED', 'BLOCKED', 'AVAILABLE', 'REQUIRED_FOR_SETUP', 'KIOSK'])
    .default('AVAILABLE')
    .superRefine((installType, context) => {
      if (installType === 'KIOSK') {
        context.addIssue({
          code: 'custom',
          message: 'not modelled: KIOSK (a dedicated-device launcher has no place on a dual-persona handset)',
          params: { rule: 'not-modelled' },
        });
      }
    }),
  minimumVersionCode: z.int().min(0).optional(),
});

const statusReportingSettingsSchema = z.strictObject({
  applicationReportsEnabled: z.boolean().optional(),
  deviceSettingsEnabled: z.boolean().optional(),
  softwareInfoEnabled: z.boolean().optional(),
  memoryInfoEnabled: z.boolean().optional(),
  networkInfoEnabled: z.boolean().optional(),
  displayInfoEnabled: z.boolean().optional(),
  powerManagementEventsEnabled: z.boolean().optional(),
  hardwareStatusEnabled: z.boolean().optional(),
});

// Not AMAPI: Duet's own settings for the hypervisor and the agent.
const duetSettingsSchema = z.strictObject({
  // The steady interval, after the enrollment phases (SimulationConfig.agents.checkInPhases, 15 min
  // and faster): about 8 h, as Intune [M1][M2]. Bounds 1 min..24 h as AppTec360's heartbeat [M10].
  checkInIntervalMinutes: z.int().min(1).max(1440).default(STEADY_CHECK_IN_MINUTES),
  // MVP versions seen in code: 1.0.2.15 [C1], 1.5.0 [C2].
  minimumHypervisorVersion: z
    .string()
    .regex(DOTTED_VERSION, { error: 'must be a dotted version of 1 to 4 numbers, e.g. "1.0.2.15"' })
    .superRefine((version, context) => {
      if (DOTTED_VERSION.test(version) && !componentsInRange(version)) {
        context.addIssue({
          code: 'custom',
          message: `each version component must be at most ${VERSION_COMPONENT_MAX}`,
          params: { rule: 'max' },
        });
      }
    })
    .optional(),
  // D: 256 MB is the 2009 plan for hypervisor + 2 guests [P8]; half of it is the default guest allotment.
  // MVP's shipped guest size is NV (docs/sources.md#not-verified); the 64..1024 MB bounds are a choice.
  guestMemoryMb: z.int().min(64).max(1024).default(128),
});

// Top-level settings a policyEnforcementRule may name (AMAPI: "the top-level policy to enforce").
// `name`, `version` and the rules themselves are bookkeeping, not settings, so they are left out.
const settingsShape = {
  passwordPolicies: z.array(passwordRequirementsSchema).optional(),
  maximumTimeToLock: z.int().min(0).optional(), // ms of inactivity before lock, 0 = no limit [A1]
  cameraAccess: z.enum(['CAMERA_ACCESS_USER_CHOICE', 'CAMERA_ACCESS_DISABLED', 'CAMERA_ACCESS_ENFORCED']).optional(),
  screenCaptureDisabled: z.boolean().optional(),
  crossProfilePolicies: crossProfilePoliciesSchema.prefault({}),
  alwaysOnVpnPackage: z
    .strictObject({
      packageName: z.string().regex(PACKAGE_NAME, { error: 'must be an Android package name, e.g. "com.example.vpn"' }),
      lockdownEnabled: z.boolean().optional(),
    })
    .optional(),
  encryptionPolicy: z.enum(['ENABLED_WITHOUT_PASSWORD', 'ENABLED_WITH_PASSWORD']).optional(),
  minimumApiLevel: z.int().min(0).optional(),
  applications: z
    .array(applicationPolicySchema)
    .superRefine((applications, context) => {
      const seen = new Set<string>();
      applications.forEach((application, index) => {
        if (seen.has(application.packageName)) {
          context.addIssue({
            code: 'custom',
            path: [index, 'packageName'],
            message: `"${application.packageName}" is listed more than once`,
            params: { rule: 'unique' },
          });
        }
        seen.add(application.packageName);
      });
    })
    .optional(),
  statusReportingSettings: statusReportingSettingsSchema.optional(),
  duet: duetSettingsSchema.prefault({}),
};

type SettingName = keyof typeof settingsShape;
const SETTING_NAMES = Object.keys(settingsShape) as [SettingName, ...SettingName[]];

// AMAPI: each action needs the other ("wipeAction must also be specified"), and blockAfterDays
// must be less than wipeAfterDays [A1]. Both actions are therefore required here.
const policyEnforcementRuleSchema = z
  .strictObject({
    settingName: z.enum(SETTING_NAMES),
    blockAction: z.strictObject({
      blockAfterDays: z.int().min(0), // 0 blocks at once [A1]
      blockScope: z.enum(['BLOCK_SCOPE_WORK_PROFILE', 'BLOCK_SCOPE_DEVICE']).default('BLOCK_SCOPE_WORK_PROFILE'), // AMAPI default [A1]
    }),
    wipeAction: z.strictObject({
      wipeAfterDays: z.int().min(0),
      preserveFrp: notModelled(z.boolean(), 'enforcement wipes only the business world, which has no factory reset protection'),
    }),
  })
  .superRefine((rule, context) => {
    if (rule.blockAction.blockAfterDays >= rule.wipeAction.wipeAfterDays) {
      context.addIssue({
        code: 'custom',
        path: ['blockAction', 'blockAfterDays'],
        message: `blockAfterDays (${rule.blockAction.blockAfterDays}) must be less than wipeAfterDays (${rule.wipeAction.wipeAfterDays})`,
        params: { rule: 'blockAfterDays<wipeAfterDays' },
      });
    }
  });

export const policySchema = z.strictObject({
  name: z.string().max(MAX_POLICY_NAME_LENGTH).regex(POLICY_NAME, { error: 'must look like "policies/<id>" (letters, digits, ".", "_", "-")' }),
  version: z.int().min(1).default(1), // AMAPI increments it on every update [A1]
  ...settingsShape,
  policyEnforcementRules: z.array(policyEnforcementRuleSchema).optional(),
});

export type Policy = z.output<typeof policySchema>;

/** Validates a policy document; throws a ValidationError listing every problem found. */
export function parsePolicy(input: unknown): Policy {
  const result = policySchema.safeParse(input, { reportInput: true });
  if (result.success) return result.data;
  throw new ValidationError('policy', result.error.issues.flatMap(toValidationIssues));
}

/** Flat, numeric view of a policy for the per-tick loop: no strings, no nested objects. */
export interface EffectivePolicy {
  readonly version: number;
  readonly checkInIntervalMinutes: number;
  readonly passwordRequired: boolean;
  /** Index into PASSWORD_QUALITIES: 0 none .. 7 COMPLEX. */
  readonly passwordQualityRank: number;
  readonly passwordMinimumLength: number;
  readonly cameraDisabled: boolean;
  /** Screenshots of business apps do not reach the personal world (FlowKind.SCREEN_CAPTURE_WORK_TO_PERSONAL). */
  readonly screenCaptureDisabled: boolean;
  /** Seconds the screen stays lit after a business session before the work side locks: maximumTimeToLock capped by Android's default. */
  readonly screenLockSeconds: number;
  /** Kilobytes of status report each check-in uploads (statusReportingSettings). */
  readonly statusReportKilobytes: number;
  readonly copyWorkToPersonalAllowed: boolean;
  readonly shareWorkToPersonalAllowed: boolean;
  readonly sharePersonalToWorkAllowed: boolean;
  readonly workContactsInPersonalAllowed: boolean;
  readonly vpnRequired: boolean;
  /** alwaysOnVpnPackage.lockdownEnabled: no business traffic while the VPN is down. */
  readonly vpnLockdown: boolean;
  readonly encryptionRequired: boolean;
  /** ENABLED_WITH_PASSWORD: the encryption key needs a work-side passcode. */
  readonly encryptionNeedsPasscode: boolean;
  readonly minimumApiLevel: number;
  /** versionCode() of duet.minimumHypervisorVersion, 0 when none. */
  readonly minimumHypervisorVersionCode: number;
  readonly guestMemoryMb: number;
  /** Bit (1 << App) for each App whose package the policy BLOCKS. */
  readonly blockedAppMask: number;
  /** Bit (1 << App) for each App the policy installs and the user cannot remove. */
  readonly requiredAppMask: number;
  /** Bit (1 << App) for each PREINSTALLED App: installed by the agent, not judged when missing. */
  readonly preinstalledAppMask: number;
  /** Indexed by App code; 0 = no minimum. */
  readonly minimumAppVersionCode: readonly number[];
  /** The policyEnforcementRules, per NonComplianceReason bit index (see compileEnforcement). */
  readonly enforcement: EnforcementRules;
}

export function compilePolicy(policy: Policy): EffectivePolicy {
  // Every accepted requirement is SCOPE_PROFILE (the business world's lock): the strictest applies.
  let passwordQualityRank = 0;
  let passwordMinimumLength = 0;
  for (const requirements of policy.passwordPolicies ?? []) {
    passwordQualityRank = Math.max(passwordQualityRank, PASSWORD_QUALITIES.indexOf(requirements.passwordQuality ?? 'PASSWORD_QUALITY_UNSPECIFIED'));
    passwordMinimumLength = Math.max(passwordMinimumLength, requirements.passwordMinimumLength ?? 0);
  }

  let blockedAppMask = 0;
  let requiredAppMask = 0;
  let preinstalledAppMask = 0;
  const minimumAppVersionCode = new Array<number>(APP_SLOTS).fill(0);
  for (const application of policy.applications ?? []) {
    const app = APP_BY_PACKAGE.get(application.packageName);
    if (app === undefined) continue; // refused by the schema: no simulated app
    const bit = 1 << app;
    switch (application.installType) {
      case 'BLOCKED':
        blockedAppMask |= bit;
        continue; // a minimum version of a blocked app means nothing
      // Installed automatically and not removable by the user [A1]; AVAILABLE is optional.
      case 'FORCE_INSTALLED':
      case 'REQUIRED_FOR_SETUP':
        requiredAppMask |= bit;
        break;
      // Installed automatically, but the user may remove it [A1]: never a compliance failure.
      case 'PREINSTALLED':
        preinstalledAppMask |= bit;
        break;
      default:
        break;
    }
    minimumAppVersionCode[app] = application.minimumVersionCode ?? 0;
  }

  const crossProfile = policy.crossProfilePolicies;
  const hypervisorVersion = policy.duet.minimumHypervisorVersion;
  return Object.freeze({
    version: policy.version,
    checkInIntervalMinutes: policy.duet.checkInIntervalMinutes,
    passwordRequired: passwordQualityRank > 0 || passwordMinimumLength > 0,
    passwordQualityRank,
    passwordMinimumLength,
    // USER_CHOICE and ENFORCED both leave the camera usable, which is all the workload asks of it.
    cameraDisabled: policy.cameraAccess === 'CAMERA_ACCESS_DISABLED',
    screenCaptureDisabled: policy.screenCaptureDisabled ?? false,
    screenLockSeconds: screenLockSeconds(policy.maximumTimeToLock ?? 0),
    statusReportKilobytes: statusReportKilobytes(policy.statusReportingSettings),
    copyWorkToPersonalAllowed: crossProfile.crossProfileCopyPaste === 'CROSS_PROFILE_COPY_PASTE_ALLOWED',
    // DISALLOWED blocks both directions; DATA_SHARING_FROM_WORK_TO_PERSONAL_DISALLOWED only work → personal [A1].
    shareWorkToPersonalAllowed: crossProfile.crossProfileDataSharing === 'CROSS_PROFILE_DATA_SHARING_ALLOWED',
    sharePersonalToWorkAllowed: crossProfile.crossProfileDataSharing !== 'CROSS_PROFILE_DATA_SHARING_DISALLOWED',
    // DISALLOWED_EXCEPT_SYSTEM lets only the system dialer, messages and contacts apps look up work
    // contacts; a simulated lookup comes from a personal workload app, so it counts as disallowed.
    workContactsInPersonalAllowed: crossProfile.showWorkContactsInPersonalProfile === 'SHOW_WORK_CONTACTS_IN_PERSONAL_PROFILE_ALLOWED',
    vpnRequired: policy.alwaysOnVpnPackage !== undefined,
    vpnLockdown: policy.alwaysOnVpnPackage?.lockdownEnabled ?? false,
    encryptionRequired: policy.encryptionPolicy !== undefined,
    encryptionNeedsPasscode: policy.encryptionPolicy === 'ENABLED_WITH_PASSWORD',
    minimumApiLevel: policy.minimumApiLevel ?? 0,
    minimumHypervisorVersionCode: hypervisorVersion === undefined ? 0 : versionCode(hypervisorVersion),
    guestMemoryMb: policy.duet.guestMemoryMb,
    blockedAppMask,
    requiredAppMask,
    preinstalledAppMask,
    minimumAppVersionCode: Object.freeze(minimumAppVersionCode),
    enforcement: compileEnforcement(
      (policy.policyEnforcementRules ?? []).map((rule) => ({
        settingName: rule.settingName,
        blockAfterMinutes: rule.blockAction.blockAfterDays * MINUTES_PER_DAY,
        wipeAfterMinutes: rule.wipeAction.wipeAfterDays * MINUTES_PER_DAY,
        blockScopeDevice: rule.blockAction.blockScope === 'BLOCK_SCOPE_DEVICE',
      })),
    ),
  });
}

/** maximumTimeToLock (ms, 0 = no limit [A1]) can only shorten Android's own screen-off timeout. */
function screenLockSeconds(maximumTimeToLockMs: number): number {
  return maximumTimeToLockMs === 0 ? DEFAULT_SCREEN_OFF_SECONDS : Math.min(DEFAULT_SCREEN_OFF_SECONDS, maximumTimeToLockMs / 1000);
}

function statusReportKilobytes(settings: Policy['statusReportingSettings']): number {
  let kilobytes = 0;
  for (const [field, size] of Object.entries(STATUS_REPORT_KILOBYTES))
    if (settings?.[field as keyof typeof STATUS_REPORT_KILOBYTES] === true) kilobytes += size;
  return kilobytes;
}

/**
 * Monotone integer for a dotted version of up to four components, one byte each:
 * '1.0.2.15' → 1·2^24 + 0·2^16 + 2·2^8 + 15. Missing components count as 0, so '1.5' equals '1.5.0.0'.
 * Not MVP's own version code (16800037 for 1.5.0 [C2]), which this cannot reproduce.
 */
export function versionCode(version: string): number {
  if (!DOTTED_VERSION.test(version)) {
    throw new ValidationError('version', [
      { path: 'version', rule: 'pattern', message: `"${version}" must be a dotted version of 1 to 4 numbers, e.g. "1.0.2.15"` },
    ]);
  }
  if (!componentsInRange(version)) {
    throw new ValidationError('version', [{ path: 'version', rule: 'max', message: `"${version}": each component must be at most ${VERSION_COMPONENT_MAX}` }]);
  }
  const components = version.split('.').map(Number);
  let code = 0;
  for (let index = 0; index < 4; index++) code = code * 256 + (components[index] ?? 0);
  return code;
}

function componentsInRange(version: string): boolean {
  return version.split('.').every((component) => Number(component) <= VERSION_COMPONENT_MAX);
}

/** AMAPI's defaults, with Duet's: what a handset enforces before any policy is assigned. */
export const DEFAULT_POLICY: Policy = deepFreeze(parsePolicy({ name: 'policies/default' }));

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

// --- zod issues → ValidationIssue -------------------------------------------------------------

function toValidationIssues(issue: z.core.$ZodIssue): ValidationIssue[] {
  const path = issue.path.map(String).join('.');
  switch (issue.code) {
    case 'unrecognized_keys': {
      const allowed = allowedFieldsAt(issue.path);
      return issue.keys.map((key) => ({
        path: path === '' ? key : `${path}.${key}`,
        rule: 'unknown-field',
        message: `unknown field "${key}"${allowed.length > 0 ? ` (allowed: ${allowed.join(', ')})` : ''}`,
      }));
    }
    case 'invalid_value':
      return [{ path, rule: 'enum', message: `must be one of ${issue.values.map(String).join(', ')} (got ${describeInput(issue.input)})` }];
    case 'invalid_type':
      if (issue.input === undefined) return [{ path, rule: 'required', message: `is required (${issue.expected})` }];
      if (issue.expected === 'int' && typeof issue.input === 'number') {
        return [{ path, rule: 'integer', message: `must be a whole number (got ${describeInput(issue.input)})` }];
      }
      return [
        {
          path,
          rule: 'type',
          message: `must be ${withArticle(issue.expected === 'int' ? 'integer' : issue.expected)} (got ${describeInput(issue.input)})`,
        },
      ];
    case 'too_small':
      return [
        {
          path,
          rule: 'min',
          message: `must be ${sizeWording(issue.origin, issue.inclusive ? 'at least' : 'more than', issue.minimum)} (got ${describeInput(issue.input)})`,
        },
      ];
    case 'too_big':
      return [
        {
          path,
          rule: 'max',
          message: `must be ${sizeWording(issue.origin, issue.inclusive ? 'at most' : 'less than', issue.maximum)} (got ${describeInput(issue.input)})`,
        },
      ];
    case 'invalid_format':
      return [{ path, rule: 'pattern', message: `${issue.message} (got ${describeInput(issue.input)})` }];
    case 'custom': {
      const rule = issue.params?.['rule'];
      return [{ path, rule: typeof rule === 'string' ? rule : 'custom', message: issue.message }];
    }
    default:
      return [{ path, rule: issue.code, message: issue.message }];
  }
}

function withArticle(noun: string): string {
  return `${/^[aeiou]/.test(noun) ? 'an' : 'a'} ${noun}`;
}

function sizeWording(origin: string, comparison: string, bound: number | bigint): string {
  if (origin === 'array' || origin === 'set') return `${comparison} ${bound} items`;
  if (origin === 'string') return `${comparison} ${bound} characters`;
  return `${comparison} ${bound}`;
}

function describeInput(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'an array';
  if (typeof input === 'object') return 'an object';
  if (typeof input === 'string') return JSON.stringify(input);
  return String(input);
}

// Field names allowed at a path of the document, for "unknown field" messages.
function allowedFieldsAt(path: readonly PropertyKey[]): string[] {
  let schema: unknown = policySchema;
  for (const segment of path) {
    schema = unwrapSchema(schema);
    if (schema instanceof z.ZodObject) schema = (schema.shape as Record<PropertyKey, unknown>)[segment];
    else if (schema instanceof z.ZodArray) schema = schema.element;
    else return [];
  }
  schema = unwrapSchema(schema);
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

function unwrapSchema(schema: unknown): unknown {
  let current = schema;
  while (current instanceof z.ZodOptional || current instanceof z.ZodDefault || current instanceof z.ZodPrefault) current = current.unwrap();
  return current;
}
