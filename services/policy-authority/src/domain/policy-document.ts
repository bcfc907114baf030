// A policy as stored: the operator's AMAPI document, validated by sim-core's parsePolicy (every
// issue reported at once: unknown fields, wrong enums, ranges), kept as written so GetPolicy returns
// what was sent, with `version` set by policy-authority (AMAPI increments it on every update).
import { ValidationError, parsePolicy } from '@duet/sim-core';
import { RequestError } from './request-error';

export type PolicyDocument = Readonly<Record<string, unknown>> & { readonly name: string; readonly version: number };

/** The document's policy name; throws RequestError listing every problem of the document. */
export function validatePolicyDocument(input: unknown): string {
  try {
    return parsePolicy(input).name;
  } catch (error) {
    if (error instanceof ValidationError) throw new RequestError('invalid-argument', 'invalid policy', error.issues);
    throw error;
  }
}
