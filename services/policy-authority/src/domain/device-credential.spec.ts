import { describe, expect, it } from 'vitest';
import { DeviceCredentials } from './device-credential';

const SECRET = 'a-secret-of-at-least-thirty-two-characters';

describe('DeviceCredentials', () => {
  it('derives base64url(HMAC-SHA256(secret, "<runId>:<handsetId>")), the same on every instance', () => {
    const sut = new DeviceCredentials(SECRET);
    const credential = sut.derive('run-1', 42);
    expect(credential).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(new DeviceCredentials(SECRET).derive('run-1', 42)).toBe(credential);
  });

  it('derives different credentials for another handset, another run or another secret', () => {
    const sut = new DeviceCredentials(SECRET);
    const credential = sut.derive('run-1', 42);
    expect(sut.derive('run-1', 43)).not.toBe(credential);
    expect(sut.derive('run-2', 42)).not.toBe(credential);
    expect(new DeviceCredentials(`${SECRET}!`).derive('run-1', 42)).not.toBe(credential);
    // "run-1:2" + handset 3 must not collide with "run-1" + handset 23.
    expect(sut.derive('run-1:2', 3)).not.toBe(sut.derive('run-1', 23));
  });

  it('accepts only the exact credential of the handset', () => {
    const sut = new DeviceCredentials(SECRET);
    const credential = sut.derive('run-1', 7);
    expect(sut.matches('run-1', 7, credential)).toBe(true);
    expect(sut.matches('run-1', 8, credential)).toBe(false);
    expect(sut.matches('run-1', 7, '')).toBe(false);
    expect(sut.matches('run-1', 7, `${credential}=`)).toBe(false);
    expect(sut.matches('run-1', 7, credential.slice(0, -1))).toBe(false);
  });

  it("names a batch's rows whose credential is wrong, including ones that only shift a neighbour's characters", () => {
    const sut = new DeviceCredentials(SECRET);
    const ids = [1, 2, 3, 4];
    const right = ids.map((id) => sut.derive('run-1', id));
    expect(sut.mismatchedRows('run-1', ids, right)).toEqual([]);
    expect(sut.mismatchedRows('run-1', ids, [right[0], right[2], right[1], right[3]])).toEqual([1, 2]);
    // The same concatenation as the right batch, split elsewhere: rows 0 and 1 are both wrong.
    const shifted = [right[0] + right[1].slice(0, 1), right[1].slice(1), right[2], right[3]];
    expect(shifted.join('')).toBe(right.join(''));
    expect(sut.mismatchedRows('run-1', ids, shifted)).toEqual([0, 1]);
    expect(sut.mismatchedRows('run-1', ids, [...right.slice(0, 3), ''])).toEqual([3]);
  });
});
