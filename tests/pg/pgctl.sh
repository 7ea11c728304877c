#!/bin/sh
# tests/pg/pgctl.sh - a throw-away PostgreSQL 15 cluster for the tests.
#   pgctl.sh start DIR [DB...]  initdb DIR/data (if new), start it on a unix
#                               socket in DIR (no TCP), create each DB anew;
#                               prints the URL of the first
#   pgctl.sh url DIR DB         the postgresql:// URL of DB in DIR's cluster
#   pgctl.sh createdb DIR DB    drop and create DB
#   pgctl.sh stop DIR           stop it (DIR stays; rm -rf to forget it)
# PostgreSQL refuses to run as root: then the cluster belongs to the
# postgres user (Debian's; nobody when there is none). fsync stays on:
# the tests measure and prove durable commits.
set -eu
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
cmd=${1:?usage: pgctl.sh start|stop|url|createdb DIR [DB...]}
dir=${2:?usage: pgctl.sh start|stop|url|createdb DIR [DB...]}
shift 2
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		u=postgres
		id -u postgres >/dev/null 2>&1 || u=nobody
		runuser -u "$u" -- "$@"
	else
		"$@"
	fi
}

url() {
	echo "postgresql:///$1?host=$dir&user=h5pay"
}

psql_admin() {
	PGOPTIONS="-c client_min_messages=warning"; export PGOPTIONS
	as_owner "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir" -U h5pay \
		-d postgres "$@"
}

createdb() {
	psql_admin -c "DROP DATABASE IF EXISTS \"$1\" WITH (FORCE)" \
		-c "CREATE DATABASE \"$1\""
}

case $cmd in
start)
	if [ "$(id -u)" -eq 0 ]; then
		u=postgres
		id -u postgres >/dev/null 2>&1 || u=nobody
		chown "$u" "$dir"
	fi
	chmod 0755 "$dir"
	if [ ! -f "$dir/data/PG_VERSION" ]; then
		as_owner "$PGBIN/initdb" -D "$dir/data" -U h5pay \
			--auth=trust -E UTF8 --locale=C >"$dir/initdb.log"
		cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$dir'
unix_socket_permissions = 0777
fsync = on
max_connections = 300
shared_buffers = 64MB
CONF
	fi
	if ! as_owner "$PGBIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1
	then
		as_owner "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" \
			-w -t 60 start >/dev/null
	fi
	for db in "$@"; do
		createdb "$db"
	done
	[ $# -eq 0 ] || url "$1"
	;;
stop)
	if [ -f "$dir/data/PG_VERSION" ]; then
		as_owner "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w stop \
			>/dev/null 2>&1 || true
	fi
	;;
url)
	url "${1:?DB}"
	;;
createdb)
	createdb "${1:?DB}"
	url "$1"
	;;
*)
	echo "pgctl.sh: unknown command $cmd" >&2
	exit 2
	;;
esac
