// The MDM agent in the business persona (persona-runtime, business): enrolls when the business
// world first runs, checks in when due, applies the assigned policy, evaluates and reports
// compliance, and asks the hypervisor to suspend or wipe its world when the policy's enforcement
// rules say so. The agent keeps checking in while its world is suspended or locked: like MVP's
// host-side app and mvpd [C2], the management channel lives outside the guest (D). When it calls
// is check-in-cadence.ts's: phases after enrollment, jitter, and backoff after a failed call.
import { CounterRandom, Stream } from '../engine/random';
import { GrantBatch, WorldRequest } from './batches';
import type { CheckInCadence } from './check-in-cadence';
import { APP_UPDATE_PER_CHECK_IN, PASSCODE_FIX_PER_CHECK_IN, VPN_FAILURE_PER_CHECK_IN } from './calibration';
import { CATALOGUE } from './catalogue';
import { guestMemoryCeilingMb } from './guest-memory';
import { NON_COMPLIANCE_REASON_COUNT, NonComplianceReason, evaluateCompliance, type DeviceFacts } from './compliance';
import { DEVICE_SCOPE, enforcementFor } from './enforcement';
import { APP_SLOTS, App, EnforcementAction, EventKind, GuestState, Persona } from './enums';
import { EventBuffer } from './events';
import { FleetShard } from './fleet';
import type { EffectivePolicy } from './policy';
import type { PolicySource } from './policy-timeline';
import type { SimulationClock } from './time';

// Apps the business image ships with (the 2011 AOSP set): NV.
const PREINSTALLED_APPS = (1 << App.EMAIL) | (1 << App.BROWSER) | (1 << App.CALLS) | (1 << App.CAMERA) | (1 << App.MESSAGING) | (1 << App.MAPS);
// Passcode lengths that go with the fleet's initial ranks (none, numeric PIN, alphanumeric): NV.
const PASSCODE_LENGTH_FOR_RANK = [0, 0, 4, 4, 4, 6, 6, 8];
// The passcode an owner sets when encryption asks for one and the policy asks no more: a numeric PIN (NV).
const NUMERIC_RANK = 3;
const MODEL_API_LEVEL = CATALOGUE.map((model) => model.apiLevel);
const MODEL_GUEST_MEMORY_CEILING_MB = CATALOGUE.map((_, model) => guestMemoryCeilingMb(model));

export class AgentShard {
  readonly enrolled: Uint8Array;
  readonly policyIndex: Uint16Array; // registry index of the applied policy, 0 = AMAPI defaults
  readonly nextCheckInTick: Int32Array; // next check-in; before enrollment, the next enrollment attempt
  readonly enrolledTick: Int32Array; // the last enrollment: the cadence's phases count from it
  readonly failedAttempts: Uint8Array; // enrollments or check-ins failed in a row (backoff), 0 after a success
  readonly complianceMask: Uint32Array; // NonComplianceReason bits, 0 = compliant
  readonly enforcement: Uint8Array; // EnforcementAction in force
  readonly vpnUp: Uint8Array;
  readonly passcodeRank: Uint8Array;
  readonly passcodeLength: Uint8Array;
  readonly installedAppMask: Uint16Array;
  readonly appVersionCode: Uint16Array; // APP_SLOTS per handset: [i * APP_SLOTS + app]
  // reasonSlots per handset: the tick each enforced reason bit last went non-compliant, so each
  // enforcement rule counts its own setting's days [A1]. Only reasons some policy of the run has a
  // rule for get a slot (reasonSlot[bit], -1 for none): most runs enforce one or two settings.
  readonly reasonSinceTick: Int32Array;
  readonly reasonSlot: Int8Array;
  readonly reasonSlots: number;
  readonly blockScopeDevice: Uint8Array; // 1 while the block in force covers the device
  readonly pendingWorldRequest: Uint8Array; // read (and cleared) by the next tick's demand batch
  readonly checkIns: Uint32Array;

