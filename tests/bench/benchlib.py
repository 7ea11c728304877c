"""benchlib.py - what stack_bench.py's cases share: running and reading
wrk, bench orders and signed notifications written straight into the
stack, buyers logged in through the simulator's OAuth, the /notify
bookkeeping check (nginx's access log against the database) and h5payd's
memory. Measures only: nothing here decides whether a figure is good.
"""
import os
import re
import subprocess
import sys
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(SRC, "tests", "integration"))
os.environ.setdefault("H5PAY_BUILD", os.path.join(SRC, "build"))
os.environ.setdefault("H5PAY_SRC", SRC)
import harness  # noqa: E402
import enginedb  # noqa: E402
from test_pay import Buyer  # noqa: E402

# wrk's own timeout is 2 s: a slower answer would be a "timeout" error and
# leave the latency distribution; /pay waits 300 ms for the provider, so
# give every request room and let p99 show it
WRK_TIMEOUT = "10s"


def url(stack, scheme, path):
    port = stack.shop_port if scheme == "https" else stack.http_port
    return "%s://127.0.0.1:%d%s" % (scheme, port, path)


def to_ms(text):
    """wrk's "635.91us" / "1.20ms" / "2.01s" / "1.50m" in milliseconds."""
    m = re.match(r"([\d.]+)(us|ms|s|m)$", text or "")
    if not m:
        return None
    return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0,
                                "m": 60000.0}[m.group(2)]


def parse_wrk(out):
    def grab(rx, conv=str, default=None):
        m = re.search(rx, out)
        return conv(m.group(1)) if m else default
    errs = re.search(r"Socket errors: connect (\d+), read (\d+), write "
                     r"(\d+), timeout (\d+)", out)
    return {
        "rps": grab(r"Requests/sec:\s+([\d.]+)", float, 0.0),
        "requests": grab(r"(\d+) requests in", int, 0),
        "p50": to_ms(grab(r"\s50%\s+([\d.]+\w+)")),
        "p99": to_ms(grab(r"\s99%\s+([\d.]+\w+)")),
        "non2xx": grab(r"Non-2xx or 3xx responses: (\d+)", int, 0),
        "errors": sum(int(x) for x in errs.groups()) if errs else 0,
        "errors_text": errs.group(0) if errs else "",
        "raw": out,
    }


def wrk(stack, scheme, path, duration, conns, script=None, args=(),
        threads=2):
    cmd = ["wrk", "-t%d" % min(threads, conns), "-c%d" % conns,
           "-d%ds" % duration, "--latency", "--timeout", WRK_TIMEOUT]
    if script:
        cmd += ["-s", os.path.join(HERE, script)]
    cmd.append(url(stack, scheme, path))
    if script:
        cmd += ["--"] + [str(a) for a in args]
    p = subprocess.run(cmd, capture_output=True, text=True)
    r = parse_wrk(p.stdout)
    if p.returncode != 0 or r["requests"] == 0:
        sys.stderr.write("wrk %s: exit %d\n%s%s\n" % (
            " ".join(cmd), p.returncode, p.stdout, p.stderr))
    r["conns"] = conns
    return r


def cpu_line():
    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return os.cpu_count(), model


# -- orders and notifications ----------------------------------------------

def make_orders(stack, n, prefix, openid="oBenchOpenid0000001",
                state="PENDING"):
    """n orders PREFIX0000000.. straight into the database (no provider
    transaction behind them: /notify and the polls do not need one)."""
    now = int(time.time())
    nos = ["%s%07d" % (prefix, i) for i in range(n)]
    c = enginedb.connect(stack)
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
    """One signed "pay succeeded" notification a line, for each order."""
    with open(path, "w") as f:
        for no in nos:
            fl = {"version": "1.0", "merchantNo": harness.TEST_MERCHANT,
                  "transactionId": no, "reference": "R" + no,
                  "transactionType": "pay", "amount": "1000",
                  "currency": "HKD", "resultCode": "succeed",
                  "errorCode": "0000", "errorMsg": "Approved",
                  "signType": "MD5"}
            fl["sign"] = harness.useepay_sign_md5(fl)
            f.write(urllib.parse.urlencode(fl) + "\n")
    return path


