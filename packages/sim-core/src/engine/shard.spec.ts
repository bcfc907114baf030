import { describe, expect, it } from 'vitest';
import { handsetsOfShard, shardOf } from './shard';

describe('handsetsOfShard', () => {
  const sut = handsetsOfShard;

  it.each([1, 2, 3, 7, 16, 64])('partitions handsets 0..N-1 completely and disjointly over %i shards', (shards) => {
    const handsets = 1000;
    const owner = new Int32Array(handsets).fill(-1);
    for (let shard = 0; shard < shards; shard++) {
      for (const id of sut(shard, shards, handsets)) {
        expect(owner[id]).toBe(-1);
        owner[id] = shard;
      }
    }
    expect(owner.every((shard) => shard >= 0)).toBe(true);
  });

  it('lists each shard’s ids in ascending order, all placed there by shardOf', () => {
    const ids = Array.from(sut(2, 5, 500));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    for (const id of ids) expect(shardOf(id, 5)).toBe(2);
  });

  it('places a handset on the same shard on every call and whatever the fleet size', () => {
    const small = Array.from(sut(3, 7, 500));
    expect(Array.from(sut(3, 7, 500))).toEqual(small);
    // Growing the fleet adds handsets; it never moves the existing ones.
    const large = Array.from(sut(3, 7, 5000));
    expect(large.filter((id) => id < 500)).toEqual(small);
  });

  it('balances 10,000 handsets over 7 shards within ±15 %', () => {
    const handsets = 10_000;
    const shards = 7;
    const fair = handsets / shards;
    for (let shard = 0; shard < shards; shard++) {
      const count = sut(shard, shards, handsets).length;
      expect(count).toBeGreaterThan(fair * 0.85);
      expect(count).toBeLessThan(fair * 1.15);
    }
  });

  it('puts every handset on shard 0 when there is one shard', () => {
    expect(Array.from(sut(0, 1, 10))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});
