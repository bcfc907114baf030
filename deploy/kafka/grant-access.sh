#!/usr/bin/env bash
# Who may do what on compose's Kafka (the `kafka-init` service runs this after create-topics.sh):
# makes each principal's SCRAM-SHA-512 user with its password from the environment, and grants the
# ACLs of apps/duet/src/stack/kafka-principals.ts, the same the local stack grants (topics read, and
# their dead-letter topics written; topics written; consumer groups by prefix). The broker denies
# everything else. tests/deploy/compose.spec.ts fails when this table and the code differ.
#
# Environment: KAFKA_BOOTSTRAP, KAFKA_COMMAND_CONFIG (the admin's client properties, written by
# create-topics.sh), KAFKA_PASSWORD_<PRINCIPAL> for each principal below (dashes as underscores,
# upper case), KAFKA_SASL_PASSWORD for `duet` (the command line's, .env.example).
# Safe to run again: a user's password is set again (that is how one rotates), ACLs are kept.
set -euo pipefail

BOOTSTRAP="${KAFKA_BOOTSTRAP:-kafka:19092}"
COMMAND_CONFIG="${KAFKA_COMMAND_CONFIG:?the admin client properties}"
KAFKA_CONFIGS="${KAFKA_CONFIGS_COMMAND:-/opt/kafka/bin/kafka-configs.sh}"
KAFKA_ACLS="${KAFKA_ACLS_COMMAND:-/opt/kafka/bin/kafka-acls.sh}"

# principal          access  resource      name
ACLS='
hypervisor-core   read   topic         duet.tick-demands.v1
hypervisor-core   read   topic         duet.commands.v1
hypervisor-core   read   topic         duet.run-lifecycle.v1
hypervisor-core   read   topic         duet.checkpoints.v1
hypervisor-core   write  topic         duet.personal-grants.v1
hypervisor-core   write  topic         duet.business-grants.v1
hypervisor-core   write  topic         duet.checkpoints.v1
hypervisor-core   write  topic         duet.handset-events.v1
hypervisor-core   write  topic         duet.tick-kpis.v1
hypervisor-core   write  topic         duet.shard-state.v1
hypervisor-core   write  topic         duet.run-lifecycle.v1
hypervisor-core   write  topic         duet.tick-demands.v1.dlq
hypervisor-core   write  topic         duet.commands.v1.dlq
hypervisor-core   write  topic         duet.run-lifecycle.v1.dlq
hypervisor-core   write  topic         duet.checkpoints.v1.dlq
hypervisor-core   read   group-prefix  hypervisor-core
persona-runtime   read   topic         duet.personal-grants.v1
persona-runtime   read   topic         duet.business-grants.v1
persona-runtime   read   topic         duet.run-lifecycle.v1
persona-runtime   read   topic         duet.checkpoints.v1
persona-runtime   write  topic         duet.tick-demands.v1
persona-runtime   write  topic         duet.checkpoints.v1
persona-runtime   write  topic         duet.handset-events.v1
persona-runtime   write  topic         duet.tick-kpis.v1
persona-runtime   write  topic         duet.shard-state.v1
persona-runtime   write  topic         duet.run-lifecycle.v1
persona-runtime   write  topic         duet.personal-grants.v1.dlq
persona-runtime   write  topic         duet.business-grants.v1.dlq
persona-runtime   write  topic         duet.run-lifecycle.v1.dlq
persona-runtime   write  topic         duet.checkpoints.v1.dlq
persona-runtime   read   group-prefix  persona-runtime
policy-authority  write  topic         duet.policy-changed.v1
policy-authority  write  topic         duet.commands.v1
telemetry         read   topic         duet.run-lifecycle.v1
telemetry         read   topic         duet.tick-kpis.v1
telemetry         read   topic         duet.handset-events.v1
telemetry         read   topic         duet.shard-state.v1
telemetry         write  topic         duet.run-lifecycle.v1
telemetry         write  topic         duet.run-lifecycle.v1.dlq
telemetry         write  topic         duet.tick-kpis.v1.dlq
telemetry         write  topic         duet.handset-events.v1.dlq
telemetry         write  topic         duet.shard-state.v1.dlq
telemetry         read   group-prefix  telemetry
duet              read   topic         duet.tick-kpis.v1
duet              read   topic         duet.run-lifecycle.v1
duet              write  topic         duet.run-lifecycle.v1
duet              write  topic         duet.tick-kpis.v1.dlq
duet              write  topic         duet.run-lifecycle.v1.dlq
duet              read   group-prefix  duet-run-
'

password_of() {
  if [ "$1" = duet ]; then
    printf '%s' "${KAFKA_SASL_PASSWORD:?KAFKA_SASL_PASSWORD: password of the duet principal}"
    return
  fi
  local variable="KAFKA_PASSWORD_$(printf '%s' "$1" | tr 'a-z-' 'A-Z_')"
  printf '%s' "${!variable:?${variable}: password of the $1 principal}"
}

for principal in $(awk 'NF { print $1 }' <<<"${ACLS}" | sort -u); do
  "${KAFKA_CONFIGS}" --bootstrap-server "${BOOTSTRAP}" --command-config "${COMMAND_CONFIG}" --alter \
    --entity-type users --entity-name "${principal}" --add-config "SCRAM-SHA-512=[password=$(password_of "${principal}")]"
  echo "user ${principal}: SCRAM-SHA-512"
done

while read -r principal access resource name; do
  [ -z "${principal}" ] && continue
  case "${resource}" in
    topic) target=(--topic "${name}") ;;
    group-prefix) target=(--group "${name}" --resource-pattern-type prefixed) ;;
    *) echo "unknown resource ${resource}" >&2 && exit 1 ;;
  esac
  "${KAFKA_ACLS}" --bootstrap-server "${BOOTSTRAP}" --command-config "${COMMAND_CONFIG}" --add \
    --allow-principal "User:${principal}" --operation "$([ "${access}" = read ] && echo Read || echo Write)" "${target[@]}" > /dev/null
  echo "acl User:${principal} ${access} ${resource} ${name}"
done <<<"${ACLS}"
