import { describe, expect, it } from 'vitest';
import { CounterRandom } from '../engine/random';
import { ShardSimulation } from '../shard-group';
import type { AgentContext } from './agent';
import { DemandBatch, FlowResult, GrantBatch } from './batches';
import { CheckInCadence } from './check-in-cadence';
import { IDLE_CPU_MHZ, IDLE_MEMORY_MB, SESSIONS_PER_DAY, STARVATION_THRESHOLD } from './calibration';
import { App, EventKind, FlowKind, GuestState, Persona } from './enums';
import { resolveFleet } from './fleet';
import type { HypervisorContext } from './hypervisor';
import { parsePolicy } from './policy';
import { PolicyRegistry, PolicyTimeline } from './policy-timeline';
import { SimulationClock } from './time';
import { PersonaShard, applyGrants, computeDemands, type AgentView, type WorkloadContext } from './workload';
import { OPTIMUS_ONE, ShardFixture, TICK_SECONDS, type RecordedEvent } from './shard.fixture';

const TICKS_PER_DAY = (24 * 60 * 60) / TICK_SECONDS;

/**
 * One persona runtime over a shard of optimus-one handsets, fed with a grant the test writes (the
 * hypervisor's answer of the previous tick) and, for the business persona, an MDM agent's view.
 */
class PersonaFixture extends ShardFixture {
  readonly state: PersonaShard;
  readonly grant: GrantBatch;
  readonly demand: DemandBatch;
  readonly agent: AgentView | null;
  readonly context: WorkloadContext;

  constructor(
    readonly persona: Persona,
    options: { handsets?: number; businessIntensity?: number; personalIntensity?: number } = {},
  ) {
    super(1984, options.handsets ?? 8);
    const n = this.fleet.size;
    this.state = new PersonaShard(persona, this.fleet);
    this.grant = new GrantBatch(n);
    this.demand = new DemandBatch(n);
    this.grant.powered.fill(1);
    this.grant.guestState.fill(GuestState.RUNNING);
    this.agent =
      persona === Persona.BUSINESS
        ? {
            policyIndex: new Uint16Array(n),
            enrolled: new Uint8Array(n).fill(1),
            pendingWorldRequest: new Uint8Array(n),
            vpnUp: new Uint8Array(n),
            nextCheckInTick: new Int32Array(n).fill(1 << 30),
            policies: this.registry.effective,
          }
        : null;
    this.context = {
      random: this.random,
      clock: this.clock,
      personalIntensity: options.personalIntensity ?? 1,
      businessIntensity: options.businessIntensity ?? 1,
    };
  }

  /** computeDemands for `tick`, against the grant as the test left it. */
  computeDemands(tick: number): RecordedEvent[] {
    return this.record(tick, () => computeDemands(this.context, this.state, this.grant, tick, this.demand, this.events, this.agent));
  }

  /** applyGrants for `tick`, with the grant as the test left it. */
  applyGrants(tick: number): RecordedEvent[] {
    return this.record(tick, () => applyGrants(this.state, this.demand, this.grant, tick, TICK_SECONDS, this.events));
  }

  /** Starts a session of `app` on handset i as if the owner had just opened it. */
  startSession(i: number, app: number, ticks = 10): void {
    this.state.app[i] = app;
    this.state.remainingTicks[i] = ticks;
    this.state.degraded[i] = 0;
  }

  count(kind: number): number {
    return this.log.filter((event) => event.kind === kind).length;
  }
}

/** A whole shard (both personas, hypervisor, agent) as ShardSimulation wires them, from midnight. */
function createShardSimulation(handsets: number, seed: number) {
  const clock = new SimulationClock(TICK_SECONDS);
  const random = new CounterRandom(seed);
  const registry = new PolicyRegistry();
  const fleet = resolveFleet({ handsets, models: OPTIMUS_ONE });
  const timeline = new PolicyTimeline(fleet.groupNames);
  const sut = new ShardSimulation(fleet, 0, 1, random, TICK_SECONDS, timeline);
  const workload: WorkloadContext = { random, clock, personalIntensity: fleet.personalIntensity, businessIntensity: fleet.businessIntensity };
  const hypervisor: HypervisorContext = { random, clock, policies: registry.effective };
  const agent: AgentContext = { random, clock, policies: registry.effective, cadence: new CheckInCadence({}, clock, random) };
  return { sut, step: (tick: number) => sut.step(tick, workload, hypervisor, agent) };
}

