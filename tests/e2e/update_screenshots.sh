#!/bin/sh
# update_screenshots.sh - regenerate the README's screenshots (docs/img/
# shop-list.png, shop-paid.png, admin-order.png) from a real e2e run:
# test_admin_flow.js takes them (a buyer paying through the simulator,
# the merchant's refund) and, with H5PAY_DOCS_IMG=1, writes them there.
# Needs a built tree (default build/) and the e2e tooling (tests/run.sh).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build}
cd "$build"
H5PAY_DOCS_IMG=1 ctest -R '^e2e.test_admin_flow$' --output-on-failure
ls -l "$here/../../docs/img/"
