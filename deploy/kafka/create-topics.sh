#!/usr/bin/env bash
# Creates Duet's Kafka topics for docker compose (the `kafka-init` service, which runs this in the
# apache/kafka image once the broker is healthy). The table is the registry in
# packages/contracts/src/topics.ts (TOPICS): name and partitions. tests/deploy/compose.spec.ts
# fails when the two differ, so change them together. Automatic topic creation is off, so a topic
# missing here fails the service that uses it instead of appearing with one partition.
#
# Environment: KAFKA_BOOTSTRAP (host:port, default kafka:19092), REPLICATION_FACTOR (default 1).
# Safe to run again: existing topics are kept, and one with fewer partitions than listed gets more.
set -euo pipefail

BOOTSTRAP="${KAFKA_BOOTSTRAP:-kafka:19092}"
REPLICATION_FACTOR="${REPLICATION_FACTOR:-1}"
KAFKA_TOPICS="${KAFKA_TOPICS_COMMAND:-/opt/kafka/bin/kafka-topics.sh}"

# topic                  partitions
TOPICS='
duet.handset-events.v1   16
duet.tick-kpis.v1        16
duet.policy-changed.v1   1
duet.commands.v1         16
duet.shard-state.v1      16
duet.run-lifecycle.v1    1
'

while read -r topic partitions; do
  [ -z "${topic}" ] && continue
  "${KAFKA_TOPICS}" --bootstrap-server "${BOOTSTRAP}" --create --if-not-exists \
    --topic "${topic}" --partitions "${partitions}" --replication-factor "${REPLICATION_FACTOR}"
  # A topic left by an older stack keeps its partitions on --if-not-exists: raise them.
  current=$("${KAFKA_TOPICS}" --bootstrap-server "${BOOTSTRAP}" --describe --topic "${topic}" |
    sed -n 's/.*PartitionCount: *\([0-9][0-9]*\).*/\1/p' | head -n 1)
  if [ "${current:-0}" -lt "${partitions}" ]; then
    "${KAFKA_TOPICS}" --bootstrap-server "${BOOTSTRAP}" --alter --topic "${topic}" --partitions "${partitions}"
  elif [ "${current}" -gt "${partitions}" ]; then
    echo "topic ${topic} has ${current} partitions, the registry says ${partitions}: delete it (partitions cannot shrink)" >&2
    exit 1
  fi
  echo "topic ${topic}: ${partitions} partitions"
done <<<"${TOPICS}"
