import { describe, expect, it } from 'vitest';
import { DemandBatch, FlowResult, GrantBatch, WorldRequest } from './batches';
import {
  BALLOON_FLOOR_MB,
  BALLOON_STEP_MB,
  BOOT_ABOVE_PERMILLE,
  CONNECTION_KBPS_3G,
  CPU_MA_PER_GHZ,
  GUEST_BASE_MEMORY_MB,
  GUEST_BOOT_SECONDS,
  GUEST_IMAGE_MB,
  HOST_BASE_MEMORY_MB,
  HYPERVISOR_MEMORY_MB,
  PAGE_KB,
  SCREEN_MA,
  VPN_TRAFFIC_OVERHEAD,
  WORLD_SWITCH_OVERHEAD,
} from './calibration';
import { modelByName } from './catalogue';
import { CommandBatch } from './commands';
import { App, CommandType, EventKind, FlowKind, GuestState, Persona } from './enums';
import { HypervisorShard, SuspendReason, stepHypervisor } from './hypervisor';
import { ledgerEntries } from './leak-ledger';
import { TickCost } from './persona-cost';
import { parsePolicy } from './policy';
import { ShardFixture, TICK_SECONDS, type RecordedEvent } from './shard.fixture';

const MODEL = modelByName('optimus-one'); // 1 × 600 MHz, 512 MB, 1500 mAh, 3G
const CAPACITY_MICRO_AH = MODEL.batteryMah * 1000;
const CPU_CAPACITY_MHZ = MODEL.cores * MODEL.clockMhz;
const GUEST_MEMORY_MB = 128; // duet.guestMemoryMb default, what a booting guest gets on this model
const TOP_UP = 2; // hypervisor.ts ChargeKind.TOP_UP (not exported): plugged in by an anxious owner
const NEVER = 1_000_000; // a tick no test reaches

/**
 * The hypervisor of one shard of optimus-one handsets, with the batches the persona runtimes would
 * fill. Owners never plug in on their own and no guest provisions unless a test says so, so every
 * battery and lifecycle change comes from what the test sets.
 */
class HypervisorFixture extends ShardFixture {
  readonly state: HypervisorShard;
  readonly personalDemand: DemandBatch;
  readonly businessDemand: DemandBatch;
  readonly personalGrant: GrantBatch;
  readonly businessGrant: GrantBatch;
  tick = 0;

  constructor(handsets = 4) {
    super(20110101, handsets);
    this.fleet.anxietyPermille.fill(0);
    this.fleet.overnightCharger.fill(0);
    this.fleet.enrollmentTick.fill(NEVER);
    this.state = new HypervisorShard(this.fleet);
    const n = this.fleet.size;
    this.personalDemand = new DemandBatch(n);
    this.businessDemand = new DemandBatch(n);
    this.personalGrant = new GrantBatch(n);
    this.businessGrant = new GrantBatch(n);
    this.state.writeInitialGrants(this.personalGrant, this.businessGrant);
    for (let i = 0; i < n; i++) this.setBattery(i, 800);
  }

  id(i: number): number {
    return this.fleet.ids[i];
  }

  setBattery(i: number, permille: number): void {
    this.state.batteryMicroAh[i] = Math.ceil((CAPACITY_MICRO_AH * permille) / 1000);
  }

  plugIn(i: number): void {
    this.state.charging[i] = TOP_UP;
    this.state.pluggedAtTick[i] = this.tick;
  }

  /** A guest that booted earlier, runs with the default memory allotment, and whose agent has enrolled. */
  runGuest(i: number): void {
    this.state.guestState[i] = GuestState.RUNNING;
    this.state.guestStateSince[i] = this.tick;
    this.state.guestMemoryMb[i] = GUEST_MEMORY_MB;
    this.businessDemand.policyApplied[i] = 1;
  }

  /** Sets one persona's demand for handset i (kept until changed). */
  demand(
    persona: Persona,
    i: number,
    demand: { cpuMhz?: number; memoryMb?: number; radioKbps?: number; app?: number; screenOn?: boolean; flowKind?: number },
  ): void {
    const batch = persona === Persona.PERSONAL ? this.personalDemand : this.businessDemand;
    batch.cpuMhz[i] = demand.cpuMhz ?? 0;
    batch.memoryMb[i] = demand.memoryMb ?? 0;
    batch.radioKbps[i] = demand.radioKbps ?? 0;
    batch.app[i] = demand.app ?? 0;
    batch.screenOn[i] = demand.screenOn ? 1 : 0;
    batch.flowKind[i] = demand.flowKind ?? 0;
  }

  step(commands = new CommandBatch()): RecordedEvent[] {
    const tick = this.tick++;
    const context = { random: this.random, clock: this.clock, policies: this.registry.effective };
    return this.record(tick, () =>
      stepHypervisor(context, this.state, this.personalDemand, this.businessDemand, commands, tick, this.personalGrant, this.businessGrant, this.events),
    );
  }

  /** Runs ticks until `done` holds (at most `limit`), returning the ticks it took. */
  stepUntil(done: () => boolean, limit = 500): number {
    for (let k = 1; k <= limit; k++) {
      this.step();
      if (done()) return k;
    }
    throw new Error(`condition not reached within ${limit} ticks`);
  }

  eventsOf(kind: number, i: number): RecordedEvent[] {
    return this.log.filter((event) => event.kind === kind && event.handset === this.id(i));
  }
}

function command(i: number, type: number): CommandBatch {
  const batch = new CommandBatch();
  batch.add(i, type);
  return batch;
}

