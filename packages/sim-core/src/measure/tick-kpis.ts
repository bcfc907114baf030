// Per-tick fleet KPIs, measured apart from behaviour (conventions.md principle 7): counters come from the
// tick's events, gauges from a read of the state columns after the tick. Every KPI is an integer
// summed over handsets, so combining shards in any order gives the same numbers (docs/design.md#time-shards-and-determinism).
import { BATTERY_LOW_PERMILLE } from '../model/calibration';
import { EventKind, FlowKind, GuestState, Persona, flowLeavesBusiness } from '../model/enums';
import { EventBuffer } from '../model/events';
import type { AgentShard } from '../model/agent';
import { OffCause, type HypervisorShard } from '../model/hypervisor';
import { TickCost } from '../model/persona-cost';

export const KPI_NAMES = [
  'handsetsOnline',
  'handsetsCharging',
  'batteryEmpty',
  'batteryLow',
  'batteryPermilleSum',
  'guestProvisioning',
  'guestRunning',
  'guestSuspended',
  'guestLocked',
  'guestWiped',
  'enrolled',
  'compliant',
  'nonCompliant',
  'sessionsStarted',
  'sessionsDegraded',
  'sessionsBlocked',
  'flowsAllowed',
  'flowsBlocked',
  'flowsToPersonalAllowed',
  'checkIns',
  'checkInsUnreachable',
  'enrollmentFailures',
  'agentsBackingOff',
  'policiesApplied',
  'complianceChanges',
  'enforcementActions',
  'commandsExecuted',
  'balloonAdjustments',
  'batteryEmptyEvents',
  'events',
  // Per-persona cost (model/persona-cost.ts): drain and radio traffic by the world that caused them.
  'energyPersonalMicroAh',
  'energyBusinessMicroAh',
  'dataPersonalKilobytes',
  'dataBusinessKilobytes',
  'sessionsDegradedPersonal',
  'sessionsDegradedBusiness',
  // The data-leak ledger by flow (model/leak-ledger.ts): business items let into the personal persona.
  'leaksCopyWorkToPersonal',
  'leaksShareWorkToPersonal',
  'leaksWorkContactLookup',
  'leaksScreenCaptureWorkToPersonal',
] as const;
export type KpiName = (typeof KPI_NAMES)[number];
export const KPI_COUNT = KPI_NAMES.length;
export const Kpi = Object.fromEntries(KPI_NAMES.map((name, index) => [name, index])) as Record<KpiName, number>;

/** One tick's KPIs over the whole fleet (or one shard), in KPI_NAMES order. */
export interface TickKpis {
  readonly tick: number;
  readonly values: Float64Array;
}

export function kpiRecord(kpis: TickKpis): Record<KpiName, number> & { tick: number } {
  const record = { tick: kpis.tick } as Record<KpiName, number> & { tick: number };
  KPI_NAMES.forEach((name, index) => (record[name] = kpis.values[index]));
  return record;
}

/** Adds one shard's tick into `into` (counters from events, gauges from state). */
export function measureShard(into: Float64Array, hypervisor: HypervisorShard, agent: AgentShard, events: EventBuffer): void {
  measureHypervisor(into, hypervisor);
  measureAgent(into, agent);
  countEvents(into, events);
}

// Each role measures only the state it owns, so a service can publish its part of a tick's KPIs
// and telemetry can sum the parts (networked mode) to the same vector as measureShard.

/**
 * Gauges of the hypervisor's state: power, charging, battery, guest states. A handset not yet in
 * the fleet (ramp) counts in none of them but the battery sum (its charge waits for it); one
 * without power (fault) is neither online nor flat.
 */
