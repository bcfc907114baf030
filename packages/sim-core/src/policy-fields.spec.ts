// Every modelled policy field changes a run: the same fleet and seed with and without the field
// give different KPIs or compliance; every NonComplianceReason is reached in a small run; each
// enforcement rule acts on its own setting only (docs/design.md "policy model").
import { describe, expect, it } from 'vitest';
import { NonComplianceReason } from './model/compliance';
import { EnforcementAction, EventKind, FlowKind } from './model/enums';
import type { EventBuffer, EventSink } from './model/events';
import { Simulation, type SimulationConfig } from './simulation';

const OFFICE_HOURS = 8 * 60; // 08:00, when business personas are busy

/** What a run did, beyond its summary: every reason bit seen, flows and enforcement by kind. */
class Recorder implements EventSink {
  reasonsSeen = 0;
  readonly allowedFlows = new Map<number, number>();
  readonly enforcement = new Map<number, number>();

  onEvents(_shard: number, events: EventBuffer): void {
    for (let k = 0; k < events.length; k++) {
      const kind = events.kind[k];
      if (kind === EventKind.COMPLIANCE_CHANGED) this.reasonsSeen |= events.a[k];
      else if (kind === EventKind.CROSS_PERSONA_FLOW && events.b[k] === 1) this.allowedFlows.set(events.a[k], (this.allowedFlows.get(events.a[k]) ?? 0) + 1);
      else if (kind === EventKind.ENFORCEMENT_ACTION) this.enforcement.set(events.a[k], (this.enforcement.get(events.a[k]) ?? 0) + 1);
    }
  }
}

function run(policy: Record<string, unknown>, overrides: Partial<SimulationConfig> = {}) {
  const recorder = new Recorder();
  const simulation = new Simulation(
    {
      seed: 11,
      ticks: 240,
      shards: 1,
      startMinuteOfDay: OFFICE_HOURS,
      fleet: { handsets: 200, enrollmentWindowMinutes: 10 },
      policies: [{ tick: 0, policy: { name: 'policies/p', duet: { checkInIntervalMinutes: 15 }, ...policy } }],
      ...overrides,
    },
    { sinks: [recorder] },
  );
  const summary = simulation.run();
  const final = simulation.finalState();
  const sum = (column: string) => final[column].reduce((total, value) => total + value, 0);
  return { summary, recorder, sum };
}

describe('each modelled policy field changes the run', () => {
  it('screenCaptureDisabled: screenshots of business apps stop reaching the personal world', () => {
    const open = run({});
    const closed = run({ screenCaptureDisabled: true });
    expect(open.recorder.allowedFlows.get(FlowKind.SCREEN_CAPTURE_WORK_TO_PERSONAL) ?? 0).toBeGreaterThan(0);
    expect(closed.recorder.allowedFlows.get(FlowKind.SCREEN_CAPTURE_WORK_TO_PERSONAL) ?? 0).toBe(0);
    expect(closed.summary.kpis.businessItemsInPersonal).toBeLessThan(open.summary.kpis.businessItemsInPersonal);
  });

  it('maximumTimeToLock: a short lock time saves the screen-on tail after business sessions (more charge left)', () => {
    const longTail = run({});
    const shortTail = run({ maximumTimeToLock: 5000 });
    expect(shortTail.sum('batteryMicroAh')).toBeGreaterThan(longTail.sum('batteryMicroAh'));
  });

  it('statusReportingSettings: a fuller status report costs business data at every check-in', () => {
    const bare = run({});
    const full = run({ statusReportingSettings: { applicationReportsEnabled: true, hardwareStatusEnabled: true, softwareInfoEnabled: true } });
    expect(full.sum('businessDataKilobytes')).toBeGreaterThan(bare.sum('businessDataKilobytes'));
    expect(full.sum('batteryMicroAh')).toBeLessThan(bare.sum('batteryMicroAh'));
  });

  it('alwaysOnVpnPackage.lockdownEnabled: no business traffic while the VPN is down, so less data and degraded sessions', () => {
    const vpn = { packageName: 'com.example.vpn' };
    const open = run({ alwaysOnVpnPackage: vpn });
    const lockdown = run({ alwaysOnVpnPackage: { ...vpn, lockdownEnabled: true } });
    expect(lockdown.sum('businessDataKilobytes')).toBeLessThan(open.sum('businessDataKilobytes'));
    expect(lockdown.sum('businessDegradedSessions')).toBeGreaterThan(open.sum('businessDegradedSessions'));
  });

  it('blockScope BLOCK_SCOPE_DEVICE: the block also starves the personal world, BLOCK_SCOPE_WORK_PROFILE does not', () => {
    const rule = (blockScope: string) => ({
      passwordPolicies: [{ passwordQuality: 'ALPHANUMERIC', passwordMinimumLength: 8 }],
      policyEnforcementRules: [{ settingName: 'passwordPolicies', blockAction: { blockAfterDays: 0, blockScope }, wipeAction: { wipeAfterDays: 30 } }],
    });
    const work = run(rule('BLOCK_SCOPE_WORK_PROFILE'));
    const device = run(rule('BLOCK_SCOPE_DEVICE'));
    expect(work.recorder.enforcement.get(EnforcementAction.SUSPEND_BUSINESS_WORLD) ?? 0).toBeGreaterThan(0);
    expect(device.sum('personalDegradedSessions')).toBeGreaterThan(work.sum('personalDegradedSessions'));
  });

  it('passwordQuality and passwordMinimumLength: judged against each handset passcode', () => {
    const none = run({});
    const strict = run({ passwordPolicies: [{ passwordQuality: 'ALPHANUMERIC', passwordMinimumLength: 8 }] });
    expect(strict.recorder.reasonsSeen & NonComplianceReason.USER_ACTION).not.toBe(0);
    expect(strict.summary.kpis.complianceRate).toBeLessThan(none.summary.kpis.complianceRate);
  });
});