  /** `enforced`: the reason bits with a rule in some policy of the run (enforcedReasons); default every one. */
  constructor(
    readonly fleet: FleetShard,
    enforced = (1 << NON_COMPLIANCE_REASON_COUNT) - 1,
  ) {
    const n = fleet.size;
    this.reasonSlot = new Int8Array(NON_COMPLIANCE_REASON_COUNT).fill(-1);
    let slots = 0;
    for (let bit = 0; bit < NON_COMPLIANCE_REASON_COUNT; bit++) if ((enforced & (1 << bit)) !== 0) this.reasonSlot[bit] = slots++;
    this.reasonSlots = slots;
    this.enrolled = new Uint8Array(n);
    this.policyIndex = new Uint16Array(n);
    this.nextCheckInTick = new Int32Array(n);
    this.enrolledTick = new Int32Array(n);
    this.failedAttempts = new Uint8Array(n);
    this.complianceMask = new Uint32Array(n);
    this.enforcement = new Uint8Array(n);
    this.vpnUp = new Uint8Array(n);
    this.passcodeRank = new Uint8Array(n);
    this.passcodeLength = new Uint8Array(n);
    this.installedAppMask = new Uint16Array(n);
    this.appVersionCode = new Uint16Array(n * APP_SLOTS);
    this.reasonSinceTick = new Int32Array(n * slots);
    this.blockScopeDevice = new Uint8Array(n);
    this.pendingWorldRequest = new Uint8Array(n);
    this.checkIns = new Uint32Array(n);
    for (let i = 0; i < n; i++) this.resetDevice(i);
  }

  /** Back to the state of a freshly provisioned business world. */
  resetDevice(i: number): void {
    this.enrolled[i] = 0;
    this.policyIndex[i] = 0;
    this.nextCheckInTick[i] = 0; // a new business world tries to enroll at once
    this.enrolledTick[i] = 0;
    this.failedAttempts[i] = 0;
    this.complianceMask[i] = 0;
    this.enforcement[i] = EnforcementAction.NONE;
    this.blockScopeDevice[i] = 0;
    this.reasonSinceTick.fill(0, i * this.reasonSlots, (i + 1) * this.reasonSlots);
    this.vpnUp[i] = 0;
    this.passcodeRank[i] = this.fleet.initialPasscodeRank[i];
    this.passcodeLength[i] = PASSCODE_LENGTH_FOR_RANK[this.fleet.initialPasscodeRank[i]];
    this.installedAppMask[i] = PREINSTALLED_APPS;
    for (let app = 0; app < APP_SLOTS; app++) this.appVersionCode[i * APP_SLOTS + app] = this.fleet.provisionedAppVersionCode(i, app);
  }
}

export interface AgentContext {
  readonly random: CounterRandom;
  readonly clock: SimulationClock;
  readonly policies: readonly EffectivePolicy[];
  readonly cadence: CheckInCadence;
}

/**
 * What the policy authority answered this tick, per handset index (the agent's port to it). The
 * in-process adapter reads the run's PolicyTimeline; the networked one holds the answers of the
 * batch RPCs the business persona runtime made for the handsets `dueCheckIns` listed.
 */
export interface CheckInAnswers {
  /** Whether handset i reaches the policy authority this tick. */
  reachable(i: number): boolean;
  /** Revision (registry index) the authority assigns to handset i at this tick; asked only when reachable. */
  assignedRevision(i: number): number;
}

/** Answers straight from the run's PolicyTimeline (embedded mode, core simulation). */
export class TimelineAnswers implements CheckInAnswers {
  private tick = 0;

  constructor(
    private readonly source: PolicySource,
    private readonly fleet: FleetShard,
  ) {}

  at(tick: number): this {
    this.tick = tick;
    return this;
  }

  reachable(i: number): boolean {
    return this.source.reachable(this.fleet.region[i], this.tick);
  }

