import { describe, expect, it } from 'vitest';
import { Stream } from '../engine/random';
import { Simulation } from '../simulation';
import { AgentShard, dueCheckIns, stepAgent, TimelineAnswers, type AgentContext, type DueCheckIns } from './agent';
import { CheckInCadence, type AgentCadenceSpec } from './check-in-cadence';
import { GrantBatch, WorldRequest } from './batches';
import { PASSCODE_FIX_PER_CHECK_IN } from './calibration';
import { NonComplianceReason } from './compliance';
import { App, EnforcementAction, EventKind, GuestState, Persona } from './enums';
import { type EventSink } from './events';
import { parsePolicy } from './policy';
import { PolicyTimeline } from './policy-timeline';
import { OPTIMUS_ONE, recordEvents, ShardFixture, type RecordedEvent } from './shard.fixture';

/** A cadence without enrollment phases or jitter: check-ins exactly at the policy's interval. */
const FIXED_CADENCE: AgentCadenceSpec = { checkInPhases: [], jitterPercent: 0 };

/**
 * The MDM agents of one shard of optimus-one handsets, fed with a grant the test writes (powered,
 * guest state) and a policy timeline the test assigns to. Every handset starts powered with its
 * guest still BOOTING, and every owner starts without a passcode unless a test says otherwise.
 * The cadence is FIXED_CADENCE unless a test gives one.
 */
class AgentFixture extends ShardFixture {
  readonly timeline: PolicyTimeline;
  readonly state: AgentShard;
  readonly grant: GrantBatch;
  readonly context: AgentContext;

  constructor(handsets = 4, options: { passcodeRank?: number; tickSeconds?: number; cadence?: AgentCadenceSpec } = {}) {
    super(4242, handsets, options.tickSeconds);
    this.fleet.initialPasscodeRank.fill(options.passcodeRank ?? 0);
    this.timeline = new PolicyTimeline(this.fleet.fleet.groupNames);
    this.state = new AgentShard(this.fleet);
    this.grant = new GrantBatch(this.fleet.size);
    this.grant.powered.fill(1);
    this.grant.guestState.fill(GuestState.BOOTING);
    const cadence = new CheckInCadence(options.cadence ?? FIXED_CADENCE, this.clock, this.random);
    this.context = { random: this.random, clock: this.clock, policies: this.registry.effective, cadence };
  }

  /** Registers a policy document and assigns it to every group from `tick`; returns its index. */
  assign(document: object, tick = 0): number {
    const index = this.registry.register(parsePolicy(document));
    this.timeline.assign(index, tick);
    return index;
  }

  step(tick: number): RecordedEvent[] {
    const answers = new TimelineAnswers(this.timeline, this.fleet).at(tick);
    return this.record(tick, () => stepAgent(this.context, this.state, this.grant, tick, this.events, answers));
  }

  run(fromTick: number, toTick: number): void {
    for (let tick = fromTick; tick < toTick; tick++) this.step(tick);
  }

  eventsOf(kind: number, i: number): RecordedEvent[] {
    return this.log.filter((event) => event.kind === kind && event.handset === this.fleet.ids[i]);
  }
}

