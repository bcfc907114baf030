import { describe, expect, it } from 'vitest';
import { SeededPermutation } from './permutation';

describe('SeededPermutation', () => {
  it.each([1, 2, 3, 7, 100, 1000, 4097])('is a bijection of 0..%i-1 whose idAt inverts rankOf', (size) => {
    const sut = new SeededPermutation(size, 42);
    const ranks = Array.from({ length: size }, (_, id) => sut.rankOf(id));
    expect([...ranks].sort((a, b) => a - b)).toEqual(Array.from({ length: size }, (_, rank) => rank));
    expect(ranks.map((rank) => sut.idAt(rank))).toEqual(Array.from({ length: size }, (_, id) => id));
  });

  it('gives another order for another key, and the same order for the same key', () => {
    const ranks = (key: number) => Array.from({ length: 50 }, (_, id) => new SeededPermutation(1000, key).rankOf(id));
    expect(ranks(1)).toEqual(ranks(1));
    expect(ranks(1)).not.toEqual(ranks(2));
  });

  it('spreads the first tenth of ranks over the whole id range (not the lowest ids)', () => {
    const sut = new SeededPermutation(10_000, 7);
    let below = 0;
    for (let rank = 0; rank < 1000; rank++) if (sut.idAt(rank) < 5000) below++;
    expect(below).toBeGreaterThan(400);
    expect(below).toBeLessThan(600);
  });

  it('refuses an empty or oversized range', () => {
    expect(() => new SeededPermutation(0, 1)).toThrow(RangeError);
    expect(() => new SeededPermutation(2 ** 31, 1)).toThrow(RangeError);
  });
});
