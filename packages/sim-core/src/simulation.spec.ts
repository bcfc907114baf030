import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from './errors';
import { EventKind, FlowKind, flowLeavesBusiness } from './model/enums';
import type { EventBuffer } from './model/events';
import { Simulation, type SimulationConfig } from './simulation';

const OFFICE_HOURS = 8 * 60; // start at 08:00 so business personas are busy

function config(overrides: Partial<SimulationConfig> = {}): SimulationConfig {
  return { seed: 7, ticks: 240, shards: 1, startMinuteOfDay: OFFICE_HOURS, fleet: { handsets: 300, enrollmentWindowMinutes: 10 }, ...overrides };
}

describe('Simulation determinism', () => {
  it('gives the same digest and summary for 1, 3 and 7 shards', () => {
    const summaries = [1, 3, 7].map((shards) => ({ ...new Simulation(config({ shards })).run(), shards: 'any' }));
    expect(summaries[1]).toEqual(summaries[0]);
    expect(summaries[2]).toEqual(summaries[0]);
  });

  it('gives a different digest for a different seed', () => {
    const a = new Simulation(config({ seed: 1 })).run();
    const b = new Simulation(config({ seed: 2 })).run();
    expect(a.digest).not.toBe(b.digest);
  });

  it('gives the same digest whether run in one go or resumed tick by tick with digests taken in between', () => {
    const whole = new Simulation(config()).run();
    const stepped = new Simulation(config());
    while (!stepped.done) {
      stepped.step();
      if (stepped.tick % 50 === 0) stepped.digest();
    }
    expect(stepped.summary().digest).toBe(whole.digest);
  });
});

describe('Simulation input validation', () => {
  function issuesOf(make: () => unknown) {
    try {
      make();
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      return (error as ValidationError).issues;
    }
    throw new Error('expected a ValidationError');
  }

  it('names the field and rule of an unknown model', () => {
    const issues = issuesOf(() => new Simulation(config({ fleet: { handsets: 10, models: [{ name: 'optimus-9000', weight: 1 }] } })));
    expect(issues).toContainEqual(expect.objectContaining({ path: 'fleet.models.0.name', rule: 'enum' }));
    expect(issues[0].message).toContain('optimus-9000');
  });

  it('names the field and rule of a negative handset count', () => {
    const issues = issuesOf(() => new Simulation(config({ fleet: { handsets: -5 } })));
    expect(issues).toContainEqual(expect.objectContaining({ path: 'fleet.handsets', rule: 'range' }));
  });

  it('names the field and rule of a policy with an unknown field and a bad enum, all at once', () => {
    const issues = issuesOf(
      () =>
        new Simulation(
          config({
            shards: 0,
            policies: [
              {
                tick: 0,
                policy: { name: 'policies/x', cameraAccesss: 'CAMERA_ACCESS_DISABLED', crossProfilePolicies: { crossProfileCopyPaste: 'SOMETIMES' } },
              },
            ],
          }),
        ),
    );
    const paths = issues.map((issue) => `${issue.path} [${issue.rule}]`);
    expect(paths).toContain('shards [range]');
    expect(paths.some((path) => path.startsWith('policies.0.policy.cameraAccesss'))).toBe(true);
    expect(paths).toContain('policies.0.policy.crossProfilePolicies.crossProfileCopyPaste [enum]');
  });

  it('rejects a command for a handset outside the fleet and an unknown command type', () => {
    const issues = issuesOf(() => new Simulation(config({ commands: [{ tick: 1, handsets: [300], type: 'EXPLODE' }] })));
    expect(issues.map((issue) => issue.path)).toEqual(expect.arrayContaining(['commands.0.type', 'commands.0.handsets.0']));
  });
});

describe('Simulation policy and commands', () => {
  it('applies a policy change published mid-tick from the next tick on, for every shard alike', () => {
    const seenVersions: number[][] = [];
    let published = -1;
    const sink = {
      onEvents(shard: number, events: EventBuffer) {
        if (simulation.tick === 100 && shard === 0 && published < 0) {
          published = simulation.publishPolicy({ name: 'policies/v2', version: 2, duet: { checkInIntervalMinutes: 1 } });
        }
        for (let e = 0; e < events.length; e++) {
          if (events.kind[e] === EventKind.POLICY_APPLIED) (seenVersions[events.tick] ??= []).push(events.a[e]);
        }
      },
    };
    const simulation = new Simulation(config({ shards: 4, fleet: { handsets: 200, enrollmentWindowMinutes: 5 } }), { sinks: [sink] });
    simulation.run();
    expect(published).toBe(101);
    expect(seenVersions.slice(0, 101).flat()).not.toContain(2);
    expect(seenVersions.slice(101).flat()).toContain(2);
  });

  it('wipes the business worlds a scheduled command names', () => {
    const summary = new Simulation(config({ commands: [{ tick: 200, handsets: [0, 1, 2], type: 'WIPE_BUSINESS_WORLD' }] })).run();
    expect(summary.kpis.commandsExecuted).toBe(3);
    expect(summary.totals.guestWiped).toBeGreaterThan(0);
  });
});