describe('stepHypervisor: guest lifecycle', () => {
  it('provisions the guest from the enrollment tick through download, install and boot to RUNNING', () => {
    const sut = new HypervisorFixture();
    sut.fleet.enrollmentTick[0] = 3;
    const downloadTicks = Math.ceil((GUEST_IMAGE_MB * 8 * 1024) / CONNECTION_KBPS_3G / TICK_SECONDS);
    const bootTicks = Math.ceil(GUEST_BOOT_SECONDS / TICK_SECONDS);
    const stateAt: number[] = [];
    for (let tick = 0; tick < 20; tick++) {
      sut.step();
      stateAt.push(sut.state.guestState[0]);
    }
    const downloading = 3;
    const installed = downloading + downloadTicks;
    const booting = installed + 1;
    const running = booting + bootTicks;
    expect(stateAt[downloading - 1]).toBe(GuestState.NOT_PROVISIONED);
    expect(stateAt[downloading]).toBe(GuestState.DOWNLOADING_IMAGE);
    expect(stateAt[installed - 1]).toBe(GuestState.DOWNLOADING_IMAGE);
    expect(stateAt[installed]).toBe(GuestState.INSTALLED);
    expect(stateAt[booting]).toBe(GuestState.BOOTING);
    expect(stateAt[running - 1]).toBe(GuestState.BOOTING);
    expect(stateAt[running]).toBe(GuestState.RUNNING);
    expect(stateAt[19]).toBe(GuestState.RUNNING);
    const changes = sut.eventsOf(EventKind.GUEST_STATE_CHANGED, 0).map(({ tick, persona, a, b }) => ({ tick, persona, from: a, to: b }));
    expect(changes).toEqual([
      { tick: downloading, persona: Persona.BUSINESS, from: GuestState.NOT_PROVISIONED, to: GuestState.DOWNLOADING_IMAGE },
      { tick: installed, persona: Persona.BUSINESS, from: GuestState.DOWNLOADING_IMAGE, to: GuestState.INSTALLED },
      { tick: booting, persona: Persona.BUSINESS, from: GuestState.INSTALLED, to: GuestState.BOOTING },
      { tick: running, persona: Persona.BUSINESS, from: GuestState.BOOTING, to: GuestState.RUNNING },
    ]);
  });

  it('gives a booting guest the policy’s memory allotment', () => {
    const sut = new HypervisorFixture();
    sut.fleet.enrollmentTick[0] = 0;
    sut.stepUntil(() => sut.state.guestState[0] === GuestState.BOOTING);
    expect(sut.state.guestMemoryMb[0]).toBe(GUEST_MEMORY_MB);
  });

  it('reports the guest state to both personas in the grants', () => {
    const sut = new HypervisorFixture();
    sut.runGuest(1);
    sut.step();
    expect(sut.personalGrant.guestState[1]).toBe(GuestState.RUNNING);
    expect(sut.businessGrant.guestState[1]).toBe(GuestState.RUNNING);
    expect(sut.businessGrant.guestState[0]).toBe(GuestState.NOT_PROVISIONED);
  });
});

describe('stepHypervisor: empty battery', () => {
  it('powers off a handset whose battery runs empty while not charging, with BATTERY_EMPTY', () => {
    const sut = new HypervisorFixture();
    sut.runGuest(0);
    sut.state.batteryMicroAh[0] = 1;
    sut.step();
    expect(sut.state.powered[0]).toBe(0);
    expect(sut.state.batteryMicroAh[0]).toBe(0);
    expect(sut.state.emptyCount[0]).toBe(1);
    expect(sut.eventsOf(EventKind.BATTERY_EMPTY, 0)).toHaveLength(1);
    expect(sut.personalGrant.powered[0]).toBe(0);
    expect(sut.businessGrant.powered[0]).toBe(0);
    expect(sut.businessGrant.batteryPermille[0]).toBe(0);
    expect(sut.state.powered[1]).toBe(1);
  });

  it('sends a running guest back to INSTALLED and frees its memory when the handset dies', () => {
    const sut = new HypervisorFixture();
    sut.runGuest(0);
    sut.state.batteryMicroAh[0] = 0;
    sut.step();
    expect(sut.state.guestState[0]).toBe(GuestState.INSTALLED);
    expect(sut.state.guestMemoryMb[0]).toBe(0);
    expect(sut.businessGrant.guestState[0]).toBe(GuestState.INSTALLED);
    expect(sut.eventsOf(EventKind.GUEST_STATE_CHANGED, 0).at(-1)).toMatchObject({ persona: Persona.BUSINESS, b: GuestState.INSTALLED });
  });

  it('grants nothing to either persona of a dead handset, whatever they demand', () => {
    const sut = new HypervisorFixture();
    sut.runGuest(0);
    sut.state.batteryMicroAh[0] = 0;
    sut.demand(Persona.PERSONAL, 0, { cpuMhz: 300, memoryMb: 50, app: App.BROWSER, screenOn: true, flowKind: FlowKind.COPY_PERSONAL_TO_WORK });
    sut.demand(Persona.BUSINESS, 0, { cpuMhz: 200, memoryMb: 30, app: App.EMAIL, screenOn: true });
    for (let tick = 0; tick < 3; tick++) {
      sut.step();
      for (const grant of [sut.personalGrant, sut.businessGrant]) {
        expect(grant.cpuMhz[0]).toBe(0);
        expect(grant.memoryMb[0]).toBe(0);
        expect(grant.foreground[0]).toBe(0);
        expect(grant.flowResult[0]).toBe(FlowResult.NONE);
        expect(grant.incomingItems[0]).toBe(0);
      }
    }
  });

  it('stays off without a charger, emitting BATTERY_EMPTY only once', () => {
    const sut = new HypervisorFixture();
    sut.state.batteryMicroAh[0] = 0;
    for (let tick = 0; tick < 30; tick++) sut.step();
    expect(sut.state.powered[0]).toBe(0);
    expect(sut.eventsOf(EventKind.BATTERY_EMPTY, 0)).toHaveLength(1);
    expect(sut.eventsOf(EventKind.HANDSET_BOOTED, 0)).toHaveLength(0);
  });

  it('boots again with HANDSET_BOOTED once charging brings it to 3 %', () => {
    const sut = new HypervisorFixture();
    sut.state.batteryMicroAh[0] = 0;
    sut.step();
    sut.plugIn(0);
    const ticks = sut.stepUntil(() => sut.state.powered[0] === 1);
    expect(ticks).toBeGreaterThan(1); // not at once: it charges while off first
    const booted = sut.eventsOf(EventKind.HANDSET_BOOTED, 0);
    expect(booted).toHaveLength(1);
    expect(booted[0].a).toBeGreaterThanOrEqual(BOOT_ABOVE_PERMILLE);
    expect(sut.state.batteryPermille(0)).toBeGreaterThanOrEqual(BOOT_ABOVE_PERMILLE);
    // The tick before, it was still off and below the boot level.
    expect(booted[0].a - Math.round((1000 * 1000 * TICK_SECONDS) / 3600 / MODEL.batteryMah)).toBeLessThan(BOOT_ABOVE_PERMILLE);
    expect(sut.personalGrant.powered[0]).toBe(1);
  });

  it('boots the guest again after the handset is back and above 10 %', () => {
    const sut = new HypervisorFixture();
    sut.runGuest(0);
    sut.state.batteryMicroAh[0] = 0;
    sut.step();
    sut.plugIn(0);
    sut.stepUntil(() => sut.state.guestState[0] === GuestState.RUNNING, 60);
    expect(sut.state.batteryPermille(0)).toBeGreaterThan(100);
  });
});

