-- Every check-in batch updates thousands of device rows (at 100,000 handsets and a 15-minute
-- interval, ~6,700 a minute of simulated time). With full pages each update wrote a new tuple
-- elsewhere and a new entry in devices_pkey, so the index grew by every update and autovacuum,
-- never catching up, was left 800,000 dead tuples behind within three simulated hours; a batch's
-- statement then took ~0.5 s. Half-empty pages keep the new versions on the same page (HOT: no
-- index entry, pruned on the page without vacuum), none of the updated columns being indexed.
ALTER TABLE devices SET (fillfactor = 50, autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_cost_delay = 0);
ALTER TABLE shard_check_ins SET (fillfactor = 50);
