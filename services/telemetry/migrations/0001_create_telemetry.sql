-- Telemetry's tables, in the schema `telemetry` (the migration runner sets the search path).

-- One row per run, from its STARTED message; the digest and summary are set when it completes.
CREATE TABLE runs (
  run_id text PRIMARY KEY,
  scenario text NOT NULL,
  seed bigint NOT NULL,
  handsets integer NOT NULL,
  ticks integer NOT NULL,
  shards integer NOT NULL,
  tick_seconds integer NOT NULL,
  -- sim-core SimulationConfig; NULL when the STARTED message carried no valid JSON.
  config jsonb,
  phase text NOT NULL CHECK (phase IN ('STARTED', 'COMPLETED', 'FAILED')),
  -- Ticks 0 .. ticks_completed - 1 are final and stored in tick_kpis.
  ticks_completed integer NOT NULL DEFAULT 0,
  digest text,
  -- sim-core RunSummary.
  summary jsonb,
  failure text,
  -- Milliseconds, like the page tokens of ListRuns that carry it.
  started_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  finished_at timestamptz,
  -- Set once the COMPLETED message is on the bus; NULL on a COMPLETED run means "publish again".
  completion_published_at timestamptz
);
CREATE INDEX runs_newest_first ON runs (started_at DESC, run_id DESC);

-- The fleet's KPIs of each final tick: one column per sim-core KPI (KPI_NAMES, in snake_case),
-- so a series is a plain column read.
CREATE TABLE tick_kpis (
  run_id text NOT NULL REFERENCES runs ON DELETE CASCADE,
  tick integer NOT NULL,
  handsets_online bigint NOT NULL,
  handsets_charging bigint NOT NULL,
  battery_empty bigint NOT NULL,
  battery_low bigint NOT NULL,
  battery_permille_sum bigint NOT NULL,
  guest_provisioning bigint NOT NULL,
  guest_running bigint NOT NULL,
  guest_suspended bigint NOT NULL,
  guest_locked bigint NOT NULL,
  guest_wiped bigint NOT NULL,
  enrolled bigint NOT NULL,
  compliant bigint NOT NULL,
  non_compliant bigint NOT NULL,
  sessions_started bigint NOT NULL,
  sessions_degraded bigint NOT NULL,
  sessions_blocked bigint NOT NULL,
  flows_allowed bigint NOT NULL,
  flows_blocked bigint NOT NULL,
  flows_to_personal_allowed bigint NOT NULL,
  check_ins bigint NOT NULL,
  check_ins_unreachable bigint NOT NULL,
  policies_applied bigint NOT NULL,
  compliance_changes bigint NOT NULL,
  enforcement_actions bigint NOT NULL,
  commands_executed bigint NOT NULL,
  balloon_adjustments bigint NOT NULL,
  battery_empty_events bigint NOT NULL,
  events bigint NOT NULL,
  PRIMARY KEY (run_id, tick)
);

-- Parts of ticks not final yet (one per shard and role), kept so a restart loses none; deleted
-- when their tick becomes final. No foreign key: parts may arrive before their run's STARTED.
CREATE TABLE tick_kpi_parts (
  run_id text NOT NULL,
  tick integer NOT NULL,
  shard integer NOT NULL,
  role smallint NOT NULL,
  -- In KPI_NAMES order.
  kpis bigint[] NOT NULL,
  PRIMARY KEY (run_id, tick, shard, role)
);

-- Each role's final per-handset state of one shard, until the run completes.
CREATE TABLE final_state_parts (
  run_id text NOT NULL,
  shard integer NOT NULL,
  role smallint NOT NULL,
  handset_ids integer[] NOT NULL,
  -- { "<column name>": [values in handset_ids order] }
  columns jsonb NOT NULL,
  PRIMARY KEY (run_id, shard, role)
);

-- Event batches already counted, by content digest: a redelivered batch is recognised here.
CREATE TABLE event_batches (
  run_id text NOT NULL,
  shard integer NOT NULL,
  tick integer NOT NULL,
  batch_key text NOT NULL,
  PRIMARY KEY (run_id, shard, tick, batch_key)
);

-- Event batches that arrived before their run's STARTED message, counted once it arrives.
CREATE TABLE pending_event_batches (
  run_id text NOT NULL,
  shard integer NOT NULL,
  tick integer NOT NULL,
  batch_key text NOT NULL,
  -- { "kind": [...], "handsetId": [...], "persona": [...], "a": [...], "b": [...] }
  events jsonb NOT NULL,
  PRIMARY KEY (run_id, shard, tick, batch_key)
);

-- Policy versions handsets applied (POLICY_APPLIED events), for the policy_version dimension.
CREATE TABLE policy_applications (
  run_id text NOT NULL,
  handset_id integer NOT NULL,
  tick integer NOT NULL,
  version bigint NOT NULL,
  PRIMARY KEY (run_id, handset_id, tick)
);

-- Event counts per tick, kind and dimension value (model, region, group, persona, policy_version).
CREATE TABLE series (
  run_id text NOT NULL REFERENCES runs ON DELETE CASCADE,
  dimension text NOT NULL,
  event_kind smallint NOT NULL,
  value text NOT NULL,
  tick integer NOT NULL,
  count bigint NOT NULL,
  PRIMARY KEY (run_id, dimension, event_kind, value, tick)
);
