#!/bin/sh
# needful on PostgreSQL, one replica and two, measured with the load
# generator (BENCHMARKS.md, "PostgreSQL and replicas"). Starts a throwaway
# PostgreSQL 15 in a temporary directory (as the postgres user when run as
# root: initdb refuses root), with its default durability (fsync and
# synchronous_commit on), one fresh database per run; stops it at the end.
#
#   scripts/bench-postgres.sh                      # flat out and 1,000/s, 1 and 2 replicas
#   scripts/bench-postgres.sh --rate 500 --duration 10   # other loadgen arguments
set -eu
cd "$(dirname "$0")/.."
bin=${NEEDFUL_PG_BIN:-/usr/lib/postgresql/15/bin}
port=${NEEDFUL_BENCH_PG_PORT:-55432}
dir=$(mktemp -d)
as_pg() {
  if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$1"; else sh -c "$1"; fi
}
[ "$(id -u)" = 0 ] && chown postgres "$dir"
as_pg "$bin/initdb -D $dir/data -U postgres --auth=trust -E UTF8 >$dir/initdb.log 2>&1"
as_pg "$bin/pg_ctl -D $dir/data -l $dir/server.log -w -o '-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=100' start >/dev/null"
trap 'as_pg "$bin/pg_ctl -D $dir/data -m fast stop >/dev/null"; rm -rf "$dir"' EXIT
cargo build --release --quiet --bin needful --example loadgen
n=0
run() {
  n=$((n + 1))
  as_pg "$bin/psql -q -h 127.0.0.1 -p $port -U postgres -c 'CREATE DATABASE bench$n'"
  echo "== $*"
  target/release/examples/loadgen --spawn target/release/needful \
    --database-url "postgres://postgres@127.0.0.1:$port/bench$n" "$@"
}
if [ $# -gt 0 ]; then
  run --replicas 1 "$@"
  run --replicas 2 "$@"
  exit
fi
for replicas in 1 2; do
  run --replicas $replicas --rate 0 --count 30000 --concurrency 64 --drain-timeout 0
  run --replicas $replicas --rate 1000 --duration 15 --count 15000 --drain-timeout 0
done
