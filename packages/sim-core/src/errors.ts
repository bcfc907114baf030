// One error type for bad input to the core's public functions. Every problem names the field
// (a dotted path into the input) and the rule it broke, so a caller can print all of them at once.

export interface ValidationIssue {
  /** Dotted path of the offending field, e.g. `crossProfilePolicies.crossProfileCopyPaste`. */
  readonly path: string;
  /** The rule that was broken, e.g. `enum`, `min`, `unknown-field`, `required`. */
  readonly rule: string;
  /** A sentence a person can act on. */
  readonly message: string;
}

export class ValidationError extends Error {
  readonly issues: readonly ValidationIssue[];

  constructor(subject: string, issues: readonly ValidationIssue[]) {
    super(`invalid ${subject}: ${issues.map((issue) => `${issue.path || '(root)'}: ${issue.message} [${issue.rule}]`).join('; ')}`);
    this.name = 'ValidationError';
    this.issues = issues;
  }
}

export function fail(subject: string, path: string, rule: string, message: string): never {
  throw new ValidationError(subject, [{ path, rule, message }]);
}