describe('stepHypervisor: low battery', () => {
  it('suspends a running guest when the battery falls below 5 %', () => {
    const sut = new HypervisorFixture();
    sut.runGuest(0);
    sut.runGuest(1);
    sut.setBattery(0, 49);
    sut.setBattery(1, 50);
    sut.step();
    expect(sut.state.guestState[0]).toBe(GuestState.SUSPENDED);
    expect(sut.state.suspendReason[0]).toBe(SuspendReason.LOW_BATTERY);
    expect(sut.eventsOf(EventKind.GUEST_STATE_CHANGED, 0)).toMatchObject([{ a: GuestState.RUNNING, b: GuestState.SUSPENDED }]);
    expect(sut.state.guestState[1]).toBe(GuestState.RUNNING);
  });

  it('resumes a guest suspended for low battery only once the battery is above 10 %', () => {
    const sut = new HypervisorFixture();
    sut.runGuest(0);
    sut.setBattery(0, 40);
    sut.step();
    sut.setBattery(0, 100);
    sut.step();
    expect(sut.state.guestState[0]).toBe(GuestState.SUSPENDED);
    sut.setBattery(0, 102);
    sut.step();
    expect(sut.state.guestState[0]).toBe(GuestState.RUNNING);
    expect(sut.state.suspendReason[0]).toBe(SuspendReason.NONE);
  });

  it('resumes a guest suspended for low battery as the charger fills the battery', () => {
    const sut = new HypervisorFixture();
    sut.runGuest(0);
    sut.setBattery(0, 45);
    sut.step();
    sut.plugIn(0);
    sut.stepUntil(() => sut.state.guestState[0] === GuestState.RUNNING, 30);
    expect(sut.state.batteryPermille(0)).toBeGreaterThan(100);
  });

  it('warns once with BATTERY_LOW when the level crosses 15 %', () => {
    const sut = new HypervisorFixture();
    sut.setBattery(0, 151);
    sut.demand(Persona.PERSONAL, 0, { cpuMhz: 600, app: App.GAMES, screenOn: true });
    sut.stepUntil(() => sut.state.batteryPermille(0) < 140);
    const warnings = sut.eventsOf(EventKind.BATTERY_LOW, 0);
    expect(warnings).toHaveLength(1);
    expect(warnings[0].a).toBeLessThan(150);
    expect(warnings[0].a).toBeGreaterThan(140);
  });

  it('does not resume a guest suspended by enforcement when the battery is charged', () => {
    const sut = new HypervisorFixture();
    sut.runGuest(0);
    sut.businessDemand.worldRequest[0] = WorldRequest.SUSPEND;
    sut.step();
    sut.businessDemand.worldRequest[0] = WorldRequest.NONE;
    expect(sut.state.guestState[0]).toBe(GuestState.SUSPENDED);
    expect(sut.state.suspendReason[0]).toBe(SuspendReason.ENFORCEMENT);
    sut.plugIn(0);
    for (let tick = 0; tick < 30; tick++) sut.step();
    expect(sut.state.guestState[0]).toBe(GuestState.SUSPENDED);
  });

  it('resumes a guest suspended by enforcement on the agent’s RESUME request', () => {
    const sut = new HypervisorFixture();
    sut.runGuest(0);
    sut.businessDemand.worldRequest[0] = WorldRequest.SUSPEND;
    sut.step();
    sut.businessDemand.worldRequest[0] = WorldRequest.RESUME;
    sut.step();
    expect(sut.state.guestState[0]).toBe(GuestState.RUNNING);
  });

  it('ignores a RESUME request for a guest suspended for low battery', () => {
    const sut = new HypervisorFixture();
    sut.runGuest(0);
    sut.setBattery(0, 30);
    sut.step();
    sut.businessDemand.worldRequest[0] = WorldRequest.RESUME;
    sut.step();
    expect(sut.state.guestState[0]).toBe(GuestState.SUSPENDED);
  });

  it('keeps an enforcement suspension that arrived during a low-battery suspension after charging', () => {
    const sut = new HypervisorFixture();
    sut.runGuest(0);
    sut.setBattery(0, 40);
    sut.step();
    sut.businessDemand.worldRequest[0] = WorldRequest.SUSPEND;
    sut.step();
    sut.businessDemand.worldRequest[0] = WorldRequest.NONE;
    sut.plugIn(0);
    for (let tick = 0; tick < 30; tick++) sut.step();
    expect(sut.state.batteryPermille(0)).toBeGreaterThan(100);
    expect(sut.state.guestState[0]).toBe(GuestState.SUSPENDED);
  });

  it('keeps an enforcement suspension across the handset running flat and booting again', () => {
    const sut = new HypervisorFixture();
    sut.runGuest(0);
    sut.businessDemand.worldRequest[0] = WorldRequest.SUSPEND;
    sut.step();
    sut.businessDemand.worldRequest[0] = WorldRequest.NONE;
    sut.state.batteryMicroAh[0] = 0;
    sut.step();
    sut.plugIn(0);
    for (let tick = 0; tick < 30; tick++) sut.step();
    expect(sut.state.powered[0]).toBe(1);
    expect(sut.state.guestState[0]).not.toBe(GuestState.RUNNING);
  });
});

