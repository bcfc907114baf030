import { describe, expect, it } from 'vitest';
import { validatePolicyDocument } from './policy-document';
import { RequestError } from './request-error';

describe('policy documents', () => {
  it('returns the name of a valid AMAPI document', () => {
    expect(validatePolicyDocument({ name: 'policies/field', cameraAccess: 'CAMERA_ACCESS_DISABLED' })).toBe('policies/field');
  });

  it('lists every issue of a bad document: unknown field, wrong enum', () => {
    let caught: unknown;
    try {
      validatePolicyDocument({ name: 'policies/field', cameraAccess: 'CAMERA_OFF', screenshotsAllowed: true });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(RequestError);
    const error = caught as RequestError;
    expect(error.status).toBe('invalid-argument');
    expect(error.issues.map((issue) => `${issue.path} [${issue.rule}]`).sort()).toEqual(['cameraAccess [enum]', 'screenshotsAllowed [unknown-field]']);
  });

  it('refuses a field the model does not simulate as the scenario loader does: invalid-argument naming it', () => {
    let caught: unknown;
    try {
      validatePolicyDocument({ name: 'policies/field', passwordPolicies: [{ passwordQuality: 'NUMERIC', passwordHistoryLength: 5 }] });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(RequestError);
    const error = caught as RequestError;
    expect(error.status).toBe('invalid-argument');
    expect(error.issues).toEqual([expect.objectContaining({ path: 'passwordPolicies.0.passwordHistoryLength', rule: 'not-modelled' })]);
    expect(error.issues[0].message).toMatch(/^not modelled/);
  });
});
