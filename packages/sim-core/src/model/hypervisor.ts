// The hypervisor model (hypervisor-core's model), per handset: the host (personal) and guest
// (business) worlds, the guest lifecycle, CPU share with world-switch overhead, memory split and
// ballooning, battery drain and charging, low-battery suspension, remote commands, and mediation
// of cross-persona flows. MVP's shipped architecture is in docs/sources.md#mvp-the-hypervisor.
import { CounterRandom, Stream } from '../engine/random';
import { DemandBatch, FlowResult, GrantBatch, WorldRequest } from './batches';
import {
  BALLOON_FLOOR_MB,
  BALLOON_STEP_MB,
  BATTERY_LOW_PERMILLE,
  BOOT_ABOVE_PERMILLE,
  CHARGER_MA,
  CHARGE_TAPER_FROM_PERMILLE,
  CONNECTION_KBPS_3G,
  CONNECTION_KBPS_LTE,
  CPU_MA_PER_GHZ,
  GUEST_BASE_MEMORY_MB,
  GUEST_BOOT_SECONDS,
  GUEST_IMAGE_MB,
  GUEST_RESUME_ABOVE_PERMILLE,
  GUEST_RUNNING_MA,
  GUEST_SUSPEND_BELOW_PERMILLE,
  HOST_BASE_MEMORY_MB,
  HYPERVISOR_MEMORY_MB,
  MINUTES_TO_CHARGER,
  MINUTES_TO_UNLOCK,
  MIN_PLUGGED_MINUTES,
  OVERNIGHT_PLUG_HOUR,
  OVERNIGHT_UNPLUG_HOUR,
  PAGE_KB,
  RADIO_3G_ACTIVE_MA,
  RADIO_LTE_ACTIVE_MA,
  SCREEN_MA,
  STANDBY_MA,
  UNPLUG_ABOVE_PERMILLE,
  VPN_KEEPALIVE_MA,
  VPN_TRAFFIC_OVERHEAD,
  WORLD_SWITCH_OVERHEAD,
} from './calibration';
import { CATALOGUE } from './catalogue';
import { CommandBatch } from './commands';
import { isFlowAllowed } from './cross-persona';
import { CommandType, EventKind, GuestState, Persona, flowLeavesBusiness } from './enums';
import { EventBuffer } from './events';
import { FleetShard } from './fleet';
import { LEDGER_CELLS, recordLeak, type LeakLedgerColumns } from './leak-ledger';
import { TICK_COST_SIZE, TickCost, businessDrain, kilobytes } from './persona-cost';
import { guestMemoryCeilingMb } from './guest-memory';
import type { EffectivePolicy } from './policy';
import type { SimulationClock } from './time';

/** Why the guest is suspended; resuming is only done by the same authority that suspended it. */
export const SuspendReason = { NONE: 0, LOW_BATTERY: 1, ENFORCEMENT: 2, COMMAND: 3 } as const;
/** Why a handset is off; HANDSET_POWERED_OFF and HANDSET_BOOTED carry it in `b` (a flat battery as 0 in HANDSET_BOOTED). */
export const OffCause = { NONE: 0, BATTERY_EMPTY: 1, NOT_IN_FLEET: 2, POWER_LOST: 3 } as const;
const ChargeKind = { NONE: 0, OVERNIGHT: 1, TOP_UP: 2 } as const;
const BLOCKED_WORK = 1;
const BLOCKED_DEVICE = 2;

const MODEL_CAPACITY_MICRO_AH = CATALOGUE.map((model) => model.batteryMah * 1000);
const MODEL_CPU_MHZ = CATALOGUE.map((model) => model.cores * model.clockMhz);
const MODEL_RAM_MB = CATALOGUE.map((model) => model.ramMb);
const MODEL_CONNECTION_KBPS = CATALOGUE.map((model) => (model.lte ? CONNECTION_KBPS_LTE : CONNECTION_KBPS_3G));
const MODEL_RADIO_MA = CATALOGUE.map((model) => (model.lte ? RADIO_LTE_ACTIVE_MA : RADIO_3G_ACTIVE_MA));

