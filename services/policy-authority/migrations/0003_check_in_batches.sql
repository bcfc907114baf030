-- A check-in batch used to update the row of every handset it carried: ~6,700 rows a minute of
-- simulated time at 100,000 handsets, ~30 µs of PostgreSQL each (index lookup, row lock, new
-- tuple), the embedded mode's largest single cost. Now a batch is stored as one row of columns,
-- and a handset's row is written only when what it holds changes (applied revision or mask).

-- Every accepted check-in batch of a shard, as columns in the order of the request's rows. Query
-- it with unnest(handset_ids, applied_revisions, compliance_masks, battery_permille).
CREATE TABLE check_in_batches (
  run_id text NOT NULL,
  shard bigint NOT NULL,
  tick bigint NOT NULL,
  handset_ids bigint[] NOT NULL,
  applied_revisions integer[] NOT NULL,
  compliance_masks integer[] NOT NULL,
  battery_permille integer[] NOT NULL,
  PRIMARY KEY (run_id, shard, tick)
);

-- The row holds the report of one check-in, no longer always the last: a batch writes it when the
-- handset's applied revision or mask changes (the handset's other check-ins are in
-- check_in_batches); a one-at-a-time check-in writes it every time.
ALTER TABLE devices RENAME COLUMN last_check_in_tick TO reported_tick;

-- Writes to a shard's device rows other than its batches' (enrollments that start a handset over,
-- one-at-a-time check-ins). A policy-authority instance keeps a shard's revisions and masks in
-- memory to find what a batch changes; it trusts them only while tick and device_writes are what
-- it last saw. tick = -1: no batch yet (the row exists because of such a write).
ALTER TABLE shard_check_ins ADD COLUMN device_writes bigint NOT NULL DEFAULT 0;