describe('workload over a simulated day', () => {
  it('starts sessions for idle owners at about SESSIONS_PER_DAY times their mean intensity', () => {
    const { sut, step } = createShardSimulation(300, 11);
    for (let tick = 0; tick < TICKS_PER_DAY; tick++) step(tick);
    const n = sut.fleet.size;
    let sessions = 0;
    let intensity = 0;
    for (let i = 0; i < n; i++) {
      sessions += sut.personal.sessions[i] + sut.business.sessions[i];
      intensity += sut.fleet.intensity[i];
    }
    const expected = SESSIONS_PER_DAY * (intensity / n);
    // Below the expectation: interactions that arrive while a session runs, while the handset is flat,
    // or for a business world not yet running are lost; above it only by chance.
    expect(sessions / n).toBeGreaterThan(expected * 0.7);
    expect(sessions / n).toBeLessThan(expected * 1.1);
    for (let i = 0; i < n; i++) expect(sut.personal.sessions[i] + sut.business.sessions[i]).toBeGreaterThan(0);
  });

  it('never lets the personal and the business persona hold a session on one handset in the same tick', () => {
    const { sut, step } = createShardSimulation(300, 12);
    let businessSessionTicks = 0;
    let personalSessionTicks = 0;
    for (let tick = 0; tick < TICKS_PER_DAY; tick++) {
      step(tick);
      for (let i = 0; i < sut.fleet.size; i++) {
        const personal = sut.personalDemand.app[i] !== 0 || sut.personal.app[i] !== 0;
        const business = sut.businessDemand.app[i] !== 0 || sut.business.app[i] !== 0;
        if (personal && business) throw new Error(`handset ${sut.fleet.ids[i]} holds both personas at tick ${tick}`);
        if (personal) personalSessionTicks++;
        if (business) businessSessionTicks++;
      }
    }
    // The check means something only if both personas were busy.
    expect(personalSessionTicks).toBeGreaterThan(1000);
    expect(businessSessionTicks).toBeGreaterThan(1000);
  });
});

