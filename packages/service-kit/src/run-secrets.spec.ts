import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RunSecrets, isSealed } from './run-secrets';

describe('RunSecrets', () => {
  const sut = new RunSecrets(RunSecrets.generateKey());

  it('opens what it sealed, for the same run only, and the sealed form holds no trace of the secret', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 40 }), fc.string({ minLength: 8 }), (runId, secret) => {
        const sealed = sut.seal(runId, secret);
        expect(isSealed(sealed)).toBe(true);
        expect(sealed).not.toContain(secret);
        expect(sut.open(runId, sealed)).toBe(secret);
        expect(() => sut.open(`${runId}x`, sealed)).toThrow();
      }),
      { numRuns: 100 },
    );
  });

  it('refuses a secret sealed under another key, tampered with, or not sealed', () => {
    const sealed = sut.seal('run-1', 'token');
    expect(() => new RunSecrets(RunSecrets.generateKey()).open('run-1', sealed)).toThrow();
    expect(() => sut.open('run-1', `${sealed.slice(0, -2)}AA`)).toThrow();
    expect(() => sut.open('run-1', 'token')).toThrow(/not a sealed/);
  });
});