describe('stepHypervisor: CPU', () => {
  it('grants every demand in full when the CPU has room', () => {
    const sut = new HypervisorFixture();
    sut.runGuest(0);
    sut.demand(Persona.PERSONAL, 0, { cpuMhz: 300, app: App.BROWSER });
    sut.demand(Persona.BUSINESS, 0, { cpuMhz: 100 });
    sut.step();
    expect(sut.personalGrant.cpuMhz[0]).toBe(300);
    expect(sut.businessGrant.cpuMhz[0]).toBe(100);
  });

  it('serves the personal foreground first and charges the world-switch overhead to the guest’s share', () => {
    const sut = new HypervisorFixture();
    sut.runGuest(0);
    sut.demand(Persona.PERSONAL, 0, { cpuMhz: 500, app: App.GAMES });
    sut.demand(Persona.BUSINESS, 0, { cpuMhz: 300 });
    sut.step();
    const overhead = Math.ceil(300 * WORLD_SWITCH_OVERHEAD);
    expect(sut.personalGrant.cpuMhz[0]).toBe(500);
    expect(sut.businessGrant.cpuMhz[0]).toBe(CPU_CAPACITY_MHZ - overhead - 500);
  });

  it('serves the business foreground first when the business persona holds the screen', () => {
    const sut = new HypervisorFixture();
    sut.runGuest(0);
    sut.demand(Persona.PERSONAL, 0, { cpuMhz: 500 });
    sut.demand(Persona.BUSINESS, 0, { cpuMhz: 300, app: App.EMAIL });
    sut.step();
    const overhead = Math.ceil(300 * WORLD_SWITCH_OVERHEAD);
    expect(sut.businessGrant.cpuMhz[0]).toBe(300);
    expect(sut.personalGrant.cpuMhz[0]).toBe(CPU_CAPACITY_MHZ - overhead - 300);
    expect(sut.personalGrant.foreground[0]).toBe(Persona.BUSINESS);
  });

  it('charges no world-switch overhead when only one world uses the CPU', () => {
    const sut = new HypervisorFixture();
    sut.runGuest(0);
    sut.runGuest(1);
    sut.demand(Persona.BUSINESS, 0, { cpuMhz: CPU_CAPACITY_MHZ, app: App.BROWSER });
    sut.demand(Persona.PERSONAL, 1, { cpuMhz: CPU_CAPACITY_MHZ, app: App.GAMES });
    sut.step();
    expect(sut.businessGrant.cpuMhz[0]).toBe(CPU_CAPACITY_MHZ);
    expect(sut.personalGrant.cpuMhz[1]).toBe(CPU_CAPACITY_MHZ);
  });

  it('charges the overhead as soon as both worlds use the CPU, even at exactly full capacity', () => {
    const sut = new HypervisorFixture();
    sut.runGuest(0);
    sut.demand(Persona.PERSONAL, 0, { cpuMhz: 300, app: App.GAMES });
    sut.demand(Persona.BUSINESS, 0, { cpuMhz: 300 });
    sut.step();
    expect(sut.personalGrant.cpuMhz[0] + sut.businessGrant.cpuMhz[0]).toBe(CPU_CAPACITY_MHZ - Math.ceil(300 * WORLD_SWITCH_OVERHEAD));
  });

  it('grants no CPU to the business persona while the guest is not running', () => {
    const sut = new HypervisorFixture();
    sut.runGuest(0);
    sut.state.guestState[0] = GuestState.LOCKED;
    sut.demand(Persona.PERSONAL, 0, { cpuMhz: CPU_CAPACITY_MHZ, app: App.GAMES });
    sut.demand(Persona.BUSINESS, 0, { cpuMhz: 300, app: App.EMAIL });
    sut.step();
    expect(sut.businessGrant.cpuMhz[0]).toBe(0);
    expect(sut.personalGrant.cpuMhz[0]).toBe(CPU_CAPACITY_MHZ);
    expect(sut.personalGrant.foreground[0]).toBe(Persona.PERSONAL);
  });
});

