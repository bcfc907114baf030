// Which failures are a dependency that is away for now (PostgreSQL restarting, a broker gone, a
// peer unreachable), to be retried with backoff, and which are the request's own fault, never to
// succeed on a retry. Consumers retry the first kind for as long as their budget allows and
// dead-letter a message that keeps failing with the second.
import { isTransientDatabaseError } from './database';

// kafkajs errors that say the cluster is not reachable or busy now.
const TRANSIENT_KAFKA_ERRORS = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSNumberOfRetriesExceeded',
  'KafkaJSBrokerNotFound',
  'KafkaJSNoBrokerAvailableError',
  'KafkaJSLockTimeout',
  'KafkaJSMetadataNotLoaded',
]);
// gRPC status codes that say the peer is not reachable or overloaded now: DEADLINE_EXCEEDED,
// RESOURCE_EXHAUSTED, UNAVAILABLE.
const TRANSIENT_GRPC_CODES = new Set([4, 8, 14]);

/** Whether an error may go away when the same work is tried again shortly. */
export function isTransientError(error: unknown): boolean {
  for (let cause = error, depth = 0; cause instanceof Error && depth < 8; cause = (cause as { cause?: unknown }).cause, depth++) {
    if (isTransientDatabaseError(cause)) return true;
    if (TRANSIENT_KAFKA_ERRORS.has(cause.name) || (cause.name.startsWith('KafkaJS') && (cause as { retriable?: unknown }).retriable === true)) return true;
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'number' && TRANSIENT_GRPC_CODES.has(code) && 'details' in cause) return true;
  }
  return false;
}

/**
 * Runs `work` until it succeeds, waiting between attempts (doubling from `firstDelayMs` up to
 * `maxDelayMs`, default 30 s), for at most `budgetMs`, then throws its last error; at once for an error `retryIf` refuses. For what must not be dropped on a
 * dependency blip, such as announcing that a run failed.
 */
export async function withRetries<T>(
  work: () => Promise<T>,
  options: { readonly budgetMs: number; readonly firstDelayMs?: number; readonly maxDelayMs?: number; readonly retryIf?: (error: unknown) => boolean },
): Promise<T> {
  const deadline = Date.now() + options.budgetMs;
  for (let delayMs = options.firstDelayMs ?? 500; ; delayMs = Math.min(options.maxDelayMs ?? 30_000, delayMs * 2)) {
    try {
      return await work();
    } catch (error) {
      if (options.retryIf?.(error) === false || Date.now() + delayMs > deadline) throw error;
      await new Promise((resolveWait) => setTimeout(resolveWait, delayMs));
    }
  }
}
