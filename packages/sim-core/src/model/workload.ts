// Persona workloads (persona-runtime's model): diurnal app sessions per persona, each a demand
// for CPU, memory, radio and screen; sessions starved by the hypervisor become degraded.
//
// The owner is one person with one phone: at most one persona holds an interactive session at a
// time. Both persona runtimes draw the owner's decisions from the same handset-level random
// streams (persona 0), so each knows, without talking to the other, whose turn an interaction is.
import { CounterRandom, Stream, cumulativeWeights } from '../engine/random';
import { DemandBatch, FlowResult, GrantBatch } from './batches';
import {
  APP_DEMAND,
  BUSINESS_APP_WEIGHTS,
  BUSINESS_SHARE_BY_HOUR,
  CONNECTION_KBPS_3G,
  CONNECTION_KBPS_LTE,
  EMAIL_HEARTBEAT_SECONDS,
  EMAIL_SYNC_CPU_MHZ,
  EMAIL_SYNC_RADIO_KBPS,
  FLOW_ATTEMPTS_PER_SESSION_MINUTE,
  HOURLY_RATE,
  IDLE_CPU_MHZ,
  IDLE_MEMORY_MB,
  MEAN_SESSION_SECONDS,
  PERSONAL_APP_WEIGHTS,
  SESSIONS_PER_DAY,
  SESSION_MAX_SECONDS,
  SESSION_TAIL_PARETO_ALPHA,
  SESSION_TAIL_PROBABILITY,
  STARVATION_THRESHOLD,
} from './calibration';
import { CATALOGUE } from './catalogue';
import { App, EventKind, FlowKind, GuestState, Persona } from './enums';
import { EventBuffer } from './events';
import { FleetShard } from './fleet';
import type { EffectivePolicy } from './policy';
import type { SimulationClock } from './time';

const PERSONAL_APPS = cumulativeWeights(PERSONAL_APP_WEIGHTS as number[]);
const BUSINESS_APPS = cumulativeWeights(BUSINESS_APP_WEIGHTS as number[]);
const APP_CPU = table((demand) => demand.cpuMhz);
const APP_MEMORY = table((demand) => demand.memoryMb);
const APP_RADIO = table((demand) => demand.radioKbps);
const APP_SCREEN = table((demand) => (demand.screen ? 1 : 0));
const MODEL_CONNECTION_KBPS = CATALOGUE.map((model) => (model.lte ? CONNECTION_KBPS_LTE : CONNECTION_KBPS_3G));
const PERSONAL_FLOWS = [FlowKind.COPY_PERSONAL_TO_WORK, FlowKind.SHARE_PERSONAL_TO_WORK, FlowKind.WORK_CONTACT_LOOKUP_FROM_PERSONAL];
const BUSINESS_FLOWS = [FlowKind.COPY_WORK_TO_PERSONAL, FlowKind.SHARE_WORK_TO_PERSONAL, FlowKind.SCREEN_CAPTURE_WORK_TO_PERSONAL];
// Stand-ins for the agent's columns on the personal persona, which has no agent (never indexed).
const EMPTY_U16 = new Uint16Array(0);
const EMPTY_U8 = new Uint8Array(0);
const EMPTY_I32 = new Int32Array(0);

/** The running state of one persona for the handsets of one shard. */
export class PersonaShard {
  readonly app: Uint8Array; // foreground session's App, 0 = idle
  readonly remainingTicks: Uint16Array;
  readonly degraded: Uint8Array; // 1 once the current session has been starved
  readonly nextSyncTick: Int32Array; // business email heartbeat
  readonly sessions: Uint32Array; // sessions started, cumulative
  readonly degradedSessions: Uint32Array;
  readonly blockedSessions: Uint32Array; // refused by policy (blocked app, camera disabled)
  readonly dataKilobytes: Uint32Array; // radio traffic, cumulative
  readonly itemsReceived: Uint32Array; // data items delivered from the other persona by allowed flows
  readonly itemsHeld: Uint32Array; // data items this persona created (business: wiped with the world)