describe('stepAgent: enrollment and check-ins', () => {
  it('waits for the guest to run, then enrolls with POLICY_APPLIED and checks in on the same tick', () => {
    const sut = new AgentFixture();
    sut.assign({ name: 'policies/p', version: 3 });
    sut.run(0, 5);
    expect(sut.log).toEqual([]);
    expect(sut.state.enrolled[0]).toBe(0);
    sut.grant.guestState[0] = GuestState.RUNNING;
    const events = sut.step(5);
    const id = sut.fleet.ids[0];
    expect(events.filter((event) => event.kind === EventKind.POLICY_APPLIED || event.kind === EventKind.CHECK_IN)).toEqual([
      { tick: 5, kind: EventKind.POLICY_APPLIED, handset: id, persona: Persona.BUSINESS, a: 3, b: 1 },
      { tick: 5, kind: EventKind.CHECK_IN, handset: id, persona: Persona.BUSINESS, a: 3, b: 1 },
    ]);
    expect(sut.state.enrolled[0]).toBe(1);
    expect(sut.state.policyIndex[0]).toBe(1);
    expect(sut.state.enrolled[1]).toBe(0);
  });

  it.each([
    ['SUSPENDED', GuestState.SUSPENDED],
    ['LOCKED', GuestState.LOCKED],
    ['INSTALLED', GuestState.INSTALLED],
  ])('does not enroll while the guest is %s', (_name, guestState) => {
    const sut = new AgentFixture();
    sut.grant.guestState.fill(guestState);
    sut.run(0, 30);
    expect(sut.log).toEqual([]);
    expect(Array.from(sut.state.enrolled)).toEqual([0, 0, 0, 0]);
  });

  it('does nothing for a handset that is powered off', () => {
    const sut = new AgentFixture();
    sut.grant.guestState.fill(GuestState.RUNNING);
    sut.grant.powered.fill(0);
    sut.run(0, 30);
    expect(sut.log).toEqual([]);
  });

  it('checks in every checkInIntervalMinutes of the applied policy', () => {
    const sut = new AgentFixture();
    sut.assign({ name: 'policies/p', duet: { checkInIntervalMinutes: 30 } });
    sut.run(0, 2);
    sut.grant.guestState[0] = GuestState.RUNNING;
    sut.run(2, 100);
    expect(sut.eventsOf(EventKind.CHECK_IN, 0).map((event) => event.tick)).toEqual([2, 32, 62, 92]);
    expect(sut.state.checkIns[0]).toBe(4);
  });

  it('counts the check-in interval in simulated minutes whatever the tick length', () => {
    const sut = new AgentFixture(4, { tickSeconds: 300 });
    sut.assign({ name: 'policies/p', duet: { checkInIntervalMinutes: 15 } });
    sut.grant.guestState[0] = GuestState.RUNNING;
    sut.run(0, 10);
    // A 15-minute check-in: every 3 ticks of 5 minutes.
    expect(sut.eventsOf(EventKind.CHECK_IN, 0).map((event) => event.tick)).toEqual([0, 3, 6, 9]);
  });

  it('keeps checking in while its guest is suspended or locked', () => {
    const sut = new AgentFixture();
    sut.assign({ name: 'policies/p', duet: { checkInIntervalMinutes: 10 } });
    sut.grant.guestState[0] = GuestState.RUNNING;
    sut.step(0);
    sut.grant.guestState[0] = GuestState.SUSPENDED;
    sut.run(1, 15);
    sut.grant.guestState[0] = GuestState.LOCKED;
    sut.run(15, 25);
    expect(sut.eventsOf(EventKind.CHECK_IN, 0).map((event) => event.tick)).toEqual([0, 10, 20]);
  });

  it('applies a newly assigned policy at the next check-in, not when it is assigned', () => {
    const sut = new AgentFixture();
    sut.assign({ name: 'policies/first', version: 2, duet: { checkInIntervalMinutes: 30 } });
    sut.grant.guestState[0] = GuestState.RUNNING;
    sut.step(0);
    const second = sut.assign({ name: 'policies/second', version: 5, duet: { checkInIntervalMinutes: 10 } }, 10);
    sut.run(1, 30);
    expect(sut.eventsOf(EventKind.POLICY_APPLIED, 0).map((event) => event.tick)).toEqual([0]);
    expect(sut.state.policyIndex[0]).toBe(1);
    sut.run(30, 45);
    expect(sut.eventsOf(EventKind.POLICY_APPLIED, 0).at(-1)).toMatchObject({ tick: 30, a: 5, b: 2 });
    // The check-in reports the version held when it started, then follows the new policy's cadence.
    expect(sut.eventsOf(EventKind.CHECK_IN, 0).map(({ tick, a }) => ({ tick, a }))).toEqual([
      { tick: 0, a: 2 },
      { tick: 30, a: 2 },
      { tick: 40, a: 5 },
    ]);
    expect(sut.state.policyIndex[0]).toBe(second);
  });
});

