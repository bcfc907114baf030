// Cross-persona flows are always mediated by the hypervisor and decided by the effective policy
// (docs/design.md#the-domain). Field semantics follow AMAPI's CrossProfilePolicies [A1].
import { FlowKind } from './enums';
import type { EffectivePolicy } from './policy';

/** Whether the policy lets a flow of this kind through, assuming both worlds are running. */
export function isFlowAllowed(policy: EffectivePolicy, kind: number): boolean {
  switch (kind) {
    case FlowKind.COPY_WORK_TO_PERSONAL:
      return policy.copyWorkToPersonalAllowed;
    case FlowKind.COPY_PERSONAL_TO_WORK:
      // crossProfileCopyPaste restricts only work→personal [A1].
      return true;
    case FlowKind.SHARE_WORK_TO_PERSONAL:
      return policy.shareWorkToPersonalAllowed;
    case FlowKind.SHARE_PERSONAL_TO_WORK:
      return policy.sharePersonalToWorkAllowed;
    case FlowKind.WORK_CONTACT_LOOKUP_FROM_PERSONAL:
      return policy.workContactsInPersonalAllowed;
    case FlowKind.SCREEN_CAPTURE_WORK_TO_PERSONAL:
      return !policy.screenCaptureDisabled;
    default:
      return false;
  }
}

/** The policy field that decides a flow kind, for reports and RPC errors. */
export function flowRule(kind: number): string {
  switch (kind) {
    case FlowKind.COPY_WORK_TO_PERSONAL:
    case FlowKind.COPY_PERSONAL_TO_WORK:
      return 'crossProfilePolicies.crossProfileCopyPaste';
    case FlowKind.SHARE_WORK_TO_PERSONAL:
    case FlowKind.SHARE_PERSONAL_TO_WORK:
      return 'crossProfilePolicies.crossProfileDataSharing';
    case FlowKind.WORK_CONTACT_LOOKUP_FROM_PERSONAL:
      return 'crossProfilePolicies.showWorkContactsInPersonalProfile';
    case FlowKind.SCREEN_CAPTURE_WORK_TO_PERSONAL:
      return 'screenCaptureDisabled';
    default:
      return 'unknown flow kind';
  }
}
