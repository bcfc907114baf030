// When an MDM agent talks to the policy authority (docs/design.md#the-domain, "Agent"): check-ins
// in phases after each enrollment, then at the applied policy's steady interval; a seeded jitter on
// every wait; and after a failed enrollment or check-in (refused, or out of reach) an exponential
// backoff with a cap, reset by the next success. Every wait is a pure function of (seed, handset,
// tick), so shard layout and restarts never move a check-in (docs/design.md#time-shards-and-determinism).
import { Stream, type CounterRandom } from '../engine/random';
import type { ValidationIssue } from '../errors';
import { CHECK_IN_JITTER_PERCENT, ENROLLMENT_CHECK_IN_PHASES, RETRY_BACKOFF_FIRST_MINUTES, RETRY_BACKOFF_MAX_MINUTES, MINUTES_PER_DAY } from './calibration';
import { Persona } from './enums';
import type { SimulationClock } from './time';

/** Check in every `everyMinutes` during the `forMinutes` that follow the previous phase (the first: the enrollment). */
export interface CheckInPhaseSpec {
  readonly everyMinutes: number;
  readonly forMinutes: number;
}

/** How the run's agents pace their calls; each field defaults to the sourced or documented value in calibration.ts. */
export interface AgentCadenceSpec {
  /** In order after each enrollment; then the applied policy's duet.checkInIntervalMinutes. [] = steady from the start. */
  readonly checkInPhases?: readonly CheckInPhaseSpec[];
  /** Each wait is drawn uniformly within ± this percent of itself (0 = exact waits). */
  readonly jitterPercent?: number;
  /** Wait before the first retry after a failure; it doubles with each further failure. */
  readonly backoffFirstMinutes?: number;
  /** Longest wait between retries. */
  readonly backoffMaxMinutes?: number;
}

const MAX_PHASES = 16;
const MAX_JITTER_PERCENT = 50; // beyond it a wait could shrink to nothing
const MAX_DOUBLINGS = 30; // 2^30 × any first wait is past every cap

export class CheckInCadence {
  private readonly phaseEndSeconds: Float64Array; // from the enrollment, cumulative
  private readonly phaseEverySeconds: Float64Array;
  private readonly jitter: number; // share, 0..0.5
  private readonly backoffFirstSeconds: number;
  private readonly backoffMaxSeconds: number;

  /** Resolves a validated spec (see {@link checkCadence}). */
  constructor(
    spec: AgentCadenceSpec,
    private readonly clock: SimulationClock,
    private readonly random: CounterRandom,
  ) {
    const phases = spec.checkInPhases ?? ENROLLMENT_CHECK_IN_PHASES;
    this.phaseEndSeconds = new Float64Array(phases.length);
    this.phaseEverySeconds = new Float64Array(phases.length);
    let end = 0;
    phases.forEach((phase, k) => {
      end += phase.forMinutes * 60;
      this.phaseEndSeconds[k] = end;
      this.phaseEverySeconds[k] = phase.everyMinutes * 60;
    });
    this.jitter = (spec.jitterPercent ?? CHECK_IN_JITTER_PERCENT) / 100;
    this.backoffFirstSeconds = (spec.backoffFirstMinutes ?? RETRY_BACKOFF_FIRST_MINUTES) * 60;
    this.backoffMaxSeconds = (spec.backoffMaxMinutes ?? RETRY_BACKOFF_MAX_MINUTES) * 60;
  }

  /**
   * The regular wait, in simulated seconds and before jitter, after a check-in at `tick` of an
   * agent enrolled at `enrolledTick` whose policy asks for `steadyMinutes`. A phase only ever
   * speeds check-ins up: a policy asking for a shorter interval keeps it during the phases too.
   */
  intervalSeconds(tick: number, enrolledTick: number, steadyMinutes: number): number {
    const age = (tick - enrolledTick) * this.clock.tickSeconds;
    const steady = steadyMinutes * 60;
    const ends = this.phaseEndSeconds;
    for (let k = 0; k < ends.length; k++) if (age < ends[k]) return Math.min(this.phaseEverySeconds[k], steady);
    return steady;
  }