describe('stepAgent: unreachable policy authority', () => {
  it('checks in with b=0 and keeps its policy while its region is cut off, retries with a doubling backoff, and catches up after', () => {
    const sut = new AgentFixture();
    sut.assign({ name: 'policies/first', version: 2, duet: { checkInIntervalMinutes: 30 } });
    sut.grant.guestState[0] = GuestState.RUNNING;
    sut.step(0);
    const second = sut.assign({ name: 'policies/second', version: 3, duet: { checkInIntervalMinutes: 30 } }, 10);
    sut.timeline.addOutage(sut.fleet.region[0], 20, 50);
    sut.run(1, 62);
    // Retries 1, 2, 4, 8 and 16 minutes after each failure (backoff from 1 min, doubling).
    expect(sut.eventsOf(EventKind.CHECK_IN, 0).map(({ tick, a, b }) => ({ tick, a, b }))).toEqual([
      { tick: 0, a: 2, b: 1 },
      { tick: 30, a: 2, b: 0 },
      { tick: 31, a: 2, b: 0 },
      { tick: 33, a: 2, b: 0 },
      { tick: 37, a: 2, b: 0 },
      { tick: 45, a: 2, b: 0 },
      { tick: 61, a: 2, b: 1 },
    ]);
    expect(sut.eventsOf(EventKind.POLICY_APPLIED, 0).map((event) => event.tick)).toEqual([0, 61]);
    expect(sut.state.policyIndex[0]).toBe(second);
  });

  it('applies no policy while enrolling during an outage of its region', () => {
    const sut = new AgentFixture();
    sut.assign({ name: 'policies/p', version: 4 });
    sut.timeline.addOutage(sut.fleet.region[0], 0, 100);
    sut.grant.guestState[0] = GuestState.RUNNING;
    sut.run(0, 50);
    expect(sut.eventsOf(EventKind.CHECK_IN, 0).every((event) => event.b === 0)).toBe(true);
    expect(sut.eventsOf(EventKind.POLICY_APPLIED, 0)).toEqual([]);
  });
});

describe('stepAgent: cadence, backoff and enrollment retries', () => {
  it('checks in by the enrollment phases, then at the policy’s interval', () => {
    const sut = new AgentFixture(4, { cadence: { jitterPercent: 0 } });
    sut.assign({ name: 'policies/p', duet: { checkInIntervalMinutes: 60 } });
    sut.grant.guestState[0] = GuestState.RUNNING;
    sut.run(0, 300);
    // Every 3 min until 15 min after enrollment, every 15 min until 2 h 15 min, then hourly.
    expect(sut.eventsOf(EventKind.CHECK_IN, 0).map((event) => event.tick)).toEqual([0, 3, 6, 9, 12, 15, 30, 45, 60, 75, 90, 105, 120, 135, 195, 255]);
  });

  it('starts the phases again when a wiped business world enrolls anew', () => {
    const sut = new AgentFixture(4, { cadence: { checkInPhases: [{ everyMinutes: 2, forMinutes: 6 }], jitterPercent: 0 } });
    sut.assign({ name: 'policies/p', duet: { checkInIntervalMinutes: 20 } });
    sut.grant.guestState[0] = GuestState.RUNNING;
    sut.run(0, 30);
    sut.grant.guestState[0] = GuestState.WIPED;
    sut.step(30);
    sut.grant.guestState[0] = GuestState.RUNNING;
    sut.run(31, 60);
    expect(sut.eventsOf(EventKind.CHECK_IN, 0).map((event) => event.tick)).toEqual([0, 2, 4, 6, 26, 31, 33, 35, 37, 57]);
  });

  it('caps the backoff and resets it after a successful check-in', () => {
    const sut = new AgentFixture(4, { cadence: { checkInPhases: [], jitterPercent: 0, backoffFirstMinutes: 1, backoffMaxMinutes: 4 } });
    sut.assign({ name: 'policies/p', duet: { checkInIntervalMinutes: 30 } });
    sut.timeline.addOutage(sut.fleet.region[0], 10, 40);
    sut.timeline.addOutage(sut.fleet.region[0], 71, 72);
    sut.grant.guestState[0] = GuestState.RUNNING;
    sut.run(0, 103);
    expect(sut.eventsOf(EventKind.CHECK_IN, 0).map(({ tick, b }) => `${tick}:${b}`)).toEqual([
      '0:1',
      '30:0',
      '31:0', // +1
      '33:0', // +2
      '37:0', // +4
      '41:1', // +4: the cap
      '71:0',
      '72:1', // +1 again: the success reset the backoff
      '102:1',
    ]);
    expect(sut.state.failedAttempts[0]).toBe(0);
  });

  it('retries a failed enrollment after a doubling backoff, then enrolls and checks in', () => {
    const sut = new AgentFixture(4, { cadence: { checkInPhases: [], jitterPercent: 0 } });
    sut.assign({ name: 'policies/p', version: 4, duet: { checkInIntervalMinutes: 30 } });
    sut.timeline.addOutage(sut.fleet.region[0], 0, 20);
    sut.grant.guestState[0] = GuestState.RUNNING;
    const due: DueCheckIns = { enrollments: [], checkIns: [] };
    const dueAt: number[] = [];
    for (let tick = 0; tick < 40; tick++) {
      if (dueCheckIns(sut.state, sut.grant, tick, due).enrollments.includes(0)) dueAt.push(tick);
      sut.step(tick);
    }
    expect(sut.eventsOf(EventKind.ENROLLMENT_FAILED, 0).map(({ tick, a, b }) => ({ tick, a, b }))).toEqual([
      { tick: 0, a: 1, b: 1 },
      { tick: 1, a: 2, b: 2 },
      { tick: 3, a: 3, b: 4 },
      { tick: 7, a: 4, b: 8 },
      { tick: 15, a: 5, b: 16 },
    ]);
    expect(dueAt).toEqual([0, 1, 3, 7, 15, 31]);
    expect(sut.eventsOf(EventKind.POLICY_APPLIED, 0).map((event) => event.tick)).toEqual([31]);
    expect(sut.eventsOf(EventKind.CHECK_IN, 0).map((event) => event.tick)).toEqual([31]);
    expect(sut.state.enrolledTick[0]).toBe(31);
    expect(sut.state.failedAttempts[0]).toBe(0);
  });
});

