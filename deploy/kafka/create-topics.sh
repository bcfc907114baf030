#!/usr/bin/env bash
# Creates Duet's Kafka topics for docker compose (the `kafka-init` service, which runs this in the
# apache/kafka image once the broker is healthy). The table is the registry in
# packages/contracts/src/topics.ts (TOPICS_TO_CREATE: every topic, then its `<topic>.dlq` dead-letter
# topic): name, partitions and topic-level config.
# tests/deploy/compose.spec.ts fails when the two differ, so change them together. Automatic topic
# creation is off, so a topic missing here fails the service that uses it instead of appearing with
# one partition.
#
# Environment: KAFKA_BOOTSTRAP (host:port, default kafka:19092), REPLICATION_FACTOR (default 1);
# for a broker with SASL_SSL (compose's): KAFKA_ADMIN_PASSWORD (the super user admin's, PLAIN) and
# KAFKA_SSL_CA (the CA's PEM file); the admin's client properties go to KAFKA_COMMAND_CONFIG
# (default /tmp/kafka-admin.properties), which grant-access.sh uses next.
# Safe to run again: existing topics are kept, one with fewer partitions than listed gets more, and
# the listed config is (re)applied to existing topics too (a stack from before a topic had config).
set -euo pipefail

BOOTSTRAP="${KAFKA_BOOTSTRAP:-kafka:19092}"
REPLICATION_FACTOR="${REPLICATION_FACTOR:-1}"
KAFKA_TOPICS="${KAFKA_TOPICS_COMMAND:-/opt/kafka/bin/kafka-topics.sh}"
KAFKA_CONFIGS="${KAFKA_CONFIGS_COMMAND:-/opt/kafka/bin/kafka-configs.sh}"

# As the super user over TLS when the broker asks for it (compose), else plaintext (a test broker).
ADMIN=()
if [ -n "${KAFKA_ADMIN_PASSWORD:-}" ]; then
  KAFKA_COMMAND_CONFIG="${KAFKA_COMMAND_CONFIG:-/tmp/kafka-admin.properties}"
  umask 077
  cat > "${KAFKA_COMMAND_CONFIG}" <<PROPERTIES
security.protocol=SASL_SSL
sasl.mechanism=PLAIN
sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="${KAFKA_ADMIN_PASSWORD}";
ssl.truststore.type=PEM
ssl.truststore.location=${KAFKA_SSL_CA:?KAFKA_SSL_CA: the CA of the broker certificate}
PROPERTIES
  ADMIN=(--command-config "${KAFKA_COMMAND_CONFIG}")
fi

# Shard-keyed topics have one partition per 16th of the shards (shard s in partition s % 16); the
# consumer groups of hypervisor-core and the persona runtimes hand these partitions to their members.
# config: the registry's `config`, as name=value pairs separated by commas; - for none.
# topic                  partitions  config
TOPICS='
duet.handset-events.v1   16  -
duet.tick-kpis.v1        16  -
duet.policy-changed.v1   1   -
duet.commands.v1         16  -
duet.shard-state.v1      16  -
duet.tick-demands.v1     16  -
duet.personal-grants.v1  16  -
duet.business-grants.v1  16  -
duet.checkpoints.v1      16  cleanup.policy=compact,max.message.bytes=67108864,segment.ms=600000
duet.run-lifecycle.v1    1   -
duet.handset-events.v1.dlq   1   retention.ms=1209600000
duet.tick-kpis.v1.dlq        1   retention.ms=1209600000
duet.policy-changed.v1.dlq   1   retention.ms=1209600000
duet.commands.v1.dlq         1   retention.ms=1209600000
duet.shard-state.v1.dlq      1   retention.ms=1209600000
duet.tick-demands.v1.dlq     1   retention.ms=1209600000
duet.personal-grants.v1.dlq  1   retention.ms=1209600000
duet.business-grants.v1.dlq  1   retention.ms=1209600000
duet.checkpoints.v1.dlq      1   retention.ms=1209600000
duet.run-lifecycle.v1.dlq    1   retention.ms=1209600000
'

while read -r topic partitions config; do
  [ -z "${topic}" ] && continue
  config_flags=()
  if [ "${config:--}" != '-' ]; then
    IFS=',' read -r -a pairs <<<"${config}"
    for pair in "${pairs[@]}"; do config_flags+=(--config "${pair}"); done
  fi
  "${KAFKA_TOPICS}" --bootstrap-server "${BOOTSTRAP}" ${ADMIN[@]+"${ADMIN[@]}"} --create --if-not-exists \
    --topic "${topic}" --partitions "${partitions}" --replication-factor "${REPLICATION_FACTOR}" ${config_flags[@]+"${config_flags[@]}"}
  # A topic left by an older stack keeps its partitions and config on --if-not-exists: raise the
  # partitions and set the config.
  current=$("${KAFKA_TOPICS}" --bootstrap-server "${BOOTSTRAP}" ${ADMIN[@]+"${ADMIN[@]}"} --describe --topic "${topic}" |
    sed -n 's/.*PartitionCount: *\([0-9][0-9]*\).*/\1/p' | head -n 1)
  if [ "${current:-0}" -lt "${partitions}" ]; then
    "${KAFKA_TOPICS}" --bootstrap-server "${BOOTSTRAP}" ${ADMIN[@]+"${ADMIN[@]}"} --alter --topic "${topic}" --partitions "${partitions}"
  elif [ "${current}" -gt "${partitions}" ]; then
    echo "topic ${topic} has ${current} partitions, the registry says ${partitions}: delete it (partitions cannot shrink)" >&2
    exit 1
  fi
  if [ "${config:--}" != '-' ]; then
    "${KAFKA_CONFIGS}" --bootstrap-server "${BOOTSTRAP}" ${ADMIN[@]+"${ADMIN[@]}"} --alter --entity-type topics --entity-name "${topic}" --add-config "${config}"
  fi
  echo "topic ${topic}: ${partitions} partitions, config ${config:--}"
done <<<"${TOPICS}"