  /** Ticks from a successful check-in at `tick` to the next one (jittered, at least 1). */
  checkInWaitTicks(handsetId: number, tick: number, enrolledTick: number, steadyMinutes: number): number {
    return this.jittered(this.intervalSeconds(tick, enrolledTick, steadyMinutes), handsetId, Stream.AGENT_CHECK_IN_JITTER, tick);
  }

  /**
   * Ticks from the `failures`-th failure in a row at `tick` to the retry: the first wait doubled
   * per earlier failure, at most the cap and at most `ceilingSeconds` (a check-in's regular wait:
   * a backoff never delays an agent past the check-in it would have made anyway), then jittered.
   */
  retryWaitTicks(handsetId: number, tick: number, failures: number, ceilingSeconds = Infinity): number {
    const doubled = this.backoffFirstSeconds * 2 ** Math.min(Math.max(failures - 1, 0), MAX_DOUBLINGS);
    return this.jittered(Math.min(doubled, this.backoffMaxSeconds, ceilingSeconds), handsetId, Stream.AGENT_RETRY_JITTER, tick);
  }

  private jittered(seconds: number, handsetId: number, stream: number, tick: number): number {
    const spread = this.jitter === 0 ? 1 : 1 + this.jitter * (2 * this.random.uniform(handsetId, Persona.BUSINESS, stream, tick) - 1);
    return this.clock.ticksFor((seconds * spread) / 60);
  }
}

/** Adds every problem of a cadence spec to `issues`, with paths under `agents.`. */
export function checkCadence(spec: AgentCadenceSpec, issues: ValidationIssue[]): void {
  const minutes = (path: string, value: number | undefined, max: number) => {
    if (value !== undefined && !(typeof value === 'number' && value > 0 && value <= max))
      issues.push({ path, rule: 'range', message: `must be a number of minutes in (0, ${max}], got ${String(value).slice(0, 40)}` });
  };
  const phases = spec.checkInPhases;
  if (phases !== undefined) {
    if (!Array.isArray(phases) || phases.length > MAX_PHASES)
      issues.push({ path: 'agents.checkInPhases', rule: 'length', message: `must list at most ${MAX_PHASES} phases, got ${phases.length}` });
    else
      phases.forEach((phase, k) => {
        minutes(`agents.checkInPhases.${k}.everyMinutes`, phase.everyMinutes, MINUTES_PER_DAY);
        minutes(`agents.checkInPhases.${k}.forMinutes`, phase.forMinutes, 7 * MINUTES_PER_DAY);
      });
  }
  const jitter = spec.jitterPercent;
  if (jitter !== undefined && !(typeof jitter === 'number' && jitter >= 0 && jitter <= MAX_JITTER_PERCENT))
    issues.push({ path: 'agents.jitterPercent', rule: 'range', message: `must be a percent in 0..${MAX_JITTER_PERCENT}, got ${String(jitter).slice(0, 40)}` });
  minutes('agents.backoffFirstMinutes', spec.backoffFirstMinutes, MINUTES_PER_DAY);
  minutes('agents.backoffMaxMinutes', spec.backoffMaxMinutes, MINUTES_PER_DAY);
  const first = spec.backoffFirstMinutes ?? RETRY_BACKOFF_FIRST_MINUTES;
  const max = spec.backoffMaxMinutes ?? RETRY_BACKOFF_MAX_MINUTES;
  if (first > 0 && first <= MINUTES_PER_DAY && max > 0 && max < first)
    issues.push({
      path: 'agents.backoffMaxMinutes',
      rule: 'at-least-first',
      message: `must be at least the first backoff wait (${first} min), got ${max} min`,
    });
}
