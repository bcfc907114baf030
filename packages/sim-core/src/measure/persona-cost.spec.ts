import { describe, expect, it } from 'vitest';
import { EventKind, FlowKind, flowLeavesBusiness } from '../model/enums';
import type { EventBuffer } from '../model/events';
import { Simulation, type SimulationConfig } from '../simulation';

const FLOW_NAMES: Record<number, string> = {
  [FlowKind.COPY_WORK_TO_PERSONAL]: 'COPY_WORK_TO_PERSONAL',
  [FlowKind.SHARE_WORK_TO_PERSONAL]: 'SHARE_WORK_TO_PERSONAL',
  [FlowKind.WORK_CONTACT_LOOKUP_FROM_PERSONAL]: 'WORK_CONTACT_LOOKUP_FROM_PERSONAL',
  [FlowKind.SCREEN_CAPTURE_WORK_TO_PERSONAL]: 'SCREEN_CAPTURE_WORK_TO_PERSONAL',
};
const OPEN = {
  crossProfileCopyPaste: 'CROSS_PROFILE_COPY_PASTE_ALLOWED',
  crossProfileDataSharing: 'CROSS_PROFILE_DATA_SHARING_ALLOWED',
  showWorkContactsInPersonalProfile: 'SHOW_WORK_CONTACTS_IN_PERSONAL_PROFILE_ALLOWED',
};

function config(seed: number, shards: number): SimulationConfig {
  return {
    seed,
    ticks: 240,
    shards,
    startMinuteOfDay: 8 * 60,
    fleet: { handsets: 120, enrollmentWindowMinutes: 5, businessIntensity: 3 },
    policies: [
      { tick: 0, policy: { name: 'policies/open', crossProfilePolicies: OPEN } },
      // Mid-run, clipboard closes and a VPN is required: later copies must stop, sharing goes on under revision 2.
      {
        tick: 120,
        policy: {
          name: 'policies/closed-clipboard',
          alwaysOnVpnPackage: { packageName: 'com.example.vpn' },
          crossProfilePolicies: { ...OPEN, crossProfileCopyPaste: 'COPY_FROM_WORK_TO_PERSONAL_DISALLOWED' },
        },
      },
    ],
  } as SimulationConfig;
}

describe('the data-leak ledger', () => {
  it.each([1, 3])('traces every business item in personal to its flow and the revision that allowed it (%i shards)', (shards) => {
    // The reference: each allowed outward flow event, with the revision the handset's business demand carried.
    const expected = new Map<string, { count: number; firstTick: number; lastTick: number }>();
    const sink = {
      onEvents(shard: number, events: EventBuffer) {
        const run = simulation.shards[shard];
        for (let e = 0; e < events.length; e++) {
          if (events.kind[e] !== EventKind.CROSS_PERSONA_FLOW || events.b[e] !== 1 || !flowLeavesBusiness(events.a[e])) continue;
          const revision = run.businessDemand.policyIndex[run.indexOf(events.handset[e])];
          const key = `${FLOW_NAMES[events.a[e]]}@${revision}`;
          const cell = expected.get(key) ?? { count: 0, firstTick: events.tick, lastTick: events.tick };
          expected.set(key, { count: cell.count + 1, firstTick: cell.firstTick, lastTick: events.tick });
        }
      },
    };
    const simulation = new Simulation(config(11, shards), { sinks: [sink] });
    const summary = simulation.run();
    const ledger = new Map(
      summary.leakLedger.map((entry) => [
        `${entry.flow}@${entry.policyRevision}`,
        { count: entry.count, firstTick: entry.firstTick, lastTick: entry.lastTick },
      ]),
    );
    expect(ledger).toEqual(expected);
    // The old count, the ledger and the per-flow KPIs agree.
    const total = summary.leakLedger.reduce((sum, entry) => sum + entry.count, 0);
    expect(total).toBe(summary.kpis.businessItemsInPersonal);
    expect(
      summary.totals.leaksCopyWorkToPersonal +
        summary.totals.leaksShareWorkToPersonal +
        summary.totals.leaksWorkContactLookup +
        summary.totals.leaksScreenCaptureWorkToPersonal,
    ).toBe(total);
    expect(summary.totals.flowsToPersonalAllowed).toBe(total);
    // Both revisions let items through, and no copy went through once the clipboard closed.
    expect(summary.leakLedger.some((entry) => entry.policyRevision === 1)).toBe(true);
    expect(summary.leakLedger.some((entry) => entry.policyRevision === 2 && entry.flow === 'SHARE_WORK_TO_PERSONAL')).toBe(true);
    expect(summary.leakLedger.find((entry) => entry.policyRevision === 2 && entry.flow === 'COPY_WORK_TO_PERSONAL')).toBeUndefined();
  });

  it('is the same for any number of shards', () => {
    const one = new Simulation(config(5, 1)).run();
    const seven = new Simulation(config(5, 7)).run();
    expect(seven.leakLedger).toEqual(one.leakLedger);
    expect(seven.cost).toEqual(one.cost);
  });
});

describe('per-persona cost', () => {
  it('splits the fleet’s drain by persona without losing or inventing any, and bills all data to the host as the platform did', () => {
    const simulation = new Simulation(config(3, 3));
    const { cost, totals } = simulation.run();
    const consumed = simulation.shards.reduce(
      (sum, { hypervisor }) => sum + Array.from(hypervisor.fleet.ids, (_, i) => hypervisor.consumedMicroAh(i)).reduce((a, b) => a + b, 0),
      0,
    );
    expect(cost.personal.energyMicroAh + cost.business.energyMicroAh).toBe(consumed);
    expect(cost.business.energyMicroAh).toBeGreaterThan(0);
    expect(cost.personal.energyMicroAh).toBeGreaterThan(0);
    expect(cost.dataBilledToHostKilobytes).toBe(cost.personal.dataKilobytes + cost.business.dataKilobytes);
    expect(cost.business.dataKilobytes).toBeGreaterThan(0);
    expect(cost.personal.degradedSessions + cost.business.degradedSessions).toBe(totals.sessionsDegraded);
  });
});