  assignedRevision(i: number): number {
    return this.source.policyFor(this.fleet.group[i], this.tick);
  }
}

/** Handset indices whose agent will enroll, and will check in, at `tick` (given reachability). */
export interface DueCheckIns {
  readonly enrollments: number[];
  readonly checkIns: number[];
}

/**
 * Lists the handsets whose agents need the policy authority this tick, by the same rules
 * stepAgent applies, so a networked runtime can ask for exactly those answers in one batch.
 * An enrolling handset also checks in in the same tick.
 */
export function dueCheckIns(agent: AgentShard, grant: GrantBatch, tick: number, out: DueCheckIns): DueCheckIns {
  out.enrollments.length = 0;
  out.checkIns.length = 0;
  reconnect(agent, tick);
  for (let i = 0; i < agent.fleet.size; i++) {
    if (grant.powered[i] === 0) continue;
    const guest = grant.guestState[i];
    if (guest !== GuestState.RUNNING && guest !== GuestState.SUSPENDED && guest !== GuestState.LOCKED) continue;
    if (agent.enrolled[i] === 0) {
      if (guest !== GuestState.RUNNING || tick < agent.nextCheckInTick[i]) continue;
      out.enrollments.push(i);
      out.checkIns.push(i);
    } else if (tick >= agent.nextCheckInTick[i]) {
      out.checkIns.push(i);
    }
  }
  return out;
}

