import type { policy } from '@duet/contracts';
import { describe, expect, it } from 'vitest';
import { checkInBatchDigest } from './batch-digest';

const BATCH: policy.CheckInBatchRequest = {
  runId: 'run-1',
  shard: 1,
  tick: 60,
  handsetIds: [10, 11, 12],
  deviceCredentials: ['aa', 'bb', 'cc'],
  appliedRevision: [1, 1, 2],
  complianceMask: [0, 8, 0],
  batteryPermille: [900, 450, 1000],
};

// One change per field of CheckInBatchRequest, each kept the same length where a column could be
// shifted into its neighbour.
const CHANGES: { readonly [Field in keyof policy.CheckInBatchRequest]-?: policy.CheckInBatchRequest[Field] } = {
  runId: 'run-2',
  shard: 2,
  tick: 61,
  handsetIds: [10, 11, 13],
  deviceCredentials: ['aab', 'b', 'cc'],
  appliedRevision: [1, 2, 2],
  complianceMask: [0, 0, 8],
  batteryPermille: [900, 451, 1000],
};

describe('checkInBatchDigest', () => {
  it('is the same for the same batch, whether its columns are arrays or typed arrays', () => {
    const typed = { ...BATCH, handsetIds: Uint32Array.from(BATCH.handsetIds) as unknown as number[] };
    expect(checkInBatchDigest(typed).equals(checkInBatchDigest({ ...BATCH }))).toBe(true);
  });

  it('differs when any one field differs', () => {
    expect(Object.keys(CHANGES).sort()).toEqual(Object.keys(BATCH).sort()); // every field has its change
    const digest = checkInBatchDigest(BATCH);
    for (const field of Object.keys(CHANGES) as (keyof policy.CheckInBatchRequest)[]) {
      expect(checkInBatchDigest({ ...BATCH, [field]: CHANGES[field] }).equals(digest), field).toBe(false);
    }
  });

  it('tells a row moved from one column to the next from the original', () => {
    const moved = { ...BATCH, handsetIds: [10, 11], appliedRevision: [12, 1, 1, 2] };
    expect(checkInBatchDigest(moved).equals(checkInBatchDigest(BATCH))).toBe(false);
  });
});
