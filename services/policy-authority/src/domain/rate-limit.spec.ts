import { describe, expect, it } from 'vitest';
import { RateLimiter } from './rate-limit';

describe('RateLimiter', () => {
  it('accepts a burst, then tells how long until the next request', () => {
    const sut = new RateLimiter(10, 3);
    expect([0, 0, 0].map(() => sut.take('a', 1_000))).toEqual([0, 0, 0]);
    expect(sut.take('a', 1_000)).toBe(100);
    expect(sut.take('a', 1_100)).toBe(0);
  });

  it('keeps one budget per client', () => {
    const sut = new RateLimiter(1, 1);
    expect(sut.take('a', 0)).toBe(0);
    expect(sut.take('a', 0)).toBe(1_000);
    expect(sut.take('b', 0)).toBe(0);
  });

  it('refills at most to the burst', () => {
    const sut = new RateLimiter(100, 2);
    sut.take('a', 0);
    expect([0, 0, 0].map(() => sut.take('a', 60_000))).toEqual([0, 0, 10]);
  });
});
