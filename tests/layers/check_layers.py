#!/usr/bin/env python3
"""check_layers.py - the include graph of src/ points down only.

Each file of src/ belongs to a layer (by its name; the table below). A file
may include headers of its own layer or of a lower one, never of a higher
one: web_* -> domain -> protocol/store -> leaves. Programs (main, cli_*,
the simulator under src/sim/) sit on top and may include anything in src/;
nothing in src/ includes a header of src/sim/ (test_layout.py checks that
too). A file the table does not know is an error, so a new file gets a
layer when it is added.

Usage: check_layers.py [REPO]   (exit 1 and one line per violation)
"""
import fnmatch
import os
import re
import sys

# (layer, name patterns without extension); higher number = higher layer
LAYERS = [
    (0, ["err", "buf", "kv", "util", "log", "lim", "valid", "order_state",
         "app", "metrics", "tz"]),   # app.h: the per-thread context, no includes
    (1, ["cfg", "form", "sign", "sign_*", "keys", "httpc",
         "db/*"]),                    # src/db/: the statement layer under store
    (2, ["store", "store_*", "useepay", "useepay_*"]),
    (3, ["order", "order_query", "notify", "pay", "refund", "reconcile", "task",
         "api", "admin", "admin_*", "oauth", "outbox", "outbox_*", "anomaly",
         "migrations"]),
    (4, ["req", "session", "route", "serve", "web", "web_*"]),
    (5, ["main", "cli", "cli_*", "sim/*"]),
]
NAMES = {0: "leaf", 1: "codec/transport", 2: "protocol/store",
         3: "domain", 4: "web", 5: "program"}
# app.c wires a thread's store and HTTP client together: it is the one
# leaf .c that includes lower-layer headers it owns nothing of.
FILE_LAYER = {"app.c": 2}

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def layer_of(rel):
    base = os.path.basename(rel)
    if base in FILE_LAYER:
        return FILE_LAYER[base]
    stem = os.path.splitext(rel)[0]
    for n, pats in LAYERS:
        for p in pats:
            if fnmatch.fnmatch(stem, p):
                return n
    return None


def main():
    repo = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "..")
    src = os.path.join(repo, "src")
    bad = []
    files = []
    for d, _, fs in os.walk(src):
        for f in fs:
            if f.endswith((".c", ".h")):
                files.append(os.path.relpath(os.path.join(d, f), src))
    for rel in sorted(files):
        me = layer_of(rel)
        if me is None:
            bad.append("%s: no layer (add it to LAYERS in %s)" %
                       (rel, os.path.basename(__file__)))
            continue
        text = open(os.path.join(src, rel), encoding="utf-8").read()
        for inc in INCLUDE.findall(text):
            target = os.path.normpath(os.path.join(os.path.dirname(rel),
                                                   inc))
            if not os.path.exists(os.path.join(src, target)):
                target = inc            # "store.h" from src/sim/
            if not os.path.exists(os.path.join(src, target)):
                continue                # generated or system header
            if target.startswith("sim/") and not rel.startswith("sim/"):
                bad.append("%s includes %s: src/ never includes the "
                           "simulator" % (rel, inc))
                continue
            it = layer_of(target)
            if it is not None and it > me:
                bad.append("%s (%s) includes %s (%s): an upward arrow" %
                           (rel, NAMES[me], inc, NAMES[it]))
    for b in bad:
        print(b)
    print("check_layers: %d files, %d violations" % (len(files), len(bad)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