describe('stepHypervisor: memory', () => {
  const hostAvailableMb = (guestMb: number) => MODEL.ramMb - HOST_BASE_MEMORY_MB - HYPERVISOR_MEMORY_MB - guestMb;

  it('balloons memory from the guest to the host when the personal persona is short', () => {
    const sut = new HypervisorFixture();
    sut.runGuest(0);
    sut.demand(Persona.PERSONAL, 0, { memoryMb: hostAvailableMb(GUEST_MEMORY_MB) + 40 });
    sut.demand(Persona.BUSINESS, 0, { memoryMb: 10 });
    sut.step();
    expect(sut.state.guestMemoryMb[0]).toBe(GUEST_MEMORY_MB - BALLOON_STEP_MB);
    const adjusted = sut.eventsOf(EventKind.BALLOON_ADJUSTED, 0);
    expect(adjusted).toMatchObject([{ a: (-BALLOON_STEP_MB * 1024) / PAGE_KB, b: GUEST_MEMORY_MB - BALLOON_STEP_MB }]);
    expect(sut.personalGrant.memoryMb[0]).toBe(hostAvailableMb(GUEST_MEMORY_MB - BALLOON_STEP_MB));
  });

  it('balloons memory from the host to the guest when the business persona is short', () => {
    const sut = new HypervisorFixture();
    sut.runGuest(0);
    sut.demand(Persona.PERSONAL, 0, { memoryMb: 20 });
    sut.demand(Persona.BUSINESS, 0, { memoryMb: GUEST_MEMORY_MB - GUEST_BASE_MEMORY_MB + 10 });
    sut.step();
    expect(sut.state.guestMemoryMb[0]).toBe(GUEST_MEMORY_MB + 10);
    expect(sut.eventsOf(EventKind.BALLOON_ADJUSTED, 0)).toMatchObject([{ a: (10 * 1024) / PAGE_KB, b: GUEST_MEMORY_MB + 10 }]);
    expect(sut.businessGrant.memoryMb[0]).toBe(GUEST_MEMORY_MB + 10 - GUEST_BASE_MEMORY_MB);
  });

  it('never shrinks the guest below its base plus the balloon floor', () => {
    const sut = new HypervisorFixture();
    sut.runGuest(0);
    sut.demand(Persona.PERSONAL, 0, { memoryMb: 1000 });
    for (let tick = 0; tick < 40; tick++) {
      sut.step();
      expect(sut.state.guestMemoryMb[0]).toBeGreaterThanOrEqual(GUEST_BASE_MEMORY_MB + BALLOON_FLOOR_MB);
    }
    expect(sut.state.guestMemoryMb[0]).toBe(GUEST_BASE_MEMORY_MB + BALLOON_FLOOR_MB);
  });

  it('never leaves the host less than the balloon floor', () => {
    const sut = new HypervisorFixture();
    sut.runGuest(0);
    sut.demand(Persona.BUSINESS, 0, { memoryMb: 1000 });
    for (let tick = 0; tick < 40; tick++) {
      sut.step();
      expect(hostAvailableMb(sut.state.guestMemoryMb[0])).toBeGreaterThanOrEqual(BALLOON_FLOOR_MB);
    }
    expect(hostAvailableMb(sut.state.guestMemoryMb[0])).toBe(BALLOON_FLOOR_MB);
  });

  it('leaves the balloon alone when both worlds have what they need', () => {
    const sut = new HypervisorFixture();
    sut.runGuest(0);
    sut.demand(Persona.PERSONAL, 0, { memoryMb: 100 });
    sut.demand(Persona.BUSINESS, 0, { memoryMb: 50 });
    for (let tick = 0; tick < 5; tick++) sut.step();
    expect(sut.state.guestMemoryMb[0]).toBe(GUEST_MEMORY_MB);
    expect(sut.eventsOf(EventKind.BALLOON_ADJUSTED, 0)).toEqual([]);
  });
});

describe('stepHypervisor: commands', () => {
  it.each([
    ['LOCK', CommandType.LOCK, GuestState.RUNNING, GuestState.LOCKED],
    ['UNLOCK', CommandType.UNLOCK, GuestState.LOCKED, GuestState.RUNNING],
    ['SUSPEND_BUSINESS_WORLD', CommandType.SUSPEND_BUSINESS_WORLD, GuestState.RUNNING, GuestState.SUSPENDED],
    ['WIPE_BUSINESS_WORLD', CommandType.WIPE_BUSINESS_WORLD, GuestState.RUNNING, GuestState.WIPED],
    ['REPROVISION', CommandType.REPROVISION, GuestState.WIPED, GuestState.DOWNLOADING_IMAGE],
  ])('executes %s, changing the guest state and emitting COMMAND_EXECUTED with b=1', (_name, type, from, to) => {
    const sut = new HypervisorFixture();
    sut.runGuest(0);
    sut.state.guestState[0] = from;
    const events = sut.step(command(0, type));
    expect(sut.state.guestState[0]).toBe(to);
    expect(events.filter((event) => event.kind === EventKind.COMMAND_EXECUTED)).toEqual([
      { tick: 0, kind: EventKind.COMMAND_EXECUTED, handset: sut.id(0), persona: Persona.BUSINESS, a: type, b: 1 },
    ]);
    expect(sut.eventsOf(EventKind.GUEST_STATE_CHANGED, 0)).toMatchObject([{ a: from, b: to }]);
  });

  it('frees the guest’s memory when it is wiped', () => {
    const sut = new HypervisorFixture();
    sut.runGuest(0);
    sut.step(command(0, CommandType.WIPE_BUSINESS_WORLD));
    expect(sut.state.guestMemoryMb[0]).toBe(0);
    expect(sut.businessGrant.guestState[0]).toBe(GuestState.WIPED);
  });

  it('rejects a LOCK on a guest that is not provisioned with b=0 and changes nothing', () => {
    const sut = new HypervisorFixture();
    const events = sut.step(command(0, CommandType.LOCK));
    expect(sut.state.guestState[0]).toBe(GuestState.NOT_PROVISIONED);
    expect(events.filter((event) => event.kind === EventKind.COMMAND_EXECUTED)).toMatchObject([{ handset: sut.id(0), a: CommandType.LOCK, b: 0 }]);
    expect(sut.eventsOf(EventKind.GUEST_STATE_CHANGED, 0)).toEqual([]);
  });

  it('rejects every command on a handset that is powered off', () => {
    const sut = new HypervisorFixture();
    sut.runGuest(0);
    sut.state.batteryMicroAh[0] = 0;
    sut.step();
    const events = sut.step(command(0, CommandType.WIPE_BUSINESS_WORLD));
    expect(events.filter((event) => event.kind === EventKind.COMMAND_EXECUTED)).toMatchObject([{ a: CommandType.WIPE_BUSINESS_WORLD, b: 0 }]);
    expect(sut.state.guestState[0]).toBe(GuestState.INSTALLED);
  });

  it('unlocks a guest suspended by command but not one suspended for low battery', () => {
    const sut = new HypervisorFixture();
    sut.runGuest(0);
    sut.runGuest(1);
    sut.setBattery(1, 30);
    sut.step(command(0, CommandType.SUSPEND_BUSINESS_WORLD));
    const unlock = new CommandBatch();
    unlock.add(0, CommandType.UNLOCK);
    unlock.add(1, CommandType.UNLOCK);
    const events = sut.step(unlock);
    expect(sut.state.guestState[0]).toBe(GuestState.RUNNING);
    expect(sut.state.guestState[1]).toBe(GuestState.SUSPENDED);
    expect(events.filter((event) => event.kind === EventKind.COMMAND_EXECUTED).map((event) => event.b)).toEqual([1, 0]);
  });
});

