import { describe, expect, it } from 'vitest';
import { CounterRandom, Stream, cumulativeWeights, foldSeed } from './random';

const DRAWS = 100_000; // enough for a mean within ±0.01 of 0.5 with overwhelming probability

describe('CounterRandom', () => {
  it('gives the same value for the same counter in two separate instances', () => {
    const sut = new CounterRandom(42);
    const other = new CounterRandom(42);
    for (let tick = 0; tick < 100; tick++) {
      expect(sut.bits(7, 1, Stream.USER_APP, tick)).toBe(other.bits(7, 1, Stream.USER_APP, tick));
    }
  });

  it('gives through a stream key the very value uniform() gives, for any seed, handset, persona and tick', () => {
    for (const seed of [0, 1, -7, 2 ** 40 + 3]) {
      const sut = new CounterRandom(seed);
      for (const handset of [0, 1, 99_999, 4_000_000_000]) {
        for (const persona of [0, 1, 2]) {
          const key = sut.streamKey(handset, persona, Stream.USER_INTERACTION);
          for (const tick of [0, 1, 1439, 2 ** 31 - 1]) expect(sut.uniformAt(key, tick)).toBe(sut.uniform(handset, persona, Stream.USER_INTERACTION, tick));
        }
      }
    }
  });

  it('gives the same value whatever was drawn before (no state between calls)', () => {
    const sut = new CounterRandom(42);
    const first = sut.uniform(3, 2, Stream.CHARGING, 10);
    for (let tick = 0; tick < 50; tick++) sut.uniform(3, 2, Stream.CHARGING, tick);
    expect(sut.uniform(3, 2, Stream.CHARGING, 10)).toBe(first);
  });

  it('changes the value when any one part of the counter changes', () => {
    const sut = new CounterRandom(42);
    const base = sut.bits(7, 1, Stream.USER_APP, 100);
    expect(new CounterRandom(43).bits(7, 1, Stream.USER_APP, 100)).not.toBe(base);
    expect(sut.bits(8, 1, Stream.USER_APP, 100)).not.toBe(base);
    expect(sut.bits(7, 2, Stream.USER_APP, 100)).not.toBe(base);
    expect(sut.bits(7, 1, Stream.USER_DURATION, 100)).not.toBe(base);
    expect(sut.bits(7, 1, Stream.USER_APP, 101)).not.toBe(base);
  });

  it('gives distinct values for neighbouring counters (no collisions over a grid of 8,000)', () => {
    const sut = new CounterRandom(1);
    const seen = new Set<number>();
    for (let handset = 0; handset < 20; handset++) {
      for (let persona = 0; persona < 2; persona++) {
        for (let stream = 20; stream < 30; stream++) {
          for (let tick = 0; tick < 20; tick++) seen.add(sut.bits(handset, persona, stream, tick));
        }
      }
    }
    // 8,000 draws of 32 bits: a chance collision has probability ≈ 0.7 %, so allow one.
    expect(seen.size).toBeGreaterThanOrEqual(7999);
  });

  it('draws uniforms in [0, 1) with a mean of 0.5 and every decile about equally filled', () => {
    const sut = new CounterRandom(2011);
    const deciles = new Array<number>(10).fill(0);
    let sum = 0;
    let min = 1;
    let max = 0;
    for (let k = 0; k < DRAWS; k++) {
      const value = sut.uniform(k % 1000, 1, Stream.USER_INTERACTION, Math.floor(k / 1000));
      sum += value;
      min = Math.min(min, value);
      max = Math.max(max, value);
      deciles[Math.floor(value * 10)]++;
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    expect(sum / DRAWS).toBeCloseTo(0.5, 2);
    for (const count of deciles) expect(Math.abs(count - DRAWS / 10)).toBeLessThan(DRAWS / 100);
  });

  it('draws exponentials with the requested mean', () => {
    const sut = new CounterRandom(5);
    let sum = 0;
    for (let tick = 0; tick < DRAWS; tick++) sum += sut.exponential(71.56, 0, 1, Stream.USER_DURATION, tick);
    expect(sum / DRAWS).toBeGreaterThan(71.56 * 0.97);
    expect(sum / DRAWS).toBeLessThan(71.56 * 1.03);
  });

  it('picks indexes in proportion to their weights and never one of weight zero', () => {
    const sut = new CounterRandom(9);
    const cumulative = cumulativeWeights([1, 0, 3, 0]);
    const counts = [0, 0, 0, 0];
    for (let tick = 0; tick < DRAWS; tick++) counts[sut.pick(cumulative, 4, 0, Stream.USER_APP, tick)]++;
    expect(counts[1]).toBe(0);
    expect(counts[3]).toBe(0);
    expect(counts[0] / DRAWS).toBeCloseTo(0.25, 1);
    expect(counts[2] / DRAWS).toBeCloseTo(0.75, 1);
  });

  it('never picks a leading zero-weight index', () => {
    const sut = new CounterRandom(9);
    const cumulative = cumulativeWeights([0, 0, 5]);
    for (let tick = 0; tick < 10_000; tick++) expect(sut.pick(cumulative, 1, 0, Stream.FLEET_MODEL, tick)).toBe(2);
  });
});

describe('cumulativeWeights', () => {
  it('accumulates weights so the last entry is the total', () => {
    const sut = cumulativeWeights;
    expect(Array.from(sut([0.5, 0, 2, 1.5]))).toEqual([0.5, 0.5, 2.5, 4]);
  });
});

describe('foldSeed', () => {
  const sut = foldSeed;

  it('rejects a seed that is not an integer', () => {
    expect(() => sut(1.5)).toThrow(RangeError);
    expect(() => sut(Number.NaN)).toThrow(RangeError);
  });

  it('rejects an integer beyond the safe range', () => {
    expect(() => sut(2 ** 53)).toThrow(RangeError);
  });

  it('accepts negative and above-2^32 safe integers and folds them to distinct 32-bit values', () => {
    const seeds = [0, 1, -1, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, -(2 ** 32), Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER];
    const folded = seeds.map((seed) => sut(seed));
    for (const value of folded) {
      expect(Number.isInteger(value)).toBe(true);
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThan(2 ** 32);
    }
    expect(new Set(folded).size).toBe(seeds.length);
  });

  it('keeps the high part of a seed: seeds 2^32 apart give different streams', () => {
    const low = new CounterRandom(7);
    const high = new CounterRandom(7 + 2 ** 32);
    expect(high.bits(0, 0, Stream.FLEET_MODEL, 0)).not.toBe(low.bits(0, 0, Stream.FLEET_MODEL, 0));
  });
});
