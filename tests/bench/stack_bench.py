#!/usr/bin/python3
"""tests/bench/stack_bench.py - the performance cases of issue 14 against
this repository alone (its nginx config, h5payd, h5pay-sim; nothing from
outside the tree), over HTTPS and plain HTTP, on this machine. A
benchmark, not a test: it measures and prints, it asserts no speed.

    ./tests/bench/stack_bench.py [--duration 15] [--connections 64]
        [--only ceilings,notify,polls,pay] [--http | --https | --both]
        [--sim-threads 300]

Uses the build in build/ (or $H5PAY_BUILD) and wrk. Cases:
  ceilings  nginx static file; nginx -> h5payd /healthz (libfcgi + a read)
  notify    /notify first deliveries (each pays a distinct PENDING order,
            synchronous=FULL; then the database is checked against the
            answers) and duplicates (the same bodies again)
  polls     GET /api/orders/{no} by the owning buyer, PAID and PENDING
            orders, as a ratio of the /healthz ceiling
  pay       flash sale: 256 distinct buyers (real OAuth logins) POST /pay,
            the simulator answering order creation after 300 ms, h5payd
            with its DEFAULT pools; /notify first deliveries measured at
            the same time (16 connections); h5payd's peak RSS
Ends with one Markdown table (date, nproc, CPU model) for the README's
"Performance" section. The admin list over 1M orders (p99 < 50 ms) is
tests/bench/admin_bench.sh (see tests/bench/README.md).
"""
import os as _os
import sys as _sys

# --engine pg: h5payd on PostgreSQL (deploy/stack.py reads the engine when
# it is imported, so before benchlib imports it); the cluster comes from
# H5PAY_TEST_PG_HOST, or tests/bench/notify_engines.sh starts one
if "--engine" in _sys.argv[1:-1] and \
        _sys.argv[_sys.argv.index("--engine") + 1] == "pg":
    _os.environ["H5PAY_TEST_DB"] = "pg"
import argparse
import datetime
import os
import shutil
import sys
import threading
import time

from benchlib import (harness, wrk, make_orders, notify_bodies,  # noqa
                      log_offset, notify_check, login_buyers, RssSampler,
                      cpu_line, SRC, Buyer, bench_orders,
                      duplicate_check, settle_orders)

CASES = ("ceilings", "notify", "polls", "pay")
PAY_BUYERS = 256
PAY_LATENCY_MS = int(os.environ.get("H5PAY_BENCH_PAY_LATENCY_MS", "300"))
# UseePay's every call is POST /api (pay, query, refund: the message's
# transactionType tells them apart), so the sim's latency fault is on
# /api. During the flash sale nothing else calls it: the reconciler is
# off, nobody polls, and the buyers log in (the sim's /connect/ and
# /sns/ paths) before the fault is switched on.
PAY_LATENCY_PATH = "/api"
# each buyer holds many unpaid orders during the run (the default is 5)
PAY_MAX_OPEN = 1000
# h5pay-sim's FastCGI threads (--sim-threads, default 300; its
# configuration allows up to 512): each sleeps through the 300 ms, so the
# simulator alone allows sim_threads / 0.3 s orders a second
TARGETS = {"pay_rps": 700, "pay_p99_ms": 1000, "notify_p99_ms": 50,
           "rss_mb": 128}


def fmt_ms(v):
    if v is None:
        return "?"
    return "%.2f ms" % v if v < 10 else "%.0f ms" % v