export function measureHypervisor(into: Float64Array, hypervisor: HypervisorShard): void {
  const n = hypervisor.fleet.size;
  const { powered, offCause, charging, guestState } = hypervisor;
  let flat = 0;
  let online = 0;
  let chargingCount = 0;
  let low = 0;
  let permilleSum = 0;
  let provisioning = 0;
  let running = 0;
  let suspended = 0;
  let locked = 0;
  let wiped = 0;
  for (let i = 0; i < n; i++) {
    const permille = hypervisor.batteryPermille(i);
    permilleSum += permille;
    if (powered[i] === 0 && offCause[i] === OffCause.NOT_IN_FLEET) continue;
    if (charging[i] !== 0) chargingCount++;
    if (powered[i] === 1) {
      online++;
      if (permille < BATTERY_LOW_PERMILLE) low++;
    } else if (offCause[i] === OffCause.BATTERY_EMPTY) flat++;
    const guest = guestState[i];
    if (guest === GuestState.RUNNING) running++;
    else if (guest === GuestState.SUSPENDED) suspended++;
    else if (guest === GuestState.LOCKED) locked++;
    else if (guest === GuestState.WIPED) wiped++;
    else provisioning++;
  }
  into[Kpi.handsetsOnline] += online;
  into[Kpi.handsetsCharging] += chargingCount;
  into[Kpi.batteryEmpty] += flat;
  into[Kpi.batteryLow] += low;
  into[Kpi.batteryPermilleSum] += permilleSum;
  into[Kpi.guestProvisioning] += provisioning;
  into[Kpi.guestRunning] += running;
  into[Kpi.guestSuspended] += suspended;
  into[Kpi.guestLocked] += locked;
  into[Kpi.guestWiped] += wiped;
  const cost = hypervisor.tickCost;
  into[Kpi.energyPersonalMicroAh] += cost[TickCost.PERSONAL_MICRO_AH];
  into[Kpi.energyBusinessMicroAh] += cost[TickCost.BUSINESS_MICRO_AH];
  into[Kpi.dataPersonalKilobytes] += cost[TickCost.PERSONAL_KILOBYTES];
  into[Kpi.dataBusinessKilobytes] += cost[TickCost.BUSINESS_KILOBYTES];
}

/** Gauges of the business agents' state: enrollment, compliance, backoff. */
export function measureAgent(into: Float64Array, agent: AgentShard): void {
  let enrolled = 0;
  let compliant = 0;
  let backingOff = 0;
  const failedAttempts = agent.failedAttempts;
  for (let i = 0; i < agent.fleet.size; i++) {
    if (failedAttempts[i] !== 0) backingOff++;
    if (agent.enrolled[i] === 1) {
      enrolled++;
      if (agent.complianceMask[i] === 0) compliant++;
    }
  }
  into[Kpi.enrolled] += enrolled;
  into[Kpi.compliant] += compliant;
  into[Kpi.nonCompliant] += enrolled - compliant;
  into[Kpi.agentsBackingOff] += backingOff;
}

// FlowKind code → its leak KPI, for the flows that leave the business persona.
const LEAK_KPI: Record<number, number> = {
  [FlowKind.COPY_WORK_TO_PERSONAL]: Kpi.leaksCopyWorkToPersonal,
  [FlowKind.SHARE_WORK_TO_PERSONAL]: Kpi.leaksShareWorkToPersonal,
  [FlowKind.WORK_CONTACT_LOOKUP_FROM_PERSONAL]: Kpi.leaksWorkContactLookup,
  [FlowKind.SCREEN_CAPTURE_WORK_TO_PERSONAL]: Kpi.leaksScreenCaptureWorkToPersonal,
};

export function countEvents(into: Float64Array, events: EventBuffer): void {
  const { kind, b } = events;
  for (let e = 0; e < events.length; e++) {
    switch (kind[e]) {
      case EventKind.SESSION_STARTED:
        into[Kpi.sessionsStarted]++;
        break;
      case EventKind.SESSION_DEGRADED:
        into[Kpi.sessionsDegraded]++;
        into[events.persona[e] === Persona.BUSINESS ? Kpi.sessionsDegradedBusiness : Kpi.sessionsDegradedPersonal]++;
        break;
      case EventKind.SESSION_BLOCKED_BY_POLICY:
        into[Kpi.sessionsBlocked]++;
        break;
      case EventKind.CROSS_PERSONA_FLOW:
        if (b[e] === 1) {
          into[Kpi.flowsAllowed]++;
          if (flowLeavesBusiness(events.a[e])) {
            into[Kpi.flowsToPersonalAllowed]++;
            into[LEAK_KPI[events.a[e]]]++;
          }
        } else into[Kpi.flowsBlocked]++;
        break;
      case EventKind.CHECK_IN:
        into[Kpi.checkIns]++;
        if (b[e] === 0) into[Kpi.checkInsUnreachable]++;
        break;
      case EventKind.ENROLLMENT_FAILED:
        into[Kpi.enrollmentFailures]++;
        break;
      case EventKind.POLICY_APPLIED:
        into[Kpi.policiesApplied]++;
        break;
      case EventKind.COMPLIANCE_CHANGED:
        into[Kpi.complianceChanges]++;
        break;
      case EventKind.ENFORCEMENT_ACTION:
        into[Kpi.enforcementActions]++;
        break;
      case EventKind.COMMAND_EXECUTED:
        into[Kpi.commandsExecuted]++;
        break;
      case EventKind.BALLOON_ADJUSTED:
        into[Kpi.balloonAdjustments]++;
        break;
      case EventKind.BATTERY_EMPTY:
        into[Kpi.batteryEmptyEvents]++;
        break;
    }
  }
  into[Kpi.events] += events.length;
}
