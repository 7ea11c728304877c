#!/bin/sh
# deploy/h5pay-backup.sh - one backup with retention, for
# h5pay-backup.service (installed as /usr/sbin/h5pay-backup):
#   h5pay-backup [-c CONFIG] [-k KEEP] DIR
# writes DIR/h5pay-<UTC time>.db with `h5pay backup` (online, checked,
# 0600), then deletes all but the KEEP newest h5pay-*.db in DIR. Retention
# runs only after a backup succeeded, so a failing backup never eats the
# good ones. Exit status: that of `h5pay backup`.
set -eu
conf=/etc/h5pay/h5pay.conf
keep=72
h5pay=${H5PAY:-h5pay}
while getopts c:k: opt; do
	case $opt in
	c) conf=$OPTARG ;;
	k) keep=$OPTARG ;;
	*) echo "usage: h5pay-backup [-c CONFIG] [-k KEEP] DIR" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || { echo "usage: h5pay-backup [-c CONFIG] [-k KEEP] DIR" >&2; exit 2; }
case $keep in
''|*[!0-9]*|0) echo "h5pay-backup: KEEP must be a positive integer" >&2; exit 2 ;;
esac
dir=$1
umask 077
"$h5pay" backup -c "$conf" "$dir/h5pay-$(date -u +%Y%m%dT%H%M%S.%NZ).db"
# the names sort by time; keep the newest $keep
ls -1 "$dir" | grep -E '^h5pay-[0-9]{8}T[0-9]{6}\.[0-9]+Z\.db$' | sort -r |
	tail -n +$((keep + 1)) | while read -r old; do
		rm -f -- "$dir/$old"
		echo "h5pay-backup: removed $dir/$old (keeping $keep)"
	done
