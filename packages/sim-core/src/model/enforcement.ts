// policyEnforcementRules as AMAPI evaluates them [A1]: each rule names one top-level setting and
// acts only on non-compliance with that setting, with its own block and wipe delays counted from
// when that setting went non-compliant. Rules are compiled per NonComplianceReason bit, so the
// check-in hot path reads arrays and allocates nothing.
import { NON_COMPLIANCE_REASON_COUNT, reasonSetting } from './compliance';
import { EnforcementAction } from './enums';

export interface EnforcementRules {
  /** By reason bit index: minutes of non-compliance with that reason before the block; Infinity when no rule names its setting. */
  readonly blockAfterMinutes: readonly number[];
  /** By reason bit index: minutes before the wipe; Infinity when no rule names its setting. */
  readonly wipeAfterMinutes: readonly number[];
  /** By reason bit index: whether the block covers the whole handset (BLOCK_SCOPE_DEVICE). */
  readonly blockScopeDevice: readonly boolean[];
}

/** One policyEnforcementRule in minutes. */
export interface EnforcementRule {
  readonly settingName: string;
  readonly blockAfterMinutes: number;
  readonly wipeAfterMinutes: number;
  readonly blockScopeDevice: boolean;
}

export function compileEnforcement(rules: readonly EnforcementRule[]): EnforcementRules {
  const block = new Array<number>(NON_COMPLIANCE_REASON_COUNT).fill(Infinity);
  const wipe = new Array<number>(NON_COMPLIANCE_REASON_COUNT).fill(Infinity);
  const device = new Array<boolean>(NON_COMPLIANCE_REASON_COUNT).fill(false);
  for (let bit = 0; bit < NON_COMPLIANCE_REASON_COUNT; bit++) {
    for (const rule of rules) {
      if (rule.settingName !== reasonSetting(bit)) continue;
      if (rule.blockAfterMinutes < block[bit]) {
        block[bit] = rule.blockAfterMinutes;
        device[bit] = rule.blockScopeDevice;
      } else if (rule.blockAfterMinutes === block[bit]) {
        device[bit] ||= rule.blockScopeDevice; // the most severe action wins [A1]
      }
      wipe[bit] = Math.min(wipe[bit], rule.wipeAfterMinutes);
    }
  }
  return Object.freeze({ blockAfterMinutes: Object.freeze(block), wipeAfterMinutes: Object.freeze(wipe), blockScopeDevice: Object.freeze(device) });
}

/** The reason bits some policy of the run has a rule for: the only ones whose start the agents keep. */
export function enforcedReasons(policies: readonly { readonly enforcement: EnforcementRules }[]): number {
  let mask = 0;
  for (const { enforcement } of policies)
    for (let bit = 0; bit < NON_COMPLIANCE_REASON_COUNT; bit++)
      if (enforcement.blockAfterMinutes[bit] !== Infinity || enforcement.wipeAfterMinutes[bit] !== Infinity) mask |= 1 << bit;
  return mask;
}

/** Every reason its own slot: sinceTick holds NON_COMPLIANCE_REASON_COUNT ticks per handset. */
export const EVERY_REASON_SLOT: readonly number[] = Array.from({ length: NON_COMPLIANCE_REASON_COUNT }, (_, bit) => bit);

/** Added to an EnforcementAction by enforcementFor when the block covers the device. */
export const DEVICE_SCOPE = 8;

/**
 * The enforcement for a reason mask, each reason judged on how long it has been non-compliant
 * (`sinceTick[offset + slotOf[bit]]`; a reason without a slot has no rule in the run): NONE when compliant; per reason WARN, then SUSPEND from its rule's
 * block, WIPE from its wipe; the most severe over all reasons wins [A1]. A SUSPEND carries
 * DEVICE_SCOPE when a reason at that level has a BLOCK_SCOPE_DEVICE rule. Without rules: WARN.
 */
export function enforcementFor(
  rules: EnforcementRules,
  mask: number,
  sinceTick: ArrayLike<number>,
  offset: number,
  tick: number,
  minutesPerTick: number,
  slotOf: ArrayLike<number> = EVERY_REASON_SLOT,
): number {
  if (mask === 0) return EnforcementAction.NONE;
  let action: number = EnforcementAction.WARN;
  let device = false;
  for (let bit = 0; bit < NON_COMPLIANCE_REASON_COUNT; bit++) {
    if ((mask & (1 << bit)) === 0 || slotOf[bit] < 0) continue;
    const minutes = (tick - sinceTick[offset + slotOf[bit]]) * minutesPerTick;
    if (minutes >= rules.wipeAfterMinutes[bit]) return EnforcementAction.WIPE_BUSINESS_WORLD;
    if (minutes >= rules.blockAfterMinutes[bit]) {
      action = EnforcementAction.SUSPEND_BUSINESS_WORLD;
      device ||= rules.blockScopeDevice[bit];
    }
  }
  return device ? action | DEVICE_SCOPE : action;
}