/** State the hypervisor owns for the handsets of one shard. */
export class HypervisorShard implements LeakLedgerColumns {
  readonly batteryMicroAh: Int32Array;
  readonly charging: Uint8Array; // ChargeKind
  readonly pluggedAtTick: Int32Array;
  readonly powered: Uint8Array;
  readonly offCause: Uint8Array; // OffCause while powered is 0
  readonly batteryLow: Uint8Array; // 1 after BATTERY_LOW until the level recovers
  readonly emptyCount: Uint16Array; // times the handset ran flat, cumulative
  readonly guestState: Uint8Array;
  readonly guestStateSince: Int32Array;
  readonly suspendReason: Uint8Array;
  // BLOCKED_WORK while the policy's enforcement blocks the business world, BLOCKED_DEVICE when the
  // block has BLOCK_SCOPE_DEVICE and stops the personal world too: it survives low-battery
  // suspension, locking and power loss, and only the agent's RESUME (or a wipe) lifts it.
  readonly enforcementBlocked: Uint8Array;
  readonly guestMemoryMb: Uint16Array;
  readonly foreground: Uint8Array;
  // The energy drawn from the battery, cumulative, split by the world that caused it
  // (model/persona-cost.ts); consumedMicroAh(i) is their sum. Whole µAh: a Uint32 holds ~4,000 Ah.
  readonly personalMicroAh: Uint32Array;
  readonly businessMicroAh: Uint32Array;
  // The last tick's sums over the shard of each world's drain and radio traffic, in TickCost order
  // (measured as KPIs; traffic is kept per tick only, not per handset).
  readonly tickCost = new Float64Array(TICK_COST_SIZE);
  // The data-leak ledger of this shard's handsets (model/leak-ledger.ts).
  readonly leakCount = new Uint32Array(LEDGER_CELLS);
  readonly leakFirstTick = new Int32Array(LEDGER_CELLS).fill(-1);
  readonly leakLastTick = new Int32Array(LEDGER_CELLS).fill(-1);

  constructor(readonly fleet: FleetShard) {
    const n = fleet.size;
    this.batteryMicroAh = new Int32Array(n);
    this.charging = new Uint8Array(n);
    this.pluggedAtTick = new Int32Array(n);
    this.powered = new Uint8Array(n).fill(1);
    this.offCause = new Uint8Array(n);
    this.batteryLow = new Uint8Array(n);
    this.emptyCount = new Uint16Array(n);
    this.guestState = new Uint8Array(n).fill(GuestState.NOT_PROVISIONED);
    this.guestStateSince = new Int32Array(n);
    this.suspendReason = new Uint8Array(n);
    this.enforcementBlocked = new Uint8Array(n);
    this.guestMemoryMb = new Uint16Array(n);
    this.foreground = new Uint8Array(n);
    this.personalMicroAh = new Uint32Array(n);
    this.businessMicroAh = new Uint32Array(n);
    const present = fleet.fleet.schedule.handsetsPresentAt(0);
    for (let i = 0; i < n; i++) {
      this.batteryMicroAh[i] = Math.floor((MODEL_CAPACITY_MICRO_AH[fleet.model[i]] * fleet.initialBatteryPermille[i]) / 1000);
      // A ramp brings handsets in later: until then they are off and out of the fleet.
      if (fleet.joinRank[i] >= present) {
        this.powered[i] = 0;
        this.offCause[i] = OffCause.NOT_IN_FLEET;
      }
    }
  }

  /** Energy handset i drew from its battery so far, in µAh, whichever world caused it. */
  consumedMicroAh(i: number): number {
    return this.personalMicroAh[i] + this.businessMicroAh[i];
  }

  batteryPermille(i: number): number {
    return Math.floor((this.batteryMicroAh[i] * 1000) / MODEL_CAPACITY_MICRO_AH[this.fleet.model[i]]);
  }

  /** The grants as seen before the first tick: every handset in the fleet on, no guest yet. */
  writeInitialGrants(personal: GrantBatch, business: GrantBatch): void {
    for (let i = 0; i < this.fleet.size; i++) {
      for (const grant of [personal, business]) {
        grant.powered[i] = this.powered[i];
        grant.guestState[i] = this.guestState[i];
        grant.batteryPermille[i] = this.batteryPermille(i);
        grant.foreground[i] = 0;
      }
    }
  }
}

export interface HypervisorContext {
  readonly random: CounterRandom;
  readonly clock: SimulationClock;
  /** Effective policies by index (the registry); business demands carry the index they applied. */
  readonly policies: readonly EffectivePolicy[];
}

/**
 * One tick of the hypervisor for one shard: executes commands and world requests, advances the
 * guest lifecycle, grants CPU and memory, mediates flows, drains or charges the battery, and
 * writes each persona's grant.
 */
