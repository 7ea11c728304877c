#!/usr/bin/python3
"""tests/bench/stack_bench.py - measure the hot paths against the stack's
own ceiling, on this machine, in one run (not a test: it asserts nothing
about speed). Uses the normal build (build/), wrk, and the test harness.

    ./tests/bench/stack_bench.py [--duration 10] [--connections 64]

Prints a Markdown table for the README's "Performance" section:
  ceiling   nginx static file; nginx -> h5payd /healthz (libfcgi + a read)
  /notify   first deliveries (verify + one durable transaction each, group
            commit) and duplicates (verify + dedupe)
  polls     GET /api/orders/{no} by the buyer who owns the order (session
            lookup + read; a PENDING order past status_query_interval_sec
            also queries the simulator, at most once per interval)
  /pay      with the simulator answering order creation after 1 s, and
            /notify measured at the same time (the two-pool promise)
"""
import threading
import argparse
import hashlib
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(SRC, "tests", "integration"))
os.environ.setdefault("H5PAY_BUILD", os.path.join(SRC, "build"))
os.environ.setdefault("H5PAY_SRC", SRC)
import harness  # noqa: E402
from test_pay import Buyer  # noqa: E402


def sign_md5(fields):
    items = sorted((k, v) for k, v in fields.items()
                   if k != "sign" and v.strip() != "")
    canon = "&".join("%s=%s" % kv for kv in items)
    return hashlib.md5((canon + "&pkey=" + harness.TEST_MD5_KEY)
                       .encode()).hexdigest()


def make_orders(stack, n, prefix, openid="oBenchOpenid0000001",
                state="PENDING"):
    now = int(time.time())
    nos = ["%s%07d" % (prefix, i) for i in range(n)]
    c = sqlite3.connect(stack.db_path, timeout=60)
    with c:
        c.executemany(
            "INSERT INTO orders (order_no, openid, appid, amount, currency, "
            "subject, state, expires_at, created_at, updated_at, "
            "next_check_at, paid_at) VALUES (?, ?, ?, 1000, 'HKD', 'bench', "
            "?, ?, ?, ?, ?, ?)",
            [(no, openid, harness.TEST_APPID, state, now + 3600, now, now,
              now + 3600, now if state == "PAID" else None) for no in nos])
    c.close()
    return nos


def notify_bodies(nos, path):
    with open(path, "w") as f:
        for no in nos:
            fl = {"version": "1.0", "merchantNo": harness.TEST_MERCHANT,
                  "transactionId": no, "reference": "R" + no,
                  "transactionType": "pay", "amount": "1000",
                  "currency": "HKD", "resultCode": "succeed",
                  "errorCode": "0000", "errorMsg": "Approved",
                  "signType": "MD5"}
            fl["sign"] = sign_md5(fl)
            f.write(urllib.parse.urlencode(fl) + "\n")


