// Numeric codes shared by the core's columns, events and the protobuf contracts
// (proto/duet/events/v1). Zero is always "unspecified" so a proto default never means something.

export const Persona = { PERSONAL: 1, BUSINESS: 2 } as const;
export type Persona = (typeof Persona)[keyof typeof Persona];
export const PERSONA_NAMES: Record<number, string> = { 0: 'handset', 1: 'personal', 2: 'business' };

// Guest (business) world lifecycle, docs/design.md#the-domain; MVP's shipped lifecycle in docs/sources.md#mvp-the-hypervisor [C2].
export const GuestState = {
  NOT_PROVISIONED: 1,
  DOWNLOADING_IMAGE: 2,
  INSTALLED: 3,
  BOOTING: 4,
  RUNNING: 5,
  SUSPENDED: 6,
  LOCKED: 7,
  WIPED: 8,
} as const;
export type GuestState = (typeof GuestState)[keyof typeof GuestState];

export const EventKind = {
  SESSION_STARTED: 1, // a = app, b = 0
  SESSION_ENDED: 2, // a = app, b = 1 when the session was degraded at any point
  SESSION_DEGRADED: 3, // a = app, b = granted CPU share of demand in permille
  SESSION_BLOCKED_BY_POLICY: 4, // a = app
  CROSS_PERSONA_FLOW: 5, // a = flow kind, b = 1 allowed / 0 blocked
  GUEST_STATE_CHANGED: 6, // a = from state, b = to state
  BALLOON_ADJUSTED: 7, // a = signed page delta towards the guest, b = guest MB after
  BATTERY_LOW: 8, // a = level in permille
  BATTERY_EMPTY: 9, // handset powered off
  POWER_CONNECTED: 10, // a = level in permille
  POWER_DISCONNECTED: 11, // a = level in permille
  CHECK_IN: 12, // a = policy version the agent holds, b = 1 when the server was reachable
  POLICY_APPLIED: 13, // a = new version, b = previous version
  COMPLIANCE_CHANGED: 14, // a = non-compliance reason mask (0 = compliant), b = previous mask
  ENFORCEMENT_ACTION: 15, // a = EnforcementAction
  COMMAND_EXECUTED: 16, // a = CommandType, b = 1 applied / 0 rejected
  HANDSET_BOOTED: 17, // host world on again: a = level in permille, b = OffCause it was off for (flat battery: 0)
  HANDSET_POWERED_OFF: 18, // not by a flat battery: a = level in permille, b = OffCause (2 left the fleet, 3 power lost)
  ENROLLMENT_FAILED: 19, // refused or out of reach: a = failures in a row, b = ticks until the retry (backoff)
} as const;
export type EventKind = (typeof EventKind)[keyof typeof EventKind];
export const EVENT_KIND_NAMES: Record<number, string> = Object.fromEntries(Object.entries(EventKind).map(([name, code]) => [code, name]));

// Apps a persona's workload uses; package names are the 2010–2011 AOSP ones, so app allow/deny
// lists in a policy can name them.
export const App = {
  EMAIL: 1,
  BROWSER: 2,
  CALLS: 3,
  CAMERA: 4,
  MESSAGING: 5,
  MAPS: 6,
  SOCIAL: 7,
  GAMES: 8,
} as const;
export type App = (typeof App)[keyof typeof App];
/** Length of arrays indexed by App code (index 0 unused). */
export const APP_SLOTS = Math.max(...Object.values(App)) + 1;
export const APP_PACKAGES: Record<number, string> = {
  1: 'com.android.email',
  2: 'com.android.browser',
  3: 'com.android.phone',
  4: 'com.android.camera',
  5: 'com.android.mms',
  6: 'com.google.android.apps.maps',
  7: 'com.facebook.katana',
  8: 'com.rovio.angrybirds',
};

// Cross-persona flows (docs/design.md#the-domain), always mediated by the hypervisor.
export const FlowKind = {
  COPY_WORK_TO_PERSONAL: 1,
  COPY_PERSONAL_TO_WORK: 2,
  SHARE_WORK_TO_PERSONAL: 3,
  SHARE_PERSONAL_TO_WORK: 4,
  WORK_CONTACT_LOOKUP_FROM_PERSONAL: 5,
  // The owner screenshots a business app; MVP's host composes the screen, so the picture lands on
  // the personal side unless screenCaptureDisabled (D).
  SCREEN_CAPTURE_WORK_TO_PERSONAL: 6,
} as const;
export type FlowKind = (typeof FlowKind)[keyof typeof FlowKind];
/** Flows that carry business data into the personal persona. */
export function flowLeavesBusiness(kind: number): boolean {
  return (
    kind === FlowKind.COPY_WORK_TO_PERSONAL ||
    kind === FlowKind.SHARE_WORK_TO_PERSONAL ||
    kind === FlowKind.WORK_CONTACT_LOOKUP_FROM_PERSONAL ||
    kind === FlowKind.SCREEN_CAPTURE_WORK_TO_PERSONAL
  );
}

export const EnforcementAction = { NONE: 0, WARN: 1, SUSPEND_BUSINESS_WORLD: 2, WIPE_BUSINESS_WORLD: 3 } as const;
export type EnforcementAction = (typeof EnforcementAction)[keyof typeof EnforcementAction];

// Remote commands on the business side (docs/sources.md#policy-model: AMAPI issueCommand, Horizon Mobile "zap").
export const CommandType = { LOCK: 1, RESET_PASSWORD: 2, SUSPEND_BUSINESS_WORLD: 3, WIPE_BUSINESS_WORLD: 4, REPROVISION: 5, UNLOCK: 6 } as const;
export type CommandType = (typeof CommandType)[keyof typeof CommandType];
