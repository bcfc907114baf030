#!/bin/sh
# The compose stack's certificate authority, as `duet stack up` makes the local stack's
# (packages/stack/src/certificates.ts): one CA and one server certificate for every name given
# (the compose service names), localhost and 127.0.0.1, signed by it. docker-compose.yml runs this
# once in its `certificates` service, into ./.duet/compose/tls on this machine, so the services
# mount the files and clients here trust ca.pem (DUET_TLS_CA in .env.example). A directory that
# already holds them is kept: clients that trust the CA keep working across `docker compose up`s.
#
#   make-certificates.sh <dir> <dns name>...
set -eu

dir=$1
shift
if [ -s "${dir}/ca.pem" ] && [ -s "${dir}/server.pem" ] && [ -s "${dir}/server.key" ]; then
  echo "certificates: kept those in ${dir}"
  exit 0
fi
mkdir -p "${dir}"
cd "${dir}"

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

# The services run as the image's `node` user (uid 1000): the server key is theirs alone; the CA's
# key stays with root.
chmod 600 ca.key server.key
chmod 644 ca.pem server.pem
chown "${DUET_SERVICE_UID:-1000}:${DUET_SERVICE_GID:-1000}" server.key
echo "certificates: made a CA and a server certificate for ${names} in ${dir}"
