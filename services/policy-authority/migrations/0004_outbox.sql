-- The transactional outbox (@duet/service-kit Outbox): CommandIssued and PolicyChanged messages are
-- written here in the transaction that stores the commands or the publication, and published to
-- Kafka by the relay after the commit; a row goes once Kafka has acknowledged it.
CREATE TABLE outbox (
  id bigserial PRIMARY KEY,
  topic text NOT NULL,
  key text NOT NULL,
  shard integer,
  value bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