export function stepHypervisor(
  context: HypervisorContext,
  state: HypervisorShard,
  personal: DemandBatch,
  business: DemandBatch,
  commands: CommandBatch,
  tick: number,
  personalGrant: GrantBatch,
  businessGrant: GrantBatch,
  events: EventBuffer,
): void {
  const { random, clock, policies } = context;
  const fleet = state.fleet;
  const ids = fleet.ids;
  const tickSeconds = clock.tickSeconds;
  const hour = clock.hourOfDay(tick);
  const bootTicks = Math.max(1, Math.ceil(GUEST_BOOT_SECONDS / tickSeconds));
  const chargerChance = 1 - Math.exp(-(tickSeconds / 60) / MINUTES_TO_CHARGER);
  const unlockChance = 1 - Math.exp(-(tickSeconds / 60) / MINUTES_TO_UNLOCK);
  const minPluggedTicks = Math.ceil((MIN_PLUGGED_MINUTES * 60) / tickSeconds);
  const { batteryMicroAh, charging, powered, offCause, guestState, guestStateSince, suspendReason, guestMemoryMb } = state;
  // The fleet's schedule: who is in the fleet (ramp), who has no power, whether hypervisor-core restarts.
  const schedule = fleet.fleet.schedule;
  const present = schedule.handsetsPresentAt(tick);
  const powerLosses = schedule.powerLossesAt(tick);
  const guestsRestart = schedule.guestsRestartAt(tick);
  const hypervisorDown = schedule.hypervisorDownAt(tick);

  for (let c = 0; c < commands.length; c++) executeCommand(state, commands.index[c], commands.type[c], tick, events);

  // Every column the loop reads or writes, as a local: the loop calls out (events, rare
  // transitions), after which V8 would otherwise reload each field through its object.
  const { size, joinRank, powerLossMask, overnightCharger, anxietyPermille, enrollmentTick } = fleet;
  const models = fleet.model;
  const { pluggedAtTick, personalMicroAh, businessMicroAh, batteryLow, emptyCount } = state;
  let tickPersonalMicroAh = 0;
  let tickBusinessMicroAh = 0;
  let tickPersonalKilobytes = 0;
  let tickBusinessKilobytes = 0;
  const foregroundColumn = state.foreground;
  const { policyIndex, worldRequest, policyApplied } = business;
  const {
    cpuMhz: personalCpuDemand,
    memoryMb: personalMemoryDemand,
    radioKbps: personalRadio,
    screenOn: personalScreen,
    app: personalApp,
    flowKind: personalFlow,
  } = personal;
  const {
    cpuMhz: businessCpuDemand,
    memoryMb: businessMemoryDemand,
    radioKbps: businessRadioDemand,
    screenOn: businessScreen,
    app: businessApp,
    flowKind: businessFlow,
  } = business;
  const { cpuMhz: personalCpuGrant, memoryMb: personalMemoryGrant, flowResult: personalFlowResult, incomingItems: personalIncoming } = personalGrant;
  const { cpuMhz: businessCpuGrant, memoryMb: businessMemoryGrant, flowResult: businessFlowResult, incomingItems: businessIncoming } = businessGrant;

  for (let i = 0; i < size; i++) {
    const id = ids[i];
    const model = models[i];
    const capacity = MODEL_CAPACITY_MICRO_AH[model];
    const policy = policies[policyIndex[i]];
    let permille = Math.floor((batteryMicroAh[i] * 1000) / capacity);

    // Out of the fleet (ramp) or without power (fault): off, and no charger works.
    const inFleet = joinRank[i] < present;
    if (!inFleet || (powerLossMask[i] & powerLosses) !== 0) {
      const cause = inFleet ? OffCause.POWER_LOST : OffCause.NOT_IN_FLEET;
      if (charging[i] !== 0) {
        charging[i] = ChargeKind.NONE;
        events.emit(EventKind.POWER_DISCONNECTED, id, 0, permille, 0);
      }
      if (powered[i] === 1) {
        powered[i] = 0;
        events.emit(EventKind.HANDSET_POWERED_OFF, id, 0, permille, cause);
        powerLossResetsGuest(state, i, tick, events);
      }
      // Out of the fleet overrides everything; a flat battery stays the reason through a power loss.
      if (cause === OffCause.NOT_IN_FLEET || offCause[i] !== OffCause.BATTERY_EMPTY) offCause[i] = cause;
      writeOff(state, i, permille, personalGrant, businessGrant);
      continue;
    }
    if (powered[i] === 0 && offCause[i] !== OffCause.BATTERY_EMPTY) {
      // Joined the fleet, or power is back: the handset switches on with the charge it had,
      // unless that is too little to boot; then it waits for a charger like any flat handset.
      if (permille >= BOOT_ABOVE_PERMILLE) {
        powered[i] = 1;
        events.emit(EventKind.HANDSET_BOOTED, id, 0, permille, offCause[i]);
        offCause[i] = OffCause.NONE;
        writeOff(state, i, permille, personalGrant, businessGrant);
        continue;
      }
      offCause[i] = OffCause.BATTERY_EMPTY;
    }

    // The owner plugs in or unplugs the charger.
    if (charging[i] === 0) {
      const overnight = overnightCharger[i] === 1 && hour === OVERNIGHT_PLUG_HOUR && random.uniform(id, 0, Stream.CHARGING, tick) < chargerChance * 2;
      const anxious = permille < anxietyPermille[i] && random.uniform(id, 0, Stream.CHARGING, tick) < chargerChance;
      if (overnight || anxious) {
        charging[i] = overnight ? ChargeKind.OVERNIGHT : ChargeKind.TOP_UP;
        pluggedAtTick[i] = tick;
        events.emit(EventKind.POWER_CONNECTED, id, 0, permille, 0);
      }
    } else {
      const plugged = tick - pluggedAtTick[i];
      const unplug =
        charging[i] === ChargeKind.OVERNIGHT
          ? hour === OVERNIGHT_UNPLUG_HOUR && random.uniform(id, 0, Stream.CHARGING, tick) < chargerChance * 2
          : plugged >= minPluggedTicks && permille >= UNPLUG_ABOVE_PERMILLE && random.uniform(id, 0, Stream.CHARGING, tick) < chargerChance;
      if (unplug) {
        charging[i] = ChargeKind.NONE;
        events.emit(EventKind.POWER_DISCONNECTED, id, 0, permille, 0);
      }
    }

    if (powered[i] === 0) {
      // A flat handset only charges; it boots once there is enough charge.
      if (charging[i] !== 0) batteryMicroAh[i] = Math.min(capacity, batteryMicroAh[i] + chargeMicroAh(permille, tickSeconds));
      permille = Math.floor((batteryMicroAh[i] * 1000) / capacity);
      if (permille >= BOOT_ABOVE_PERMILLE) {
        powered[i] = 1;
        offCause[i] = OffCause.NONE;
        events.emit(EventKind.HANDSET_BOOTED, id, 0, permille, 0);
      }
      writeOff(state, i, permille, personalGrant, businessGrant);
      continue;
    }

    // hypervisor-core restarts: the guest VM runs in its process (the vmx under mvpd [C2]), so it stops.
    if (guestsRestart) stopGuest(state, i, tick, events);

    // World requests from the business persona's MDM agent (enforcement).
    const request = worldRequest[i];
    if (request !== WorldRequest.NONE) applyWorldRequest(state, i, request, tick, events);

    // Guest lifecycle.
    const state0 = guestState[i];
    const inState = tick - guestStateSince[i];
    if (state0 === GuestState.NOT_PROVISIONED) {
      if (tick >= enrollmentTick[i]) setGuest(state, i, GuestState.DOWNLOADING_IMAGE, tick, events);
    } else if (state0 === GuestState.DOWNLOADING_IMAGE) {
      const downloadSeconds = (GUEST_IMAGE_MB * 8 * 1024) / MODEL_CONNECTION_KBPS[model];
      if (inState * tickSeconds >= downloadSeconds) setGuest(state, i, GuestState.INSTALLED, tick, events);
    } else if (state0 === GuestState.INSTALLED) {
      // No guest boots while hypervisor-core is away.
      if (permille > GUEST_RESUME_ABOVE_PERMILLE && !hypervisorDown) {
        guestMemoryMb[i] = initialGuestMemory(model, policy.guestMemoryMb);
        setGuest(state, i, GuestState.BOOTING, tick, events);
      }
    } else if (state0 === GuestState.BOOTING) {
      if (inState >= bootTicks) resumeGuest(state, i, tick, events);
    } else if (state0 === GuestState.RUNNING) {
      if (permille < GUEST_SUSPEND_BELOW_PERMILLE) {
        suspendReason[i] = SuspendReason.LOW_BATTERY;
        setGuest(state, i, GuestState.SUSPENDED, tick, events);
      }
    } else if (state0 === GuestState.SUSPENDED) {
      if (suspendReason[i] === SuspendReason.LOW_BATTERY && permille > GUEST_RESUME_ABOVE_PERMILLE) resumeGuest(state, i, tick, events);
    } else if (state0 === GuestState.LOCKED) {
      // The owner unlocks the work side with its PIN [P22] when they next want it.
      if (random.uniform(id, Persona.BUSINESS, Stream.GUEST_UNLOCK, tick) < unlockChance) resumeGuest(state, i, tick, events);
    }
    const guestRunning = guestState[i] === GuestState.RUNNING;
    // Flows fail closed until the business world has applied a policy.
    const mediating = guestRunning && policyApplied[i] === 1;
    const guestResident = guestMemoryMb[i] > 0;

    // CPU: the foreground world is served first; world switches cost the guest's share [P5].
    // A device-scope block stops the personal world too [A1]: its sessions get nothing.
    const deviceBlocked = state.enforcementBlocked[i] === BLOCKED_DEVICE;
    const personalCpu = deviceBlocked ? 0 : personalCpuDemand[i];
    const businessCpu = guestRunning ? businessCpuDemand[i] : 0;
    const overhead = businessCpu > 0 && personalCpu > 0 ? Math.ceil(businessCpu * WORLD_SWITCH_OVERHEAD) : 0;
    const cpuCapacity = MODEL_CPU_MHZ[model];
    let personalCpuGranted = personalCpu;
    let businessCpuGranted = businessCpu;
    if (personalCpu + businessCpu + overhead > cpuCapacity) {
      const available = cpuCapacity - overhead;
      if (businessApp[i] !== 0 && guestRunning) {
        businessCpuGranted = Math.min(businessCpu, available);
        personalCpuGranted = Math.max(0, Math.min(personalCpu, available - businessCpuGranted));
      } else {
        personalCpuGranted = Math.min(personalCpu, available);
        businessCpuGranted = Math.max(0, Math.min(businessCpu, available - personalCpuGranted));
      }
    }

    // Memory: guest RAM is pinned host memory; the balloon moves pages toward the world under
    // pressure, never leaving either below the floor [C6].
    const ram = MODEL_RAM_MB[model];
    const hostAvailable = ram - HOST_BASE_MEMORY_MB - HYPERVISOR_MEMORY_MB - guestMemoryMb[i];
    const personalMemory = deviceBlocked ? 0 : personalMemoryDemand[i];
    const businessMemory = guestRunning ? businessMemoryDemand[i] : 0;
    if (guestResident) {
      const guestAvailable = guestMemoryMb[i] - GUEST_BASE_MEMORY_MB;
      const hostShort = personalMemory - hostAvailable;
      const guestShort = businessMemory - guestAvailable;
      let deltaMb = 0; // towards the guest
      if (hostShort > 0 && guestShort < 0)
        deltaMb = -Math.min(BALLOON_STEP_MB, hostShort, -guestShort, guestMemoryMb[i] - BALLOON_FLOOR_MB - GUEST_BASE_MEMORY_MB);
      else if (guestShort > 0 && hostShort < 0) deltaMb = Math.min(BALLOON_STEP_MB, guestShort, -hostShort, hostAvailable - BALLOON_FLOOR_MB);
      if (deltaMb !== 0) {
        guestMemoryMb[i] += deltaMb;
        events.emit(EventKind.BALLOON_ADJUSTED, id, 0, (deltaMb * 1024) / PAGE_KB, guestMemoryMb[i]);
      }
    }
    const hostAfter = ram - HOST_BASE_MEMORY_MB - HYPERVISOR_MEMORY_MB - guestMemoryMb[i];
    const personalMemoryGranted = Math.max(0, Math.min(personalMemory, hostAfter));
    const businessMemoryGranted = guestRunning ? Math.max(0, Math.min(businessMemory, guestMemoryMb[i] - GUEST_BASE_MEMORY_MB)) : 0;

    // Screen: whoever holds an interactive session.
    const foreground = guestRunning && businessApp[i] !== 0 ? Persona.BUSINESS : personalApp[i] !== 0 && !deviceBlocked ? Persona.PERSONAL : 0;
    // After a business session the screen stays lit until the work side locks (maximumTimeToLock).
    const lockTail =
      foregroundColumn[i] === Persona.BUSINESS && foreground !== Persona.BUSINESS ? Math.min(policy.screenLockSeconds, tickSeconds) / tickSeconds : 0;
    foregroundColumn[i] = foreground;

    // Cross-persona flows, decided from the policy the business persona applied.
    personalIncoming[i] = 0;
    businessIncoming[i] = 0;
    personalFlowResult[i] = mediate(personalFlow[i], mediating, policy, id, Persona.PERSONAL, personalGrant, businessGrant, i, events);
    businessFlowResult[i] = mediate(businessFlow[i], mediating, policy, id, Persona.BUSINESS, personalGrant, businessGrant, i, events);
    if (personalIncoming[i] !== 0) {
      // Business items reached the personal persona: the ledger notes the flow and the revision.
      if (personalFlowResult[i] === FlowResult.ALLOWED) recordLeak(state, personalFlow[i], policyIndex[i], tick);
      if (businessFlowResult[i] === FlowResult.ALLOWED) recordLeak(state, businessFlow[i], policyIndex[i], tick);
    }

    // Battery: drain from CPU, screen, radio, the guest's wake lock and the VPN; charge if plugged.
    const vpn = guestRunning && policy.vpnRequired;
    const businessRadio = guestRunning ? businessRadioDemand[i] * (vpn ? 1 + VPN_TRAFFIC_OVERHEAD : 1) : 0;
    const radioKbps = personalRadio[i] + businessRadio;
    const radioMa = Math.min(1, radioKbps / MODEL_CONNECTION_KBPS[model]) * MODEL_RADIO_MA[model];
    const screen = (personalScreen[i] === 1 && foreground === Persona.PERSONAL) || (businessScreen[i] === 1 && foreground === Persona.BUSINESS);
    const guestAwakeMa = guestResident && guestState[i] !== GuestState.SUSPENDED ? GUEST_RUNNING_MA : 0;
    const vpnMa = vpn ? VPN_KEEPALIVE_MA : 0;
    const milliamps =
      STANDBY_MA +
      guestAwakeMa +
      (CPU_MA_PER_GHZ * (personalCpuGranted + businessCpuGranted + (businessCpuGranted > 0 ? overhead : 0))) / 1000 +
      (screen ? SCREEN_MA : lockTail * SCREEN_MA) +
      radioMa +
      vpnMa;
    const drain = Math.round((milliamps * tickSeconds * 1000) / 3600);
    // What the guest caused of it (model/persona-cost.ts); the host caused the rest.
    const businessMa =
      guestAwakeMa +
      (CPU_MA_PER_GHZ * (businessCpuGranted > 0 ? businessCpuGranted + overhead : 0)) / 1000 +
      // The screen of a business session, and its lit tail until the work side locks.
      (screen ? (foreground === Persona.BUSINESS ? SCREEN_MA : 0) : lockTail * SCREEN_MA) +
      (businessRadio > 0 ? (radioMa * businessRadio) / radioKbps : 0) +
      vpnMa;
    const businessMicro = businessDrain(drain, businessMa, tickSeconds);
    const personalKb = kilobytes(personalRadio[i], tickSeconds);
    const businessKb = kilobytes(businessRadio, tickSeconds);
    personalMicroAh[i] += drain - businessMicro;
    businessMicroAh[i] += businessMicro;
    tickPersonalMicroAh += drain - businessMicro;
    tickBusinessMicroAh += businessMicro;
    tickPersonalKilobytes += personalKb;
    tickBusinessKilobytes += businessKb;
    let level = batteryMicroAh[i] - drain + (charging[i] !== 0 ? chargeMicroAh(permille, tickSeconds) : 0);
    level = level < 0 ? 0 : level > capacity ? capacity : level;
    batteryMicroAh[i] = level;
    permille = Math.floor((level * 1000) / capacity);
    if (permille < BATTERY_LOW_PERMILLE && batteryLow[i] === 0) {
      batteryLow[i] = 1;
      events.emit(EventKind.BATTERY_LOW, id, 0, permille, 0);
    } else if (permille >= BATTERY_LOW_PERMILLE && batteryLow[i] === 1) {
      batteryLow[i] = 0;
    }
    if (level === 0) {
      powered[i] = 0;
      offCause[i] = OffCause.BATTERY_EMPTY;
      emptyCount[i]++;
      events.emit(EventKind.BATTERY_EMPTY, id, 0, 0, 0);
      powerLossResetsGuest(state, i, tick, events);
      writeOff(state, i, 0, personalGrant, businessGrant);
      continue;
    }

    personalCpuGrant[i] = personalCpuGranted;
    personalMemoryGrant[i] = personalMemoryGranted;
    businessCpuGrant[i] = businessCpuGranted;
    businessMemoryGrant[i] = businessMemoryGranted;
    writeShared(state, i, permille, personalGrant, businessGrant);
  }
  const tickCost = state.tickCost;
  tickCost[TickCost.PERSONAL_MICRO_AH] = tickPersonalMicroAh;
  tickCost[TickCost.BUSINESS_MICRO_AH] = tickBusinessMicroAh;
  tickCost[TickCost.PERSONAL_KILOBYTES] = tickPersonalKilobytes;
  tickCost[TickCost.BUSINESS_KILOBYTES] = tickBusinessKilobytes;
  personalGrant.tick = tick;
  businessGrant.tick = tick;
}

