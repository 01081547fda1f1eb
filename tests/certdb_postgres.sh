#!/usr/bin/env bash
# Runs certdb's PostgreSQL tests against a throwaway server: initdb + pg_ctl
# from Debian's postgresql package, as the unprivileged "postgres" user (or
# the caller when not root), in a directory under /tmp, listening on
# 127.0.0.1 only; removed afterwards.
#   tests/certdb_postgres.sh BUILD_DIR
set -euo pipefail
build=${1:?usage: certdb_postgres.sh BUILD_DIR}
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
[ -x "$bindir/initdb" ] || { echo "PostgreSQL server not installed (apt-get install postgresql)"; echo "0 passed, 1 failed"; exit 1; }
dir=$(mktemp -d /tmp/certdb-pg.XXXXXX)
as=()
if [ "$(id -u)" = 0 ]; then
  chown postgres: "$dir"
  as=(runuser -u postgres --)
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cleanup() {
  "${as[@]}" "$bindir/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
"${as[@]}" "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 >"$dir/initdb.log" 2>&1 ||
  { cat "$dir/initdb.log"; exit 1; }
"${as[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
  -o "-h 127.0.0.1 -p $port -k $dir -c max_connections=200" start >/dev/null
export CERTDB_TEST_PG="postgresql://postgres@127.0.0.1:$port/postgres"
"$build/tests/certdb_test" --no-skip --test-suite=postgres
