// Run ids as telemetry accepts them from callers and from Kafka: short names or UUIDs, never text
// PostgreSQL cannot hold (NUL) or a megabyte that would be echoed back in every error.
import { hasControlCharacter, MAX_ID_LENGTH } from '@duet/service-kit';
import { QueryError } from './errors';

/** The same limit the services apply to a run id on Kafka, so a run telemetry stores is one every consumer takes. */
export const MAX_RUN_ID_LENGTH = MAX_ID_LENGTH;

/** Why `runId` is not one, or undefined when it is. */
export function runIdProblem(runId: string): { rule: string; message: string } | undefined {
  if (runId.length === 0) return { rule: 'required', message: 'must name a run' };
  if (runId.length > MAX_RUN_ID_LENGTH) return { rule: 'max', message: `must be at most ${MAX_RUN_ID_LENGTH} characters (got ${runId.length})` };
  if (hasControlCharacter(runId)) return { rule: 'characters', message: 'must not hold control characters (NUL, line breaks, ...)' };
  return undefined;
}

/** QueryError naming `parameter` unless `runId` is a run id. */
export function checkRunId(runId: string, parameter = 'run_id'): void {
  const problem = runIdProblem(runId);
  if (problem !== undefined) throw new QueryError([{ parameter, ...problem }]);
}