function mediate(
  kind: number,
  mediating: boolean,
  policy: EffectivePolicy,
  id: number,
  from: number,
  personalGrant: GrantBatch,
  businessGrant: GrantBatch,
  i: number,
  events: EventBuffer,
): number {
  if (kind === 0) return FlowResult.NONE;
  // With the guest not running (or not yet under a policy) there is no business world to exchange with.
  const allowed = mediating && isFlowAllowed(policy, kind);
  events.emit(EventKind.CROSS_PERSONA_FLOW, id, from, kind, allowed ? 1 : 0);
  if (!allowed) return FlowResult.BLOCKED;
  if (flowLeavesBusiness(kind)) personalGrant.incomingItems[i]++;
  else businessGrant.incomingItems[i]++;
  return FlowResult.ALLOWED;
}

function chargeMicroAh(permille: number, tickSeconds: number): number {
  // Constant current, then a linear taper to a tenth of it at full charge (NV, typical Li-ion CC/CV).
  const taper = permille < CHARGE_TAPER_FROM_PERMILLE ? 1 : Math.max(0.1, (1000 - permille) / (1000 - CHARGE_TAPER_FROM_PERMILLE));
  return Math.round((CHARGER_MA * taper * tickSeconds * 1000) / 3600);
}

function initialGuestMemory(model: number, policyMb: number): number {
  return Math.max(GUEST_BASE_MEMORY_MB + BALLOON_FLOOR_MB, Math.min(policyMb, guestMemoryCeilingMb(model)));
}