  constructor(
    readonly persona: Persona,
    readonly fleet: FleetShard,
  ) {
    const n = fleet.size;
    this.app = new Uint8Array(n);
    this.remainingTicks = new Uint16Array(n);
    this.degraded = new Uint8Array(n);
    this.nextSyncTick = new Int32Array(n);
    this.sessions = new Uint32Array(n);
    this.degradedSessions = new Uint32Array(n);
    this.blockedSessions = new Uint32Array(n);
    this.dataKilobytes = new Uint32Array(n);
    this.itemsReceived = new Uint32Array(n);
    this.itemsHeld = new Uint32Array(n);
  }
}

export interface WorkloadContext {
  readonly random: CounterRandom;
  readonly clock: SimulationClock;
  readonly personalIntensity: number;
  readonly businessIntensity: number;
}

/** What the business persona's MDM agent contributes to its demand batch. */
export interface AgentView {
  readonly policyIndex: Uint16Array;
  readonly enrolled: Uint8Array;
  readonly pendingWorldRequest: Uint8Array;
  /** 1 while the always-on VPN is up (alwaysOnVpnPackage.lockdownEnabled cuts traffic without it). */
  readonly vpnUp: Uint8Array;
  /** A check-in due at or before this tick uploads the status report statusReportingSettings asks. */
  readonly nextCheckInTick: Int32Array;
  readonly policies: readonly EffectivePolicy[];
}

/**
 * Computes one persona's demands for `tick`, given the hypervisor's grant of the previous tick
 * (which tells it whether the handset is on, the guest world's state and who held the screen).
 */