describe('each remaining policy field changes the run', () => {
  it('cameraAccess CAMERA_ACCESS_DISABLED refuses business camera sessions; CAMERA_ACCESS_USER_CHOICE does not', () => {
    expect(run({ cameraAccess: 'CAMERA_ACCESS_DISABLED' }).summary.kpis.blockedSessions).toBeGreaterThan(0);
    expect(run({ cameraAccess: 'CAMERA_ACCESS_USER_CHOICE' }).summary.kpis.blockedSessions).toBe(0);
  });

  it('crossProfilePolicies: allowing copy and share from work lets business items into personal', () => {
    const noContacts = 'SHOW_WORK_CONTACTS_IN_PERSONAL_PROFILE_DISALLOWED';
    const closed = run({ screenCaptureDisabled: true, crossProfilePolicies: { showWorkContactsInPersonalProfile: noContacts } });
    const open = run({
      screenCaptureDisabled: true,
      crossProfilePolicies: {
        crossProfileCopyPaste: 'CROSS_PROFILE_COPY_PASTE_ALLOWED',
        crossProfileDataSharing: 'CROSS_PROFILE_DATA_SHARING_ALLOWED',
        showWorkContactsInPersonalProfile: noContacts,
      },
    });
    expect(closed.summary.kpis.businessItemsInPersonal).toBe(0);
    expect(open.summary.kpis.businessItemsInPersonal).toBeGreaterThan(0);
  });

  it('alwaysOnVpnPackage: the VPN costs energy, and a VPN that fails to come up is non-compliance', () => {
    const plain = run({});
    const vpn = run({ alwaysOnVpnPackage: { packageName: 'com.example.vpn' } });
    expect(vpn.sum('batteryMicroAh')).toBeLessThan(plain.sum('batteryMicroAh'));
    expect(vpn.recorder.reasonsSeen & NonComplianceReason.VPN).not.toBe(0);
  });

  it('minimumApiLevel: handsets on an older Android are API_LEVEL', () => {
    expect(run({ minimumApiLevel: 14 }).recorder.reasonsSeen & NonComplianceReason.API_LEVEL).not.toBe(0);
    expect(run({ minimumApiLevel: 8 }).recorder.reasonsSeen & NonComplianceReason.API_LEVEL).toBe(0);
  });

  it('duet.minimumHypervisorVersion: handsets on the older MVP are DEVICE_INCOMPATIBLE', () => {
    expect(run({ duet: { minimumHypervisorVersion: '1.5.0' } }).recorder.reasonsSeen & NonComplianceReason.DEVICE_INCOMPATIBLE).not.toBe(0);
  });

  it('duet.checkInIntervalMinutes: a longer interval means fewer check-ins', () => {
    expect(run({ duet: { checkInIntervalMinutes: 60 } }).summary.kpis.checkIns).toBeLessThan(run({}).summary.kpis.checkIns);
  });

  it('PREINSTALLED installs an app the image lacks, which a minimumVersionCode then judges; AVAILABLE does not install it', () => {
    const social = (installType: string) => ({ applications: [{ packageName: 'com.facebook.katana', installType, minimumVersionCode: 120 }] });
    expect(run(social('PREINSTALLED')).recorder.reasonsSeen & NonComplianceReason.APP_NOT_UPDATED).not.toBe(0);
    expect(run(social('AVAILABLE')).recorder.reasonsSeen & NonComplianceReason.APP_NOT_UPDATED).toBe(0);
    // Never judged missing: a preinstalled app is the owner's to remove [A1].
    expect(run(social('PREINSTALLED')).recorder.reasonsSeen & NonComplianceReason.APP_NOT_INSTALLED).toBe(0);
  });

  it('REQUIRED_FOR_SETUP is judged like FORCE_INSTALLED: missing until installed', () => {
    const required = run({ applications: [{ packageName: 'com.facebook.katana', installType: 'REQUIRED_FOR_SETUP' }] });
    expect(required.recorder.reasonsSeen & NonComplianceReason.APP_NOT_INSTALLED).not.toBe(0);
  });
});

