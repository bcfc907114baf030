import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors';
import { DEFAULT_POLICY, parsePolicy } from './policy';
import { PolicyRegistry, PolicyTimeline } from './policy-timeline';

const GROUPS = ['sales', 'field', 'executives'];
const SALES = 0;
const FIELD = 1;
const EXECUTIVES = 2;

describe('PolicyTimeline', () => {
  it('assigns AMAPI defaults (index 0) to every group until a policy is assigned', () => {
    const sut = new PolicyTimeline(GROUPS);
    for (let group = 0; group < GROUPS.length; group++) expect(sut.policyFor(group, 1_000_000)).toBe(0);
  });

  it('applies an assignment from its effective tick on, not before', () => {
    const sut = new PolicyTimeline(GROUPS);
    sut.assign(1, 10);
    expect(sut.policyFor(SALES, 9)).toBe(0);
    expect(sut.policyFor(SALES, 10)).toBe(1);
    expect(sut.policyFor(SALES, 500)).toBe(1);
  });

  it('lets a later effective tick replace an earlier one, whatever order they were assigned in', () => {
    const sut = new PolicyTimeline(GROUPS);
    sut.assign(2, 20);
    sut.assign(1, 10);
    expect(sut.policyFor(FIELD, 15)).toBe(1);
    expect(sut.policyFor(FIELD, 20)).toBe(2);
    expect(sut.policyFor(FIELD, 25)).toBe(2);
  });

  it('lets the assignment made later win when two take effect at the same tick', () => {
    const sut = new PolicyTimeline(GROUPS);
    sut.assign(1, 5);
    sut.assign(2, 5);
    expect(sut.policyFor(SALES, 5)).toBe(2);
    sut.assign(3, 5);
    expect(sut.policyFor(SALES, 5)).toBe(3);
  });

  it('assigns to the named groups only', () => {
    const sut = new PolicyTimeline(GROUPS);
    sut.assign(1, 0);
    sut.assign(2, 3, ['field', 'executives']);
    expect(sut.policyFor(SALES, 10)).toBe(1);
    expect(sut.policyFor(FIELD, 10)).toBe(2);
    expect(sut.policyFor(EXECUTIVES, 10)).toBe(2);
    expect(sut.policyFor(FIELD, 2)).toBe(1);
  });

  it('rejects an unknown group with a ValidationError naming its path and the rule enum', () => {
    const sut = new PolicyTimeline(GROUPS);
    let caught: unknown;
    try {
      sut.assign(1, 0, ['sales', 'marketing']);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ValidationError);
    const issues = (caught as ValidationError).issues;
    expect(issues).toHaveLength(1);
    expect(issues[0].path).toBe('groups.1');
    expect(issues[0].rule).toBe('enum');
    expect(issues[0].message).toContain('marketing');
    expect(issues[0].message).toContain('sales, field, executives');
  });

  it('changes nothing when an assignment names an unknown group', () => {
    const sut = new PolicyTimeline(GROUPS);
    expect(() => sut.assign(1, 0, ['sales', 'marketing'])).toThrow(ValidationError);
    expect(sut.policyFor(SALES, 10)).toBe(0);
  });

  it('keeps a region reachable outside its outages; the outage end is exclusive', () => {
    const sut = new PolicyTimeline(GROUPS);
    sut.addOutage(1, 10, 20);
    expect(sut.reachable(1, 9)).toBe(true);
    expect(sut.reachable(1, 10)).toBe(false);
    expect(sut.reachable(1, 19)).toBe(false);
    expect(sut.reachable(1, 20)).toBe(true);
  });

  it('cuts off only the region that has the outage', () => {
    const sut = new PolicyTimeline(GROUPS);
    sut.addOutage(1, 10, 20);
    expect(sut.reachable(0, 15)).toBe(true);
    expect(sut.reachable(2, 15)).toBe(true);
  });

  it('handles several outages of one region', () => {
    const sut = new PolicyTimeline(GROUPS);
    sut.addOutage(0, 0, 5);
    sut.addOutage(0, 100, 101);
    expect(sut.reachable(0, 4)).toBe(false);
    expect(sut.reachable(0, 50)).toBe(true);
    expect(sut.reachable(0, 100)).toBe(false);
    expect(sut.reachable(0, 101)).toBe(true);
  });
});

describe('PolicyRegistry', () => {
  it('holds AMAPI defaults at index 0 and numbers registered policies from 1', () => {
    const sut = new PolicyRegistry();
    expect(sut.policies[0]).toBe(DEFAULT_POLICY);
    expect(sut.effective[0].copyWorkToPersonalAllowed).toBe(false);
    const first = sut.register(parsePolicy({ name: 'policies/a', version: 2 }));
    const second = sut.register(parsePolicy({ name: 'policies/b', version: 3, cameraAccess: 'CAMERA_ACCESS_DISABLED' }));
    expect([first, second]).toEqual([1, 2]);
    expect(sut.effective[1].version).toBe(2);
    expect(sut.effective[2].cameraDisabled).toBe(true);
  });
});