/** One tick of the agents of one shard, after the hypervisor's grants for that tick. */
export function stepAgent(context: AgentContext, agent: AgentShard, grant: GrantBatch, tick: number, events: EventBuffer, answers: CheckInAnswers): void {
  const { random, clock, policies, cadence } = context;
  const fleet = agent.fleet;
  const ids = fleet.ids;
  const facts: DeviceFacts = {
    apiLevel: 0,
    hypervisorVersionCode: 0,
    passwordQualityRank: 0,
    passwordLength: 0,
    encrypted: true, // the work VM is always encrypted [P20][P21]
    guestMemoryCeilingMb: 0,
    vpnUp: false,
    installedAppMask: 0,
    appVersionCode: new Uint16Array(APP_SLOTS),
    appliedPolicyVersion: 0,
  };
  const appVersions = facts.appVersionCode as Uint16Array;
  reconnect(agent, tick);

  for (let i = 0; i < fleet.size; i++) {
    if (grant.powered[i] === 0) continue;
    const guest = grant.guestState[i];
    if (guest === GuestState.WIPED) {
      if (agent.enrolled[i] === 1) agent.resetDevice(i);
      continue;
    }
    if (guest !== GuestState.RUNNING && guest !== GuestState.SUSPENDED && guest !== GuestState.LOCKED) continue;
    const id = ids[i];
    if (agent.enrolled[i] === 0) {
      // Enrollment needs the policy authority: not while the guest is down, nor before a backoff ends.
      if (guest !== GuestState.RUNNING || tick < agent.nextCheckInTick[i]) continue;
      if (!answers.reachable(i)) {
        const failures = (agent.failedAttempts[i] = Math.min(agent.failedAttempts[i] + 1, 255));
        const wait = cadence.retryWaitTicks(id, tick, failures);
        agent.nextCheckInTick[i] = tick + wait;
        events.emit(EventKind.ENROLLMENT_FAILED, id, Persona.BUSINESS, failures, wait);
        continue;
      }
      // Enrollment: AMAPI requires a policy within 5 minutes [D5]; we apply it at once.
      agent.enrolled[i] = 1;
      agent.enrolledTick[i] = tick;
      agent.failedAttempts[i] = 0;
      applyPolicy(agent, i, answers.assignedRevision(i), policies, id, tick, events, random);
      agent.nextCheckInTick[i] = tick;
    }
    if (tick < agent.nextCheckInTick[i]) continue;

    agent.checkIns[i]++;
    const reachable = answers.reachable(i);
    // Applying a revision and installing or removing apps happen inside the business world: only while it runs.
    const running = guest === GuestState.RUNNING;
    events.emit(EventKind.CHECK_IN, id, Persona.BUSINESS, policies[agent.policyIndex[i]].version, reachable ? 1 : 0);
    // A revision received while the world is suspended or locked waits until it runs: PENDING [A1]
    // (AMAPI: not applied when reported, expected to be applied shortly).
    let pending = false;
    if (reachable) {
      const assigned = answers.assignedRevision(i);
      if (assigned !== agent.policyIndex[i]) {
        if (running) applyPolicy(agent, i, assigned, policies, id, tick, events, random);
        else pending = true;
      }
    }
    const policy = policies[agent.policyIndex[i]];
    // The owner may fix a passcode the policy (or encryption with a password) asks for.
    const wantedRank = Math.max(policy.passwordQualityRank, policy.encryptionNeedsPasscode ? NUMERIC_RANK : 0);
    const wantedLength = Math.max(policy.passwordMinimumLength, PASSCODE_LENGTH_FOR_RANK[wantedRank]);
    if (agent.passcodeRank[i] < wantedRank || agent.passcodeLength[i] < policy.passwordMinimumLength) {
      if (random.uniform(id, Persona.BUSINESS, Stream.AGENT_PASSCODE_FIX, tick) < PASSCODE_FIX_PER_CHECK_IN) {
        agent.passcodeRank[i] = Math.max(agent.passcodeRank[i], wantedRank);
        agent.passcodeLength[i] = Math.max(agent.passcodeLength[i], wantedLength);
      }
    }
    agent.vpnUp[i] = policy.vpnRequired && random.uniform(id, Persona.BUSINESS, Stream.AGENT_VPN, tick) >= VPN_FAILURE_PER_CHECK_IN ? 1 : 0;
    // The owner updates every outdated app at once ("update all"), or none this time.
    const versions = agent.appVersionCode;
    const base = i * APP_SLOTS;
    let outdated = false;
    for (let app = 1; app < APP_SLOTS; app++) outdated ||= versions[base + app] < policy.minimumAppVersionCode[app];
    if (outdated && random.uniform(id, Persona.BUSINESS, Stream.AGENT_APP_UPDATE, tick) < APP_UPDATE_PER_CHECK_IN) {
      for (let app = 1; app < APP_SLOTS; app++) versions[base + app] = Math.max(versions[base + app], policy.minimumAppVersionCode[app]);
    }

    facts.apiLevel = MODEL_API_LEVEL[fleet.model[i]];
    facts.hypervisorVersionCode = fleet.hypervisorVersionCode[i];
    facts.passwordQualityRank = agent.passcodeRank[i];
    facts.passwordLength = agent.passcodeLength[i];
    facts.guestMemoryCeilingMb = MODEL_GUEST_MEMORY_CEILING_MB[fleet.model[i]];
    facts.vpnUp = agent.vpnUp[i] === 1;
    facts.installedAppMask = agent.installedAppMask[i];
    for (let app = 1; app < APP_SLOTS; app++) appVersions[app] = versions[base + app];
    facts.appliedPolicyVersion = policy.version;
    // While a revision is pending the handset still holds (and is judged on) the one it applied.
    const mask = evaluateCompliance(policy, facts) | (pending ? NonComplianceReason.PENDING : 0);
    const previous = agent.complianceMask[i];
    if (mask !== previous) {
      const since = i * agent.reasonSlots;
      const slotOf = agent.reasonSlot;
      for (let bit = 0; bit < NON_COMPLIANCE_REASON_COUNT; bit++)
        if ((mask & ~previous & (1 << bit)) !== 0 && slotOf[bit] >= 0) agent.reasonSinceTick[since + slotOf[bit]] = tick;
      agent.complianceMask[i] = mask;
      events.emit(EventKind.COMPLIANCE_CHANGED, id, Persona.BUSINESS, mask, previous);
    }
    const code = enforcementFor(policy.enforcement, mask, agent.reasonSinceTick, i * agent.reasonSlots, tick, clock.tickSeconds / 60, agent.reasonSlot);
    const action = code & ~DEVICE_SCOPE;
    const device = (code & DEVICE_SCOPE) !== 0 ? 1 : 0;
    if (action !== agent.enforcement[i] || device !== agent.blockScopeDevice[i]) {
      const before = agent.enforcement[i];
      agent.enforcement[i] = action;
      agent.blockScopeDevice[i] = device;
      if (action !== before) events.emit(EventKind.ENFORCEMENT_ACTION, id, Persona.BUSINESS, action, before);
      if (action === EnforcementAction.WIPE_BUSINESS_WORLD) agent.pendingWorldRequest[i] = WorldRequest.WIPE;
      else if (action === EnforcementAction.SUSPEND_BUSINESS_WORLD)
        agent.pendingWorldRequest[i] = device === 1 ? WorldRequest.SUSPEND_DEVICE : WorldRequest.SUSPEND;
      else if (before === EnforcementAction.SUSPEND_BUSINESS_WORLD) agent.pendingWorldRequest[i] = WorldRequest.RESUME;
    }
    // After reporting, the agent downloads what the policy installs: the next report shows it (D).
    if (running) agent.installedAppMask[i] |= policy.requiredAppMask | policy.preinstalledAppMask;
    if (reachable) {
      agent.failedAttempts[i] = 0;
      agent.nextCheckInTick[i] = tick + cadence.checkInWaitTicks(id, tick, agent.enrolledTick[i], policy.checkInIntervalMinutes);
    } else {
      const failures = (agent.failedAttempts[i] = Math.min(agent.failedAttempts[i] + 1, 255));
      const regular = cadence.intervalSeconds(tick, agent.enrolledTick[i], policy.checkInIntervalMinutes);
      agent.nextCheckInTick[i] = tick + cadence.retryWaitTicks(id, tick, failures, regular);
    }
  }
}