describe('stepHypervisor: cross-persona flows', () => {
  function withCopyPastePolicy(sut: HypervisorFixture): number {
    return sut.registry.register(
      parsePolicy({ name: 'policies/open-clipboard', crossProfilePolicies: { crossProfileCopyPaste: 'CROSS_PROFILE_COPY_PASTE_ALLOWED' } }),
    );
  }

  it('blocks copy from work to personal under AMAPI defaults', () => {
    const sut = new HypervisorFixture();
    sut.runGuest(0);
    sut.demand(Persona.BUSINESS, 0, { cpuMhz: 200, app: App.EMAIL, flowKind: FlowKind.COPY_WORK_TO_PERSONAL });
    sut.step();
    expect(sut.businessGrant.flowResult[0]).toBe(FlowResult.BLOCKED);
    expect(sut.personalGrant.incomingItems[0]).toBe(0);
    expect(sut.eventsOf(EventKind.CROSS_PERSONA_FLOW, 0)).toMatchObject([{ persona: Persona.BUSINESS, a: FlowKind.COPY_WORK_TO_PERSONAL, b: 0 }]);
  });

  it('allows copy from work to personal when the policy the business demand carries allows copy-paste', () => {
    const sut = new HypervisorFixture();
    const open = withCopyPastePolicy(sut);
    sut.runGuest(0);
    sut.demand(Persona.BUSINESS, 0, { cpuMhz: 200, app: App.EMAIL, flowKind: FlowKind.COPY_WORK_TO_PERSONAL });
    sut.businessDemand.policyIndex[0] = open;
    sut.step();
    expect(sut.businessGrant.flowResult[0]).toBe(FlowResult.ALLOWED);
    expect(sut.personalGrant.incomingItems[0]).toBe(1);
    expect(sut.businessGrant.incomingItems[0]).toBe(0);
    expect(sut.eventsOf(EventKind.CROSS_PERSONA_FLOW, 0)).toMatchObject([{ persona: Persona.BUSINESS, a: FlowKind.COPY_WORK_TO_PERSONAL, b: 1 }]);
  });

  it('decides by the policy the handset applied, not by policies registered for others', () => {
    const sut = new HypervisorFixture();
    withCopyPastePolicy(sut);
    sut.runGuest(0);
    sut.demand(Persona.BUSINESS, 0, { app: App.EMAIL, flowKind: FlowKind.COPY_WORK_TO_PERSONAL });
    sut.step();
    expect(sut.businessGrant.flowResult[0]).toBe(FlowResult.BLOCKED);
  });

  it('delivers a personal-to-work copy into the business persona', () => {
    const sut = new HypervisorFixture();
    sut.runGuest(0);
    sut.demand(Persona.PERSONAL, 0, { app: App.BROWSER, flowKind: FlowKind.COPY_PERSONAL_TO_WORK });
    sut.step();
    expect(sut.personalGrant.flowResult[0]).toBe(FlowResult.ALLOWED);
    expect(sut.businessGrant.incomingItems[0]).toBe(1);
    expect(sut.eventsOf(EventKind.CROSS_PERSONA_FLOW, 0)).toMatchObject([{ persona: Persona.PERSONAL, a: FlowKind.COPY_PERSONAL_TO_WORK, b: 1 }]);
  });

  it.each([
    ['SUSPENDED', GuestState.SUSPENDED],
    ['LOCKED', GuestState.LOCKED],
    ['INSTALLED', GuestState.INSTALLED],
    ['WIPED', GuestState.WIPED],
  ])('blocks every flow while the guest is %s', (_name, guestState) => {
    const sut = new HypervisorFixture();
    const open = withCopyPastePolicy(sut);
    sut.runGuest(0);
    sut.state.guestState[0] = guestState;
    sut.businessDemand.policyIndex[0] = open;
    sut.demand(Persona.PERSONAL, 0, { app: App.BROWSER, flowKind: FlowKind.COPY_PERSONAL_TO_WORK });
    sut.demand(Persona.BUSINESS, 0, { app: App.EMAIL, flowKind: FlowKind.COPY_WORK_TO_PERSONAL });
    sut.step();
    expect(sut.personalGrant.flowResult[0]).toBe(FlowResult.BLOCKED);
    expect(sut.businessGrant.flowResult[0]).toBe(FlowResult.BLOCKED);
    expect(sut.personalGrant.incomingItems[0] + sut.businessGrant.incomingItems[0]).toBe(0);
    expect(sut.eventsOf(EventKind.CROSS_PERSONA_FLOW, 0).map((event) => event.b)).toEqual([0, 0]);
  });

  it('blocks every flow until the business world’s agent has applied a policy', () => {
    const sut = new HypervisorFixture();
    const open = withCopyPastePolicy(sut);
    sut.runGuest(0);
    sut.businessDemand.policyApplied[0] = 0;
    sut.businessDemand.policyIndex[0] = open;
    sut.demand(Persona.PERSONAL, 0, { app: App.BROWSER, flowKind: FlowKind.COPY_PERSONAL_TO_WORK });
    sut.demand(Persona.BUSINESS, 0, { app: App.EMAIL, flowKind: FlowKind.COPY_WORK_TO_PERSONAL });
    sut.step();
    expect(sut.personalGrant.flowResult[0]).toBe(FlowResult.BLOCKED);
    expect(sut.businessGrant.flowResult[0]).toBe(FlowResult.BLOCKED);
    sut.businessDemand.policyApplied[0] = 1;
    sut.step();
    expect(sut.personalGrant.flowResult[0]).toBe(FlowResult.ALLOWED);
    expect(sut.businessGrant.flowResult[0]).toBe(FlowResult.ALLOWED);
  });

  it('reports no flow when none is attempted', () => {
    const sut = new HypervisorFixture();
    sut.runGuest(0);
    sut.step();
    expect(sut.personalGrant.flowResult[0]).toBe(FlowResult.NONE);
    expect(sut.eventsOf(EventKind.CROSS_PERSONA_FLOW, 0)).toEqual([]);
  });
});

