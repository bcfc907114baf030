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
});