function setGuest(state: HypervisorShard, i: number, to: number, tick: number, events: EventBuffer): void {
  const from = state.guestState[i];
  if (from === to) return;
  state.guestState[i] = to;
  state.guestStateSince[i] = tick;
  events.emit(EventKind.GUEST_STATE_CHANGED, state.fleet.ids[i], Persona.BUSINESS, from, to);
}

function powerLossResetsGuest(state: HypervisorShard, i: number, tick: number, events: EventBuffer): void {
  if (state.guestState[i] === GuestState.DOWNLOADING_IMAGE)
    state.guestStateSince[i] = tick; // the download starts over
  else stopGuest(state, i, tick, events);
}

/** A guest VM that was up (booting, running, suspended or locked) stops: installed, to boot again. */
function stopGuest(state: HypervisorShard, i: number, tick: number, events: EventBuffer): void {
  const guest = state.guestState[i];
  if (guest === GuestState.BOOTING || guest === GuestState.RUNNING || guest === GuestState.SUSPENDED || guest === GuestState.LOCKED) {
    state.suspendReason[i] = SuspendReason.NONE;
    state.guestMemoryMb[i] = 0;
    setGuest(state, i, GuestState.INSTALLED, tick, events);
  }
}

function applyWorldRequest(state: HypervisorShard, i: number, request: number, tick: number, events: EventBuffer): void {
  const guest = state.guestState[i];
  if (request === WorldRequest.SUSPEND || request === WorldRequest.SUSPEND_DEVICE) {
    state.enforcementBlocked[i] = request === WorldRequest.SUSPEND_DEVICE ? BLOCKED_DEVICE : BLOCKED_WORK;
    if (guest === GuestState.RUNNING) {
      state.suspendReason[i] = SuspendReason.ENFORCEMENT;
      setGuest(state, i, GuestState.SUSPENDED, tick, events);
    }
  } else if (request === WorldRequest.RESUME) {
    state.enforcementBlocked[i] = 0;
    if (guest === GuestState.SUSPENDED && state.suspendReason[i] === SuspendReason.ENFORCEMENT) resumeGuest(state, i, tick, events);
  } else if (request === WorldRequest.WIPE) {
    wipe(state, i, tick, events);
  }
}

