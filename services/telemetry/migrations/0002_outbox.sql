-- The transactional outbox (@duet/service-kit Outbox): a run's COMPLETED (or the FAILED telemetry
-- itself decides) is written here in the transaction that stores the outcome, and published on
-- duet.run-lifecycle.v1 by the relay after the commit, also after a restart.
CREATE TABLE outbox (
  id bigserial PRIMARY KEY,
  topic text NOT NULL,
  key text NOT NULL,
  shard integer,
  value bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
