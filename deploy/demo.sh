#!/bin/sh
# deploy/demo.sh - run the shop on this machine: nginx + h5payd + the
# UseePay/WeChat simulator, SQLite, on 127.0.0.1. Installs what is missing
# (Debian 12), builds, prints the URL to open; Ctrl-C stops everything.
#   SHOP_PORT (8443), SIM_PORT (8444), H5PAY_DEMO_DIR (./run/demo)
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)

pkgs="cmake make gcc pkg-config libfcgi-dev libcurl4-openssl-dev libssl-dev
libsqlite3-dev libjson-c-dev nginx-light openssl ca-certificates python3"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "demo: installing:$missing"
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y \
		--no-install-recommends $missing
fi

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc 2>/dev/null || echo 2)"

H5PAY_BUILD="$top/build" H5PAY_SRC="$top" exec /usr/bin/python3 \
	"$top/deploy/stack.py" demo \
	--dir "${H5PAY_DEMO_DIR:-$top/run/demo}" \
	--shop-port "${SHOP_PORT:-8443}" --sim-port "${SIM_PORT:-8444}"