/** Brings the guest to RUNNING, unless enforcement blocks it: then it stays suspended. */
function resumeGuest(state: HypervisorShard, i: number, tick: number, events: EventBuffer): void {
  if (state.enforcementBlocked[i] !== 0) {
    state.suspendReason[i] = SuspendReason.ENFORCEMENT;
    setGuest(state, i, GuestState.SUSPENDED, tick, events);
  } else {
    state.suspendReason[i] = SuspendReason.NONE;
    setGuest(state, i, GuestState.RUNNING, tick, events);
  }
}

function wipe(state: HypervisorShard, i: number, tick: number, events: EventBuffer): boolean {
  const guest = state.guestState[i];
  if (guest === GuestState.NOT_PROVISIONED || guest === GuestState.WIPED) return false;
  state.enforcementBlocked[i] = 0;
  state.suspendReason[i] = SuspendReason.NONE;
  state.guestMemoryMb[i] = 0;
  setGuest(state, i, GuestState.WIPED, tick, events);
  return true;
}

/** Executes one remote command; returns whether the guest's state allowed it. */
function executeCommand(state: HypervisorShard, i: number, type: number, tick: number, events: EventBuffer): void {
  const guest = state.guestState[i];
  let applied = false;
  if (state.powered[i] === 1) {
    switch (type) {
      case CommandType.LOCK:
      case CommandType.RESET_PASSWORD: // with LOCK_NOW [A1]: the work side locks until the new passcode is entered
        if (guest === GuestState.RUNNING || guest === GuestState.SUSPENDED) {
          state.suspendReason[i] = SuspendReason.NONE;
          setGuest(state, i, GuestState.LOCKED, tick, events);
          applied = true;
        }
        break;
      case CommandType.UNLOCK:
        if (guest === GuestState.LOCKED || (guest === GuestState.SUSPENDED && state.suspendReason[i] === SuspendReason.COMMAND)) {
          resumeGuest(state, i, tick, events);
          applied = true;
        }
        break;
      case CommandType.SUSPEND_BUSINESS_WORLD:
        if (guest === GuestState.RUNNING) {
          state.suspendReason[i] = SuspendReason.COMMAND;
          setGuest(state, i, GuestState.SUSPENDED, tick, events);
          applied = true;
        }
        break;
      case CommandType.WIPE_BUSINESS_WORLD:
        applied = wipe(state, i, tick, events);
        break;
      case CommandType.REPROVISION:
        if (guest === GuestState.WIPED || guest === GuestState.NOT_PROVISIONED) {
          setGuest(state, i, GuestState.DOWNLOADING_IMAGE, tick, events);
          applied = true;
        }
        break;
    }
  }
  events.emit(EventKind.COMMAND_EXECUTED, state.fleet.ids[i], Persona.BUSINESS, type, applied ? 1 : 0);
}

function writeOff(state: HypervisorShard, i: number, permille: number, personalGrant: GrantBatch, businessGrant: GrantBatch): void {
  state.foreground[i] = 0;
  personalGrant.cpuMhz[i] = 0;
  personalGrant.memoryMb[i] = 0;
  businessGrant.cpuMhz[i] = 0;
  businessGrant.memoryMb[i] = 0;
  personalGrant.flowResult[i] = FlowResult.NONE;
  businessGrant.flowResult[i] = FlowResult.NONE;
  personalGrant.incomingItems[i] = 0;
  businessGrant.incomingItems[i] = 0;
  writeShared(state, i, permille, personalGrant, businessGrant);
}

function writeShared(state: HypervisorShard, i: number, permille: number, personalGrant: GrantBatch, businessGrant: GrantBatch): void {
  personalGrant.guestState[i] = businessGrant.guestState[i] = state.guestState[i];
  personalGrant.batteryPermille[i] = businessGrant.batteryPermille[i] = permille;
  personalGrant.powered[i] = businessGrant.powered[i] = state.powered[i];
  personalGrant.foreground[i] = businessGrant.foreground[i] = state.foreground[i];
}
