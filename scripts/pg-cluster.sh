#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests and benchmarks: initdb into DIR, a socket in
# DIR, listening on 127.0.0.1 only, on a free port, with TLS on.
#
#   scripts/pg-cluster.sh start DIR   prints `export CHAINWARDEN_TEST_POSTGRES=postgres://...`
#                                     and `export CHAINWARDEN_TEST_POSTGRES_CA=DIR/tls/ca.crt`
#   scripts/pg-cluster.sh stop DIR
#
# TLS (ssl=on, for the tests that prove sslmode=verify-full works and fails closed): a CA made
# for this cluster with openssl, and a server certificate it signed for `localhost` and
# 127.0.0.1. Clients choose: the printed URL says sslmode=disable; without openssl the cluster
# starts without TLS and no CA is printed (the TLS tests then skip, or fail under
# CHAINWARDEN_REQUIRE_DATA=1).
#
# The superuser `postgres` connects without a password from 127.0.0.1 (the cluster lives as
# long as one test run); every other role needs its password (scram-sha-256), so tests go
# through PGPASSWORD as CI runners do. initdb refuses to run as root: as root, the cluster
# runs as the unprivileged user `postgres` (created when missing).
set -euo pipefail
cmd="${1:?start|stop}"
dir="${2:?DIR}"

bindir=""
for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && bindir="$d"; done
[ -n "$bindir" ] || { echo "pg-cluster: no PostgreSQL server (apt-get install postgresql)" >&2; exit 1; }

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$cmd" in
start)
  if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin postgres
  fi
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres "$dir"
  tls_opts=""
  if command -v openssl >/dev/null; then
    tls="$dir/tls"
    mkdir -p "$tls"
    # A CA (the only issuer the tests trust) and a leaf for localhost and 127.0.0.1; P-256,
    # valid for 7 days: the cluster lives for one test run.
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 7 \
      -subj "/CN=chainwarden test CA" -keyout "$tls/ca.key" -out "$tls/ca.crt" \
      -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
      >"$tls/openssl.log" 2>&1
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
      -subj "/CN=localhost" -keyout "$tls/server.key" -out "$tls/server.csr" >>"$tls/openssl.log" 2>&1
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n' >"$tls/server.ext"
    openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.crt" -CAkey "$tls/ca.key" -CAcreateserial \
      -days 7 -extfile "$tls/server.ext" -out "$tls/server.crt" >>"$tls/openssl.log" 2>&1 \
      || { cat "$tls/openssl.log" >&2; exit 1; }
    chmod 600 "$tls/server.key" "$tls/ca.key"
    [ "$(id -u)" = 0 ] && chown -R postgres "$tls"
    chmod 755 "$tls"
    chmod 644 "$tls/ca.crt"
    tls_opts="-c ssl=on -c ssl_cert_file=$tls/server.crt -c ssl_key_file=$tls/server.key"
  fi
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  as_owner "$bindir/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
  cat >"$dir/data/pg_hba.conf" <<HBA
local all all trust
host all postgres 127.0.0.1/32 trust
host all all 127.0.0.1/32 scram-sha-256
HBA
  as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off $tls_opts" >/dev/null \
    || { cat "$dir/server.log" >&2; exit 1; }
  echo "export CHAINWARDEN_TEST_POSTGRES=postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
  if [ -n "$tls_opts" ]; then echo "export CHAINWARDEN_TEST_POSTGRES_CA=$tls/ca.crt"; fi
  ;;
stop)
  [ -d "$dir/data" ] && as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
  ;;
*) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
