import { mix32 } from './random';

// Handsets are partitioned into shards by a stable hash of the handset id (docs/design.md#time-shards-and-determinism); Kafka
// partitions follow shards. The salt keeps shard placement independent of the random streams.
const SHARD_SALT = 0x5eed_51ad;

export function shardOf(handsetId: number, shards: number): number {
  return mix32(handsetId ^ SHARD_SALT) % shards;
}

/** Ids of the handsets a shard owns, ascending. */
export function handsetsOfShard(shard: number, shards: number, handsets: number): Uint32Array {
  let count = 0;
  for (let id = 0; id < handsets; id++) if (shardOf(id, shards) === shard) count++;
  const ids = new Uint32Array(count);
  let next = 0;
  for (let id = 0; id < handsets; id++) if (shardOf(id, shards) === shard) ids[next++] = id;
  return ids;
}
