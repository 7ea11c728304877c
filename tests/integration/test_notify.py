"""POST /notify through nginx + h5payd (issue 6, acceptance 1, 2, 3, 5).

No simulator: orders are inserted into the stack's database with sqlite3
in state PENDING, and notifications are signed here (MD5, docs/protocol.md §3).
"""
import hashlib
import http.client
import inspect
import os
import random
import signal
import sqlite3
import sys
import threading
import time
import urllib.parse

import harness

NOW = int(time.time())

# These tests need no provider; once the harness starts h5pay-sim by
# default, say no (and the reconciler test needs it absent).
NO_SIM = {"sim": False} if "sim" in inspect.signature(
    harness.Stack).parameters else {}


def sign_md5(fields, key=harness.TEST_MD5_KEY):
    items = sorted((k, v) for k, v in fields.items()
                   if k != "sign" and v.strip() != "")
    canon = "&".join("%s=%s" % (k, v) for k, v in items)
    return hashlib.md5((canon + "&pkey=" + key).encode()).hexdigest()


def notify_fields(order_no, amount, currency="HKD", result="succeed",
                  **extra):
    f = {
        "version": "1.0",
        "merchantNo": harness.TEST_MERCHANT,
        "transactionId": order_no,
        "reference": "UP" + order_no,
        "transactionType": "pay",
        "amount": str(amount),
        "currency": currency,
        "resultCode": result,
        "errorCode": "0000" if result == "succeed" else "3300",
        "errorMsg": "Success" if result == "succeed" else "expired",
        "echoParam": "e&c=h o+",
        "signType": "MD5",
    }
    f.update(extra)
    return f


def signed_body(fields):
    f = dict(fields)
    f["sign"] = sign_md5(f)
    return urllib.parse.urlencode(f).encode()