export function computeDemands(
  context: WorkloadContext,
  state: PersonaShard,
  previousGrant: GrantBatch,
  tick: number,
  out: DemandBatch,
  events: EventBuffer,
  agent: AgentView | null,
): void {
  const { random, clock } = context;
  const persona = state.persona;
  const isBusiness = persona === Persona.BUSINESS;
  const ids = state.fleet.ids;
  const model = state.fleet.model;
  const intensity = state.fleet.intensity;
  const joinRank = state.fleet.joinRank;
  const interactionKey = state.fleet.interactionKey;
  const present = state.fleet.fleet.schedule.handsetsPresentAt(tick);
  const { app, remainingTicks, degraded, nextSyncTick, sessions, blockedSessions } = state;
  const hour = clock.hourOfDay(tick);
  const tickMinutes = clock.tickSeconds / 60;
  const businessWeight = BUSINESS_SHARE_BY_HOUR[hour] * context.businessIntensity;
  const personalWeight = (1 - BUSINESS_SHARE_BY_HOUR[hour]) * context.personalIntensity;
  const businessShare = businessWeight / (businessWeight + personalWeight);
  // Interactions per tick for an average owner at this hour.
  const baseRate = (SESSIONS_PER_DAY / 1440) * tickMinutes * HOURLY_RATE[hour] * (businessWeight + personalWeight);
  const flowChance = FLOW_ATTEMPTS_PER_SESSION_MINUTE * tickMinutes;
  const syncEveryTicks = Math.max(1, Math.round(EMAIL_HEARTBEAT_SECONDS / clock.tickSeconds));
  const apps = isBusiness ? BUSINESS_APPS : PERSONAL_APPS;
  const flows = isBusiness ? BUSINESS_FLOWS : PERSONAL_FLOWS;
  out.tick = tick;

  // Columns as locals, so that calls out of the loop (events, rare transitions) do not force reloads.
  const { size, cpuMhz, memoryMb, radioKbps, screenOn, flowKind, worldRequest, policyApplied } = out;
  const demandApp = out.app;
  const policyIndexOut = out.policyIndex;
  const { powered: grantPowered, guestState: grantGuestState, foreground: grantForeground } = previousGrant;
  const agentPolicyIndex = agent?.policyIndex ?? EMPTY_U16;
  const agentEnrolled = agent?.enrolled ?? EMPTY_U8;
  const pendingWorldRequest = agent?.pendingWorldRequest ?? EMPTY_U8;
  const agentVpnUp = agent?.vpnUp ?? EMPTY_U8;
  const agentNextCheckIn = agent?.nextCheckInTick ?? EMPTY_I32;
  const kbpsPerKilobyteTick = 8 / clock.tickSeconds;

  for (let i = 0; i < size; i++) {
    const id = ids[i];
    flowKind[i] = 0;
    if (agent !== null) {
      policyIndexOut[i] = agentPolicyIndex[i];
      policyApplied[i] = agentEnrolled[i];
      worldRequest[i] = pendingWorldRequest[i];
      pendingWorldRequest[i] = 0;
    }
    // A handset not (or no longer) in the fleet demands nothing, whatever grant came before the run.
    const active = grantPowered[i] === 1 && joinRank[i] < present && (!isBusiness || grantGuestState[i] === GuestState.RUNNING);
    if (!active) {
      if (app[i] !== 0) endSession(state, i, persona, events);
      cpuMhz[i] = 0;
      memoryMb[i] = 0;
      radioKbps[i] = 0;
      screenOn[i] = 0;
      demandApp[i] = 0;
      continue;
    }
    if (app[i] !== 0 && remainingTicks[i] === 0) endSession(state, i, persona, events);
    const foreground = grantForeground[i];
    if (app[i] === 0 && (foreground === 0 || foreground === persona)) {
      // The owner's decisions: the same draws in both persona runtimes.
      if (random.uniformAt(interactionKey[i], tick) < baseRate * intensity[i]) {
        const wantsBusiness = random.uniform(id, 0, Stream.USER_PERSONA, tick) < businessShare;
        if (wantsBusiness === isBusiness) {
          const chosen = random.pick(apps, id, persona, Stream.USER_APP, tick);
          if (agent !== null && isBlocked(agent.policies[agentPolicyIndex[i]], chosen)) {
            blockedSessions[i]++;
            events.emit(EventKind.SESSION_BLOCKED_BY_POLICY, id, persona, chosen, 0);
          } else {
            app[i] = chosen;
            remainingTicks[i] = sessionTicks(random, id, persona, tick, clock.tickSeconds);
            degraded[i] = 0;
            sessions[i]++;
            events.emit(EventKind.SESSION_STARTED, id, persona, chosen, 0);
          }
        }
      }
    }
    const current = app[i];
    let cpu = IDLE_CPU_MHZ;
    let memory = IDLE_MEMORY_MB;
    let radio = 0;
    if (current !== 0) {
      cpu += APP_CPU[current];
      memory += APP_MEMORY[current];
      radio += APP_RADIO[current];
      remainingTicks[i]--;
      if (random.uniform(id, persona, Stream.FLOW_ATTEMPT, tick) < flowChance) {
        flowKind[i] = flows[Math.floor(random.uniform(id, persona, Stream.FLOW_KIND, tick) * flows.length)];
      }
    }
    if (isBusiness) {
      if (nextSyncTick[i] <= tick) {
        // EAS heartbeat [E3]: a short sync burst.
        cpu += EMAIL_SYNC_CPU_MHZ;
        radio += EMAIL_SYNC_RADIO_KBPS;
        nextSyncTick[i] = tick + syncEveryTicks;
      }
      if (agent !== null) {
        const policy = agent.policies[agentPolicyIndex[i]];
        // Lockdown: with the always-on VPN down the business world has no network at all [A1].
        if (policy.vpnLockdown && agentVpnUp[i] === 0 && radio > 0) {
          radio = 0;
          if (current !== 0 && degraded[i] === 0 && APP_RADIO[current] > 0) {
            degraded[i] = 1;
            state.degradedSessions[i]++;
            events.emit(EventKind.SESSION_DEGRADED, id, persona, current, 0);
          }
        }
        // The status report rides the management channel, outside the VPN's lockdown.
        if (agentEnrolled[i] === 1 && agentNextCheckIn[i] <= tick) radio += Math.ceil(policy.statusReportKilobytes * kbpsPerKilobyteTick);
      }
    }
    cpuMhz[i] = cpu;
    memoryMb[i] = memory;
    radioKbps[i] = Math.min(radio, MODEL_CONNECTION_KBPS[model[i]]);
    screenOn[i] = APP_SCREEN[current];
    demandApp[i] = current;
  }
}

