#!/bin/sh
# tests/bench/notify_engines.sh [DURATION] - the /notify cases (first
# deliveries, duplicates) on SQLite and then on PostgreSQL, in one run on
# this machine (issue 16: the figures side by side). PostgreSQL is a
# throw-away local cluster (tests/pg/pgctl.sh: unix socket, fsync on),
# stopped and removed at the end. Not a test: it measures.
set -eu
cd "$(dirname "$0")/../.."
d=${1:-10}
pgdir=$(mktemp -d /tmp/h5pay-bench-pg.XXXXXX)
trap 'sh tests/pg/pgctl.sh stop "$pgdir" >/dev/null 2>&1 || true; rm -rf "$pgdir"' EXIT
chmod 755 "$pgdir"
sh tests/pg/pgctl.sh start "$pgdir" >/dev/null
echo "== SQLite"
./tests/bench/stack_bench.py --only notify --duration "$d" --https
echo "== PostgreSQL"
H5PAY_TEST_PG_HOST=$pgdir ./tests/bench/stack_bench.py --engine pg \
	--only notify --duration "$d" --https
