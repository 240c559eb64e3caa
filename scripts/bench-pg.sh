#!/usr/bin/env bash
# scripts/bench-pg.sh [bench append options, e.g. --json --events 100000]
#
# `rxportal bench append --pg URL` against a throw-away PostgreSQL 15 started here: initdb in a
# temp dir (as the postgres user when run as root), a free loopback port, the unix socket in
# the temp dir, fsync and synchronous_commit on (the defaults, stated). The server is stopped
# and the temp dir removed on exit. Needs a built rxportal (build/rxportal).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${RXPORTAL_BIN:-build/rxportal}
pgbin=${RXP_PG_BIN:-/usr/lib/postgresql/15/bin}
[ -x "$bin" ] || { echo "bench-pg: no $bin (build first)" >&2; exit 1; }
[ -x "$pgbin/initdb" ] || { echo "bench-pg: no PostgreSQL 15 server ($pgbin; scripts/install-deps.sh)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/rxp-bench-pg-XXXXXX)
as_pg=()
if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$tmp"; as_pg=(runuser -u postgres --); fi
cleanup() {
  "${as_pg[@]}" "$pgbin/pg_ctl" -D "$tmp/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"${as_pg[@]}" "$pgbin/initdb" -D "$tmp/data" -A trust -U postgres -E UTF8 --no-instructions >"$tmp/initdb.log" 2>&1 \
  || { cat "$tmp/initdb.log" >&2; exit 1; }
"${as_pg[@]}" "$pgbin/pg_ctl" -D "$tmp/data" -l "$tmp/server.log" -w -t 60 \
  -o "-c port=$port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$tmp -c fsync=on -c synchronous_commit=on" \
  start >/dev/null || { cat "$tmp/server.log" >&2; exit 1; }
"${as_pg[@]}" "$pgbin/psql" -q -h 127.0.0.1 -p "$port" -U postgres -c "CREATE DATABASE bench" postgres
mkdir -p "$tmp/scratch"
"$bin" bench append --data "$tmp/scratch/data" --pg "postgresql://postgres@127.0.0.1:$port/bench" "$@"
