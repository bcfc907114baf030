import { PolicyRegistry, PolicyTimeline, parsePolicy } from '@duet/sim-core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RevisionTimeline } from './revision-timeline';

const GROUP_NAMES = ['sales', 'field', 'executives', 'contractors', 'kiosk'];
const LAST_TICK = 60; // ticks probed: past the last effective tick generated

// A random run: its groups, and publications in publish order (no groups = every group).
const runArbitrary = fc.subarray(GROUP_NAMES, { minLength: 1 }).chain((groupNames) =>
  fc.record({
    groupNames: fc.constant(groupNames),
    publishes: fc.array(
      fc.record({
        effectiveTick: fc.integer({ min: 0, max: 50 }),
        groups: fc.option(fc.subarray(groupNames, { minLength: 1 }), { nil: undefined }),
      }),
      { maxLength: 25 },
    ),
  }),
);

describe('RevisionTimeline', () => {
  it('assigns the same revision as sim-core PolicyTimeline over a PolicyRegistry, for every group and tick of random runs', () => {
    fc.assert(
      fc.property(runArbitrary, ({ groupNames, publishes }) => {
        const registry = new PolicyRegistry();
        const reference = new PolicyTimeline(groupNames);
        const sut = new RevisionTimeline();
        publishes.forEach((publish, index) => {
          const registryIndex = registry.register(parsePolicy({ name: `policies/p${index}` }));
          const revision = index + 1; // policy-authority numbers a run's publications 1, 2, 3 ...
          expect(registryIndex).toBe(revision);
          reference.assign(registryIndex, publish.effectiveTick, publish.groups);
          sut.add({ revision, effectiveTick: publish.effectiveTick, groups: publish.groups });
        });
        for (let code = 0; code < groupNames.length; code++) {
          for (let tick = 0; tick <= LAST_TICK; tick++) expect(sut.revisionFor(groupNames[code], tick)).toBe(reference.policyFor(code, tick));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('gives the same answers whether built from stored publications or added one by one', () => {
    fc.assert(
      fc.property(runArbitrary, ({ groupNames, publishes }) => {
        const publications = publishes.map((publish, index) => ({ revision: index + 1, ...publish }));
        const sut = new RevisionTimeline(publications);
        const incremental = new RevisionTimeline();
        for (const publication of publications) incremental.add(publication);
        for (const group of groupNames)
          for (let tick = 0; tick <= LAST_TICK; tick++) expect(sut.revisionFor(group, tick)).toBe(incremental.revisionFor(group, tick));
      }),
    );
  });

  it('assigns revision 0 (AMAPI defaults) before anything is published or effective', () => {
    const sut = new RevisionTimeline([{ revision: 1, effectiveTick: 10, groups: undefined }]);
    expect(new RevisionTimeline().revisionFor('sales', 1_000)).toBe(0);
    expect(sut.revisionFor('sales', 9)).toBe(0);
    expect(sut.revisionFor('sales', 10)).toBe(1);
  });

  it('lets the later publication win when two take effect at the same tick', () => {
    const sut = new RevisionTimeline([
      { revision: 1, effectiveTick: 5, groups: ['sales'] },
      { revision: 2, effectiveTick: 5, groups: undefined },
    ]);
    expect(sut.revisionFor('sales', 5)).toBe(2);
  });

  it('applies a publication without groups to groups it has never seen', () => {
    const sut = new RevisionTimeline([
      { revision: 1, effectiveTick: 0, groups: undefined },
      { revision: 2, effectiveTick: 3, groups: ['field'] },
    ]);
    expect(sut.revisionFor('a-group-enrolled-later', 4)).toBe(1);
    expect(sut.revisionFor('field', 4)).toBe(2);
    expect(sut.lastRevision).toBe(2);
  });
});
