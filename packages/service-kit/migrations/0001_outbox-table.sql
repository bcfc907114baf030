-- The transactional outbox (Outbox, src/outbox.ts), in the schema of each service that uses it:
-- the messages a transaction means to publish are written here in that transaction, and the relay
-- publishes them after the commit (also after a restart); a row goes once Kafka acknowledged it.
CREATE TABLE outbox (
  id bigserial PRIMARY KEY,
  topic text NOT NULL,
  key text NOT NULL,
  shard integer,
  value bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
