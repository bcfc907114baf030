// The digest that tells a redelivered CheckInBatch (same shard, tick and content) from a different
// batch at the same tick. Hashing the request's protobuf encoding cost an encode of every row per
// batch; this hashes the columns' bytes instead. Every field of CheckInBatchRequest goes in, each
// framed by its length, so two requests differ in digest whenever they differ at all
// (batch-digest.spec.ts changes each field of a request in turn, so a new field left out fails it).
import type { policy } from '@duet/contracts';
import { createHash } from 'node:crypto';

export function checkInBatchDigest(request: policy.CheckInBatchRequest): Buffer {
  const hash = createHash('sha256');
  const credentials = request.deviceCredentials;
  hash.update(Float64Array.of(request.shard, request.tick, request.runId.length, credentials.length));
  hash.update(request.runId);
  for (const column of [request.handsetIds, request.appliedRevision, request.complianceMask, request.batteryPermille]) {
    hash.update(Float64Array.of(column.length));
    hash.update(Float64Array.from(column));
  }
  hash.update(Float64Array.from(credentials, (credential) => credential.length));
  hash.update(credentials.join(''));
  return hash.digest();
}
