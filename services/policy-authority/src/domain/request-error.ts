// The one error the service's application layer throws for a request it refuses. Each issue names
// the field (proto field name, with [i] for a row of a column) and the rule it broke; the gRPC and
// HTTP adapters map `status` to their codes, so every transport (and the embedded mode, which calls
// the services directly) reports the same thing.
import type { ValidationIssue } from '@duet/sim-core';

/** Why a request was refused; the names follow gRPC's status codes. */
export type RefusalStatus = 'invalid-argument' | 'unauthenticated' | 'failed-precondition' | 'not-found' | 'already-exists';

// Enough to act on; a batch with thousands of bad rows would otherwise make a megabyte message.
const MAX_ISSUES_IN_MESSAGE = 20;

export class RequestError extends Error {
  constructor(
    readonly status: RefusalStatus,
    readonly subject: string,
    readonly issues: readonly ValidationIssue[],
  ) {
    const shown = issues.slice(0, MAX_ISSUES_IN_MESSAGE).map((issue) => `${issue.path || '(root)'}: ${issue.message} [${issue.rule}]`);
    if (issues.length > MAX_ISSUES_IN_MESSAGE) shown.push(`… and ${issues.length - MAX_ISSUES_IN_MESSAGE} more`);
    super(`${subject}: ${shown.join('; ')}`);
    this.name = 'RequestError';
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
