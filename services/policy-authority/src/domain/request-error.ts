// The one error the service's application layer throws for a request it refuses. Each issue names
// the field (proto field name, with [i] for a row of a column) and the rule it broke; the gRPC and
// HTTP adapters map `status` to their codes, so every transport (and the embedded mode, which calls
// the services directly) reports the same thing.
import type { ValidationIssue } from '@duet/sim-core';

/** Why a request was refused; the names follow gRPC's status codes. */
export type RefusalStatus =
  'invalid-argument' | 'unauthenticated' | 'permission-denied' | 'failed-precondition' | 'not-found' | 'already-exists' | 'resource-exhausted';

// Enough to act on; a batch with thousands of bad rows would otherwise make a megabyte message.
const MAX_ISSUES_IN_MESSAGE = 20;
// A reply's message travels in gRPC trailers: values are quoted() short, and an issue is bounded
// whatever it holds, so 20 of them always fit.
const MAX_ISSUE_MESSAGE_LENGTH = 300; // characters
const MAX_PATH_LENGTH = 64; // characters

function bounded(issue: ValidationIssue): ValidationIssue {
  if (issue.message.length <= MAX_ISSUE_MESSAGE_LENGTH && issue.path.length <= MAX_PATH_LENGTH) return issue;
  return { path: issue.path.slice(0, MAX_PATH_LENGTH), rule: issue.rule, message: `${issue.message.slice(0, MAX_ISSUE_MESSAGE_LENGTH)}…` };
}

export class RequestError extends Error {
  readonly issues: readonly ValidationIssue[];

  constructor(
    readonly status: RefusalStatus,
    readonly subject: string,
    issues: readonly ValidationIssue[],
  ) {
    issues = issues.map(bounded);
    const shown = issues.slice(0, MAX_ISSUES_IN_MESSAGE).map((issue) => `${issue.path || '(root)'}: ${issue.message} [${issue.rule}]`);
    if (issues.length > MAX_ISSUES_IN_MESSAGE) shown.push(`… and ${issues.length - MAX_ISSUES_IN_MESSAGE} more`);
    super(`${subject}: ${shown.join('; ')}`);
    this.name = 'RequestError';
    this.issues = issues;
  }

  static invalid(subject: string, path: string, rule: string, message: string): RequestError {
    return new RequestError('invalid-argument', subject, [{ path, rule, message }]);
  }
}

/** Collects issues and throws them together, so a caller sees every problem at once. */
export class IssueList {
  readonly issues: ValidationIssue[] = [];

  add(path: string, rule: string, message: string): void {
    this.issues.push({ path, rule, message });
  }

  throwIfAny(status: RefusalStatus, subject: string): void {
    if (this.issues.length > 0) throw new RequestError(status, subject, this.issues);
  }
}

export function notEnrolledMessage(handsetId: number, runId: string): string {
  return `handset ${handsetId} is not enrolled in run "${runId}"`;
}
