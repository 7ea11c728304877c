"""faultlib.py - what the fault and backup tests share: PENDING orders put
straight into the stack's database, signed first deliveries (MD5, spec §3),
a notification load that records which deliveries were acknowledged, and
the end-of-test checks (every acknowledged order PAID exactly once,
integrity_check ok).

Nothing here knows a test's expected answers. Stdlib only.
"""
import hashlib
import http.client
import os
import sqlite3
import threading
import time
import urllib.parse

import harness
from harness import TEST_APPID, TEST_MERCHANT, useepay_sign_md5

NOW = int(time.time())


def db(where):
    """where: a Stack (its database, whatever the engine) or the path of
    an SQLite file (a backup)."""
    if isinstance(where, str):
        c = sqlite3.connect(where, timeout=60)
    else:
        c = harness.db_connect(where, timeout=60)
    c.execute("PRAGMA busy_timeout = 60000")
    return c


def q(path, sql, *args):
    c = db(path)
    try:
        return c.execute(sql, args).fetchall()
    finally:
        c.close()


def new_orders(path, prefix, n, amount=1000, expires=None):
    """n PENDING orders named prefix + number; returns their numbers."""
    nos = ["%sN%06d" % (prefix, i) for i in range(n)]
    exp = expires if expires is not None else NOW + 3 * 3600
    c = db(path)
    with c:
        c.executemany(
            "INSERT INTO orders (order_no, openid, appid, amount, currency, "
            "subject, state, expires_at, created_at, updated_at) VALUES "
            "(?, 'oTestOpenid000001', ?, ?, 'HKD', 'fault test', "
            "'PENDING', ?, ?, ?)",
            [(no, TEST_APPID, amount, exp, NOW, NOW) for no in nos])
    c.close()
    return nos


def notify_body(order_no, amount=1000, result="succeed"):
    f = {
        "version": "1.0",
        "merchantNo": TEST_MERCHANT,
        "transactionId": order_no,
        "reference": "UP" + order_no,
        "transactionType": "pay",
        "amount": str(amount),
        "currency": "HKD",
        "resultCode": result,
        "errorCode": "0000" if result == "succeed" else "3300",
        "errorMsg": "Success" if result == "succeed" else "expired",
        "signType": "MD5",
    }
    f["sign"] = useepay_sign_md5(f)
    return urllib.parse.urlencode(f).encode()


def body_hash(body):
    return hashlib.sha256(body).hexdigest()


class Poster:
    """One HTTPS connection to nginx; post() gives (status, body), status
    None when the connection failed (no answer is no acknowledgement)."""

    def __init__(self, stack, timeout=30):
        self.stack = stack
        self.timeout = timeout
        self.conn = None

    def post(self, body, path="/notify"):
        if self.conn is None:
            self.conn = http.client.HTTPSConnection(
                "127.0.0.1", self.stack.shop_port,
                context=self.stack.ssl_context(), timeout=self.timeout)
        try:
            self.conn.request("POST", path, body=body, headers={
                "Content-Type": "application/x-www-form-urlencoded"})
            r = self.conn.getresponse()
            data = r.read()
            if r.getheader("Connection", "").lower() == "close":
                self.close()
            return r.status, data
        except (OSError, http.client.HTTPException):
            self.close()
            return None, b""

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class Load:
    """Threads posting first deliveries of `orders` (each once, in order)
    until stop() or the list is done. acked[order_no] = monotonic time of
    its 200 OK; answers counts every status (None: no answer)."""

    def __init__(self, stack, orders, amount=1000, threads=8, pace=0.0):
        self.stack = stack
        self.work = list(reversed(orders))
        self.amount = amount
        self.pace = pace
        self.lock = threading.Lock()
        self.acked = {}
        self.failed = []          # (order_no, status, body)
        self.answers = {}
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._run, daemon=True)
                        for _ in range(threads)]

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def _run(self):
        p = Poster(self.stack)
        while not self.stopping.is_set():
            with self.lock:
                if not self.work:
                    break
                no = self.work.pop()
            st, data = p.post(notify_body(no, self.amount))
            now = time.monotonic()
            with self.lock:
                self.answers[st] = self.answers.get(st, 0) + 1
                if st == 200 and data == b"OK":
                    self.acked[no] = now
                else:
                    self.failed.append((no, st, data[:200]))
            if self.pace:
                time.sleep(self.pace)
        p.close()

    def stop(self):
        self.stopping.set()
        for t in self.threads:
            t.join(timeout=120)

    def join(self, timeout=600):
        for t in self.threads:
            t.join(timeout=timeout)


def resend_all(stack, orders, amount=1000, threads=8, deadline_s=120):
    """Deliver every order's notification again until each is answered
    200 OK (UseePay's retries). Returns the orders still unanswered."""
    pending = list(orders)
    end = time.monotonic() + deadline_s
    while pending and time.monotonic() < end:
        load = Load(stack, pending, amount=amount, threads=threads).start()
        load.join()
        pending = [no for no in pending if no not in load.acked]
        if pending:
            time.sleep(0.5)
    return pending


def paid_counts(path, orders):
    """{order_no: (state, number of PAID events)} for orders."""
    out = {}
    c = db(path)
    try:
        for i in range(0, len(orders), 500):
            chunk = orders[i:i + 500]
            for no, state, n in c.execute(
                    "SELECT o.order_no, o.state, (SELECT COUNT(*) FROM "
                    "order_events e WHERE e.order_id = o.id AND "
                    "e.new_state = 'PAID') FROM orders o WHERE o.order_no "
                    "IN (%s)" % ",".join("?" * len(chunk)), chunk):
                out[no] = (state, n)
    finally:
        c.close()
    return out


def assert_all_paid_once(tc, path, orders):
    """Every order PAID with exactly one PAID event; integrity_check ok."""
    got = paid_counts(path, orders)
    tc.assertEqual(len(got), len(orders))
    bad = [(no, v) for no, v in got.items() if v != ("PAID", 1)]
    tc.assertEqual(bad[:10], [], "%d orders not PAID exactly once" %
                   len(bad))
    if isinstance(path, str) or not harness.is_pg(path):
        # SQLite's file checks (PostgreSQL enforces its foreign keys)
        tc.assertEqual(q(path, "PRAGMA integrity_check"), [("ok",)])
        tc.assertEqual(q(path, "PRAGMA foreign_key_check"), [])


def assert_acked_paid(tc, path, acked):
    """Every acknowledged order is PAID (exactly once) right now: nothing
    acknowledged was lost, before any resend could hide it."""
    got = paid_counts(path, list(acked))
    lost = [no for no in acked if got.get(no) != ("PAID", 1)]
    tc.assertEqual(lost[:10], [], "%d acknowledged orders lost or doubled"
                   % len(lost))


def h5pay_bin():
    from harness import BUILD
    return os.path.join(BUILD, "h5pay")


def start_h5payd_env(stack, env):
    """(Re)start h5payd with extra environment (e.g. LD_PRELOAD). The
    class's method: a test sets the stack's own start_h5payd to this."""
    type(stack).start_h5payd(stack, env=env)


def post_each(stack, orders, amount=1000):
    """One delivery per order, one at a time: [(order_no, status)]."""
    p = Poster(stack)
    out = []
    for no in orders:
        st, data = p.post(notify_body(no, amount))
        out.append((no, st if st != 200 or data == b"OK" else -1))
    p.close()
    return out