describe('stepAgent: compliance and enforcement', () => {
  const passcodePolicy = (checkInIntervalMinutes: number) => ({
    name: 'policies/passcode',
    version: 2,
    passwordPolicies: [{ passwordQuality: 'NUMERIC', passwordMinimumLength: 4 }],
    policyEnforcementRules: [{ settingName: 'passwordPolicies', blockAction: { blockAfterDays: 0 }, wipeAction: { wipeAfterDays: 1 } }],
    duet: { checkInIntervalMinutes },
  });

  /** The first handset whose owner, at each of these check-in ticks, does (true) or does not (false) set a passcode. */
  function handsetWhoseOwner(sut: AgentFixture, fixesAt: ReadonlyMap<number, boolean>): number {
    for (let i = 0; i < sut.fleet.size; i++) {
      const id = sut.fleet.ids[i];
      const matches = [...fixesAt].every(
        ([tick, fixes]) => sut.random.uniform(id, Persona.BUSINESS, Stream.AGENT_PASSCODE_FIX, tick) < PASSCODE_FIX_PER_CHECK_IN === fixes,
      );
      if (matches) return i;
    }
    throw new Error('no handset in the fixture draws that owner behaviour; use more handsets');
  }

  it('reports a handset whose owner lacks the required passcode as non-compliant, then suspends and later wipes its world', () => {
    const sut = new AgentFixture(16);
    sut.assign(passcodePolicy(1440));
    const i = handsetWhoseOwner(
      sut,
      new Map([
        [0, false],
        [1440, false],
      ]),
    );
    sut.grant.guestState[i] = GuestState.RUNNING;
    sut.step(0);
    expect(sut.eventsOf(EventKind.COMPLIANCE_CHANGED, i)).toMatchObject([{ tick: 0, a: NonComplianceReason.USER_ACTION, b: 0 }]);
    expect(sut.eventsOf(EventKind.ENFORCEMENT_ACTION, i)).toMatchObject([{ tick: 0, a: EnforcementAction.SUSPEND_BUSINESS_WORLD, b: EnforcementAction.NONE }]);
    expect(sut.state.pendingWorldRequest[i]).toBe(WorldRequest.SUSPEND);

    // The next tick's demand batch carries the request to the hypervisor, which suspends the world.
    sut.state.pendingWorldRequest[i] = WorldRequest.NONE;
    sut.grant.guestState[i] = GuestState.SUSPENDED;
    sut.run(1, 1440);
    expect(sut.state.pendingWorldRequest[i]).toBe(WorldRequest.NONE);
    sut.step(1440);
    expect(sut.eventsOf(EventKind.ENFORCEMENT_ACTION, i).at(-1)).toMatchObject({
      tick: 1440,
      a: EnforcementAction.WIPE_BUSINESS_WORLD,
      b: EnforcementAction.SUSPEND_BUSINESS_WORLD,
    });
    expect(sut.state.pendingWorldRequest[i]).toBe(WorldRequest.WIPE);
  });

  it('asks to resume the world once the owner sets the passcode', () => {
    const sut = new AgentFixture(16);
    sut.assign(passcodePolicy(60));
    const i = handsetWhoseOwner(
      sut,
      new Map([
        [0, false],
        [60, true],
      ]),
    );
    sut.grant.guestState[i] = GuestState.RUNNING;
    sut.step(0);
    sut.state.pendingWorldRequest[i] = WorldRequest.NONE;
    sut.grant.guestState[i] = GuestState.SUSPENDED;
    sut.run(1, 61);
    expect(sut.eventsOf(EventKind.COMPLIANCE_CHANGED, i).at(-1)).toMatchObject({ tick: 60, a: 0, b: NonComplianceReason.USER_ACTION });
    expect(sut.state.enforcement[i]).toBe(EnforcementAction.NONE);
    expect(sut.state.pendingWorldRequest[i]).toBe(WorldRequest.RESUME);
  });

  it('keeps an owner with a strong enough passcode compliant', () => {
    const sut = new AgentFixture(4, { passcodeRank: 6 });
    sut.assign(passcodePolicy(15));
    sut.grant.guestState.fill(GuestState.RUNNING);
    sut.run(0, 100);
    expect(sut.log.filter((event) => event.kind === EventKind.COMPLIANCE_CHANGED || event.kind === EventKind.ENFORCEMENT_ACTION)).toEqual([]);
    expect(Array.from(sut.state.pendingWorldRequest)).toEqual([0, 0, 0, 0]);
  });

  it('resets the agent when its world is wiped, and enrolls afresh once a new world runs', () => {
    const sut = new AgentFixture();
    sut.assign({ name: 'policies/p', version: 7 });
    sut.grant.guestState[0] = GuestState.RUNNING;
    sut.step(0);
    sut.grant.guestState[0] = GuestState.WIPED;
    const wiped = sut.step(1);
    expect(wiped).toEqual([]);
    expect(sut.state.enrolled[0]).toBe(0);
    expect(sut.state.policyIndex[0]).toBe(0);
    expect(sut.state.enforcement[0]).toBe(EnforcementAction.NONE);
    sut.run(2, 20);
    expect(sut.eventsOf(EventKind.CHECK_IN, 0).map((event) => event.tick)).toEqual([0]);
    sut.grant.guestState[0] = GuestState.RUNNING;
    sut.step(20);
    expect(sut.eventsOf(EventKind.POLICY_APPLIED, 0).map(({ tick, a, b }) => ({ tick, a, b }))).toEqual([
      { tick: 0, a: 7, b: 1 },
      { tick: 20, a: 7, b: 1 },
    ]);
  });
});