/** Applies the hypervisor's grants for `tick`: starvation degrades sessions; flows deliver data. */
export function applyGrants(state: PersonaShard, demand: DemandBatch, grant: GrantBatch, tick: number, tickSeconds: number, events: EventBuffer): void {
  const persona = state.persona;
  const isBusiness = persona === Persona.BUSINESS;
  const ids = state.fleet.ids;
  const { app, degraded, degradedSessions, dataKilobytes, itemsReceived, itemsHeld } = state;
  const { size, powered: grantPowered, guestState: grantGuestState, cpuMhz: cpuGrant, memoryMb: memoryGrant, flowResult, incomingItems } = grant;
  const { cpuMhz: cpuDemand, memoryMb: memoryDemand, radioKbps, flowKind } = demand;
  for (let i = 0; i < size; i++) {
    const running = grantPowered[i] === 1 && (!isBusiness || grantGuestState[i] === GuestState.RUNNING);
    if (!running) {
      if (app[i] !== 0) endSession(state, i, persona, events);
      if (isBusiness && grantGuestState[i] === GuestState.WIPED) {
        // The business world was zapped [P21]: its data is gone.
        itemsHeld[i] = 0;
        itemsReceived[i] = 0;
      }
      continue;
    }
    if (app[i] !== 0 && degraded[i] === 0) {
      const cpuShare = cpuDemand[i] === 0 ? 1 : cpuGrant[i] / cpuDemand[i];
      const memoryShare = memoryDemand[i] === 0 ? 1 : memoryGrant[i] / memoryDemand[i];
      const share = Math.min(cpuShare, memoryShare);
      if (share < STARVATION_THRESHOLD) {
        degraded[i] = 1;
        degradedSessions[i]++;
        events.emit(EventKind.SESSION_DEGRADED, ids[i], persona, app[i], Math.floor(share * 1000));
      }
    }
    dataKilobytes[i] += Math.floor((radioKbps[i] * tickSeconds) / 8);
    if (flowKind[i] !== 0 && flowResult[i] !== FlowResult.NONE) itemsHeld[i]++;
    itemsReceived[i] += incomingItems[i];
  }
  void tick;
}

function endSession(state: PersonaShard, i: number, persona: number, events: EventBuffer): void {
  events.emit(EventKind.SESSION_ENDED, state.fleet.ids[i], persona, state.app[i], state.degraded[i]);
  state.app[i] = 0;
  state.remainingTicks[i] = 0;
  state.degraded[i] = 0;
}

function isBlocked(policy: EffectivePolicy, chosen: number): boolean {
  if ((policy.blockedAppMask & (1 << chosen)) !== 0) return true;
  // cameraAccess DISABLED applies to the work profile only [A1].
  return chosen === App.CAMERA && policy.cameraDisabled;
}

function sessionTicks(random: CounterRandom, id: number, persona: number, tick: number, tickSeconds: number): number {
  let seconds = random.exponential(MEAN_SESSION_SECONDS, id, persona, Stream.USER_DURATION, tick);
  const tail = random.uniform(id, persona, Stream.USER_DURATION_TAIL, tick);
  if (tail < SESSION_TAIL_PROBABILITY) {
    // Shifted-Pareto tail [W1]: reuse the tail draw, rescaled to (0, 1].
    const u = 1 - tail / SESSION_TAIL_PROBABILITY;
    seconds = MEAN_SESSION_SECONDS * Math.pow(u, -1 / SESSION_TAIL_PARETO_ALPHA);
  }
  return Math.max(1, Math.ceil(Math.min(seconds, SESSION_MAX_SECONDS) / tickSeconds));
}

function table(of: (demand: (typeof APP_DEMAND)[number]) => number): Uint16Array {
  const out = new Uint16Array(16);
  for (const [code, demand] of Object.entries(APP_DEMAND)) out[Number(code)] = of(demand);
  return out;
}
