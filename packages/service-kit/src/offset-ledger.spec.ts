import { describe, expect, it } from 'vitest';
import { OffsetLedger } from './offset-ledger';

const TOPIC = 'duet.tick-demands.v1';

describe('OffsetLedger', () => {
  it('commits up to the first message no checkpoint holds, never past it', () => {
    const sut = new OffsetLedger();
    sut.received(TOPIC, 0, 10, 'run/0', 0);
    sut.received(TOPIC, 0, 11, 'run/1', 0);
    sut.received(TOPIC, 0, 12, 'run/0', 1);
    expect(sut.committable(TOPIC, 0)).toBe(10);
    sut.covered('run/0', 1);
    expect(sut.committable(TOPIC, 0)).toBe(11); // run/1's tick 0 is not checkpointed yet
    sut.covered('run/1', 0);
    expect(sut.committable(TOPIC, 0)).toBe(13);
  });

  it('takes messages that need no state, and repeats of checkpointed ticks, as covered at once', () => {
    const sut = new OffsetLedger();
    sut.covered('run/0', 29);
    sut.received(TOPIC, 3, 40, 'run/0', 12); // a repeat of a tick the checkpoint holds
    sut.received(TOPIC, 3, 41, '', undefined); // not decodable, or a run that ended
    expect(sut.committable(TOPIC, 3)).toBe(42);
  });

  it('offers a partition again only when its offset moved, and forgets partitions it gave up', () => {
    const sut = new OffsetLedger();
    sut.received(TOPIC, 1, 5, 'run/1', 3);
    sut.covered('run/1', 3);
    expect(sut.pending()).toEqual([{ topic: TOPIC, partition: 1, offset: 6 }]);
    sut.markCommitted(TOPIC, 1, 6);
    expect(sut.pending()).toEqual([]);
    sut.received(TOPIC, 2, 0, 'run/2', 0);
    sut.dropPartition(TOPIC, 2);
    expect(sut.committable(TOPIC, 2)).toBeUndefined();
  });
});