describe('computeDemands', () => {
  it.each([
    ['NOT_PROVISIONED', GuestState.NOT_PROVISIONED],
    ['DOWNLOADING_IMAGE', GuestState.DOWNLOADING_IMAGE],
    ['INSTALLED', GuestState.INSTALLED],
    ['BOOTING', GuestState.BOOTING],
    ['SUSPENDED', GuestState.SUSPENDED],
    ['LOCKED', GuestState.LOCKED],
    ['WIPED', GuestState.WIPED],
  ])('starts no business session and demands nothing while the guest is %s', (_name, guestState) => {
    const sut = new PersonaFixture(Persona.BUSINESS, { businessIntensity: 1000 });
    sut.grant.guestState.fill(guestState);
    for (let tick = 0; tick < 200; tick++) {
      sut.computeDemands(tick);
      for (let i = 0; i < sut.fleet.size; i++) {
        expect(sut.demand.cpuMhz[i]).toBe(0);
        expect(sut.demand.app[i]).toBe(0);
      }
    }
    expect(sut.count(EventKind.SESSION_STARTED)).toBe(0);
  });

  it('starts business sessions while the guest is RUNNING', () => {
    const sut = new PersonaFixture(Persona.BUSINESS, { businessIntensity: 1000 });
    for (let tick = 0; tick < 200; tick++) sut.computeDemands(tick);
    expect(sut.count(EventKind.SESSION_STARTED)).toBeGreaterThan(50);
    expect(sut.log.find((event) => event.kind === EventKind.SESSION_STARTED)?.persona).toBe(Persona.BUSINESS);
  });

  it('leaves the interaction to the other persona when it holds the screen', () => {
    const sut = new PersonaFixture(Persona.PERSONAL, { personalIntensity: 1000 });
    sut.grant.foreground.fill(Persona.BUSINESS);
    for (let tick = 0; tick < 200; tick++) sut.computeDemands(tick);
    expect(sut.count(EventKind.SESSION_STARTED)).toBe(0);
  });

  it('demands nothing from a powered-off handset and ends the session it had', () => {
    for (const persona of [Persona.PERSONAL, Persona.BUSINESS]) {
      const sut = new PersonaFixture(persona, { businessIntensity: 1000, personalIntensity: 1000 });
      sut.grant.powered.fill(0);
      sut.startSession(0, App.BROWSER);
      const events = sut.computeDemands(0);
      expect(events).toContainEqual(expect.objectContaining({ kind: EventKind.SESSION_ENDED, handset: sut.fleet.ids[0], persona, a: App.BROWSER }));
      for (let tick = 1; tick < 100; tick++) sut.computeDemands(tick);
      for (let i = 0; i < sut.fleet.size; i++) {
        expect([sut.demand.cpuMhz[i], sut.demand.memoryMb[i], sut.demand.radioKbps[i], sut.demand.screenOn[i], sut.demand.app[i]]).toEqual([0, 0, 0, 0, 0]);
      }
      expect(sut.count(EventKind.SESSION_STARTED)).toBe(0);
    }
  });

  it('keeps background demand for an idle persona of a powered handset', () => {
    const sut = new PersonaFixture(Persona.PERSONAL);
    sut.computeDemands(0);
    const idle = Array.from(sut.fleet.ids.keys()).filter((i) => sut.demand.app[i] === 0);
    expect(idle.length).toBeGreaterThan(0);
    for (const i of idle) {
      expect(sut.demand.cpuMhz[i]).toBe(IDLE_CPU_MHZ);
      expect(sut.demand.memoryMb[i]).toBe(IDLE_MEMORY_MB);
    }
  });

  it('refuses a session of an app the applied policy BLOCKS, with SESSION_BLOCKED_BY_POLICY', () => {
    const sut = new PersonaFixture(Persona.BUSINESS, { businessIntensity: 1000 });
    const noEmail = sut.registry.register(
      parsePolicy({ name: 'policies/no-email', applications: [{ packageName: 'com.android.email', installType: 'BLOCKED' }] }),
    );
    sut.agent!.policyIndex.fill(noEmail);
    for (let tick = 0; tick < 300; tick++) sut.computeDemands(tick);
    const blocked = sut.log.filter((event) => event.kind === EventKind.SESSION_BLOCKED_BY_POLICY);
    expect(blocked.length).toBeGreaterThan(0);
    expect(blocked.every((event) => event.a === App.EMAIL && event.persona === Persona.BUSINESS)).toBe(true);
    expect(sut.log.filter((event) => event.kind === EventKind.SESSION_STARTED && event.a === App.EMAIL)).toEqual([]);
    expect(sut.count(EventKind.SESSION_STARTED)).toBeGreaterThan(0);
    const blockedTotal = sut.state.blockedSessions.reduce((sum, count) => sum + count, 0);
    expect(blockedTotal).toBe(blocked.length);
  });

  it('starts email sessions under AMAPI defaults (the control for the blocked-app case)', () => {
    const sut = new PersonaFixture(Persona.BUSINESS, { businessIntensity: 1000 });
    for (let tick = 0; tick < 300; tick++) sut.computeDemands(tick);
    expect(sut.log.filter((event) => event.kind === EventKind.SESSION_STARTED && event.a === App.EMAIL).length).toBeGreaterThan(0);
    expect(sut.count(EventKind.SESSION_BLOCKED_BY_POLICY)).toBe(0);
  });

  it('refuses a business camera session when the applied policy disables the camera', () => {
    const sut = new PersonaFixture(Persona.BUSINESS, { handsets: 40, businessIntensity: 1000 });
    const noCamera = sut.registry.register(parsePolicy({ name: 'policies/no-camera', cameraAccess: 'CAMERA_ACCESS_DISABLED' }));
    sut.agent!.policyIndex.fill(noCamera);
    for (let tick = 0; tick < 500; tick++) sut.computeDemands(tick);
    const blocked = sut.log.filter((event) => event.kind === EventKind.SESSION_BLOCKED_BY_POLICY);
    expect(blocked.length).toBeGreaterThan(0);
    expect(blocked.every((event) => event.a === App.CAMERA)).toBe(true);
    expect(sut.log.filter((event) => event.kind === EventKind.SESSION_STARTED && event.a === App.CAMERA)).toEqual([]);
  });

  it('passes the agent’s policy and pending world request to the hypervisor once', () => {
    const sut = new PersonaFixture(Persona.BUSINESS);
    for (let k = 1; k <= 3; k++) sut.registry.register(parsePolicy({ name: `policies/p${k}` }));
    sut.agent!.policyIndex[2] = 3;
    sut.agent!.pendingWorldRequest[2] = 1;
    sut.computeDemands(0);
    expect(sut.demand.policyIndex[2]).toBe(3);
    expect(sut.demand.worldRequest[2]).toBe(1);
    expect(sut.agent!.pendingWorldRequest[2]).toBe(0);
    sut.computeDemands(1);
    expect(sut.demand.worldRequest[2]).toBe(0);
  });
});

