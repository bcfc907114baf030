import { describe, expect, it } from 'vitest';
import { integerArray } from './database';

describe('integerArray', () => {
  it('writes PostgreSQL array literals of integers, from arrays and typed arrays', () => {
    expect(integerArray([1, -2, 30_000_000_000])).toBe('{1,-2,30000000000}');
    expect(integerArray(Uint16Array.of(7))).toBe('{7}');
    expect(integerArray([])).toBe('{}');
  });

  it('refuses anything but integers, naming the element', () => {
    expect(() => integerArray([1, 1.5])).toThrow('integerArray: element 1 is 1.5, not an integer');
    expect(() => integerArray([Number.NaN])).toThrow('element 0 is NaN');
  });
});
