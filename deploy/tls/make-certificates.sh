#!/bin/sh
# The compose stack's certificate authority, as `duet stack up` makes the local stack's
# (packages/stack/src/certificates.ts): one EC P-256 CA and one server certificate for every name
# given (the compose service names, Kafka and PostgreSQL among them), localhost and 127.0.0.1,
# signed by it. docker-compose.yml runs this once in its `certificates` service (alpine), into
# ./.duet/compose/tls on this machine, before Kafka, PostgreSQL and the services start: they mount
# the files, and clients here trust ca.pem (DUET_TLS_CA, KAFKA_SSL_CA, sslrootcert). A directory that
# already holds them is kept: clients that trust the CA keep working across `docker compose up`s.
#
#   make-certificates.sh <dir> <dns name>...
set -eu

dir=$1
shift
KAFKA_UID="${KAFKA_UID:-1000}"          # apache/kafka runs as appuser
POSTGRES_UID="${POSTGRES_UID:-999}"     # postgres (Debian) runs as postgres

if [ -s "${dir}/ca.pem" ] && [ -s "${dir}/server.pem" ] && [ -s "${dir}/server.key" ]; then
  echo "certificates: kept those in ${dir}"
else
  command -v openssl > /dev/null || apk add --no-cache openssl > /dev/null
  mkdir -p "${dir}"
  cd "${dir}"
  umask 077
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ca.key
  openssl req -x509 -new -key ca.key -sha256 -days 3650 -subj '/CN=Duet compose CA' \
    -addext 'basicConstraints=critical,CA:TRUE' -addext 'keyUsage=critical,keyCertSign,cRLSign' -out ca.pem
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out server.key
  openssl req -new -key server.key -subj '/CN=localhost' -out server.csr
  names='DNS:localhost,IP:127.0.0.1'
  for name in "$@"; do names="${names},DNS:${name}"; done
  printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=CA:FALSE\n' "${names}" > server.ext
  openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -sha256 -days 825 -extfile server.ext -out server.pem
  rm -f server.csr server.ext ca.srl
  chmod 644 ca.pem server.pem
  echo "certificates: made a CA and a server certificate for ${names} in ${dir}"
fi

cd "${dir}"
# Each server reads its own copy of the key, readable by it alone; the CA's key stays with root.
chmod 600 ca.key server.key
chown "${DUET_SERVICE_UID:-1000}" server.key # the Duet image's `node` user
# Kafka's PEM keystore: the key, then the certificate.
cat server.key server.pem > kafka-keystore.pem
chown "${KAFKA_UID}" kafka-keystore.pem
chmod 600 kafka-keystore.pem
# PostgreSQL refuses a key that others may read or that is not its own.
cp server.key postgres.key
chown "${POSTGRES_UID}" postgres.key
chmod 600 postgres.key
