// Enrollment tokens (AMAPI EnrollmentToken) live for a number of simulated ticks, never wall
// time, so a run replays the same way at any pace. AMAPI's default duration is one hour.
import { quoted } from '@duet/service-kit';

export const DEFAULT_TOKEN_DURATION_TICKS = 60; // one simulated hour at the default tick of 60 simulated seconds
const LAST_TICK = 0xffff_ffff; // uint32 ticks: a token never outlives the largest tick

export interface EnrollmentTokenGrant {
  readonly runId: string;
  /** Group a handset joins when it names none; empty = handsets must name their group. */
  readonly group: string;
  /** Tick at which it was created. */
  readonly tick: number;
  /** Last tick at which it is accepted. */
  readonly expiresTick: number;
}

/** Last tick a token created at `tick` is accepted at; a duration of 0 means AMAPI's default. */
export function expiresTickFor(tick: number, durationTicks: number): number {
  return Math.min(LAST_TICK, tick + (durationTicks === 0 ? DEFAULT_TOKEN_DURATION_TICKS : durationTicks));
}

/** Why a token does not enroll handsets of `runId` at `tick`, or undefined when it does. */
export function tokenRefusal(token: EnrollmentTokenGrant | undefined, runId: string, tick: number): { rule: string; message: string } | undefined {
  if (token === undefined || token.runId !== runId) return { rule: 'enrollment-token', message: `is not an enrollment token of run ${quoted(runId)}` };
  if (tick < token.tick) return { rule: 'not-yet-valid', message: `is valid from tick ${token.tick}, the enrollment is at tick ${tick}` };
  if (tick > token.expiresTick) return { rule: 'expired', message: `expired after tick ${token.expiresTick}, the enrollment is at tick ${tick}` };
  return undefined;
}