describe('applyGrants', () => {
  it('ends a business session in progress when the guest is wiped and drops the data it held', () => {
    const sut = new PersonaFixture(Persona.BUSINESS);
    sut.startSession(0, App.EMAIL);
    sut.state.itemsReceived[0] = 3;
    sut.state.itemsHeld[0] = 2;
    sut.grant.guestState[0] = GuestState.WIPED;
    const events = sut.applyGrants(5);
    expect(events).toEqual([{ tick: 5, kind: EventKind.SESSION_ENDED, handset: sut.fleet.ids[0], persona: Persona.BUSINESS, a: App.EMAIL, b: 0 }]);
    expect(sut.state.app[0]).toBe(0);
    expect(sut.state.itemsReceived[0]).toBe(0);
    expect(sut.state.itemsHeld[0]).toBe(0);
  });

  it('ends a business session when the guest is suspended but keeps its data', () => {
    const sut = new PersonaFixture(Persona.BUSINESS);
    sut.startSession(0, App.EMAIL);
    sut.state.itemsReceived[0] = 3;
    sut.grant.guestState[0] = GuestState.SUSPENDED;
    expect(sut.applyGrants(5).map((event) => event.kind)).toEqual([EventKind.SESSION_ENDED]);
    expect(sut.state.itemsReceived[0]).toBe(3);
  });

  it('degrades a session whose CPU grant is below 80 % of its demand, once per session', () => {
    const sut = new PersonaFixture(Persona.PERSONAL);
    sut.startSession(0, App.GAMES);
    sut.demand.cpuMhz[0] = 1000;
    sut.demand.memoryMb[0] = 100;
    sut.grant.cpuMhz[0] = 500;
    sut.grant.memoryMb[0] = 100;
    for (let tick = 0; tick < 5; tick++) sut.applyGrants(tick);
    const degraded = sut.log.filter((event) => event.kind === EventKind.SESSION_DEGRADED);
    expect(degraded).toEqual([{ tick: 0, kind: EventKind.SESSION_DEGRADED, handset: sut.fleet.ids[0], persona: Persona.PERSONAL, a: App.GAMES, b: 500 }]);
    expect(sut.state.degradedSessions[0]).toBe(1);
  });

  it('degrades the next session again, and reports the degradation when the session ends', () => {
    const sut = new PersonaFixture(Persona.PERSONAL);
    sut.demand.cpuMhz[0] = 1000;
    sut.grant.cpuMhz[0] = 100;
    sut.startSession(0, App.GAMES);
    sut.applyGrants(0);
    sut.grant.powered[0] = 0;
    const ended = sut.applyGrants(1);
    expect(ended).toMatchObject([{ kind: EventKind.SESSION_ENDED, b: 1 }]);
    sut.grant.powered[0] = 1;
    sut.startSession(0, App.BROWSER);
    sut.applyGrants(2);
    expect(sut.count(EventKind.SESSION_DEGRADED)).toBe(2);
    expect(sut.state.degradedSessions[0]).toBe(2);
  });

  it('does not degrade a session granted exactly 80 % of its demand', () => {
    const sut = new PersonaFixture(Persona.PERSONAL);
    sut.startSession(0, App.BROWSER);
    sut.demand.cpuMhz[0] = 1000;
    sut.grant.cpuMhz[0] = 1000 * STARVATION_THRESHOLD;
    sut.demand.memoryMb[0] = 50;
    sut.grant.memoryMb[0] = 50;
    sut.applyGrants(0);
    expect(sut.count(EventKind.SESSION_DEGRADED)).toBe(0);
  });

  it('degrades a session starved of memory', () => {
    const sut = new PersonaFixture(Persona.BUSINESS);
    sut.startSession(0, App.MAPS);
    sut.demand.cpuMhz[0] = 500;
    sut.grant.cpuMhz[0] = 500;
    sut.demand.memoryMb[0] = 80;
    sut.grant.memoryMb[0] = 40;
    sut.applyGrants(0);
    expect(sut.log).toMatchObject([{ kind: EventKind.SESSION_DEGRADED, b: 500 }]);
  });

  it('counts the items an allowed flow delivers into the persona', () => {
    const sut = new PersonaFixture(Persona.PERSONAL);
    sut.startSession(0, App.MESSAGING);
    sut.grant.incomingItems[0] = 1;
    sut.grant.flowResult[0] = FlowResult.NONE;
    sut.demand.flowKind[0] = FlowKind.COPY_PERSONAL_TO_WORK;
    sut.applyGrants(0);
    sut.applyGrants(1);
    expect(sut.state.itemsReceived[0]).toBe(2);
  });
});
