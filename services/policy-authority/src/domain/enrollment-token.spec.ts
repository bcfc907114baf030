import { describe, expect, it } from 'vitest';
import { DEFAULT_TOKEN_DURATION_TICKS, expiresTickFor, tokenRefusal } from './enrollment-token';

describe('enrollment tokens', () => {
  it("last AMAPI's default hour (60 one-minute ticks) when no duration is given", () => {
    expect(DEFAULT_TOKEN_DURATION_TICKS).toBe(60);
    expect(expiresTickFor(100, 0)).toBe(160);
    expect(expiresTickFor(100, 5)).toBe(105);
    expect(expiresTickFor(0xffff_fff0, 1_000)).toBe(0xffff_ffff);
  });

  it('enroll handsets of their own run from their tick to their expiry tick, inclusive', () => {
    const token = { runId: 'run-1', group: '', tick: 10, expiresTick: 70 };
    expect(tokenRefusal(token, 'run-1', 10)).toBeUndefined();
    expect(tokenRefusal(token, 'run-1', 70)).toBeUndefined();
    expect(tokenRefusal(token, 'run-1', 71)?.rule).toBe('expired');
    expect(tokenRefusal(token, 'run-1', 9)?.rule).toBe('not-yet-valid');
    expect(tokenRefusal(token, 'run-2', 20)?.rule).toBe('enrollment-token');
    expect(tokenRefusal(undefined, 'run-1', 20)?.rule).toBe('enrollment-token');
  });
});
