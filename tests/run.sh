#!/bin/sh
# tests/run.sh - the one test command (README, .ci/run): installs what is
# missing (Debian 12, apt), builds a normal tree and an ASan+UBSan tree
# (clang, with the libFuzzer targets), and runs ctest in both.
#   tests/run.sh            everything
#   tests/run.sh -L unit    pass ctest options through (e.g. a label)
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)

pkgs="cmake make gcc clang libclang-rt-14-dev pkg-config libfcgi-dev
libcurl4-openssl-dev libssl-dev libsqlite3-dev libjson-c-dev libpq-dev
nginx-light openssl ca-certificates tzdata python3 sqlite3 wrk faketime
chromium nodejs fonts-wqy-microhei postgresql-15"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "tests/run.sh: installing:$missing"
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y \
		--no-install-recommends $missing
fi

# Browser tests (label e2e): playwright-core from npm, pinned by
# tests/e2e/package-lock.json; reinstalled only when the lock file changed.
# No browser download: the tests drive Debian's /usr/bin/chromium.
e2e=tests/e2e
if ! command -v npm >/dev/null; then
	# Debian's nodejs ships npm separately (NodeSource's bundles it)
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y \
		--no-install-recommends npm
fi
if ! cmp -s "$e2e/package-lock.json" "$e2e/node_modules/.package-lock.json.ci" 2>/dev/null; then
	echo "tests/run.sh: npm ci in $e2e"
	(cd "$e2e" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
	cp "$e2e/package-lock.json" "$e2e/node_modules/.package-lock.json.ci"
fi

jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DH5PAY_WERROR=ON >/dev/null
cmake --build build -j"$jobs"
CC=clang cmake -S . -B build-san -DCMAKE_BUILD_TYPE=Debug -DH5PAY_WERROR=ON \
	-DH5PAY_SANITIZE=ON -DH5PAY_FUZZ=ON >/dev/null
cmake --build build-san -j"$jobs"

status=0
echo "== normal tree"
(cd build && ctest --output-on-failure "$@") || status=1
echo "== ASan + UBSan tree"
(cd build-san && ctest --output-on-failure "$@") || status=1
exit $status
