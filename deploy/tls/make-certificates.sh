#!/bin/sh
# The compose stack's certificate authority and server certificate (the `tls-init` service of
# docker-compose.yml runs this once, in alpine with openssl, before Kafka and PostgreSQL start):
# the same shape as `duet stack up` makes for the local stack (packages/stack certificates.ts): an
# EC P-256 CA and one server certificate, here for the compose names too. Clients trust ca.pem
# (KAFKA_SSL_CA, PGSSLROOTCERT / sslrootcert, DUET_TLS_CA); keys are mode 0600, owned by the
# server that reads them. Kept when present: a CA that clients trust is not replaced by a restart.
#
# Environment: TLS_DIR (default /tls), TLS_NAMES (DNS names besides localhost and 127.0.0.1).
set -eu

TLS_DIR="${TLS_DIR:-/tls}"
TLS_NAMES="${TLS_NAMES:-kafka postgres}"
KAFKA_UID="${KAFKA_UID:-1000}"      # apache/kafka runs as appuser
POSTGRES_UID="${POSTGRES_UID:-999}" # postgres:15 (Debian) runs as postgres

if [ -s "${TLS_DIR}/ca.pem" ] && [ -s "${TLS_DIR}/server.pem" ] && [ -s "${TLS_DIR}/server.key" ]; then
  echo "certificates in ${TLS_DIR} kept"
else
  command -v openssl > /dev/null || apk add --no-cache openssl > /dev/null
  mkdir -p "${TLS_DIR}"
  cd "${TLS_DIR}"
  umask 077
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ca.key
  openssl req -x509 -new -key ca.key -sha256 -days 3650 -subj '/CN=Duet compose CA' \
    -addext 'basicConstraints=critical,CA:TRUE' -addext 'keyUsage=critical,keyCertSign,cRLSign' -out ca.pem
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out server.key
  openssl req -new -key server.key -subj '/CN=localhost' -out server.csr
  names='DNS:localhost,IP:127.0.0.1'
  for name in ${TLS_NAMES}; do names="${names},DNS:${name}"; done
  printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=CA:FALSE\n' "${names}" > server.ext
  openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -sha256 -days 825 -extfile server.ext -out server.pem
  chmod 644 ca.pem server.pem
fi

cd "${TLS_DIR}"
# Kafka's PEM keystore: the key, then the certificate.
cat server.key server.pem > kafka-keystore.pem
chown "${KAFKA_UID}" kafka-keystore.pem
chmod 600 kafka-keystore.pem
# PostgreSQL refuses a key that others may read or that is not its own.
cp server.key postgres.key
chown "${POSTGRES_UID}" postgres.key
chmod 600 postgres.key
echo "certificates in ${TLS_DIR}: ca.pem (trust this), server.pem, kafka-keystore.pem, postgres.key"
