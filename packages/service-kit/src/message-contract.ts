// What every consumer checks of a message before acting on it (docs/architecture.md#poison-messages):
// that it is its topic's payload, and that the identity it carries keeps the contract every store
// relies on. A message that does not is rejected (DeliveryContext.reject) and dead-lettered, so one
// bad message never stops a partition nor reaches PostgreSQL, where it would fail every retry.
import { telemetry } from '@duet/contracts';
import type { DeliveryContext, IncomingMessage } from './event-bus';
import { hasControlCharacter, MAX_ID_LENGTH } from './id-text';
import { quoted } from './quoted';

/** Largest shard or tick: PostgreSQL's integer, which stores them. */
export const MAX_INT32 = 2 ** 31 - 1;

/** The identity a run's message carries: its run, and the shard and tick when it is about one. */
export interface RunMessageIdentity {
  readonly runId: string;
  readonly shard?: number;
  readonly tick?: number;
}

/** Where a shard-keyed message was read: it must be the partition its shard names. */
export interface ReadPartition {
  readonly partition: number;
  readonly partitions: number;
}

/** The first rule the identity breaks, naming the field and its value (truncated); undefined when it keeps them all. */
export function identityViolation(identity: RunMessageIdentity, readFrom?: ReadPartition): string | undefined {
  const runId = identity.runId;
  if (runId === '') return 'run_id: required, got ""';
  if (runId.length > MAX_ID_LENGTH) return `run_id: at most ${MAX_ID_LENGTH} characters, got ${runId.length} (${quoted(runId)})`;
  if (hasControlCharacter(runId)) return `run_id: no control characters (NUL among them), got ${quoted(runId)}`;
  for (const field of ['shard', 'tick'] as const) {
    const value = identity[field];
    if (value !== undefined && (!Number.isInteger(value) || value < 0 || value > MAX_INT32)) return `${field}: an integer in 0..${MAX_INT32}, got ${value}`;
  }
  if (readFrom !== undefined && identity.shard !== undefined && identity.shard % readFrom.partitions !== readFrom.partition) {
    return `shard: ${identity.shard} belongs in partition ${identity.shard % readFrom.partitions}, read from partition ${readFrom.partition}`;
  }
  return undefined;
}

/** The first rule a run-lifecycle message breaks: its run id, and a phase that is one of the three. */
export function lifecycleViolation(lifecycle: { readonly runId: string; readonly phase: number }): string | undefined {
  const { RUN_PHASE_STARTED, RUN_PHASE_COMPLETED, RUN_PHASE_FAILED } = telemetry.RunPhase;
  if (![RUN_PHASE_STARTED, RUN_PHASE_COMPLETED, RUN_PHASE_FAILED].includes(lifecycle.phase))
    return `phase: STARTED, COMPLETED or FAILED, got ${lifecycle.phase}`;
  return identityViolation(lifecycle);
}

/**
 * The message's payload, decoded and checked; undefined, with the message rejected, when it is not
 * the topic's payload or `check` names a rule it breaks.
 */
export function decodeChecked<Payload>(
  message: IncomingMessage,
  context: DeliveryContext,
  decode: (bytes: Uint8Array) => Payload,
  check: (payload: Payload) => string | undefined,
): Payload | undefined {
  let payload: Payload;
  try {
    payload = decode(message.value);
  } catch (error) {
    context.reject(message, `not a valid payload: ${truncate((error as Error).message)}`);
    return undefined;
  }
  const violation = check(payload);
  if (violation === undefined) return payload;
  context.reject(message, violation);
  return undefined;
}

function truncate(value: string): string {
  return value.length > 64 ? `${value.slice(0, 64)}…` : value;
}