/**
 * When a service the agents depend on comes back (policy-authority after a restart) or takes their
 * world down (hypervisor-core restart), every agent checks in (or tries to enroll) at its next
 * chance rather than at its interval or the end of its backoff: at once, or as soon as its world
 * runs again. Idempotent, so dueCheckIns and stepAgent may both apply it in the same tick.
 */
function reconnect(agent: AgentShard, tick: number): void {
  if (!agent.fleet.fleet.schedule.agentsReconnectAt(tick)) return;
  for (let i = 0; i < agent.fleet.size; i++) if (agent.nextCheckInTick[i] > tick) agent.nextCheckInTick[i] = tick;
}

function applyPolicy(
  agent: AgentShard,
  i: number,
  index: number,
  policies: readonly EffectivePolicy[],
  id: number,
  tick: number,
  events: EventBuffer,
  random: CounterRandom,
): void {
  const previous = policies[agent.policyIndex[i]];
  const next = policies[index];
  agent.policyIndex[i] = index;
  // The agent removes blocked apps it can: not the business image's system apps, which a device
  // admin cannot remove or hide before setApplicationHidden [A6] (API 21, NV); those stay
  // installed (APP_INSTALLED) and only launching them is refused. Installs follow the next report.
  agent.installedAppMask[i] &= ~(next.blockedAppMask & ~PREINSTALLED_APPS);
  agent.vpnUp[i] = next.vpnRequired && random.uniform(id, Persona.BUSINESS, Stream.AGENT_VPN, tick) >= VPN_FAILURE_PER_CHECK_IN ? 1 : 0;
  events.emit(EventKind.POLICY_APPLIED, id, Persona.BUSINESS, next.version, previous.version);
}