describe('Simulation: agents with the rest of the shard', () => {
  const policyA = { name: 'policies/a', version: 2, duet: { checkInIntervalMinutes: 1 } };
  const policyB = { name: 'policies/b', version: 3, duet: { checkInIntervalMinutes: 1 } };
  const PUBLISH_TICK = 20; // every guest runs and every agent checks in every tick by then

  it('lets a policy published while a tick is processed reach every shard at the next tick, not in the middle', () => {
    const events: { shard: number; event: RecordedEvent }[] = [];
    let effectiveTick = -1;
    let sut: Simulation | undefined = undefined;
    const sink: EventSink = {
      onEvents(shard, buffer) {
        for (const event of recordEvents(buffer)) events.push({ shard, event });
        if (buffer.tick === PUBLISH_TICK && shard === 0) effectiveTick = sut!.publishPolicy(policyB);
      },
    };
    sut = new Simulation(
      {
        seed: 3,
        ticks: PUBLISH_TICK + 5,
        shards: 3,
        fleet: { handsets: 60, models: OPTIMUS_ONE, enrollmentWindowMinutes: 0 },
        policies: [{ tick: 0, policy: policyA }],
      },
      { sinks: [sink] },
    );
    sut.run();
    expect(effectiveTick).toBe(PUBLISH_TICK + 1);

    const at = (tick: number, kind: number) => events.filter(({ event }) => event.tick === tick && event.kind === kind);
    // At the publishing tick every shard, including those stepped after the publication, checks in and keeps A.
    const checkIns = at(PUBLISH_TICK, EventKind.CHECK_IN);
    expect(new Set(checkIns.map(({ shard }) => shard))).toEqual(new Set([0, 1, 2]));
    expect(checkIns).toHaveLength(60);
    expect(checkIns.every(({ event }) => event.a === 2 && event.b === 1)).toBe(true);
    expect(at(PUBLISH_TICK, EventKind.POLICY_APPLIED)).toEqual([]);
    // From the next tick every handset of every shard applies B.
    const applied = at(PUBLISH_TICK + 1, EventKind.POLICY_APPLIED);
    expect(applied).toHaveLength(60);
    expect(new Set(applied.map(({ shard }) => shard))).toEqual(new Set([0, 1, 2]));
    expect(applied.every(({ event }) => event.a === 3 && event.b === 2)).toBe(true);
    expect(at(PUBLISH_TICK + 2, EventKind.CHECK_IN).every(({ event }) => event.a === 3)).toBe(true);
  });

  it('makes a policy published between ticks effective at the next tick to process', () => {
    const sut = new Simulation({ seed: 3, ticks: 10, shards: 2, fleet: { handsets: 10, models: OPTIMUS_ONE } });
    sut.step();
    sut.step();
    expect(sut.publishPolicy(policyB)).toBe(2);
    expect(sut.timeline.policyFor(0, 1)).toBe(0);
    expect(sut.timeline.policyFor(0, 2)).toBe(1);
  });

  it('has the hypervisor suspend the business world the tick after the agent asks', () => {
    const sut = new Simulation({
      seed: 5,
      ticks: 30,
      shards: 1,
      fleet: { handsets: 40, models: OPTIMUS_ONE, enrollmentWindowMinutes: 0 },
      policies: [
        {
          tick: 0,
          policy: {
            name: 'policies/passcode',
            passwordPolicies: [{ passwordQuality: 'NUMERIC', passwordMinimumLength: 4 }],
            policyEnforcementRules: [{ settingName: 'passwordPolicies', blockAction: { blockAfterDays: 0 }, wipeAction: { wipeAfterDays: 1 } }],
          },
        },
      ],
    });
    const shard = sut.shards[0];
    // No owner has a passcode yet (the fleet draws 22 % without one; here everyone).
    shard.fleet.initialPasscodeRank.fill(0);
    shard.agent.passcodeRank.fill(0);
    shard.agent.passcodeLength.fill(0);
    const askedAt = new Int32Array(shard.fleet.size).fill(-1);
    while (!sut.done) {
      const tick = sut.tick;
      sut.step();
      for (let i = 0; i < shard.fleet.size; i++) {
        if (askedAt[i] === -1 && shard.agent.pendingWorldRequest[i] === WorldRequest.SUSPEND) askedAt[i] = tick;
        if (askedAt[i] !== -1 && tick === askedAt[i] + 1) expect(shard.hypervisor.guestState[i]).toBe(GuestState.SUSPENDED);
      }
    }
    expect(Array.from(askedAt).filter((tick) => tick >= 0).length).toBeGreaterThan(20);
  });
});