// The isolation property (docs/design.md#the-domain): business data never reaches the personal persona unless
// the policy allowed that flow, and every such flow is an event.
describe('cross-persona isolation', () => {
  const copyPaste = fc.constantFrom('COPY_FROM_WORK_TO_PERSONAL_DISALLOWED', 'CROSS_PROFILE_COPY_PASTE_ALLOWED');
  const dataSharing = fc.constantFrom(
    'CROSS_PROFILE_DATA_SHARING_DISALLOWED',
    'DATA_SHARING_FROM_WORK_TO_PERSONAL_DISALLOWED',
    'CROSS_PROFILE_DATA_SHARING_ALLOWED',
  );
  const contacts = fc.constantFrom(
    'SHOW_WORK_CONTACTS_IN_PERSONAL_PROFILE_DISALLOWED',
    'SHOW_WORK_CONTACTS_IN_PERSONAL_PROFILE_ALLOWED',
    'SHOW_WORK_CONTACTS_IN_PERSONAL_PROFILE_DISALLOWED_EXCEPT_SYSTEM',
  );
  const crossProfile = fc.record({ crossProfileCopyPaste: copyPaste, crossProfileDataSharing: dataSharing, showWorkContactsInPersonalProfile: contacts });

  // The oracle reads the AMAPI document directly, independent of compilePolicy.
  function allowedByDocument(policy: { crossProfilePolicies: Record<string, string>; screenCaptureDisabled?: boolean }, kind: number): boolean {
    const cross = policy.crossProfilePolicies;
    if (kind === FlowKind.SCREEN_CAPTURE_WORK_TO_PERSONAL) return policy.screenCaptureDisabled !== true;
    if (kind === FlowKind.COPY_WORK_TO_PERSONAL) return cross.crossProfileCopyPaste === 'CROSS_PROFILE_COPY_PASTE_ALLOWED';
    if (kind === FlowKind.SHARE_WORK_TO_PERSONAL) return cross.crossProfileDataSharing === 'CROSS_PROFILE_DATA_SHARING_ALLOWED';
    if (kind === FlowKind.WORK_CONTACT_LOOKUP_FROM_PERSONAL)
      return cross.showWorkContactsInPersonalProfile === 'SHOW_WORK_CONTACTS_IN_PERSONAL_PROFILE_ALLOWED';
    throw new Error(`not a flow out of business: ${kind}`);
  }

  it('delivers business data to personal only through flows the applied policy allowed', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1_000_000 }),
        crossProfile,
        crossProfile,
        fc.boolean(),
        fc.integer({ min: 1, max: 200 }),
        (seed, first, second, screenCaptureDisabled, changeTick) => {
          const documents = [
            { name: 'policies/first', version: 1, crossProfilePolicies: first, screenCaptureDisabled },
            { name: 'policies/second', version: 2, crossProfilePolicies: second, screenCaptureDisabled: !screenCaptureDisabled },
          ];
          const delivered = new Map<number, number>();
          let violations = 0;
          let leavingFlows = 0;
          const sink = {
            onEvents(shard: number, events: EventBuffer) {
              const demand = simulation.shards[shard].businessDemand;
              const index = simulation.shards[shard];
              for (let e = 0; e < events.length; e++) {
                if (events.kind[e] !== EventKind.CROSS_PERSONA_FLOW || !flowLeavesBusiness(events.a[e])) continue;
                leavingFlows++;
                if (events.b[e] !== 1) continue;
                const policyIndex = demand.policyIndex[index.indexOf(events.handset[e])];
                // Registry index 0 is AMAPI's defaults; 1 and 2 are the documents above.
                const document =
                  policyIndex === 0
                    ? { crossProfilePolicies: { showWorkContactsInPersonalProfile: 'SHOW_WORK_CONTACTS_IN_PERSONAL_PROFILE_ALLOWED' } }
                    : documents[policyIndex - 1];
                if (!allowedByDocument(document, events.a[e])) violations++;
                delivered.set(events.handset[e], (delivered.get(events.handset[e]) ?? 0) + 1);
              }
            },
          };
          const simulation = new Simulation(
            config({
              seed,
              shards: 3,
              ticks: 240,
              fleet: { handsets: 60, enrollmentWindowMinutes: 5, businessIntensity: 3 },
              policies: [
                { tick: 0, policy: documents[0] },
                { tick: changeTick, policy: documents[1] },
              ],
            }),
            { sinks: [sink] },
          );
          simulation.run();
          expect(violations).toBe(0);
          const personalItems = simulation.finalState().personalBusinessItems;
          for (let id = 0; id < 60; id++) expect(personalItems[id]).toBe(delivered.get(id) ?? 0);
          expect(leavingFlows).toBeGreaterThan(0);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('lets no business data into personal when every outward flow is disallowed', () => {
    const summary = new Simulation(
      config({
        fleet: { handsets: 200, enrollmentWindowMinutes: 5, businessIntensity: 3 },
        policies: [
          {
            tick: 0,
            policy: {
              name: 'policies/locked-down',
              screenCaptureDisabled: true,
              crossProfilePolicies: {
                crossProfileCopyPaste: 'COPY_FROM_WORK_TO_PERSONAL_DISALLOWED',
                crossProfileDataSharing: 'CROSS_PROFILE_DATA_SHARING_DISALLOWED',
                showWorkContactsInPersonalProfile: 'SHOW_WORK_CONTACTS_IN_PERSONAL_PROFILE_DISALLOWED',
              },
            },
          },
        ],
      }),
    ).run();
    expect(summary.kpis.flowsBlocked).toBeGreaterThan(0);
    expect(summary.kpis.businessItemsInPersonal).toBe(0);
    expect(summary.totals.flowsToPersonalAllowed).toBe(0);
  });
});
