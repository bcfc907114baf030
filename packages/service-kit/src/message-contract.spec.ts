import { describe, expect, it } from 'vitest';
import { events, type telemetry } from '@duet/contracts';
import type { IncomingMessage } from './event-bus';
import { decodeChecked, identityViolation, lifecycleViolation, MAX_INT32 } from './message-contract';

function message(value: Uint8Array): IncomingMessage {
  return { topic: 'duet.run-lifecycle.v1', partition: 0, offset: '7', key: 'run', value };
}

describe('message contract', () => {
  it('accepts a well-formed identity', () => {
    expect(identityViolation({ runId: 'run-1', shard: 17, tick: MAX_INT32 }, { partition: 1, partitions: 16 })).toBeUndefined();
  });

  it.each([
    [{ runId: '' }, 'run_id: required, got ""'],
    [{ runId: 'x'.repeat(129) }, /^run_id: at most 128 characters, got 129/],
    [{ runId: 'run\u0000' }, /^run_id: no control characters \(NUL among them\), got "run\\u0000"$/],
    [{ runId: 'run', tick: 2 ** 31 }, `tick: an integer in 0..${MAX_INT32}, got ${2 ** 31}`],
    [{ runId: 'run', shard: 2 ** 32 - 1 }, `shard: an integer in 0..${MAX_INT32}, got ${2 ** 32 - 1}`],
  ])('names the rule %j breaks', (identity, expected) => {
    expect(identityViolation(identity)).toMatch(expected);
  });

  it('refuses a shard read from a partition other than the one it names', () => {
    expect(identityViolation({ runId: 'run', shard: 3 }, { partition: 4, partitions: 16 })).toBe('shard: 3 belongs in partition 3, read from partition 4');
  });

  it('rejects bytes that are not the payload, and a payload that breaks the contract, through the context', () => {
    const rejected: string[] = [];
    const context = { reject: (_: IncomingMessage, reason: string) => void rejected.push(reason) };
    const decode = (bytes: Uint8Array) => events.RunLifecycle.decode(bytes);
    expect(decodeChecked(message(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f])), context, decode, lifecycleViolation)).toBeUndefined();
    expect(
      decodeChecked(
        message(events.RunLifecycle.encode({ ...events.RunLifecycle.fromPartial({ runId: 'r' }), phase: 9 as telemetry.RunPhase }).finish()),
        context,
        decode,
        lifecycleViolation,
      ),
    ).toBeUndefined();
    const valid = events.RunLifecycle.encode(events.RunLifecycle.fromPartial({ runId: 'r', phase: 1 })).finish();
    expect(decodeChecked(message(valid), context, decode, lifecycleViolation)?.runId).toBe('r');
    expect(rejected).toHaveLength(2);
    expect(rejected[0]).toMatch(/^not a valid payload: /);
    expect(rejected[1]).toBe('phase: STARTED, COMPLETED or FAILED, got 9');
  });
});