describe('dueCheckIns', () => {
  it('lists exactly the handsets whose agents then check in, and as enrollments those not yet enrolled', () => {
    const simulation = new Simulation({ seed: 5, ticks: 300, shards: 2, startMinuteOfDay: 480, fleet: { handsets: 120, enrollmentWindowMinutes: 30 } });
    const due: DueCheckIns = { enrollments: [], checkIns: [] };
    let compared = 0;
    let enrollments = 0;
    while (!simulation.done) {
      const tick = simulation.tick;
      const before = simulation.shards.map((shard) => ({
        enrolled: Uint8Array.from(shard.agent.enrolled),
        next: Int32Array.from(shard.agent.nextCheckInTick),
      }));
      simulation.step();
      simulation.shards.forEach((shard, s) => {
        const checkedIn: number[] = [];
        for (let e = 0; e < shard.events.length; e++) if (shard.events.kind[e] === EventKind.CHECK_IN) checkedIn.push(shard.indexOf(shard.events.handset[e]));
        // Replay the agents' state as it was before the tick against the grants they saw.
        const replay = new AgentShard(shard.fleet);
        replay.enrolled.set(before[s].enrolled);
        replay.nextCheckInTick.set(before[s].next);
        dueCheckIns(replay, shard.businessGrant, tick, due);
        expect([...due.checkIns].sort((a, b) => a - b)).toEqual(checkedIn.sort((a, b) => a - b));
        for (const i of due.enrollments) expect(before[s].enrolled[i]).toBe(0);
        compared += checkedIn.length;
        enrollments += due.enrollments.length;
      });
    }
    expect(compared).toBeGreaterThan(100);
    expect(enrollments).toBe(120);
  });
});

