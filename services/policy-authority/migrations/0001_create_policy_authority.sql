-- policy-authority's tables, in its own schema (policy_authority; the migration runner sets the
-- search_path). Ticks and handset ids are proto uint32, hence bigint.

-- Every stored version of every policy document; AMAPI increments a policy's version on each update.
CREATE TABLE policies (
  name text NOT NULL,
  version integer NOT NULL CHECK (version >= 1),
  document jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (name, version)
);

-- One row per run that published something: the counter that numbers its publications.
CREATE TABLE runs (
  run_id text PRIMARY KEY,
  last_revision integer NOT NULL CHECK (last_revision >= 0)
);

-- A policy version published to groups of a run's handsets from a tick on, under a run-scoped revision.
CREATE TABLE publications (
  run_id text NOT NULL REFERENCES runs (run_id),
  revision integer NOT NULL CHECK (revision >= 1),
  policy_name text NOT NULL,
  policy_version integer NOT NULL,
  group_names text[], -- NULL = every group
  effective_tick bigint NOT NULL CHECK (effective_tick >= 0),
  published_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (run_id, revision),
  FOREIGN KEY (policy_name, policy_version) REFERENCES policies (name, version)
);

-- Enrollment tokens, by the SHA-256 of their value (the value is shown once, when created).
CREATE TABLE enrollment_tokens (
  token_sha256 bytea PRIMARY KEY,
  run_id text NOT NULL,
  group_name text NOT NULL, -- '' = handsets name their group
  created_tick bigint NOT NULL,
  expires_tick bigint NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Enrolled handsets (their credential is derived, not stored) and what their last check-in reported.
CREATE TABLE devices (
  run_id text NOT NULL,
  handset_id bigint NOT NULL,
  group_name text NOT NULL,
  model text NOT NULL,
  shard bigint, -- NULL when enrolled one at a time (Enroll)
  enrolled_tick bigint NOT NULL,
  last_check_in_tick bigint,
  applied_revision integer NOT NULL DEFAULT 0,
  compliance_mask integer, -- NULL until the first check-in
  battery_permille integer,
  PRIMARY KEY (run_id, handset_id)
);

-- The last check-in batch of each shard: keeps ticks in order and answers a redelivered batch.
CREATE TABLE shard_check_ins (
  run_id text NOT NULL,
  shard bigint NOT NULL,
  tick bigint NOT NULL,
  batch_sha256 bytea NOT NULL,
  assigned_revisions integer[] NOT NULL,
  PRIMARY KEY (run_id, shard)
);

-- A handset's compliance each time its reason mask changed (and at its first check-in).
CREATE TABLE compliance_records (
  run_id text NOT NULL,
  handset_id bigint NOT NULL,
  tick bigint NOT NULL,
  revision integer NOT NULL,
  compliance_mask integer NOT NULL,
  non_compliance_details jsonb NOT NULL, -- AMAPI NonComplianceDetail[]
  PRIMARY KEY (run_id, handset_id, tick)
);

-- Remote commands; acknowledged once a per-handset check-in reports them executed.
CREATE TABLE commands (
  command_id bigserial PRIMARY KEY,
  run_id text NOT NULL,
  handset_id bigint NOT NULL,
  shard bigint NOT NULL,
  command_type smallint NOT NULL,
  tick bigint NOT NULL,
  acknowledged_tick bigint,
  issued_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX commands_pending ON commands (run_id, handset_id) WHERE acknowledged_tick IS NULL;
