"""admin_bench.py - latency of the admin API on a large history (issue 7,
acceptance 5). Not a ctest: run it by hand (tests/bench/admin_bench.sh).

Starts a Stack (nginx + h5payd, no simulator, no periodic reconciler),
fills it with `h5pay dev-fill --orders N` (skipped when --db reuses a
filled database), logs in an admin, then measures over one keep-alive
HTTPS connection (what a browser does), sequentially:
  first page      GET /admin/api/orders?limit=50
  next pages      the same, following the keyset cursor deep into history
  filtered page   state + date range + amount range (+ sort by amount)
  openid page     one buyer's orders
  detail          GET /admin/api/orders/{random DEV order}
  stats           GET /admin/api/stats (30 days)
and prints p50 / p99 / max in ms per case.
"""
import argparse
import http.client
import json
import os
import random
import shutil
import sqlite3
import ssl
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

import harness  # noqa: E402


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


class Client:
    def __init__(self, stack):
        self.stack = stack
        ctx = ssl.create_default_context(cafile=os.path.join(stack.certs,
                                                             "ca.pem"))
        self.conn = http.client.HTTPSConnection("127.0.0.1", stack.shop_port,
                                                context=ctx, timeout=60)
        self.cookie = None

    def req(self, method, path, body=None):
        h = {}
        if self.cookie:
            h["Cookie"] = self.cookie
        if body is not None:
            body = json.dumps(body)
            h["Content-Type"] = "application/json"
        t = time.perf_counter()
        self.conn.request(method, path, body=body, headers=h)
        r = self.conn.getresponse()
        data = r.read()
        dt = (time.perf_counter() - t) * 1000
        if r.status != 200:
            raise SystemExit("%s %s: %d %r" % (method, path, r.status,
                                                data[:200]))
        if method == "POST" and path.endswith("/login"):
            self.cookie = r.getheader("Set-Cookie").split(";")[0]
        return dt, data


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--orders", type=int, default=1000000)
    ap.add_argument("--days", type=int, default=90)
    ap.add_argument("--n", type=int, default=300, help="requests per case")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--db", help="a filled database to reuse (copied in, "
                    "no dev-fill); when missing, written after the fill")
    a = ap.parse_args()

    stack = harness.Stack("admin-bench", sim=False,
                          config={"reconcile_interval_sec": "0"})
    reuse = a.db and os.path.exists(a.db)
    if reuse:
        shutil.copy(a.db, stack.db_path)
    try:
        stack.start()
        h5pay = os.path.join(harness.BUILD, "h5pay")
        t = time.time()
        if not reuse:
            subprocess.run([h5pay, "dev-fill", "-c", stack.cfg_path,
                            "--orders", str(a.orders), "--days",
                            str(a.days)], check=True)
        fill_s = time.time() - t
        for cmd in ("add", "passwd"):      # passwd: a reused database
            if subprocess.run([h5pay, "admin", "-c", stack.cfg_path, cmd,
                               "bench"], input="bench-Passw0rd\n",
                              text=True, capture_output=True
                              ).returncode == 0:
                break
        c = Client(stack)
        c.req("POST", "/admin/api/login", {"username": "bench",
                                           "password": "bench-Passw0rd"})
        now = int(time.time())
        day = lambda t: time.strftime("%Y-%m-%d", time.gmtime(t))
        rnd = random.Random(7)
        cases = {}

        def run(name, paths):
            c.req("GET", paths[0])           # warm the statement cache
            ts = [c.req("GET", p)[0] for p in paths]
            cases[name] = ts

        run("first page", ["/admin/api/orders?limit=50"] * a.n)
        # follow the cursor: pages 1..n deep into history
        p, deep = "/admin/api/orders?limit=50", []
        for _ in range(a.n):
            dt, data = c.req("GET", p)
            deep.append(dt)
            nxt = json.loads(data)["next"]
            p = "/admin/api/orders?limit=50&cursor=" + nxt
        cases["next pages (keyset)"] = deep
        run("filtered page", [
            "/admin/api/orders?limit=50&state=PAID&from=%s&to=%s&min=%d&"
            "max=%d" % (day(now - (10 + i % 60) * 86400),
                        day(now - (3 + i % 60) * 86400), 5000, 60000)
            for i in range(a.n)])
        run("filtered by amount, sorted", [
            "/admin/api/orders?limit=50&sort=amount_desc&min=%d&max=%d" %
            (1000 + i, 20000 + i) for i in range(a.n)])
        run("one buyer (openid)", [
            "/admin/api/orders?limit=50&openid=oDev%020d" % rnd.randrange(5000)
            for _ in range(a.n)])
        run("detail", ["/admin/api/orders/DEV%012d" %
                       rnd.randrange(1, a.orders + 1) for _ in range(a.n)])
        run("stats 30 days", ["/admin/api/stats"] * max(a.n // 10, 20))

        print("\nadmin API latency, %d orders (dev-fill %.0f s), one "
              "keep-alive HTTPS client, sequential:" % (a.orders, fill_s))
        print("| case | n | p50 ms | p99 ms | max ms |")
        print("|---|---:|---:|---:|---:|")
        for k, ts in cases.items():
            print("| %s | %d | %.1f | %.1f | %.1f |" % (
                k, len(ts), statistics.median(ts), pct(ts, 99), max(ts)))
        if shutil.which("wrk"):
            print("\nwrk -t2 -c16 -d10s (concurrent, same machine):")
            for name, path in (("first page", "/admin/api/orders?limit=50"),
                               ("detail", "/admin/api/orders/DEV%012d" %
                                (a.orders // 2))):
                out = subprocess.run(
                    ["wrk", "-t2", "-c16", "-d10s", "--latency", "-H",
                     "Cookie: " + c.cookie, "https://127.0.0.1:%d%s" %
                     (stack.shop_port, path)], capture_output=True,
                    text=True).stdout
                lat = [ln.strip() for ln in out.splitlines()
                       if ln.strip().startswith(("50%", "99%",
                                                 "Requests/sec"))]
                print("  %s: %s" % (name, "; ".join(lat)))
    finally:
        stack.stop(check_logs=False)
        if a.db and not reuse:
            c = sqlite3.connect(stack.db_path)
            c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            c.close()
            shutil.copy(stack.db_path, a.db)
        if not a.keep:
            shutil.rmtree(stack.dir, ignore_errors=True)
        else:
            print("kept " + stack.dir)


if __name__ == "__main__":
    main()