describe('stepHypervisor: battery drain', () => {
  it('drains more with the foreground screen on than off, by the screen’s current', () => {
    const sut = new HypervisorFixture();
    sut.demand(Persona.PERSONAL, 0, { cpuMhz: 200, app: App.EMAIL, screenOn: true });
    sut.demand(Persona.PERSONAL, 1, { cpuMhz: 200, app: App.EMAIL, screenOn: false });
    sut.step();
    const screenMicroAh = (SCREEN_MA * TICK_SECONDS * 1000) / 3600;
    expect(sut.state.consumedMicroAh(0) - sut.state.consumedMicroAh(1)).toBeCloseTo(screenMicroAh, -1);
    expect(sut.state.batteryMicroAh[0]).toBeLessThan(sut.state.batteryMicroAh[1]);
  });

  it('counts the screen only for the persona that holds the foreground', () => {
    const sut = new HypervisorFixture();
    sut.runGuest(0);
    sut.runGuest(1);
    // Business holds the foreground on both; only handset 0's business screen is on.
    sut.demand(Persona.BUSINESS, 0, { app: App.EMAIL, screenOn: true });
    sut.demand(Persona.PERSONAL, 1, { screenOn: true });
    sut.demand(Persona.BUSINESS, 1, { app: App.CALLS, screenOn: false });
    sut.step();
    expect(sut.state.consumedMicroAh(0)).toBeGreaterThan(sut.state.consumedMicroAh(1));
  });

  it('drains more when the applied policy requires an always-on VPN', () => {
    const sut = new HypervisorFixture();
    const vpn = sut.registry.register(parsePolicy({ name: 'policies/vpn', alwaysOnVpnPackage: { packageName: 'com.example.vpn' } }));
    sut.runGuest(0);
    sut.runGuest(1);
    sut.demand(Persona.BUSINESS, 0, { radioKbps: 100 });
    sut.demand(Persona.BUSINESS, 1, { radioKbps: 100 });
    sut.businessDemand.policyIndex[1] = vpn;
    sut.step();
    expect(sut.state.consumedMicroAh(1)).toBeGreaterThan(sut.state.consumedMicroAh(0));
  });

  it('charges a plugged-in handset instead of draining it', () => {
    const sut = new HypervisorFixture();
    sut.setBattery(0, 500);
    sut.setBattery(1, 500);
    sut.plugIn(0);
    sut.step();
    expect(sut.state.batteryPermille(0)).toBeGreaterThan(500);
    expect(sut.state.batteryPermille(1)).toBeLessThan(500);
  });
});