def wrk(stack, args, duration, conns, script=None, script_args=()):
    url = "https://127.0.0.1:%d%s" % (stack.shop_port, args)
    cmd = ["wrk", "-t2", "-c%d" % conns, "-d%ds" % duration, "--latency"]
    if script:
        cmd += ["-s", os.path.join(HERE, script), url, "--"] + \
            list(script_args)
    else:
        cmd.append(url)
    out = subprocess.run(cmd, capture_output=True, text=True).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p50 = re.search(r"\s50%\s+([\d.]+\w+)", out)
    p99 = re.search(r"\s99%\s+([\d.]+\w+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errs = re.search(r"Socket errors: (.*)", out)
    return {"rps": float(rps.group(1)) if rps else 0.0,
            "p50": p50.group(1) if p50 else "?",
            "p99": p99.group(1) if p99 else "?",
            "non2xx": int(non2xx.group(1)) if non2xx else 0,
            "errors": errs.group(1) if errs else "", "raw": out}


def report(rows, name, r):
    rows.append((name, r))
    print("%-45s %9.0f req/s  p50 %-8s p99 %-8s non-2xx %d %s" % (
        name, r["rps"], r["p50"], r["p99"], r["non2xx"], r["errors"]),
        file=sys.stderr)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--connections", type=int, default=64)
    a = ap.parse_args()
    if not shutil.which("wrk"):
        sys.exit("stack_bench: wrk is not installed (apt-get install wrk)")
    st = harness.Stack("bench", web_workers=2, web_threads=16,
                       notify_workers=2, notify_threads=8,
                       # the simulator must not be the bottleneck of /pay
                       sim_config={"threads": "48"},
                       config={"log_level": "warn",
                               "reconcile_interval_sec": "0",
                               "status_query_interval_sec": "5"})
    rows = []
    try:
        st.start()
        static = "/shop/index.html" if os.path.exists(os.path.join(
            SRC, "nginx", "html", "shop", "index.html")) else "/nginx-404"
        n = 12000 * a.duration
        nos = make_orders(st, n, "B")
        bodies = os.path.join(st.dir, "notify.txt")
        notify_bodies(nos, bodies)
        cases = [
            ("ceiling: nginx static file", static, None, ()),
            ("ceiling: nginx -> h5payd /healthz", "/healthz", None, ()),
            ("/notify, first delivery (pays the order)", "/notify",
             "notify.lua", (bodies, "2")),
            ("/notify, duplicate delivery", "/notify", "notify.lua",
             (bodies, "2")),
        ]
        st.seed_demo()
        buyer = Buyer(st).login()
        cookie = "; ".join("%s=%s" % kv for kv in buyer.cookies.items())
        paid = make_orders(st, 200, "P", buyer.openid, "PAID")
        pending = make_orders(st, 200, "Q", buyer.openid, "PENDING")
        cases += [
            ("status poll, PAID order (own)", "/api/orders/x", "get.lua",
             [cookie] + ["/api/orders/" + no for no in paid]),
            ("status poll, PENDING order (own; queries UseePay at most "
             "every 5 s per order)", "/api/orders/x", "get.lua",
             [cookie] + ["/api/orders/" + no for no in pending]),
        ]
        for name, path, script, sargs in cases:
            r = wrk(st, path, a.duration, a.connections, script, sargs)
            report(rows, name, r)
        # /pay with a slow provider, /notify at the same time
        st.sim_control("faults", latency_ms=1000, latency_path="/api")
        more = make_orders(st, 12000 * a.duration, "C")
        bodies2 = os.path.join(st.dir, "notify2.txt")
        notify_bodies(more, bodies2)
        res = {}
        t = threading.Thread(target=lambda: res.update(pay=wrk(
            st, "/pay", a.duration, 10, "pay.lua", [cookie])))
        t.start()
        time.sleep(1)
        res["notify"] = wrk(st, "/notify", max(1, a.duration - 2), 16,
                            "notify.lua", (bodies2, "2"))
        t.join()
        st.sim_control("reset")
        # 10 clients: nginx's limit_req on /pay allows a burst of 10 per
        # address (all of wrk is 127.0.0.1); more measures the limiter
        report(rows, "/pay, provider answering after 1 s (10 clients)",
               res["pay"])
        report(rows, "/notify meanwhile (16 clients)", res["notify"])
        c = sqlite3.connect(st.db_path)
        paid = c.execute("SELECT count(*) FROM orders WHERE state='PAID'"
                         ).fetchone()[0]
        events = c.execute("SELECT count(*) FROM order_events WHERE "
                           "new_state='PAID'").fetchone()[0]
        c.close()
        print("orders paid: %d, PAID events: %d" % (paid, events),
              file=sys.stderr)
    finally:
        st.stop(check_logs=False)
    cpu = subprocess.run(["sh", "-c", "nproc; grep -m1 'model name' "
                          "/proc/cpuinfo"], capture_output=True,
                         text=True).stdout.split("\n")
    print("\nwrk -t2 -c%d -d%ds over HTTPS, %s cores (%s), wrk + nginx + "
          "h5payd on the same machine; synchronous=FULL.\n" %
          (a.connections, a.duration, cpu[0],
           cpu[1].split(":")[-1].strip() if len(cpu) > 1 else "?"))
    print("| path | req/s | p50 | p99 |\n|---|---:|---:|---:|")
    for name, r in rows:
        print("| %s | %.0f | %s | %s |" % (name, r["rps"], r["p50"],
                                           r["p99"]))


if __name__ == "__main__":
    main()
