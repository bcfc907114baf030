import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors';
import { CATALOGUE, modelByName, modelIndexByName } from './catalogue';

describe('CATALOGUE', () => {
  const sut = CATALOGUE;

  it('lists the eight LG handsets of docs/sources.md under unique kebab-case names', () => {
    const names = sut.map((handset) => handset.name);
    expect(names).toEqual(['optimus-one', 'optimus-2x', 'optimus-black', 'optimus-3d', 'optimus-lte', 'optimus-4x-hd', 'optimus-g', 'intuition']);
    for (const name of names) expect(name).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
  });

  it.each(CATALOGUE.map((handset) => [handset.name, handset] as const))('gives %s source ids of docs/sources.md and sane figures', (_name, handset) => {
    expect(handset.sources.length).toBeGreaterThan(0);
    for (const source of handset.sources) expect(source).toMatch(/^[A-Z]\d+$/);
    expect([1, 2, 4]).toContain(handset.cores);
    expect(handset.clockMhz).toBeGreaterThanOrEqual(500);
    expect(handset.clockMhz).toBeLessThanOrEqual(2000);
    expect(handset.ramMb).toBeGreaterThanOrEqual(256);
    expect(handset.ramMb).toBeLessThanOrEqual(2048);
    expect(handset.batteryMah).toBeGreaterThanOrEqual(1000);
    expect(handset.batteryMah).toBeLessThanOrEqual(3000);
    expect(handset.androidAtLaunch).toMatch(/^[24]\.\d(\.\d)?$/);
    expect(handset.apiLevel).toBeGreaterThanOrEqual(8);
    expect(handset.apiLevel).toBeLessThanOrEqual(15);
  });

  it('maps each launch Android release to its API level', () => {
    const apiLevelOf: Record<string, number> = { '2.2': 8, '2.2.1': 8, '2.2.2': 8, '2.3.5': 10, '4.0': 14, '4.0.4': 15 };
    for (const handset of sut) expect(handset.apiLevel).toBe(apiLevelOf[handset.androidAtLaunch]);
  });

  it('names the figures docs/sources.md marks not verified in notes instead of stating them', () => {
    expect(modelByName('optimus-black').soc).not.toContain('3630');
    expect(modelByName('optimus-black').notes).toMatch(/OMAP3630.*NV/);
    expect(modelByName('optimus-lte').soc).not.toContain('MSM8660');
    expect(modelByName('optimus-lte').notes).toMatch(/MSM8660.*NV/);
    expect(modelByName('intuition').soc).not.toMatch(/S[34]/);
    expect(modelByName('intuition').notes).toMatch(/S3.*S4/);
    expect(modelByName('optimus-3d').notes).toMatch(/RAM/);
  });

  it('is frozen', () => {
    expect(Object.isFrozen(sut)).toBe(true);
    expect(Object.isFrozen(sut[0])).toBe(true);
    expect(Object.isFrozen(sut[0].sources)).toBe(true);
  });
});

describe('modelByName', () => {
  const sut = modelByName;

  it('finds a model by its kebab-case name', () => {
    expect(sut('optimus-2x')).toMatchObject({ soc: 'NVIDIA Tegra 2 (AP20H)', cores: 2, clockMhz: 1000, ramMb: 512, batteryMah: 1500 });
  });

  it('rejects an unknown model with an error naming the field model and the known names', () => {
    let error: unknown;
    try {
      sut('optimus-prime');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ValidationError);
    const issues = (error as ValidationError).issues;
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ path: 'model', rule: 'enum' });
    expect(issues[0].message).toContain('unknown model "optimus-prime"');
    expect(issues[0].message).toContain('optimus-one');
    expect(issues[0].message).toContain('intuition');
  });
});

describe('modelIndexByName', () => {
  const sut = modelIndexByName;

  it('returns the index into CATALOGUE', () => {
    CATALOGUE.forEach((handset, index) => expect(sut(handset.name)).toBe(index));
  });

  it('rejects an unknown model with the same error', () => {
    expect(() => sut('nexus-one')).toThrow(ValidationError);
    expect(() => sut('nexus-one')).toThrow(/model: unknown model "nexus-one"/);
  });
});
