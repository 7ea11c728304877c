"""Merchant events through the transactional outbox (issue 11, part 3),
and the anomaly inbox (part 4).

A simulated merchant receiver (HTTPS on loopback with the stack's test
certificate, recording every request, able to answer 500 for a while)
gets the events h5payd's events child sends. Transitions are driven by
signed notifications through nginx, as in test_notify.py (no simulator).
Checked: every event type arrives, signed (HMAC-SHA256 over "<t>.<body>",
docs/integration.md), with a stable id; a receiver down for a while gets
each event once it is back; kill -9 of the events child and of h5payd
under load loses no event and writes none twice (deliveries may repeat:
at-least-once, deduped by event id); resend and the test event (CLI).
"""
import hashlib
import hmac
import http.server
import json
import os
import signal
import sqlite3
import ssl
import threading
import time

import harness
from test_notify import NO_SIM, NOW, Poster, notify_fields, signed_body

SECRET = "whsec_test_events_0123456789abcdef"


class Receiver:
    """The merchant's endpoint: records (headers, body, answered status)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.got = []
        self.down = False          # answer 500 while set
        self.delay = 0.0           # seconds before answering
        self.arrived = []          # event ids as requests arrive
        rec = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                with rec.lock:
                    rec.arrived.append(self.headers.get("H5pay-Event-Id"))
                if rec.delay:
                    time.sleep(rec.delay)
                status = 500 if rec.down else 200
                with rec.lock:
                    rec.got.append((dict(self.headers.items()), body,
                                    status, self.path))
                out = b"down for maintenance" if status == 500 else b"ok"
                self.send_response(status)
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def log_message(self, *a):
                pass

        class S(http.server.ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                pass    # a sender killed mid-request (the kill tests)

        self.server = S(("127.0.0.1", 0), H)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]

    def start(self, certs):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(os.path.join(certs, "server.pem"),
                            os.path.join(certs, "server.key"))
        self.server.socket = ctx.wrap_socket(self.server.socket,
                                             server_side=True)
        threading.Thread(target=self.server.serve_forever,
                         daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def events(self, acked_only=False):
        """Parsed bodies received (every delivery, in order)."""
        with self.lock:
            return [json.loads(b) for _, b, s, _ in self.got
                    if not acked_only or s == 200]

    def ids(self):
        return set(e["id"] for e in self.events(acked_only=True))


def verify(headers, body, secret=SECRET, tolerance=300):
    """What a merchant does (docs/integration.md): parse the header, check
    the time window, compare the HMAC in constant time."""
    h = headers.get("H5pay-Signature", "")
    parts = dict(p.split("=", 1) for p in h.split(",") if "=" in p)
    t = int(parts["t"])
    if abs(time.time() - t) > tolerance:
        return False
    mac = hmac.new(secret.encode(), b"%d." % t + body,
                   hashlib.sha256).hexdigest()
    return hmac.compare_digest(mac, parts.get("v1", ""))


class EventsTest(harness.StackTest):
    seq = 0

    @classmethod
    def setUpClass(cls):
        cls.rx = Receiver()
        cls.stack = harness.Stack(cls.__name__, notify_workers=2, **NO_SIM,
                                  config={"reconcile_interval_sec": "0"})
        secret = os.path.join(cls.stack.dir, "events.secret")
        harness.write_secret(secret, SECRET)
        cls.stack.extra_config.update({
            "events_endpoint_url": "https://127.0.0.1:%d/hook" % cls.rx.port,
            "events_secret_file": secret,
            "events_retry_base_sec": "1",
            "events_poll_ms": "100",
        })
        cls.stack.make_certs()
        cls.rx.start(cls.stack.certs)
        cls.stack.start()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.rx.stop()

    def setUp(self):
        self.rx.down = False
        self.rx.delay = 0.0
        self.poster = Poster(self.stack)

    def tearDown(self):
        self.poster.close()

    # -- helpers -----------------------------------------------------------
    def db(self):
        c = harness.db_connect(self.stack, timeout=60)
        c.execute("PRAGMA busy_timeout = 60000")
        return c

    def q(self, sql, *args):
        c = self.db()
        try:
            return c.execute(sql, args).fetchall()
        finally:
            c.close()

    def orders(self, n, state="PENDING", amount=1000):
        EventsTest.seq += 1
        nos = ["EV%dX%05d" % (EventsTest.seq, i) for i in range(n)]
        c = self.db()
        with c:
            c.executemany(
                "INSERT INTO orders (order_no, openid, appid, amount, "
                "currency, subject, state, expires_at, paid_at, created_at, "
                "updated_at) VALUES (?, 'oTestOpenid000001', ?, ?, 'HKD', "
                "'t', ?, ?, ?, ?, ?)",
                [(no, harness.TEST_APPID, amount, state, NOW + 1200,
                  NOW if state == "PAID" else None, NOW, NOW)
                 for no in nos])
        c.close()
        return nos

    def notify(self, no, amount=1000, **kw):
        st, body = self.poster.post(signed_body(notify_fields(no, amount,
                                                              **kw)))
        self.assertEqual((st, body), (200, b"OK"))

    def outbox(self, where="1", *args):
        return self.q("SELECT event_id, type, state FROM outbox WHERE " +
                      where, *args)

    def wait_delivered(self, timeout=60):
        harness.wait_for(lambda: self.q(
            "SELECT COUNT(*) FROM outbox WHERE state != 'delivered'")[0][0]
            == 0, timeout=timeout, what="every event delivered")

    def events_pid(self):
        # the only child of the supervisor without a socket (no tasks
        # child: reconcile_interval_sec = 0)
        pids = [p for p in self.stack.worker_pids()
                if self.stack._pool_of(p) is None]
        return pids[0] if len(pids) == 1 else None

    def assert_exactly_once_stored(self):
        """One outbox row per change: per order, at most one payment.*
        and the ids are unique."""
        dup = self.q("SELECT order_id, COUNT(*) FROM outbox WHERE type "
                     "LIKE 'payment.%' GROUP BY order_id HAVING COUNT(*) > 1")
        self.assertEqual(dup, [])
        self.assertEqual(self.q("SELECT COUNT(*) - COUNT(DISTINCT event_id) "
                                "FROM outbox")[0][0], 0)

    # -- every type, signed ------------------------------------------------
    def test_every_type_signed(self):
        paid, failed, closed, mism = self.orders(4)
        (rf,) = self.orders(1, state="PAID")
        c = self.db()
        with c:
            for r, amt in (("RFOK" + rf, 300), ("RFNO" + rf, 200)):
                c.execute("INSERT INTO refunds (refund_no, order_id, amount, "
                          "currency, state, admin, created_at, updated_at) "
                          "SELECT ?, id, ?, 'HKD', 'PENDING', 'admin', ?, ? "
                          "FROM orders WHERE order_no = ?",
                          (r, amt, NOW, NOW, rf))
        c.close()
        self.notify(paid)
        self.notify(failed, result="failed")
        self.notify(closed, result="closed")
        self.notify(mism, amount=999)
        self.notify("EVNOSUCHORDER%d" % self.seq)
        self.notify("RFOK" + rf, 300, transactionType="refund",
                    originalTransactionId=rf)
        self.notify("RFNO" + rf, 200, result="failed",
                    transactionType="refund", originalTransactionId=rf)
        self.wait_delivered()
        want = {"payment.paid": paid, "payment.failed": failed,
                "payment.closed": closed, "refund.succeeded": rf,
                "refund.failed": rf}
        got = {}
        with self.rx.lock:
            deliveries = list(self.rx.got)
        for headers, body, status, path in deliveries:
            self.assertEqual(path, "/hook")
            self.assertTrue(verify(headers, body), headers)
            self.assertFalse(verify(headers, body, secret="wrong"))
            self.assertFalse(verify(headers, body + b" "))
            ev = json.loads(body)
            self.assertEqual(headers["H5pay-Event-Id"], ev["id"])
            self.assertEqual(headers["H5pay-Event-Type"], ev["type"])
            self.assertEqual(headers["Content-Type"], "application/json")
            self.assertRegex(ev["id"], r"^evt_[0-9a-f]{24}$")
            got.setdefault(ev["type"], []).append(ev)
        for t, no in want.items():
            self.assertIn(t, got)
            self.assertTrue(any(e["data"]["order_no"] == no for e in got[t]),
                            (t, got[t]))
        p = [e for e in got["payment.paid"]
             if e["data"]["order_no"] == paid][0]
        self.assertEqual(p["data"]["state"], "PAID")
        self.assertEqual(p["data"]["amount"], 1000)
        self.assertEqual(p["data"]["currency"], "HKD")
        self.assertIsInstance(p["data"]["paid_at"], int)
        self.assertLessEqual(abs(p["created_at"] - time.time()), 120)
        r = [e for e in got["refund.succeeded"]
             if e["data"]["order_no"] == rf][0]["data"]
        self.assertEqual((r["refund_no"], r["refund_amount"],
                          r["refunded_amount"], r["order_state"]),
                         ("RFOK" + rf, 300, 300, "PARTIALLY_REFUNDED"))
        kinds = {(e["data"]["kind"], e["data"]["order_no"])
                 for e in got["anomaly.raised"]}
        self.assertIn(("amount_mismatch", mism), kinds)
        self.assertIn(("unknown_order", None), kinds)
        # the mismatched order was not paid: no payment event for it
        self.assertFalse(any(e["data"]["order_no"] == mism
                             for e in got.get("payment.paid", [])))
        # a redelivered notification writes no second event
        n = self.q("SELECT COUNT(*) FROM outbox")[0][0]
        self.notify(paid)
        time.sleep(0.5)
        self.assertEqual(self.q("SELECT COUNT(*) FROM outbox")[0][0], n)
        self.assert_exactly_once_stored()

    # -- a receiver down for a while, then back ----------------------------
    def test_receiver_down_then_back(self):
        (no,) = self.orders(1)
        self.rx.down = True
        self.notify(no)
        (eid,) = [r[0] for r in self.outbox(
            "order_id = (SELECT id FROM orders WHERE order_no = ?)", no)]
        harness.wait_for(lambda: self.q(
            "SELECT attempts FROM outbox WHERE event_id = ?", eid)[0][0] >= 3,
            timeout=30, what="three failed attempts")
        # back-off: 1 s, then 3 s between the attempts (base 1)
        at = [r[0] for r in self.q(
            "SELECT a.created_at FROM outbox_attempts a JOIN outbox x ON "
            "x.id = a.outbox_id WHERE x.event_id = ? ORDER BY a.id", eid)]
        self.assertGreaterEqual(at[1] - at[0], 1)
        self.assertGreaterEqual(at[2] - at[1], 3)
        self.assertEqual(self.q("SELECT state, last_status FROM outbox WHERE "
                                "event_id = ?", eid)[0], ("pending", 500))
        self.rx.down = False
        harness.wait_for(lambda: self.q(
            "SELECT state FROM outbox WHERE event_id = ?", eid)[0][0] ==
            "delivered", timeout=30, what="delivered after the outage")
        same = [(b, s) for h, b, s, _ in self.rx.got
                if json.loads(b)["id"] == eid]
        self.assertGreaterEqual(len(same), 4)
        self.assertEqual(len(set(b for b, _ in same)), 1)  # same bytes
        self.assertEqual([s for _, s in same][-1], 200)
        self.assertEqual([s for _, s in same].count(200), 1)
        # the log: every attempt with status, latency and an excerpt
        r = self.stack.h5pay("events", "list", "--json", "--limit", "500")
        ev = [e for e in json.loads(r.stdout) if e["eventId"] == eid][0]
        self.assertEqual(ev["state"], "delivered")
        self.assertEqual(ev["orderNo"], no)
        log = ev["attemptsLog"]
        self.assertEqual([a["status"] for a in log][-1], 200)
        self.assertIn("down for maintenance", log[0]["excerpt"])
        self.assertTrue(all(a["latencyMs"] >= 0 for a in log))
        self.assertTrue(all(a["url"].endswith("/hook") for a in log))

    # -- resend, test event, CLI -------------------------------------------
    def test_cli_test_and_resend(self):
        r = self.stack.h5pay("events", "test")
        eid = r.stdout.strip()
        self.assertRegex(eid, r"^evt_[0-9a-f]{24}$")
        harness.wait_for(lambda: eid in self.rx.ids(), timeout=30,
                         what="test event received")
        n = sum(1 for e in self.rx.events() if e["id"] == eid)
        r = self.stack.h5pay("events", "resend", eid)
        self.assertIn("due now", r.stdout)
        harness.wait_for(lambda: sum(1 for e in self.rx.events()
                                     if e["id"] == eid) == n + 1,
                         timeout=30, what="resent")
        ev = [e for e in self.rx.events() if e["id"] == eid]
        self.assertEqual(ev[0], ev[-1])
        self.assertEqual(ev[0]["type"], "test")
        self.assertEqual(ev[0]["data"], {"test": True})
        r = self.stack.h5pay("events", "list", "--state", "delivered")
        self.assertIn(eid + "\ttest\tdelivered\t", r.stdout)
        for bad in (["resend", "evt_nope"], ["resend",
                    "evt_000000000000000000000000"], ["list", "--state", "x"]):
            r = self.stack.h5pay("events", *bad, check=False)
            self.assertNotEqual(r.returncode, 0, bad)

    # -- the admin: endpoints, log, resend, test event ----------------------
    def test_admin_api(self):
        from test_admin import Admin, admin_cli
        pw = "s3cret-Passw0rd"
        self.assertEqual(admin_cli(self.stack, "add", "evadmin",
                                   password=pw).returncode, 0)
        a = Admin(self.stack)
        # guarded: no session, no CSRF token
        self.assertEqual(self.stack.get("/admin/api/events").status, 401)
        self.assertEqual(self.stack.post("/admin/api/events/test",
                                         body={}).status, 401)
        a.login("evadmin", pw)
        self.assertEqual(a.post("/admin/api/events/test", csrf=False).status,
                         403)
        r = a.post("/admin/api/events/test")
        self.assertEqual(r.status, 200, r)
        eid = r.json()["eventId"]
        harness.wait_for(lambda: eid in self.rx.ids(), timeout=30,
                         what="the admin's test event")
        harness.wait_for(lambda: self.q("SELECT state FROM outbox WHERE "
                                        "event_id = ?", eid)[0][0] ==
                         "delivered", what="test event recorded")
        r = a.get("/admin/api/events?state=delivered&limit=500")
        self.assertEqual(r.status, 200, r)
        body = r.json()
        self.assertEqual(body["endpoints"], [
            {"url": "https://127.0.0.1:%d/hook" % self.rx.port}])
        ev = [e for e in body["events"] if e["eventId"] == eid][0]
        self.assertEqual((ev["type"], ev["state"], ev["lastStatus"]),
                         ("test", "delivered", 200))
        self.assertEqual(ev["attemptsLog"][0]["excerpt"], "ok")
        self.assertNotIn(SECRET, r.text)
        n = self.rx.arrived.count(eid)
        r = a.post("/admin/api/events/%s/resend" % eid)
        self.assertEqual(r.status, 200, r)
        harness.wait_for(lambda: self.rx.arrived.count(eid) == n + 1,
                         timeout=30, what="the admin's resend")
        for path, want in (("evt_000000000000000000000000/resend", 404),
                           ("evt_nope/resend", 404),
                           ("%s/delete" % eid, 404)):
            self.assertEqual(a.post("/admin/api/events/" + path).status,
                             want, path)
        self.assertEqual(a.get("/admin/api/events?state=bogus").status, 400)
        self.assertEqual(a.get("/admin/api/events?limit=0").status, 400)
        # the page and its script are served (static, same-origin)
        r = self.stack.get("/admin/events.html")
        self.assertEqual(r.status, 200)
        self.assertIn('src="/admin/events.js"', r.text)
        r = self.stack.get("/admin/events.js")
        self.assertEqual(r.status, 200)
        self.assertNotIn("innerHTML", r.text)
        audit = self.q("SELECT action, target, result FROM admin_audit "
                       "WHERE admin = 'evadmin' AND action LIKE 'events_%' "
                       "ORDER BY id")
        self.assertEqual(audit, [("events_test", eid, "ok"),
                                 ("events_resend", eid, "ok")])

    # -- the anomaly inbox (part 4) -----------------------------------------
    def test_anomaly_inbox(self):
        from test_admin import Admin, admin_cli
        pw = "s3cret-Passw0rd"
        admin_cli(self.stack, "add", "inboxadm", password=pw)
        a = Admin(self.stack)
        self.assertEqual(self.stack.get("/admin/api/anomalies").status, 401)
        a.login("inboxadm", pw)
        (no,) = self.orders(1)
        self.notify(no, amount=1)       # amount mismatch: an anomaly
        r = a.get("/admin/api/anomalies?state=open&limit=500")
        self.assertEqual(r.status, 200, r)
        body = r.json()
        mine = [x for x in body["anomalies"] if x["orderNo"] == no]
        self.assertEqual(len(mine), 1)
        an = mine[0]
        self.assertEqual((an["kind"], an["source"], an["resolvedAt"]),
                         ("amount_mismatch", "notify", None))
        self.assertIn("amount=1", an["detail"])
        opened = body["open"]
        self.assertGreaterEqual(opened, 1)
        self.assertEqual(a.get("/admin/api/stats").json()["openAnomalies"],
                         opened)
        # its event went out too
        harness.wait_for(lambda: any(
            e["type"] == "anomaly.raised" and e["data"]["order_no"] == no
            for e in self.rx.events(acked_only=True)), timeout=30,
            what="anomaly.raised for the inbox's anomaly")
        path = "/admin/api/anomalies/%d/resolve" % an["id"]
        self.assertEqual(a.post(path, {"note": "x"}, csrf=False).status, 403)
        self.assertEqual(a.post(path, {}).status, 400)
        self.assertEqual(a.post(path, {"note": ""}).status, 400)
        self.assertEqual(a.post(path, {"note": "a\nb"}).status, 400)
        self.assertEqual(a.post(path, {"note": "x" * 501}).status, 400)
        self.assertEqual(a.post("/admin/api/anomalies/999999999/resolve",
                                {"note": "x"}).status, 404)
        self.assertEqual(a.post("/admin/api/anomalies/abc/resolve",
                                {"note": "x"}).status, 404)
        note = "<b>refunded</b> by phone, ticket #42"
        r = a.post(path, {"note": note})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["resolvedBy"], "inboxadm")
        self.assertEqual(a.post(path, {"note": "again"}).status, 409)
        body = a.get("/admin/api/anomalies?state=resolved&limit=500").json()
        done = [x for x in body["anomalies"] if x["id"] == an["id"]][0]
        self.assertEqual((done["resolvedBy"], done["note"]),
                         ("inboxadm", note))
        self.assertIsInstance(done["resolvedAt"], int)
        self.assertEqual(body["open"], opened - 1)
        self.assertFalse(any(x["id"] == an["id"] for x in a.get(
            "/admin/api/anomalies?limit=500").json()["anomalies"]))
        self.assertEqual(a.get("/admin/api/anomalies?state=x").status, 400)
        audit = self.q("SELECT result, target FROM admin_audit WHERE admin = "
                       "'inboxadm' AND action = 'anomaly_resolve' ORDER BY "
                       "id")
        self.assertIn(("ok", str(an["id"])), audit)
        self.assertIn(("refused", str(an["id"])), audit)   # the 409
        for page in ("/admin/anomalies.html", "/admin/anomalies.js"):
            r = self.stack.get(page)
            self.assertEqual(r.status, 200, page)
            self.assertNotIn("innerHTML", r.text)

    def test_signature_failure_burst(self):
        # 60 forged notifications: with two notify workers at least one
        # sees 20 within a minute and raises one anomaly (one per window
        # and process: at most two here)
        before = self.q("SELECT COUNT(*) FROM anomalies WHERE kind = "
                        "'signature_failures'")[0][0]
        f = notify_fields("EVFORGED1", 1000)
        f["sign"] = "0" * 32
        import urllib.parse
        body = urllib.parse.urlencode(f).encode()
        for _ in range(60):
            st, _b = self.poster.post(body)
            self.assertEqual(st, 401)
        harness.wait_for(lambda: self.q(
            "SELECT COUNT(*) FROM anomalies WHERE kind = "
            "'signature_failures'")[0][0] > before, timeout=30,
            what="a signature_failures anomaly")
        n = self.q("SELECT COUNT(*) FROM anomalies WHERE kind = "
                   "'signature_failures'")[0][0] - before
        self.assertIn(n, (1, 2))
        harness.wait_for(lambda: any(
            e["type"] == "anomaly.raised" and
            e["data"]["kind"] == "signature_failures"
            for e in self.rx.events(acked_only=True)), timeout=30,
            what="its anomaly.raised event")
        d = self.q("SELECT detail, order_id FROM anomalies WHERE kind = "
                   "'signature_failures' ORDER BY id DESC LIMIT 1")[0]
        self.assertRegex(d[0], r"^refused=20 within=60s last_ip=")
        self.assertIsNone(d[1])

    def test_unknown_stale(self):
        old, fresh = self.orders(2, state="UNKNOWN")
        c = self.db()
        with c:
            c.execute("UPDATE orders SET created_at = ? WHERE order_no = ?",
                      (int(time.time()) - 7200, old))
        c.close()
        for _ in range(2):       # a second pass raises nothing new
            r = self.stack.h5pay("reconcile")
            self.assertEqual(r.returncode, 0, r.stderr)
        rows = self.q("SELECT o.order_no, a.source FROM anomalies a JOIN "
                      "orders o ON o.id = a.order_id WHERE a.kind = "
                      "'unknown_stale' AND o.order_no IN (?, ?)", old, fresh)
        self.assertEqual(rows, [(old, "reconciler")])
        harness.wait_for(lambda: any(
            e["type"] == "anomaly.raised" and
            e["data"]["kind"] == "unknown_stale" and
            e["data"]["order_no"] == old
            for e in self.rx.events(acked_only=True)), timeout=30,
            what="unknown_stale's event")

    # -- kill -9 of the events child under load ----------------------------
    def test_kill_events_child(self):
        self.rx.delay = 0.05
        nos = self.orders(40)
        old = self.events_pid()
        self.assertIsNotNone(old)
        for i, no in enumerate(nos):
            self.notify(no)
            if i == 15:
                os.kill(self.events_pid(), signal.SIGKILL)
        harness.wait_for(lambda: self.events_pid() not in (None, old),
                         timeout=30, what="a new events child")
        self.wait_delivered()
        ids = set(r[0] for r in self.outbox(
            "order_id IN (SELECT id FROM orders WHERE order_no LIKE ?)",
            "EV%dX%%" % EventsTest.seq))
        self.assertEqual(len(ids), 40)
        self.assertLessEqual(ids, self.rx.ids())
        self.assert_exactly_once_stored()

    def test_kill_events_child_mid_send(self):
        # the child dies after the receiver got the event, before it could
        # record the answer: the next child drops the dead one's lease and
        # sends it again (at-least-once; the id lets the receiver dedupe)
        (no,) = self.orders(1)
        self.rx.delay = 3.0
        self.notify(no)
        (eid,) = [r[0] for r in self.outbox(
            "order_id = (SELECT id FROM orders WHERE order_no = ?)", no)]
        harness.wait_for(lambda: eid in self.rx.arrived, timeout=30,
                         what="the event in flight")
        self.assertEqual(self.q("SELECT state FROM outbox WHERE event_id = ?",
                                eid)[0][0], "sending")
        old = self.events_pid()
        os.kill(old, signal.SIGKILL)
        self.rx.delay = 0.0
        harness.wait_for(lambda: self.events_pid() not in (None, old),
                         timeout=30, what="a new events child")
        harness.wait_for(lambda: self.q(
            "SELECT state FROM outbox WHERE event_id = ?", eid)[0][0] ==
            "delivered", timeout=30, what="delivered by the new child")
        self.assertGreaterEqual(self.rx.arrived.count(eid), 2)
        self.assertRegex(self.stack.log_text("h5payd"),
                         r"mod=outbox evt=start released=[1-9]")

    # -- kill -9 of h5payd under load --------------------------------------
    def test_kill_h5payd(self):
        self.rx.delay = 0.02
        nos = self.orders(60)
        stop = threading.Event()
        posted = []

        def load():
            p = Poster(self.stack)
            for no in nos:
                if stop.is_set():
                    break
                st, body = p.post(signed_body(notify_fields(no, 1000)))
                if (st, body) == (200, b"OK"):
                    posted.append(no)
            p.close()

        t = threading.Thread(target=load)
        t.start()
        harness.wait_for(lambda: len(posted) >= 20, timeout=60,
                         what="load")
        os.kill(self.stack.h5payd_pid(), signal.SIGKILL)
        self.stack.procs["h5payd"].wait()
        # the children follow (PDEATHSIG); restart like systemd would
        harness.wait_for(lambda: not any(
            self._is_h5payd(p) for p in os.listdir("/proc") if p.isdigit()),
            timeout=30, what="the old children gone")
        self.stack.start_h5payd()
        harness.wait_for(lambda: self.stack.get("/healthz").status == 200
                         and self.stack.get("/notify/healthz").status == 200,
                         timeout=30, what="h5payd back")
        t.join(timeout=120)
        stop.set()
        # everything acknowledged before the kill is paid, each paid order
        # has exactly one payment.paid, and each of those arrived
        for no in nos:
            self.notify(no)      # finish the ones the kill cut off
        self.wait_delivered()
        paid = self.q("SELECT COUNT(*) FROM orders WHERE order_no LIKE ? "
                      "AND state = 'PAID'", "EV%dX%%" % EventsTest.seq)[0][0]
        self.assertEqual(paid, 60)
        ids = set(r[0] for r in self.outbox(
            "type = 'payment.paid' AND order_id IN (SELECT id FROM orders "
            "WHERE order_no LIKE ?)", "EV%dX%%" % EventsTest.seq))
        self.assertEqual(len(ids), 60)
        self.assertLessEqual(ids, self.rx.ids())
        self.assert_exactly_once_stored()

    def _is_h5payd(self, pid):
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                cmd = f.read().split(b"\0")
            return any(self.stack.cfg_path.encode() == a for a in cmd) and \
                cmd[0].endswith(b"h5payd")
        except OSError:
            return False


if __name__ == "__main__":
    harness.main()
