// Errors the domain reports to its adapters: each names what was wrong and the rule it broke, so
// an HTTP client, a gRPC caller or a log reader can fix the input (docs/design.md#quality-bars).
import { quoted } from '@duet/service-kit';

export interface Issue {
  /** The parameter or field at fault, as the caller spelled it (`from`, `to_tick`, `columns.3`). */
  readonly parameter: string;
  /** The rule it broke, one word (`integer`, `range`, `enum`, ...). */
  readonly rule: string;
  readonly message: string;
}

function describe(issues: readonly Issue[]): string {
  return issues.map((issue) => `${issue.parameter}: ${issue.message} [${issue.rule}]`).join('; ');
}

/** A query asked for something that cannot be answered as asked (HTTP 400, gRPC INVALID_ARGUMENT). */
export class QueryError extends Error {
  constructor(readonly issues: readonly Issue[]) {
    super(describe(issues));
    this.name = 'QueryError';
  }
}

/** A run nobody started, as far as telemetry knows (HTTP 404, gRPC NOT_FOUND). */
export class RunNotFoundError extends Error {
  constructor(readonly runId: string) {
    super(`run ${quoted(runId)} is not known`);
    this.name = 'RunNotFoundError';
  }
}

/** A message whose content breaks the contract: it is reported and skipped, never stored. */
export class PartError extends Error {
  constructor(
    readonly what: string,
    readonly issues: readonly Issue[],
  ) {
    super(`${what}: ${describe(issues)}`);
    this.name = 'PartError';
  }
}