describe('every NonComplianceReason is reachable', () => {
  it('ENCRYPTION: ENABLED_WITH_PASSWORD on a work side without a passcode; ENABLED_WITHOUT_PASSWORD is always met', () => {
    expect(run({ encryptionPolicy: 'ENABLED_WITH_PASSWORD' }).recorder.reasonsSeen & NonComplianceReason.ENCRYPTION).not.toBe(0);
    expect(run({ encryptionPolicy: 'ENABLED_WITHOUT_PASSWORD' }).recorder.reasonsSeen & NonComplianceReason.ENCRYPTION).toBe(0);
  });

  it('INVALID_VALUE: more guest memory than a 512 MB handset can give', () => {
    expect(run({ duet: { guestMemoryMb: 1024 } }).recorder.reasonsSeen & NonComplianceReason.INVALID_VALUE).not.toBe(0);
    expect(run({ duet: { guestMemoryMb: 128 } }).recorder.reasonsSeen & NonComplianceReason.INVALID_VALUE).toBe(0);
  });

  it('APP_INSTALLED: a BLOCKED system app of the business image stays installed; a BLOCKED app it lacks does not count', () => {
    expect(
      run({ applications: [{ packageName: 'com.android.browser', installType: 'BLOCKED' }] }).recorder.reasonsSeen & NonComplianceReason.APP_INSTALLED,
    ).not.toBe(0);
    expect(
      run({ applications: [{ packageName: 'com.rovio.angrybirds', installType: 'BLOCKED' }] }).recorder.reasonsSeen & NonComplianceReason.APP_INSTALLED,
    ).toBe(0);
  });

  it('APP_NOT_INSTALLED: a FORCE_INSTALLED app is missing until the check-in after the policy applied, then installed', () => {
    const forced = run({ applications: [{ packageName: 'com.facebook.katana', installType: 'FORCE_INSTALLED' }] });
    expect(forced.recorder.reasonsSeen & NonComplianceReason.APP_NOT_INSTALLED).not.toBe(0);
    expect(forced.summary.kpis.complianceRate).toBeGreaterThan(0.9);
  });

  it('PENDING: a revision that arrives while the work side is locked waits until it runs again', () => {
    const handsets = Array.from({ length: 200 }, (_, id) => id);
    const { recorder } = run(
      {},
      {
        commands: [{ tick: 60, handsets, type: 'LOCK' }],
        policies: [
          { tick: 0, policy: { name: 'policies/a' } },
          { tick: 61, policy: { name: 'policies/b', screenCaptureDisabled: true } },
        ],
      },
    );
    expect(recorder.reasonsSeen & NonComplianceReason.PENDING).not.toBe(0);
  });

  it('APP_NOT_UPDATED for an app below minimumVersionCode, on any app, and owners update it', () => {
    const maps = run({ applications: [{ packageName: 'com.google.android.apps.maps', minimumVersionCode: 120 }] });
    expect(maps.recorder.reasonsSeen & NonComplianceReason.APP_NOT_UPDATED).not.toBe(0);
    expect(maps.summary.kpis.complianceRate).toBeGreaterThan(0.8);
  });
});

describe('minimumVersionCode on an app other than email', () => {
  // Before every app had a version per handset, only email's was filled in: any minimum on another
  // app gave a permanent APP_NOT_UPDATED on every handset.
  it('judges the handset version of that app: a minimum every provisioned version meets is compliant', () => {
    const { recorder, summary } = run({ applications: [{ packageName: 'com.android.browser', minimumVersionCode: 100 }] });
    expect(recorder.reasonsSeen & NonComplianceReason.APP_NOT_UPDATED).toBe(0);
    expect(summary.kpis.complianceRate).toBe(1);
  });
});

describe('enforcement rules per settingName', () => {
  const strictPasswords = { passwordPolicies: [{ passwordQuality: 'ALPHANUMERIC', passwordMinimumLength: 8 }] };
  const immediate = (settingName: string) => [{ settingName, blockAction: { blockAfterDays: 0 }, wipeAction: { wipeAfterDays: 30 } }];

  it('a rule on another setting does not act on password non-compliance', () => {
    const { recorder } = run({ ...strictPasswords, policyEnforcementRules: immediate('applications') });
    expect(recorder.reasonsSeen & NonComplianceReason.USER_ACTION).not.toBe(0);
    expect(recorder.enforcement.get(EnforcementAction.SUSPEND_BUSINESS_WORLD) ?? 0).toBe(0);
  });

  it('the rule naming passwordPolicies suspends on it', () => {
    const { recorder } = run({ ...strictPasswords, policyEnforcementRules: immediate('passwordPolicies') });
    expect(recorder.enforcement.get(EnforcementAction.SUSPEND_BUSINESS_WORLD) ?? 0).toBeGreaterThan(0);
  });
});