def log_offset(stack):
    try:
        return os.path.getsize(os.path.join(stack.run, "nginx.access.log"))
    except OSError:
        return 0


def settle_log(stack, quiet=1.0, limit=10.0):
    """Wait until nginx's access log has not grown for `quiet` seconds:
    the requests wrk abandoned at its end are logged (499) only once
    nginx has finished with them."""
    deadline = time.monotonic() + limit
    last, since = log_offset(stack), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.1)
        now = log_offset(stack)
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return


NOTIFY_LINE = re.compile(r'"POST /notify HTTP/[\d.]+" (\d{3}) \d+ '
                         r'"([^"]*)"')


def notify_answers(stack, offset, prefix):
    """{order_no: [status, ...]} of the /notify requests in nginx's access
    log since offset (notify.lua sends each body's order number as its
    User-Agent, which the h5pay log format records)."""
    out = {}
    with open(os.path.join(stack.run, "nginx.access.log"), "rb") as f:
        f.seek(offset)
        for line in f.read().decode("utf-8", "replace").splitlines():
            m = NOTIFY_LINE.search(line)
            if m and m.group(2).startswith(prefix):
                out.setdefault(m.group(2), []).append(int(m.group(1)))
    return out


def notify_check(stack, offset, prefix):
    """First deliveries of the orders PREFIX*: the database must hold
    exactly the orders whose notification was answered 200 as PAID, each
    with one PAID event. A request still in flight when wrk stopped is
    logged 499 (the client went away) although h5payd may have committed
    it: such an order may be PAID too, and is counted apart."""
    settle_log(stack)
    ans = notify_answers(stack, offset, prefix)
    ok = {no for no, st in ans.items() if 200 in st}
    gone = {no for no, st in ans.items() if 499 in st}
    twice = sum(1 for st in ans.values() if len(st) > 1)
    c = enginedb.connect(stack)
    paid = {r[0] for r in c.execute(
        "SELECT order_no FROM orders WHERE state = 'PAID' AND "
        "order_no LIKE ?", (prefix + "%",))}
    double = c.execute(
        "SELECT count(*) FROM (SELECT e.order_id FROM order_events e "
        "JOIN orders o ON o.id = e.order_id WHERE e.new_state = 'PAID' "
        "AND o.order_no LIKE ? GROUP BY e.order_id HAVING count(*) > 1) d",
        (prefix + "%",)).fetchone()[0]
    c.close()
    extra = paid - ok
    good = ok <= paid and extra <= gone and double == 0 and twice == 0
    text = ("PAID orders %d, distinct bodies answered 200: %d%s; orders "
            "with two PAID events: %d%s -> %s" % (
                len(paid), len(ok),
                " (+%d answered 499 as wrk stopped, committed anyway)" %
                len(extra) if extra else "",
                double,
                "; bodies sent twice (the file wrapped): %d" % twice
                if twice else "",
                "OK" if good else "MISMATCH"))
    if ok - paid:
        text += "; answered 200 but not PAID: %s" % sorted(ok - paid)[:5]
    if extra - gone:
        text += "; PAID without a 200: %s" % sorted(extra - gone)[:5]
    return good, text, sorted(ok)