describe('stepHypervisor: per-persona cost', () => {
  const microAh = (milliamps: number) => (milliamps * TICK_SECONDS * 1000) / 3600;

  it('splits every tick’s drain between the worlds so that the parts sum to the drain, handset by handset and over the shard', () => {
    const sut = new HypervisorFixture();
    const vpn = sut.registry.register(parsePolicy({ name: 'policies/vpn', alwaysOnVpnPackage: { packageName: 'com.example.vpn' } }));
    sut.runGuest(0);
    sut.runGuest(1);
    sut.runGuest(2);
    sut.businessDemand.policyIndex[2] = vpn;
    sut.demand(Persona.PERSONAL, 0, { cpuMhz: 300, app: App.BROWSER, screenOn: true, radioKbps: 200 });
    sut.demand(Persona.BUSINESS, 0, { cpuMhz: 200, radioKbps: 100 });
    sut.demand(Persona.BUSINESS, 1, { cpuMhz: 400, app: App.EMAIL, screenOn: true, radioKbps: 300 });
    sut.demand(Persona.PERSONAL, 2, { cpuMhz: 100, radioKbps: 50 });
    sut.demand(Persona.BUSINESS, 2, { cpuMhz: 100, radioKbps: 50 });
    let shardPersonal = 0;
    let shardBusiness = 0;
    for (let t = 0; t < 5; t++) {
      sut.step();
      shardPersonal += sut.state.tickCost[TickCost.PERSONAL_MICRO_AH];
      shardBusiness += sut.state.tickCost[TickCost.BUSINESS_MICRO_AH];
    }
    // Each tick's split over the shard adds up to what the handsets drew.
    const consumed = [0, 1, 2, 3].reduce((sum, i) => sum + sut.state.consumedMicroAh(i), 0);
    expect(shardPersonal + shardBusiness).toBe(consumed);
    // Handset 3 runs no guest: all of its drain (standby) is the host's.
    expect(sut.state.businessMicroAh[3]).toBe(0);
    expect(sut.state.personalMicroAh[3]).toBeGreaterThan(0);
  });

  it('bills the screen to the world that holds the foreground', () => {
    const sut = new HypervisorFixture();
    sut.runGuest(0);
    sut.runGuest(1);
    sut.demand(Persona.BUSINESS, 0, { app: App.EMAIL, screenOn: true });
    sut.demand(Persona.PERSONAL, 1, { app: App.BROWSER, screenOn: true });
    sut.step();
    // Same guest on both; the screen moves SCREEN_MA from one world to the other.
    expect(sut.state.businessMicroAh[0] - sut.state.businessMicroAh[1]).toBeCloseTo(microAh(SCREEN_MA), -1);
    expect(sut.state.personalMicroAh[1] - sut.state.personalMicroAh[0]).toBeCloseTo(microAh(SCREEN_MA), -1);
  });

  it('bills the guest its CPU and the world switches it causes, the host its own CPU', () => {
    const sut = new HypervisorFixture();
    sut.runGuest(0);
    sut.runGuest(1);
    sut.demand(Persona.PERSONAL, 0, { cpuMhz: 200 });
    sut.demand(Persona.BUSINESS, 0, { cpuMhz: 200 });
    sut.demand(Persona.PERSONAL, 1, { cpuMhz: 200 });
    sut.step();
    const overhead = Math.ceil(200 * WORLD_SWITCH_OVERHEAD);
    expect(sut.state.businessMicroAh[0] - sut.state.businessMicroAh[1]).toBeCloseTo(microAh((CPU_MA_PER_GHZ * (200 + overhead)) / 1000), -1);
    expect(sut.state.personalMicroAh[0]).toBe(sut.state.personalMicroAh[1]);
  });

  it('counts radio traffic by the world that sent it, VPN overhead to the guest', () => {
    const sut = new HypervisorFixture();
    const vpn = sut.registry.register(parsePolicy({ name: 'policies/vpn', alwaysOnVpnPackage: { packageName: 'com.example.vpn' } }));
    sut.runGuest(0);
    sut.businessDemand.policyIndex[0] = vpn;
    sut.demand(Persona.PERSONAL, 0, { radioKbps: 80 });
    sut.demand(Persona.BUSINESS, 0, { radioKbps: 160 });
    sut.step();
    expect(sut.state.tickCost[TickCost.PERSONAL_KILOBYTES]).toBe((80 * TICK_SECONDS) / 8);
    expect(sut.state.tickCost[TickCost.BUSINESS_KILOBYTES]).toBe(Math.floor((160 * (1 + VPN_TRAFFIC_OVERHEAD) * TICK_SECONDS) / 8));
  });
});

describe('stepHypervisor: data-leak ledger', () => {
  it('records each business item let into the personal persona under the flow and the revision the handset applied', () => {
    const sut = new HypervisorFixture();
    const clipboard = sut.registry.register(
      parsePolicy({
        name: 'policies/open-clipboard',
        crossProfilePolicies: {
          crossProfileCopyPaste: 'CROSS_PROFILE_COPY_PASTE_ALLOWED',
          showWorkContactsInPersonalProfile: 'SHOW_WORK_CONTACTS_IN_PERSONAL_PROFILE_DISALLOWED',
        },
      }),
    );
    const contacts = sut.registry.register(
      parsePolicy({
        name: 'policies/open-all',
        crossProfilePolicies: {
          crossProfileCopyPaste: 'CROSS_PROFILE_COPY_PASTE_ALLOWED',
          showWorkContactsInPersonalProfile: 'SHOW_WORK_CONTACTS_IN_PERSONAL_PROFILE_ALLOWED',
        },
      }),
    );
    sut.runGuest(0);
    sut.runGuest(1);
    sut.businessDemand.policyIndex[0] = clipboard;
    sut.businessDemand.policyIndex[1] = clipboard;
    sut.demand(Persona.BUSINESS, 0, { app: App.EMAIL, flowKind: FlowKind.COPY_WORK_TO_PERSONAL });
    sut.demand(Persona.PERSONAL, 1, { app: App.BROWSER, flowKind: FlowKind.WORK_CONTACT_LOOKUP_FROM_PERSONAL }); // blocked under `clipboard`
    sut.step();
    sut.step();
    // The policy changes mid-run on handset 0: later items are the new revision's.
    sut.businessDemand.policyIndex[0] = contacts;
    sut.businessDemand.policyIndex[1] = contacts;
    sut.step();
    // A flow into the business persona is no leak.
    sut.demand(Persona.PERSONAL, 0, { app: App.BROWSER, flowKind: FlowKind.COPY_PERSONAL_TO_WORK });
    sut.step();
    expect(ledgerEntries(sut.state)).toEqual([
      {
        flow: 'COPY_WORK_TO_PERSONAL',
        rule: 'crossProfilePolicies.crossProfileCopyPaste',
        policyRevision: clipboard,
        andLater: false,
        count: 2,
        firstTick: 0,
        lastTick: 1,
      },
      {
        flow: 'COPY_WORK_TO_PERSONAL',
        rule: 'crossProfilePolicies.crossProfileCopyPaste',
        policyRevision: contacts,
        andLater: false,
        count: 2,
        firstTick: 2,
        lastTick: 3,
      },
      {
        flow: 'WORK_CONTACT_LOOKUP_FROM_PERSONAL',
        rule: 'crossProfilePolicies.showWorkContactsInPersonalProfile',
        policyRevision: contacts,
        andLater: false,
        count: 2,
        firstTick: 2,
        lastTick: 3,
      },
    ]);
  });
});
