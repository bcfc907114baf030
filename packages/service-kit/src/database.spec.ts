import { describe, expect, it } from 'vitest';
import { isTransientDatabaseError } from './database';

const withCode = (code: string, message = 'failed'): Error => Object.assign(new Error(message), { code });

describe('isTransientDatabaseError', () => {
  it('takes a refused connection, a server shutting down or out of connections for a moment', () => {
    expect(isTransientDatabaseError(withCode('ECONNREFUSED'))).toBe(true);
    expect(isTransientDatabaseError(withCode('57P01', 'terminating connection due to administrator command'))).toBe(true);
    expect(isTransientDatabaseError(withCode('08006'))).toBe(true);
    expect(isTransientDatabaseError(withCode('53300', 'too many clients already'))).toBe(true);
    expect(isTransientDatabaseError(new Error('Connection terminated unexpectedly'))).toBe(true);
  });

  it('leaves errors of the request itself to fail', () => {
    expect(isTransientDatabaseError(withCode('23505', 'duplicate key value'))).toBe(false);
    expect(isTransientDatabaseError(withCode('22P05', 'unsupported Unicode escape sequence'))).toBe(false);
    expect(isTransientDatabaseError(new Error('something else'))).toBe(false);
    expect(isTransientDatabaseError('not an error')).toBe(false);
  });
});