def duplicate_check(stack, prefix, answered):
    """After the duplicates: what h5payd recorded for the orders PREFIX*
    (notification rows by outcome, redeliveries counted on them: 008's
    meaning) against the duplicates answered 2xx, and that no order got
    a second PAID event."""
    c = enginedb.connect(stack)
    outcomes = c.execute(
        "SELECT outcome, count(*) FROM notifications WHERE transaction_id "
        "LIKE ? GROUP BY outcome ORDER BY outcome", (prefix + "%",)
    ).fetchall()
    redeliveries = c.execute(
        "SELECT coalesce(sum(redeliveries), 0) FROM notifications WHERE "
        "transaction_id LIKE ?", (prefix + "%",)).fetchone()[0]
    double = c.execute(
        "SELECT count(*) FROM (SELECT e.order_id FROM order_events e "
        "JOIN orders o ON o.id = e.order_id WHERE e.new_state = 'PAID' "
        "AND o.order_no LIKE ? GROUP BY e.order_id HAVING count(*) > 1) d",
        (prefix + "%",)).fetchone()[0]
    c.close()
    good = double == 0 and redeliveries >= answered
    return good, "notification rows by outcome: %s; " \
        "redeliveries counted: %d (duplicates answered 2xx: %d, plus " \
        "any in flight when wrk stopped); orders with two PAID events: " \
        "%d -> %s" % (
            ", ".join("%s %d" % o for o in outcomes) or "none",
            redeliveries, answered, double, "OK" if good else "MISMATCH")


# -- buyers ---------------------------------------------------------------

def login_buyers(stack, n, threads=16):
    """n distinct buyers through the simulator's WeChat OAuth (the real
    flow: /oauth/start, the sim's authorize, /oauth/callback), in
    parallel; returns their Cookie header values."""
    def one(i):
        b = Buyer(stack, openid="oBench%06d" % i).login()
        return "; ".join("%s=%s" % kv for kv in b.cookies.items())
    with ThreadPoolExecutor(max_workers=threads) as ex:
        return list(ex.map(one, range(n)))


def bench_orders(stack):
    """Orders of the login_buyers() buyers so far."""
    c = enginedb.connect(stack)
    n = c.execute("SELECT count(*) FROM orders WHERE openid LIKE "
                  "'oBench%'").fetchone()[0]
    c.close()
    return n


def settle_orders(stack, quiet=1.0, limit=60.0):
    """Wait until no bench buyer's order has been created for `quiet`
    seconds: the /pay requests wrk abandoned at its end are still in
    h5payd's backlog and would otherwise load the next run. Returns the
    seconds until the last one."""
    t0 = time.monotonic()
    last, since = bench_orders(stack), t0
    while time.monotonic() - t0 < limit:
        time.sleep(0.2)
        now = bench_orders(stack)
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            break
    return since - t0


# -- h5payd's memory --------------------------------------------------------

def mem_kb(pid):
    """(VmRSS, RssAnon, Pss) of pid in kB: VmRSS counts every page mapped,
    shared libraries and the memory-mapped database file included, in each
    process again; Pss divides shared pages among the processes mapping
    them; RssAnon is the process's own heap and stacks."""
    rss = anon = pss = 0
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1])
                elif line.startswith("RssAnon:"):
                    anon = int(line.split()[1])
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for line in f:
                if line.startswith("Pss:"):
                    pss = int(line.split()[1])
    except OSError:
        pass
    return rss, anon, pss


class RssSampler(threading.Thread):
    """Every `every` seconds: VmRSS, RssAnon and Pss of h5payd's supervisor
    plus all its children (the pools' workers), each summed; keeps the
    peaks."""

    def __init__(self, stack, every=0.5):
        super().__init__(daemon=True)
        self.stack, self.every = stack, every
        self.peak_kb, self.samples = 0, 0
        self.peak_anon_kb = self.peak_pss_kb = 0
        self.stopping = threading.Event()

    def totals_kb(self):
        pids = [self.stack.h5payd_pid()] + self.stack.worker_pids()
        m = [mem_kb(p) for p in pids]
        return tuple(sum(x[i] for x in m) for i in range(3))

    def run(self):
        while not self.stopping.is_set():
            rss, anon, pss = self.totals_kb()
            self.peak_kb = max(self.peak_kb, rss)
            self.peak_anon_kb = max(self.peak_anon_kb, anon)
            self.peak_pss_kb = max(self.peak_pss_kb, pss)
            self.samples += 1
            self.stopping.wait(self.every)

    def stop(self):
        self.stopping.set()
        self.join()
        return self.peak_kb / 1024.0