class Bench:
    def __init__(self, a):
        self.a = a
        self.rows = []          # (case, scheme, result, note)
        self.notes = []         # lines printed under the table
        self.ceiling = {}       # scheme -> /healthz result
        self.seq = 0

    def say(self, text):
        print(text, file=sys.stderr)
        sys.stderr.flush()

    def record(self, case, scheme, r, note=""):
        self.rows.append((case, scheme, r, note))
        self.say("%-44s %-5s %8.0f req/s  p50 %-9s p99 %-9s errors %d "
                 "non-2xx %d %s" % (case, scheme, r["rps"], fmt_ms(r["p50"]),
                                    fmt_ms(r["p99"]), r["errors"],
                                    r["non2xx"], note))

    def prefix(self, tag):
        self.seq += 1
        return "%s%02d" % (tag, self.seq)

    def bodies_for(self, st, tag, n):
        pre = self.prefix(tag)
        nos = make_orders(st, n, pre)
        path = notify_bodies(nos, os.path.join(st.dir, pre + ".txt"))
        return pre, path

    def n_bodies(self, scheme, duration):
        # enough that the file does not wrap: /notify is no faster than
        # the /healthz ceiling (12k/s when that was not measured)
        c = self.ceiling.get(scheme)
        rate = c["rps"] if c and c["rps"] > 0 else 12000
        return int(rate * 1.3 * duration) + 2000

    # -- the cases --------------------------------------------------------
    def ceilings(self, st, scheme):
        a = self.a
        static = "/shop/index.html" if os.path.exists(os.path.join(
            SRC, "nginx", "html", "shop", "index.html")) else "/nginx-404"
        self.record("ceiling: nginx static file", scheme,
                    wrk(st, scheme, static, a.duration, a.connections))
        r = wrk(st, scheme, "/healthz", a.duration, a.connections)
        self.ceiling[scheme] = r
        self.record("ceiling: nginx -> h5payd /healthz", scheme, r)

    def notify(self, st, scheme):
        a = self.a
        pre, path = self.bodies_for(st, "N", self.n_bodies(scheme,
                                                          a.duration))
        off = log_offset(st)
        r = wrk(st, scheme, "/notify", a.duration, a.connections,
                "notify.lua", (path, 2))
        good, text, answered = notify_check(st, off, pre)
        self.record("/notify, first delivery (pays the order)", scheme, r)
        self.say("  check: " + text)
        self.notes.append("/notify first deliveries (%s): %s" % (scheme,
                                                                 text))
        if not answered:
            return
        dup = os.path.join(st.dir, pre + "-dup.txt")
        with open(path) as src, open(dup, "w") as out:
            ok = set(answered)
            for line in src:
                no = line.split("transactionId=", 1)[1].split("&", 1)[0]
                if no in ok:
                    out.write(line)
        r = wrk(st, scheme, "/notify", a.duration, a.connections,
                "notify.lua", (dup, 2))
        self.record("/notify, duplicate delivery", scheme, r)
        good, text = duplicate_check(st, pre,
                                     r["requests"] - r["non2xx"])
        self.say("  check: " + text)
        self.notes.append("/notify duplicates (%s): %s" % (scheme, text))

    def polls(self, st, scheme):
        a = self.a
        if not hasattr(self, "poller"):
            self.poller = Buyer(st, openid="oBenchPoller0001").login()
        b = self.poller
        cookie = "; ".join("%s=%s" % kv for kv in b.cookies.items())
        for state, what in (("PAID", "PAID order"),
                            ("PENDING", "PENDING order (queries UseePay "
                             "at most every 5 s per order)")):
            nos = make_orders(st, 200, self.prefix(state[:2]), b.openid,
                              state)
            r = wrk(st, scheme, "/api/orders/x", a.duration, a.connections,
                    "get.lua", [cookie] + ["/api/orders/" + no
                                           for no in nos])
            c = self.ceiling.get(scheme)
            note = ""
            if c and c["rps"] > 0:
                note = "%.0f %% of /healthz" % (100.0 * r["rps"] / c["rps"])
            self.record("status poll, " + what, scheme, r, note)

    def pay(self, st, scheme):
        a = self.a
        if not hasattr(self, "pay_cookies"):
            t0 = time.monotonic()
            self.pay_cookies = login_buyers(st, PAY_BUYERS)
            self.say("  %d buyers logged in through the simulator's OAuth "
                     "in %.1f s" % (PAY_BUYERS, time.monotonic() - t0))
        cookies = os.path.join(st.dir, "pay-cookies.txt")
        with open(cookies, "w") as f:
            f.write("\n".join(self.pay_cookies) + "\n")
        # 16 connections for much less than the duration
        pre, bodies = self.bodies_for(st, "M", 5000 * a.duration + 2000)
        st.sim_control("faults", latency_ms=PAY_LATENCY_MS,
                       latency_path=PAY_LATENCY_PATH)
        off = log_offset(st)
        before = bench_orders(st)
        res = {}
        rss = RssSampler(st)
        rss.start()
        t = threading.Thread(target=lambda: res.update(pay=wrk(
            st, scheme, "/pay", a.duration, PAY_BUYERS, "pay.lua",
            (cookies, 2, self.prefix("w")))))
        t.start()
        time.sleep(1)
        res["notify"] = wrk(st, scheme, "/notify", max(1, a.duration - 2),
                            16, "notify.lua", (bodies, 2))
        t.join()
        peak = rss.stop()
        st.sim_control("reset")
        waited = settle_orders(st)
        pay, nt = res["pay"], res["notify"]
        self.record("/pay flash sale, %d buyers, provider 300 ms" %
                    PAY_BUYERS, scheme, pay, "target >= %d/s, p99 < %d ms" %
                    (TARGETS["pay_rps"], TARGETS["pay_p99_ms"]))
        self.record("/notify first deliveries meanwhile", scheme, nt,
                    "target p99 < %d ms" % TARGETS["notify_p99_ms"])
        good, text, _ = notify_check(st, off, pre)
        self.say("  check: " + text)
        self.say("  /pay: %d new orders in the database, %d answered "
                 "2xx (up to %d more were in flight when wrk stopped; "
                 "h5payd finished them %.1f s later)" %
                 (bench_orders(st) - before, pay["requests"] -
                  pay["non2xx"], PAY_BUYERS, waited))
        self.say("  h5payd memory peaks (supervisor + children, %d samples "
                 "every 0.5 s): VmRSS %.1f MB (target < %d MB; counts the "
                 "shared libraries and the mapped database in every "
                 "process), Pss %.1f MB, RssAnon %.1f MB" % (
                     rss.samples, peak, TARGETS["rss_mb"],
                     rss.peak_pss_kb / 1024.0, rss.peak_anon_kb / 1024.0))
        self.notes.append("/notify during the flash sale (%s): %s" %
                          (scheme, text))
        self.notes.append(
            "flash sale (%s): %.0f /pay/s (target >= %d), /pay p99 %s "
            "(target < %d ms), /notify p99 meanwhile %s (target < %d ms), "
            "h5payd peak VmRSS %.1f MB (target < %d MB), Pss %.1f MB, "
            "RssAnon %.1f MB" % (
                scheme, pay["rps"], TARGETS["pay_rps"], fmt_ms(pay["p99"]),
                TARGETS["pay_p99_ms"], fmt_ms(nt["p99"]),
                TARGETS["notify_p99_ms"], peak, TARGETS["rss_mb"],
                rss.peak_pss_kb / 1024.0, rss.peak_anon_kb / 1024.0))

    # -- the run ------------------------------------------------------------
    def pools(self, st):
        out = []
        for pool in ("web", "notify"):
            pids = st.worker_pids(pool)
            thr = [len(os.listdir("/proc/%d/task" % p)) for p in pids
                   if os.path.exists("/proc/%d/task" % p)]
            out.append("%s %d process(es) x %s threads" % (
                pool, len(pids), "/".join(str(n) for n in thr) or "?"))
        return ", ".join(out) + " (observed in /proc; threads include " \
            "each process's own)"

    def run(self):
        a = self.a
        st = harness.Stack(
            "bench",
            # h5payd's own default pools (the flash sale is measured with
            # them): nothing is written to the config
            web_workers=None, web_threads=None, notify_workers=None,
            notify_threads=None,
            limit_req=False, http_port=harness.free_port()
            if "http" in a.schemes else None,
            sim_config={"threads": str(a.sim_threads),
                        "log_level": "warn"},
            config={"log_level": "warn",
                    "reconcile_interval_sec": "0",
                    "status_query_interval_sec": "5",
                    "pay_max_open_orders_per_buyer": str(PAY_MAX_OPEN)})
        try:
            st.start()
            st.seed_demo()
            self.say("stack in %s; h5payd pools: %s" % (st.dir,
                                                        self.pools(st)))
            for case in a.cases:
                for scheme in a.schemes:
                    getattr(self, case)(st, scheme)
        finally:
            st.stop(check_logs=False)
            if os.environ.get("H5PAY_KEEP") is None:
                shutil.rmtree(st.dir, ignore_errors=True)
        self.table()

    def table(self):
        a = self.a
        n, model = cpu_line()
        print("\n%s UTC, %d cores (%s); wrk -t2 -c%d -d%ds (the flash sale: "
              "-c%d /pay + -c16 /notify), wrk, nginx, h5payd and h5pay-sim "
              "on the same machine; %s; h5payd's "
              "default pools; bench-only nginx: /pay without limit_req, "
              "plus a plain-HTTP listener on 127.0.0.1; "
              "pay_max_open_orders_per_buyer = %d (each buyer makes many "
              "orders); h5pay-sim: %d threads (at most %d orders/s with "
              "its 300 ms).\n" % (
                  datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M"), n,
                  model, a.connections, a.duration, PAY_BUYERS,
                  "PostgreSQL 15 (local cluster, unix socket, fsync on)"
                  if a.engine == "pg" else "SQLite synchronous=FULL",
                  PAY_MAX_OPEN,
                  a.sim_threads, a.sim_threads * 1000 // PAY_LATENCY_MS))
        print("| case | scheme | conns | req/s | p50 | p99 | errors | "
              "non-2xx | note |")
        print("|---|---|---:|---:|---:|---:|---:|---:|---|")
        for case, scheme, r, note in self.rows:
            print("| %s | %s | %d | %.0f | %s | %s | %d | %d | %s |" % (
                case, scheme, r["conns"], r["rps"], fmt_ms(r["p50"]),
                fmt_ms(r["p99"]), r["errors"], r["non2xx"], note))
        if self.notes:
            print()
            for line in self.notes:
                print("- " + line)
        print("\nThe admin list over 1M orders (target p99 < 50 ms): "
              "tests/bench/admin_bench.sh.")


def main():
    ap = argparse.ArgumentParser(
        description=__doc__,
        epilog="The admin list over 1,000,000 orders (target p99 < 50 ms) "
        "is tests/bench/admin_bench.sh; see tests/bench/README.md.",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=int, default=15,
                    help="seconds per wrk run (default 15)")
    ap.add_argument("--connections", type=int, default=64,
                    help="wrk connections, except the flash sale's 256 "
                    "/pay and 16 /notify (default 64)")
    ap.add_argument("--only", default=",".join(CASES),
                    help="comma-separated cases out of %s (default: all)"
                    % ",".join(CASES))
    ap.add_argument("--engine", choices=("sqlite", "pg"), default="sqlite",
                    help="h5payd's database (pg: needs H5PAY_TEST_PG_HOST, "
                    "see notify_engines.sh)")
    ap.add_argument("--sim-threads", type=int, default=300,
                    help="h5pay-sim's FastCGI threads (default 300, at "
                    "most 512): they bound the flash sale at N / 0.3 s")
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--http", dest="schemes", action="store_const",
                   const=["http"], help="plain HTTP only")
    g.add_argument("--https", dest="schemes", action="store_const",
                   const=["https"], help="HTTPS only")
    g.add_argument("--both", dest="schemes", action="store_const",
                   const=["https", "http"], help="both (the default)")
    a = ap.parse_args()
    a.schemes = a.schemes or ["https", "http"]
    a.cases = [c.strip() for c in a.only.split(",") if c.strip()]
    bad = [c for c in a.cases if c not in CASES]
    if bad:
        ap.error("unknown case(s) %s (choose from %s)" % (
            ",".join(bad), ",".join(CASES)))
    # run in the order of the issue whatever the order given
    a.cases = [c for c in CASES if c in a.cases]
    if not shutil.which("wrk"):
        sys.exit("stack_bench: wrk is not installed (apt-get install wrk)")
    if not os.path.exists(harness.SIM_BIN):
        sys.exit("stack_bench: %s is not built" % harness.SIM_BIN)
    Bench(a).run()


if __name__ == "__main__":
    main()