describe('stepAgent: applying a policy takes the business world', () => {
  it('holds a revision received while the work side is locked as PENDING, judged on the old one, and applies it once it runs', () => {
    const sut = new AgentFixture(4, { passcodeRank: 3 });
    sut.assign({ name: 'policies/a', duet: { checkInIntervalMinutes: 10 } });
    const b = sut.assign({ name: 'policies/b', screenCaptureDisabled: true, duet: { checkInIntervalMinutes: 10 } }, 5);
    sut.grant.guestState[0] = GuestState.RUNNING;
    sut.step(0);
    sut.grant.guestState[0] = GuestState.LOCKED;
    sut.run(1, 11);
    expect(sut.state.complianceMask[0]).toBe(NonComplianceReason.PENDING);
    expect(sut.state.policyIndex[0]).not.toBe(b);
    sut.grant.guestState[0] = GuestState.RUNNING;
    sut.run(11, 21);
    expect(sut.state.policyIndex[0]).toBe(b);
    expect(sut.state.complianceMask[0]).toBe(0);
  });

  it('reports a FORCE_INSTALLED app missing (APP_NOT_INSTALLED) until the check-in after the policy applied', () => {
    const sut = new AgentFixture(4, { passcodeRank: 3 });
    sut.assign({
      name: 'policies/p',
      applications: [{ packageName: 'com.facebook.katana', installType: 'FORCE_INSTALLED' }],
      duet: { checkInIntervalMinutes: 10 },
    });
    sut.grant.guestState[0] = GuestState.RUNNING;
    sut.step(0);
    expect(sut.state.complianceMask[0]).toBe(NonComplianceReason.APP_NOT_INSTALLED);
    sut.run(1, 16);
    expect(sut.state.complianceMask[0]).toBe(0);
  });

  it('cannot remove a BLOCKED system app of the business image (APP_INSTALLED), but removes a BLOCKED app it installed', () => {
    const sut = new AgentFixture(4, { passcodeRank: 3 });
    const games = 'com.rovio.angrybirds';
    sut.assign({ name: 'policies/install', applications: [{ packageName: games, installType: 'FORCE_INSTALLED' }], duet: { checkInIntervalMinutes: 10 } });
    sut.assign(
      {
        name: 'policies/block',
        applications: [
          { packageName: games, installType: 'BLOCKED' },
          { packageName: 'com.android.browser', installType: 'BLOCKED' },
        ],
        duet: { checkInIntervalMinutes: 10 },
      },
      15,
    );
    sut.grant.guestState[0] = GuestState.RUNNING;
    sut.run(0, 30);
    expect(sut.state.installedAppMask[0] & (1 << App.GAMES)).toBe(0);
    expect(sut.state.installedAppMask[0] & (1 << App.BROWSER)).not.toBe(0);
    expect(sut.state.complianceMask[0]).toBe(NonComplianceReason.APP_INSTALLED);
  });

  it('judges minimumVersionCode on the handset version of each app, not only email', () => {
    const sut = new AgentFixture(4, { passcodeRank: 3 });
    sut.assign({ name: 'policies/p', applications: [{ packageName: 'com.android.browser', minimumVersionCode: 100 }] });
    sut.grant.guestState.fill(GuestState.RUNNING);
    sut.step(0);
    expect(Array.from(sut.state.complianceMask)).toEqual([0, 0, 0, 0]);
  });
});
