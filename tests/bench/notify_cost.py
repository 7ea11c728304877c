#!/usr/bin/env python3
"""
tests/bench/notify_cost.py - instructions h5payd spends on one /notify
first delivery, counted by callgrind: the same total for the same build
and inputs whatever else the machine is doing, so two builds compare on
a shared or noisy machine where wrk's req/s and CPU seconds do not.

    ./tests/bench/notify_cost.py [--small 100] [--large 600] [--top 25]

Runs the stack twice (nginx + h5payd, 1 notify worker x 1 thread, under
valgrind --tool=callgrind; no simulator) and sends --small, then --large
signed "pay succeeded" notifications, one at a time, each for a distinct
PENDING order. The notify worker's instruction count is start-up plus N
notifications, so the difference over large - small is the marginal cost
of one. One thread means one commit per notification (no group commit):
this counts the work of a notification, not what batching shares.
Prints that figure and the functions whose own instructions grew most,
per notification. Uses build/ (or $H5PAY_BUILD); needs valgrind.

A benchmark, not a test: it measures and prints, it asserts no cost.
"""
import argparse
import glob
import os
import re
import shutil
import subprocess
import sys

from benchlib import harness, make_orders, notify_bodies, cpu_line

import stack  # deploy/stack.py, put on the path by harness


class CallgrindStack(harness.Stack):
    """The test stack with h5payd under callgrind, one file per process."""

    def __init__(self):
        super().__init__("cost", web_workers=1, web_threads=2,
                         notify_workers=1, notify_threads=1, sim=False,
                         config={"log_level": "warn",
                                 "reconcile_interval_sec": "0"})
        self.cg_dir = os.path.join(self.dir, "callgrind")
        os.makedirs(self.cg_dir)

    def start_h5payd(self):
        super().start_h5payd(prefix=[
            "valgrind", "--tool=callgrind",
            "--callgrind-out-file=%s/out.%%p" % self.cg_dir], timeout=120)


def own_costs(path):
    """{function: its own instructions} of one callgrind file."""
    out = subprocess.run(["callgrind_annotate", "--threshold=100",
                          "--inclusive=no", path], capture_output=True,
                         text=True, check=True).stdout
    costs = {}
    for line in out.splitlines():
        m = re.match(r"\s*([\d,]+) \([ \d.]+%\)\s+(.*)", line)
        if m and "PROGRAM TOTALS" not in line:
            costs[m.group(2)] = int(m.group(1).replace(",", ""))
    return costs


def run(n):
    """Start the stack, send n first deliveries, stop it; the notify
    worker's (the process that counted most) callgrind file's costs."""
    st = CallgrindStack()
    try:
        st.start()
        nos = make_orders(st, n, "C")
        body = notify_bodies(nos, os.path.join(st.dir, "bodies.txt"))
        ok = 0
        with open(body) as f:
            for line in f:
                r = st.post("/notify", line.strip(), timeout=60, headers={
                    "Content-Type": "application/x-www-form-urlencoded"})
                ok += r.status == 200 and r.body.strip() == b"OK"
        if ok != n:
            sys.exit("only %d of %d notifications answered OK" % (ok, n))
        st.stop(check_logs=False)
        files = glob.glob(os.path.join(st.cg_dir, "out.*"))
        costs = [own_costs(f) for f in files]
        return max(costs, key=lambda c: sum(c.values()))
    finally:
        st.stop(check_logs=False)
        if os.environ.get("H5PAY_KEEP") is None:
            shutil.rmtree(st.dir, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--small", type=int, default=100)
    ap.add_argument("--large", type=int, default=600)
    ap.add_argument("--top", type=int, default=25,
                    help="functions to list (default 25)")
    a = ap.parse_args()
    if a.large <= a.small:
        ap.error("--large must be more than --small")
    if shutil.which("valgrind") is None:
        sys.exit("needs valgrind (apt-get install valgrind)")
    small, large = run(a.small), run(a.large)
    n = a.large - a.small
    total = (sum(large.values()) - sum(small.values())) / n
    grew = sorted(((large.get(k, 0) - small.get(k, 0)) / n, k)
                  for k in set(small) | set(large))
    cores, model = cpu_line()
    print("%s: %.0f instructions per /notify first delivery in h5payd's "
          "notify worker (callgrind, 1 x 1 thread, %d - %d deliveries; "
          "%d cores, %s)" % (stack.BUILD, total, a.large, a.small, cores,
                             model))
    for cost, fn in reversed(grew[-a.top:]):
        print("%9.0f  %5.1f %%  %s" % (cost, 100.0 * cost / total, fn[:110]))


if __name__ == "__main__":
    main()