class Poster:
    """One keep-alive HTTPS connection to nginx."""

    def __init__(self, stack):
        self.stack = stack
        self.conn = None

    def post(self, body):
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPSConnection(
                    "127.0.0.1", self.stack.shop_port,
                    context=self.stack.ssl_context(), timeout=60)
            try:
                self.conn.request("POST", "/notify", body=body, headers={
                    "Content-Type": "application/x-www-form-urlencoded"})
                r = self.conn.getresponse()
                data = r.read()
                if r.getheader("Connection", "").lower() == "close":
                    self.close()
                return r.status, data
            except (OSError, http.client.HTTPException):
                self.close()
                if attempt == 1:
                    return None, b""
        return None, b""

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class NotifyTest(harness.StackTest):
    # the reconciler is tested by ReconcilerTaskTest: keep it out of here
    stack_kwargs = dict(NO_SIM, notify_workers=2, notify_threads=4,
                        config={"reconcile_interval_sec": "0"})
    seq = 0

    @classmethod
    def db(cls):
        c = harness.db_connect(cls.stack, timeout=60)
        c.execute("PRAGMA busy_timeout = 60000")
        return c

    @classmethod
    def new_orders(cls, n, amount=1000, state="PENDING", currency="HKD"):
        NotifyTest.seq += 1
        prefix = "T%d%s" % (NotifyTest.seq, cls.__name__[:6])
        nos = ["%sN%05d" % (prefix, i) for i in range(n)]
        c = cls.db()
        with c:
            c.executemany(
                "INSERT INTO orders (order_no, openid, appid, amount, "
                "currency, subject, state, expires_at, created_at, "
                "updated_at) VALUES (?, 'oTestOpenid000001', ?, ?, ?, "
                "'test order', ?, ?, ?, ?)",
                [(no, harness.TEST_APPID, amount, currency, state,
                  NOW + 1200, NOW, NOW) for no in nos])
        c.close()
        return nos

    def q(self, sql, *args):
        c = self.db()
        try:
            return c.execute(sql, args).fetchall()
        finally:
            c.close()

    def state(self, no):
        return self.q("SELECT state FROM orders WHERE order_no = ?", no)[0][0]

    def paid_events(self, no):
        return self.q("SELECT COUNT(*) FROM order_events e JOIN orders o "
                      "ON o.id = e.order_id WHERE o.order_no = ? AND "
                      "e.new_state = 'PAID'", no)[0][0]

    def anomalies(self, kind, no=None):
        if no is None:
            return self.q("SELECT COUNT(*) FROM anomalies WHERE kind = ?",
                          kind)[0][0]
        return self.q("SELECT COUNT(*) FROM anomalies a JOIN orders o ON "
                      "o.id = a.order_id WHERE o.order_no = ? AND "
                      "a.kind = ?", no, kind)[0][0]

    def post(self, body):
        p = Poster(self.stack)
        try:
            return p.post(body)
        finally:
            p.close()

    def storm(self, bodies, threads=8):
        """POST every body from `threads` connections; [(body, status)]."""
        lock = threading.Lock()
        work = list(bodies)
        results = []

        def run():
            p = Poster(self.stack)
            while True:
                with lock:
                    if not work:
                        break
                    b = work.pop()
                st, data = p.post(b)
                with lock:
                    results.append((b, st, data))
            p.close()

        ts = [threading.Thread(target=run) for _ in range(threads)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(timeout=600)
        return results

    # -- acceptance 1 ------------------------------------------------------
    def test_1_duplicate_storm(self):
        rnd = random.Random(61)
        nos = self.new_orders(520, amount=1234)
        bodies = []
        for no in nos:
            b = signed_body(notify_fields(no, 1234))
            bodies += [b] * rnd.randint(1, 5)
        rnd.shuffle(bodies)
        results = self.storm(bodies, threads=8)
        self.assertEqual(len(results), len(bodies))
        bad = [(st, d) for _, st, d in results if st != 200 or d != b"OK"]
        self.assertEqual(bad, [])
        rows = self.q("SELECT o.state, (SELECT COUNT(*) FROM order_events e "
                      "WHERE e.order_id = o.id AND e.new_state = 'PAID'), "
                      "o.paid_at IS NOT NULL FROM orders o WHERE "
                      "o.order_no IN (%s)" % ",".join("?" * len(nos)), *nos)
        self.assertEqual(len(rows), len(nos))
        for state, paid_events, has_paid_at in rows:
            self.assertEqual(state, "PAID")
            self.assertEqual(paid_events, 1)
            self.assertEqual(has_paid_at, 1)
        # every delivery is counted once: one row per order (the first),
        # all the others redeliveries on it, not rows
        n = self.q("SELECT COUNT(*), SUM(redeliveries), "
                   "SUM(CASE WHEN outcome = 'applied' THEN 1 ELSE 0 END) "
                   "FROM notifications WHERE "
                   "transaction_id IN (%s)" % ",".join("?" * len(nos)), *nos)
        self.assertEqual(n[0], (len(nos), len(bodies) - len(nos),
                                len(nos)))

    def test_1b_replayed_variants_are_counted_not_stored(self):
        # the security issue, item 3: a genuine body padded with blank
        # fields, reordered or re-encoded verifies like the original; it
        # must be recognised by its meaning and cost no row
        (no,) = self.new_orders(1, amount=777)
        f = notify_fields(no, 777)
        f["sign"] = sign_md5(f)
        genuine = urllib.parse.urlencode(f).encode()
        variants = [genuine]
        for i in range(40):
            g = dict(f)
            for k in range(i % 7 + 1):     # blank fields are not signed
                g["pad%d_%d" % (i, k)] = " " * (k + 1)
            items = list(g.items())
            random.Random(i).shuffle(items)
            body = urllib.parse.urlencode(items)
            if i % 2:                       # %20 instead of +
                body = urllib.parse.urlencode(items,
                                              quote_via=urllib.parse.quote)
            variants.append(body.encode())
        p = Poster(self.stack)
        for b in variants:
            self.assertEqual(p.post(b), (200, b"OK"))
        p.close()
        rows = self.q("SELECT COUNT(*), SUM(redeliveries), MAX(outcome) "
                      "FROM notifications WHERE transaction_id = ?", no)
        self.assertEqual(rows[0], (1, len(variants) - 1, "applied"))
        self.assertEqual(self.q("SELECT state FROM orders WHERE order_no "
                                "= ?", no)[0][0], "PAID")

    # -- acceptance 2 ------------------------------------------------------
    def test_2_forged_refused(self):
        (no,) = self.new_orders(1, amount=500)
        good = notify_fields(no, 500)
        before = self.q("SELECT COUNT(*) FROM notifications")[0][0]

        cases = {}
        f = dict(good)
        f["sign"] = sign_md5(good, key="WRONGKEY")
        cases["bad signature"] = urllib.parse.urlencode(f).encode()
        cases["missing sign"] = urllib.parse.urlencode(good).encode()
        f = dict(good)
        f["sign"] = ""
        cases["empty sign"] = urllib.parse.urlencode(f).encode()
        f = dict(good, signType="RSA")
        f["sign"] = sign_md5(f)
        cases["wrong signType"] = urllib.parse.urlencode(f).encode()
        f = dict(good)
        del f["signType"]
        f["sign"] = sign_md5(f)
        cases["no signType"] = urllib.parse.urlencode(f).encode()
        f = dict(good, merchantNo="999999")
        f["sign"] = sign_md5(f)
        cases["other merchant, signed"] = urllib.parse.urlencode(f).encode()
        signed = dict(good)
        signed["sign"] = sign_md5(good)
        for k in good:
            f = dict(signed)
            f[k] = f[k] + "1" if k != "amount" else "50000"
            cases["tampered " + k] = urllib.parse.urlencode(f).encode()
        f = dict(signed, extra="added")
        cases["added field"] = urllib.parse.urlencode(f).encode()
        f = dict(signed)
        del f["amount"]
        cases["dropped field"] = urllib.parse.urlencode(f).encode()

        for name, body in cases.items():
            st, data = self.post(body)
            self.assertEqual(st, 401, name)
        self.assertEqual(self.state(no), "PENDING")
        self.assertEqual(self.q("SELECT COUNT(*) FROM notifications")[0][0],
                         before)
        self.assertEqual(self.q("SELECT COUNT(*) FROM order_events e JOIN "
                                "orders o ON o.id = e.order_id WHERE "
                                "order_no = ?", no)[0][0], 0)
        self.assertIn("evt=verify_fail", self.stack.log_text("h5payd"))
        self.assertNotIn(signed["sign"], self.stack.log_text("h5payd"))
        # and the genuine one still works afterwards
        st, data = self.post(signed_body(good))
        self.assertEqual((st, data), (200, b"OK"))
        self.assertEqual(self.state(no), "PAID")

    def test_2_verified_mismatch_anomaly(self):
        a, b = self.new_orders(2, amount=800)
        st, data = self.post(signed_body(notify_fields(a, 799)))
        self.assertEqual((st, data), (200, b"OK"))
        st, data = self.post(signed_body(notify_fields(b, 800,
                                                       currency="USD")))
        self.assertEqual((st, data), (200, b"OK"))
        self.assertEqual(self.state(a), "PENDING")
        self.assertEqual(self.state(b), "PENDING")
        self.assertEqual(self.anomalies("amount_mismatch", a), 1)
        self.assertEqual(self.anomalies("currency_mismatch", b), 1)
        self.assertEqual(self.q("SELECT paid_at FROM orders WHERE "
                                "order_no IN (?, ?)", a, b),
                         [(None,), (None,)])
        unknown = "NOSUCHORDER%d" % NOW
        before = self.anomalies("unknown_order")
        st, data = self.post(signed_body(notify_fields(unknown, 100)))
        self.assertEqual((st, data), (200, b"OK"))
        self.assertEqual(self.anomalies("unknown_order"), before + 1)
        row = self.q("SELECT verified, outcome, body IS NOT NULL FROM "
                     "notifications WHERE transaction_id = ?", unknown)
        self.assertEqual(row, [(1, "anomaly", 1)])

    def test_2_non_canonical_amount_refused(self):
        # issue 12 item 9: a correctly signed "08800" for an 8800 order
        # was taken as 8800 (and paid it); canonical numbers only
        no = self.new_orders(1, amount=8800)[0]
        before = self.q("SELECT COUNT(*) FROM notifications")[0][0]
        for bad in ("08800", "008800", "8800.0", "+8800", " 8800", "-0"):
            st, body = self.post(signed_body(notify_fields(no, bad)))
            self.assertEqual(st, 400, (bad, body))
        self.assertEqual(self.q("SELECT COUNT(*) FROM notifications")[0][0],
                         before)
        self.assertEqual(self.state(no), "PENDING")
        st, _ = self.post(signed_body(notify_fields(no, "8800")))
        self.assertEqual(st, 200)
        self.assertEqual(self.state(no), "PAID")

    def test_2_content_type_required(self):
        # issue 12 item 9: /notify took any Content-Type as a form
        no = self.new_orders(1)[0]
        body = signed_body(notify_fields(no, 1000))
        for ct in (None, "text/plain", "application/json",
                   "multipart/form-data; boundary=x",
                   "application/x-www-form-urlencodedx"):
            h = {} if ct is None else {"Content-Type": ct}
            r = self.stack.post("/notify", body=body, headers=h)
            self.assertEqual(r.status, 415, (ct, r))
        self.assertEqual(self.state(no), "PENDING")
        r = self.stack.post("/notify", body=body, headers={
            "Content-Type": "application/x-www-form-urlencoded; "
                            "charset=UTF-8"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.state(no), "PAID")

    def test_2_malformed_body(self):
        st, _ = self.post(b"a=%zz&sign=1")
        self.assertEqual(st, 400)
        st, _ = self.post(b"")
        self.assertIn(st, (400, 401))
        st, _ = self.post(b"x=" + b"y" * (17 * 1024))
        self.assertEqual(st, 413)

    # -- acceptance 3 ------------------------------------------------------
    def test_3_out_of_order(self):
        a, b, c = self.new_orders(3, amount=300)
        for no, first, then in ((a, "succeed", "closed"),
                                (b, "succeed", "failed")):
            self.assertEqual(self.post(signed_body(
                notify_fields(no, 300, result=first)))[0], 200)
            self.assertEqual(self.post(signed_body(
                notify_fields(no, 300, result=then)))[0], 200)
            self.assertEqual(self.state(no), "PAID")
            self.assertEqual(self.paid_events(no), 1)
        self.assertEqual(self.post(signed_body(
            notify_fields(c, 300, result="closed")))[0], 200)
        self.assertEqual(self.state(c), "CLOSED")
        self.assertEqual(self.post(signed_body(
            notify_fields(c, 300, result="succeed")))[0], 200)
        self.assertEqual(self.state(c), "PAID")
        self.assertEqual(self.anomalies("paid_after_closed", c), 1)
        self.assertEqual(",".join(r[0] for r in self.q(
            "SELECT new_state FROM order_events e JOIN orders o ON o.id = "
            "e.order_id WHERE order_no = ? ORDER BY e.id", c)),
            "CLOSED,PAID")

    def test_refund_notification(self):
        (no,) = self.new_orders(1, amount=1000)
        c = self.db()
        with c:
            c.execute("UPDATE orders SET state = 'PAID', paid_at = ? "
                      "WHERE order_no = ?", (NOW, no))
            c.execute("INSERT INTO refunds (refund_no, order_id, amount, "
                      "currency, state, admin, created_at, updated_at) "
                      "SELECT ?, id, 400, 'HKD', 'PENDING', 'admin', ?, ? "
                      "FROM orders WHERE order_no = ?",
                      ("RF" + no, NOW, NOW, no))
        c.close()
        f = notify_fields("RF" + no, 400, transactionType="refund",
                          originalTransactionId=no)
        self.assertEqual(self.post(signed_body(f)), (200, b"OK"))
        self.assertEqual(self.state(no), "PARTIALLY_REFUNDED")
        self.assertEqual(self.q("SELECT refunded_amount FROM orders WHERE "
                                "order_no = ?", no)[0][0], 400)
        self.assertEqual(self.q("SELECT state FROM refunds WHERE "
                                "refund_no = ?", "RF" + no)[0][0],
                         "SUCCEEDED")

    # -- acceptance 5 ------------------------------------------------------
    def test_5_sigkill_storm(self):
        rnd = random.Random(65)
        nos = self.new_orders(300, amount=4321)
        bodies = []
        for no in nos:
            bodies += [signed_body(notify_fields(no, 4321))] * \
                rnd.randint(1, 3)
        rnd.shuffle(bodies)
        stop = threading.Event()
        kills = []

        def killer():
            krnd = random.Random(66)
            while not stop.is_set():
                time.sleep(0.2 + 0.4 * krnd.random())
                pids = self.stack.worker_pids("notify")
                if pids:
                    pid = krnd.choice(pids)
                    try:
                        os.kill(pid, signal.SIGKILL)
                        kills.append(pid)
                    except ProcessLookupError:
                        pass

        kt = threading.Thread(target=killer)
        kt.start()
        results = []
        t_end = time.monotonic() + 120
        i = 0
        try:
            # all of them once, then random redeliveries until the workers
            # were killed often enough
            while (i < len(bodies) or len(kills) < 8) and \
                    time.monotonic() < t_end:
                chunk = bodies[i:i + 200] if i < len(bodies) else \
                    rnd.sample(bodies, 100)
                i += len(chunk)
                results += self.storm(chunk, threads=8)
        finally:
            stop.set()
            kt.join()
        self.assertGreaterEqual(len(kills), 8)
        acked = [b for b, st, d in results if st == 200 and d == b"OK"]
        pending = [b for b, st, d in results if not (st == 200 and
                                                     d == b"OK")]
        # redeliver what was not acknowledged, as UseePay would
        deadline = time.monotonic() + 120
        redelivered = list(pending)
        while pending and time.monotonic() < deadline:
            time.sleep(0.5)
            again = self.storm(pending, threads=4)
            acked += [b for b, st, d in again if st == 200 and d == b"OK"]
            pending = [b for b, st, d in again if not (st == 200 and
                                                       d == b"OK")]
        self.assertEqual(pending, [])
        sys.stderr.write("sigkill storm: %d deliveries, %d kills, %d "
                         "redelivered\n" % (len(results), len(kills),
                                              len(redelivered)))
        if not harness.is_pg(self.stack):   # PostgreSQL enforces its FKs
            self.assertEqual(self.q("PRAGMA integrity_check"), [("ok",)])
            self.assertEqual(self.q("PRAGMA foreign_key_check"), [])
        for no in nos:
            self.assertEqual(self.state(no), "PAID", no)
        rows = self.q("SELECT o.order_no, COUNT(e.id) FROM orders o LEFT "
                      "JOIN order_events e ON e.order_id = o.id AND "
                      "e.new_state = 'PAID' WHERE o.order_no IN (%s) GROUP "
                      "BY o.id" % ",".join("?" * len(nos)), *nos)
        self.assertEqual(sorted(set(n for _, n in rows)), [1])
        # no acknowledged notification lost
        stored = set(h for (h,) in self.q("SELECT body_sha256 FROM "
                                          "notifications"))
        for b in set(acked):
            self.assertIn(hashlib.sha256(b).hexdigest(), stored)


class ReconcilerTaskTest(harness.StackTest):
    """h5payd's tasks child and `h5pay reconcile`, with no provider up (the
    simulator-backed acceptance 4 lives with the simulator): a query that
    gets no verified answer never closes an order, the schedule moves on,
    the child is restarted when it dies."""
    stack_kwargs = dict(NO_SIM, config={"reconcile_interval_sec": "1"})

    def tasks_pids(self):
        return [p for p in self.stack.worker_pids()
                if self.stack._pool_of(p) is None]

    def test_tasks_child_runs_and_restarts(self):
        old = NOW - 3 * 3600        # long past expiry + grace
        c = harness.db_connect(self.stack, timeout=60)
        with c:
            c.execute("INSERT INTO orders (order_no, openid, appid, amount, "
                      "currency, subject, state, expires_at, created_at, "
                      "updated_at) VALUES ('RECON1', 'oTestOpenid000001', "
                      "?, 100, 'HKD', 's', 'PENDING', ?, ?, ?)",
                      (harness.TEST_APPID, old + 1200, old, old))
        c.close()
        harness.wait_for(lambda: len(self.tasks_pids()) == 1,
                         what="tasks child")

        def attempts():
            c = harness.db_connect(self.stack, timeout=60)
            try:
                return c.execute("SELECT state, check_attempts, "
                                 "last_query_at FROM orders WHERE "
                                 "order_no = 'RECON1'").fetchone()
            finally:
                c.close()

        harness.wait_for(lambda: attempts()[1] >= 1, timeout=30,
                         what="a reconciler pass")
        state, n, last = attempts()
        self.assertEqual(state, "PENDING")     # no answer: never closed
        self.assertIsNotNone(last)
        log = self.stack.log_text("h5payd")
        self.assertIn("mod=reconcile evt=pass", log)
        self.assertIn("mod=reconcile evt=query_fail order=RECON1", log)
        # killed -> restarted
        (pid,) = self.tasks_pids()
        os.kill(pid, signal.SIGKILL)
        harness.wait_for(lambda: self.tasks_pids() not in ([], [pid]),
                         timeout=30, what="tasks child restarted")
        self.assertEqual(len(self.tasks_pids()), 1)

    def test_cli_one_pass(self):
        import subprocess
        c = harness.db_connect(self.stack, timeout=60)
        with c:
            c.execute("INSERT INTO orders (order_no, openid, appid, amount, "
                      "currency, subject, state, expires_at, created_at, "
                      "updated_at) VALUES ('RECON2', 'oTestOpenid000001', "
                      "?, 100, 'HKD', 's', 'UNKNOWN', ?, ?, ?)",
                      (harness.TEST_APPID, NOW + 1200, NOW, NOW))
        c.close()
        r = subprocess.run([os.path.join(harness.BUILD, "h5pay"),
                            "reconcile", "-c", self.stack.cfg_path],
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"^due=\d+ queried=0 changed=0 ")
        c = harness.db_connect(self.stack, timeout=60)
        try:
            row = c.execute("SELECT state, check_attempts >= 1 FROM orders "
                            "WHERE order_no = 'RECON2'").fetchone()
        finally:
            c.close()
        self.assertEqual(row, ("UNKNOWN", 1))
        r = subprocess.run([os.path.join(harness.BUILD, "h5pay"),
                            "reconcile"], capture_output=True, text=True,
                           timeout=60)
        self.assertNotEqual(r.returncode, 0)


if __name__ == "__main__":
    harness.main()
