"""The payments API and hosted checkout's server side (issue 11 parts 1, 2).

Real nginx + h5payd + h5pay-sim over TLS; keys made with `h5pay apikey`.
What is asserted is what a merchant's backend relies on:
  - a key is needed (missing, malformed, unknown, revoked: 401 with the
    same body; a wrong key is not measurably slower or faster than none),
    a scope is enforced (403), a key's rate limit answers 429; tokens are
    stored as hashes only, last use is recorded;
  - create is idempotent by reference and by Idempotency-Key (same body:
    the same payment; another body: 409), the return URL must be on an
    allow-listed origin, bodies are strict and metadata capped;
  - a payment is read by id and by reference; the buyer pays it in
    hosted checkout (one order, the shop's pay path) and the return URL
    carries a signature the merchant can check;
  - refunds are partial, idempotent by Idempotency-Key, never beyond the
    payment, also when concurrent;
  - cancel closes an unpaid payment; a succeed arriving later still makes
    it PAID, with an anomaly.
"""
import hashlib
import hmac
import json
import os
import sqlite3
import statistics
import threading
import time
import urllib.parse

import harness
from test_pay import Buyer

ORIGIN = "https://merchant.example"
SECRET = "return-secret-0123456789abcdef0123456789"


class ApiBase(harness.StackTest):
    rate_limit = "100000"
    n = 0               # keys made so far (names k1, k2, ...)
    names = {}          # token -> name

    @classmethod
    def setUpClass(cls):
        st = harness.Stack(cls.__name__, config={
            "status_query_interval_sec": "1",
            "api_return_origins": ORIGIN + " https://shop2.example:8443",
            "api_rate_limit_per_min": cls.rate_limit,
        })
        path = os.path.join(st.dir, "return.secret")
        harness.write_secret(path, SECRET)
        st.extra_config["api_return_secret_file"] = path
        cls.stack = st.start()
        if not st.sim:
            raise harness.unittest.SkipTest("h5pay-sim is not built")

    def tearDown(self):
        self.stack.sim_control("reset")

    # -- helpers -------------------------------------------------------------
    def key(self, scope=None):
        ApiBase.n += 1
        name = "k%d" % ApiBase.n
        args = ["apikey", "add", name] + (["--scope", scope] if scope
                                          else [])
        out = self.stack.h5pay(*args).stdout.strip()
        self.names[out] = name
        self.assertRegex(out, r"^h5k_[A-Za-z0-9_-]{43}$")
        return out

    def api(self, method, path, token, body=None, idem=None):
        h = {"Content-Type": "application/json"} if body is not None else {}
        if token is not None:
            h["Authorization"] = "Bearer " + token
        if idem is not None:
            h["Idempotency-Key"] = idem
        return self.stack.request(method, path, body=body, headers=h)

    def body(self, ref, **kw):
        b = {"amount": 2500, "currency": "HKD", "subject": "Order " + ref,
             "reference": ref, "returnUrl": ORIGIN + "/done?x=1"}
        b.update(kw)
        return b

    def create(self, token, ref, **kw):
        r = self.api("POST", "/api/v1/payments", token, self.body(ref, **kw))
        self.assertEqual(r.status, 201, r)
        return r.json()

    def q(self, sql, args=()):
        with harness.db_connect(self.stack, timeout=30) as c:
            return c.execute(sql, args).fetchall()

    def buyer_pays(self, pid, pay_at_sim=True):
        b = Buyer(self.stack).login(ret="/shop/pay.html?id=" + pid)
        r = b.request("POST", "/api/checkout/%s/pay" % pid, body={},
                      headers={"Sec-Fetch-Site": "same-origin"})
        self.assertEqual(r.status, 200, r)
        d = r.json()
        self.assertEqual(sorted(d["jsapi"]), sorted(
            ["appId", "timeStamp", "nonceStr", "package", "signType",
             "paySign"]))
        if pay_at_sim:
            self.stack.sim_control("pay", transactionId=d["orderNo"])
        return b, d

    def wait_state(self, token, pid, state):
        last = {}

        def ok():
            last.update(self.api("GET", "/api/v1/payments/" + pid,
                                 token).json())
            return last.get("state") == state
        harness.wait_for(ok, timeout=30, what="payment %s" % state)
        return last

class ApiTest(ApiBase):

    # -- keys ----------------------------------------------------------------
    def test_auth_missing_wrong_revoked_scope(self):
        tok = self.key()
        ro = self.key("payments:read")
        wrong = "h5k_" + "A" * 43
        for t in (None, wrong, "nonsense", tok[:-1], tok + "x"):
            r = self.api("GET", "/api/v1/payments?reference=a", t)
            self.assertEqual(r.status, 401, (t, r))
            self.assertEqual(r.json()["error"], "unauthorized", r)
            self.assertEqual(r.header("WWW-Authenticate"),
                             'Bearer realm="h5pay"')
        r = self.stack.get("/api/v1/payments?reference=a",
                           headers={"Authorization": "Basic " + tok})
        self.assertEqual(r.status, 401, r)
        self.assertEqual(self.api("GET", "/api/v1/payments?reference=a",
                                  tok).status, 404)
        # scope
        r = self.api("POST", "/api/v1/payments", ro, self.body("scope-1"))
        self.assertEqual(r.status, 403, r)
        self.assertIn("payments:write", r.json()["message"])
        self.assertEqual(self.api("GET", "/api/v1/payments?reference=x",
                                  ro).status, 404)
        # revoked
        name = self.names[tok]
        self.stack.h5pay("apikey", "revoke", name)
        self.assertEqual(self.api("GET", "/api/v1/payments?reference=a",
                                  tok).status, 401)
        self.assertEqual(self.stack.h5pay("apikey", "revoke", name,
                                          check=False).returncode, 1)
        # hashes only; list shows no secret; last use recorded
        rows = self.q("SELECT token_sha256, last_used_at, revoked_at FROM "
                      "api_keys WHERE name = ?", (name,))
        self.assertEqual(rows[0][0], hashlib.sha256(tok.encode())
                         .hexdigest())
        self.assertIsNotNone(rows[0][1])
        self.assertIsNotNone(rows[0][2])
        out = self.stack.h5pay("apikey", "list").stdout
        self.assertNotIn(tok, out)
        self.assertNotIn(rows[0][0], out)
        listed = [json.loads(line) for line in out.splitlines()]
        self.assertIn(name, [k["name"] for k in listed])
        # bad CLI input
        for args in (["add", "bad name"], ["add", "x1", "--scope",
                                           "payments:all"],
                     ["add", name]):
            self.assertNotEqual(self.stack.h5pay("apikey", *args,
                                                 check=False).returncode, 0)

    def test_no_timing_leak_wrong_vs_missing(self):
        wrong = "h5k_" + "B" * 43

        def t(tok):
            s = time.perf_counter()
            r = self.api("GET", "/api/v1/payments/pay_x", tok)
            self.assertEqual(r.status, 401)
            return time.perf_counter() - s
        for _ in range(5):
            t(None)
            t(wrong)
        mm, mw = [], []
        for _ in range(40):         # interleaved: load changes hit both
            mm.append(t(None))
            mw.append(t(wrong))
        mm, mw = statistics.median(mm), statistics.median(mw)
        # both are one SHA-256 and one index lookup: no stage to time (a
        # write, a second lookup or a slow hash would show as several ms;
        # the slack follows the machine's load)
        self.assertLess(abs(mm - mw), max(0.004, 0.25 * min(mm, mw)),
                        (mm, mw))

    # -- create ------------------------------------------------------------------
    def test_create_idempotent_by_reference_and_key(self):
        tok = self.key()
        d = self.create(tok, "ord-1001", metadata={"cart": "c-77"})
        self.assertRegex(d["id"], r"^pay_[0-9A-Za-z]{32}$")
        self.assertEqual(d["state"], "CREATED")
        self.assertEqual(d["metadata"], {"cart": "c-77"})
        self.assertEqual(d["checkoutUrl"], "https://127.0.0.1:%d/shop/"
                         "pay.html?id=%s" % (self.stack.shop_port, d["id"]))
        self.assertAlmostEqual(d["expiresAt"] - d["createdAt"], 1800,
                               delta=1)
        # the same body again (member order and spacing do not matter)
        b = self.body("ord-1001", metadata={"cart": "c-77"})
        raw = json.dumps(dict(reversed(list(b.items()))), indent=3)
        r = self.api("POST", "/api/v1/payments", tok, raw)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["id"], d["id"])
        # the same reference with another body
        r = self.api("POST", "/api/v1/payments", tok,
                     self.body("ord-1001", amount=2600))
        self.assertEqual(r.status, 409, r)
        self.assertIn("reference", r.json()["message"])
        self.assertEqual(self.q("SELECT count(*) FROM api_payments WHERE "
                                "reference = 'ord-1001'")[0][0], 1)
        # Idempotency-Key: same key and body -> same, other body -> 409
        r1 = self.api("POST", "/api/v1/payments", tok, self.body("ord-2"),
                      idem="idem-2")
        r2 = self.api("POST", "/api/v1/payments", tok, self.body("ord-2"),
                      idem="idem-2")
        self.assertEqual((r1.status, r2.status), (201, 200))
        self.assertEqual(r1.json()["id"], r2.json()["id"])
        r3 = self.api("POST", "/api/v1/payments", tok, self.body("ord-3"),
                      idem="idem-2")
        self.assertEqual(r3.status, 409, r3)
        self.assertIn("Idempotency-Key", r3.json()["message"])
        r4 = self.api("POST", "/api/v1/payments", tok, self.body("ord-4"),
                      idem="bad key!")
        self.assertEqual(r4.status, 400, r4)
        # concurrent creates of one reference: one payment
        res = []

        def go():
            res.append(self.api("POST", "/api/v1/payments", tok,
                                self.body("ord-race")))
        ts = [threading.Thread(target=go) for _ in range(6)]
        [t.start() for t in ts]
        [t.join() for t in ts]
        self.assertEqual(sorted(r.status for r in res), [200] * 5 + [201])
        self.assertEqual(len({r.json()["id"] for r in res}), 1)

    def test_return_url_allow_list(self):
        tok = self.key()
        bad = ["https://evil.example/done", "http://merchant.example/done",
               "https://merchant.example:444/done",
               "https://merchant.example.evil.example/x",
               "https://merchant.example@evil.example/x",
               "https://merchant.exampl/x", "//merchant.example/x",
               "javascript:alert(1)", "https://merchant.example#x",
               "https://shop2.example/x", "https://merchant.example\\@x/",
               "https://merchant.example/" + "a" * 520]
        for i, u in enumerate(bad):
            r = self.api("POST", "/api/v1/payments", tok,
                         self.body("ret-%d" % i, returnUrl=u))
            self.assertEqual(r.status, 400, (u, r))
        for i, u in enumerate(["https://MERCHANT.example/ok",
                               "https://merchant.example",
                               "https://merchant.example?a=b",
                               "https://shop2.example:8443/back"]):
            self.create(tok, "retok-%d" % i, returnUrl=u)
        self.assertEqual(self.q("SELECT count(*) FROM api_payments WHERE "
                                "reference LIKE 'ret-%'")[0][0], 0)

    def test_strict_bodies_and_metadata_caps(self):
        tok = self.key()
        cases = [
            ({"amount": 0}, 400), ({"amount": 1.5}, 400),
            ({"amount": "100"}, 400), ({"amount": 10 ** 12}, 400),
            ({"currency": "USD"}, 400), ({"currency": "hkd"}, 400),
            ({"subject": ""}, 400), ({"subject": " x"}, 400),
            ({"subject": "a\nb"}, 400), ({"subject": "x" * 129}, 400),
            ({"reference": "a b"}, 400), ({"reference": "r" * 65}, 400),
            ({"expiresIn": 59}, 400), ({"expiresIn": 86401}, 400),
            ({"price": 1}, 400), ({"metadata": []}, 400),
            ({"metadata": {"n": 1}}, 400),
            ({"metadata": {"bad key": "v"}}, 400),
            ({"metadata": {"k%d" % i: "v" for i in range(21)}}, 413),
            ({"metadata": {"k": "v" * 501}}, 413),
            ({"metadata": {"k%d" % i: "v" * 450 for i in range(10)}}, 413),
        ]
        for i, (kw, want) in enumerate(cases):
            r = self.api("POST", "/api/v1/payments", tok,
                         self.body("strict-%d" % i, **kw))
            self.assertEqual(r.status, want, (kw, r))
            self.assertIn("message", r.json())
        r = self.api("POST", "/api/v1/payments", tok, "{not json")
        self.assertEqual(r.status, 400, r)
        # at the caps: accepted and returned as given
        meta = {"k%d" % i: "v" * 150 for i in range(20)}
        d = self.create(tok, "strict-max", metadata=meta, expiresIn=86400,
                        subject="茶 " * 31 + "x")
        self.assertEqual(d["metadata"], meta)
        self.assertEqual(self.q("SELECT count(*) FROM api_payments WHERE "
                                "reference LIKE 'strict-%'")[0][0], 1)

    def test_get_by_id_and_reference(self):
        tok = self.key()
        d = self.create(tok, "get-1")
        r = self.api("GET", "/api/v1/payments/" + d["id"], tok)
        self.assertEqual((r.status, r.json()), (200, d))
        r = self.api("GET", "/api/v1/payments?reference=get-1", tok)
        self.assertEqual((r.status, r.json()["id"]), (200, d["id"]))
        for p in ("/api/v1/payments/pay_" + "0" * 32,
                  "/api/v1/payments/" + d["id"] + "x",
                  "/api/v1/payments/nope", "/api/v1/payments?reference=",
                  "/api/v1/payments?reference=nope",
                  "/api/v1/payments/%s/refunds/R1" % d["id"],
                  "/api/v1/payments/%s/other" % d["id"]):
            self.assertEqual(self.api("GET", p, tok).status, 404, p)

    # -- checkout, return signature -------------------------------------------
    def test_checkout_pay_and_signed_return(self):
        tok = self.key()
        d = self.create(tok, "chk-1", amount=1234, subject="Blue mug")
        pid = d["id"]
        # GET /checkout/{id}: the short address of the page, which lives
        # in the payment authorization directory /shop/
        r = self.stack.get("/checkout/" + pid)
        self.assertEqual(r.status, 302, r)
        self.assertTrue(r.header("Location").endswith(
            "/shop/pay.html?id=" + pid), r.header("Location"))
        self.assertEqual(self.stack.get("/checkout/nope").status, 404)
        v = self.stack.get("/api/checkout/" + pid).json()
        self.assertEqual((v["subject"], v["amount"], v["currency"],
                          v["state"], v["final"], v["returnHost"]),
                         ("Blue mug", 1234, "HKD", "CREATED", False,
                          "merchant.example"))
        self.assertNotIn("reference", v)
        self.assertNotIn("metadata", v)
        self.check_sig(v["returnUrl"], pid, "open")
        self.assertEqual(self.stack.get("/api/checkout/pay_" + "1" * 32)
                         .status, 404)
        # without a session: the login
        r = self.stack.post("/api/checkout/%s/pay" % pid, body={})
        self.assertEqual(r.status, 401)
        self.assertEqual(r.json()["error"], "login_required")
        # a cross-site POST is refused
        b = Buyer(self.stack).login()
        r = b.request("POST", "/api/checkout/%s/pay" % pid, body={},
                      headers={"Sec-Fetch-Site": "cross-site"})
        self.assertEqual(r.status, 403, r)
        b2, o = self.buyer_pays(pid, pay_at_sim=False)
        # a second tap of the same buyer: the same order, parameters
        r = b2.request("POST", "/api/checkout/%s/pay" % pid, body={})
        self.assertEqual((r.status, r.json()["orderNo"]),
                         (200, o["orderNo"]))
        # another buyer cannot take it over
        r = b.request("POST", "/api/checkout/%s/pay" % pid, body={})
        self.assertEqual(r.status, 409, r)
        rows = self.q("SELECT o.amount, o.subject, o.state FROM orders o "
                      "JOIN api_payments p ON p.order_id = o.id WHERE "
                      "p.payment_id = ?", (pid,))
        self.assertEqual(rows, [(1234, "Blue mug", "PENDING")])
        self.stack.sim_control("pay", transactionId=o["orderNo"])
        p = self.wait_state(tok, pid, "PAID")
        self.assertIsNotNone(p["paidAt"])
        self.assertEqual(p["orderNo"], o["orderNo"])
        self.assertIsNone(d["orderNo"])
        v = self.stack.get("/api/checkout/" + pid).json()
        self.assertEqual((v["state"], v["final"], v["status"]),
                         ("PAID", True, "paid"))
        self.check_sig(v["returnUrl"], pid, "paid")

    def check_sig(self, url, pid, status):
        u = urllib.parse.urlsplit(url)
        self.assertEqual("%s://%s%s" % (u.scheme, u.netloc, u.path),
                         ORIGIN + "/done")
        q = urllib.parse.parse_qs(u.query)
        self.assertEqual(q["x"], ["1"])
        self.assertEqual((q["payment_id"], q["status"]), ([pid], [status]))
        msg = "payment_id=%s&status=%s" % (pid, status)
        want = hmac.new(SECRET.encode(), msg.encode(),
                        hashlib.sha256).hexdigest()
        self.assertTrue(hmac.compare_digest(q["sig"][0], want), url)

    # -- refunds ---------------------------------------------------------------
    def paid_payment(self, tok, ref, amount):
        d = self.create(tok, ref, amount=amount)
        self.buyer_pays(d["id"])
        self.wait_state(tok, d["id"], "PAID")
        return d["id"]

    def test_refunds_partial_idempotent_bounded(self):
        tok = self.key()
        ro = self.key("payments:read,payments:write")
        pid = self.paid_payment(tok, "ref-1", 1000)
        path = "/api/v1/payments/%s/refunds" % pid
        self.assertEqual(self.api("POST", path, ro, {"amount": 100},
                                  idem="r-0").status, 403)
        self.assertEqual(self.api("POST", path, tok, {"amount": 100})
                         .status, 400)     # an Idempotency-Key is required
        r1 = self.api("POST", path, tok, {"amount": 300, "reason": "dent"},
                      idem="r-1")
        self.assertEqual(r1.status, 200, r1)
        rf = r1.json()
        self.assertEqual((rf["amount"], rf["paymentId"]), (300, pid))
        r2 = self.api("POST", path, tok, {"amount": 300, "reason": "dent"},
                      idem="r-1")
        self.assertEqual((r2.status, r2.json()["id"]), (200, rf["id"]))
        r3 = self.api("POST", path, tok, {"amount": 301}, idem="r-1")
        self.assertEqual(r3.status, 409, r3)
        self.assertEqual(self.q("SELECT count(*) FROM refunds")[0][0], 1)
        g = self.api("GET", "%s/%s" % (path, rf["id"]), tok)
        self.assertEqual((g.status, g.json()["amount"]), (200, 300))
        harness.wait_for(lambda: self.api("GET", "/api/v1/payments/" + pid,
                                          tok).json()["refundedAmount"] ==
                         300, timeout=30, what="refund applied")
        # beyond what is left: refused, and the refusal is the answer for
        # that key from then on
        r4 = self.api("POST", path, tok, {"amount": 701}, idem="r-2")
        self.assertEqual(r4.status, 409, r4)
        self.assertEqual(self.api("POST", path, tok, {"amount": 701},
                                  idem="r-2").status, 409)
        # concurrent: 5 x 300 against 700 left -> at most 2
        res = []

        def go(i):
            res.append(self.api("POST", path, tok, {"amount": 300},
                                idem="c-%d" % i))
        ts = [threading.Thread(target=go, args=(i,)) for i in range(5)]
        [t.start() for t in ts]
        [t.join() for t in ts]
        codes = sorted(r.status for r in res)
        self.assertEqual(codes, [200, 200, 409, 409, 409], res)
        total = self.q("SELECT sum(amount) FROM refunds WHERE state <> "
                       "'FAILED'")[0][0]
        self.assertLessEqual(total, 1000)
        self.assertEqual(total, 900)
        # a refund of another payment is not found under this one
        other = self.create(tok, "ref-other")
        self.assertEqual(self.api("GET", "/api/v1/payments/%s/refunds/%s" %
                                  (other["id"], rf["id"]), tok).status, 404)
        self.assertEqual(self.api("POST", "/api/v1/payments/%s/refunds" %
                                  other["id"], tok, {"amount": 1},
                                  idem="u-1").status, 409)
        audit = self.q("SELECT admin FROM admin_audit WHERE action LIKE "
                       "'refund%'")
        self.assertIn(("api:" + self.names[tok],), audit)

    # -- cancel ------------------------------------------------------------------
    def test_cancel_unpaid_then_late_succeed_is_paid_with_anomaly(self):
        tok = self.key()
        # no order yet: cancelled, checkout refuses it
        d = self.create(tok, "cxl-1")
        r = self.api("POST", "/api/v1/payments/%s/cancel" % d["id"], tok)
        self.assertEqual((r.status, r.json()["state"], r.json()["cancelled"]),
                         (200, "CLOSED", True))
        b = Buyer(self.stack).login()
        r = b.request("POST", "/api/checkout/%s/pay" % d["id"], body={})
        self.assertEqual(r.status, 409, r)
        v = self.stack.get("/api/checkout/" + d["id"]).json()
        self.assertEqual((v["final"], v["status"]), (True, "closed"))
        # an order at UseePay: closed locally through the state machine
        d = self.create(tok, "cxl-2")
        _, o = self.buyer_pays(d["id"], pay_at_sim=False)
        r = self.api("POST", "/api/v1/payments/%s/cancel" % d["id"], tok)
        self.assertEqual((r.status, r.json()["state"]), (200, "CLOSED"))
        ev = self.q("SELECT source, new_state, actor FROM order_events "
                    "WHERE order_id = (SELECT id FROM orders WHERE "
                    "order_no = ?)", (o["orderNo"],))
        self.assertIn(("admin", "CLOSED", "api:" + self.names[tok]), ev)
        # the buyer pays at UseePay anyway: PAID, and an anomaly
        self.stack.sim_control("pay", transactionId=o["orderNo"])
        self.wait_state(tok, d["id"], "PAID")
        an = self.q("SELECT kind FROM anomalies WHERE order_id = (SELECT id "
                    "FROM orders WHERE order_no = ?)", (o["orderNo"],))
        self.assertIn(("paid_after_closed",), an)
        # a paid payment cannot be cancelled
        r = self.api("POST", "/api/v1/payments/%s/cancel" % d["id"], tok)
        self.assertEqual(r.status, 409, r)


    # -- last: what the tests above left in the logs -------------------------
    def test_zz_no_token_or_secret_in_logs(self):
        logs = self.stack.all_logs()
        self.assertGreater(len(self.names), 3)
        for tok in self.names:
            self.assertNotIn(tok, logs)
            self.assertNotIn(tok[4:20], logs)
        self.assertNotIn("h5k_", logs)
        self.assertNotIn(SECRET, logs)


class RateLimitTest(ApiBase):
    """A stack of its own: every key gets 40 requests a minute."""
    rate_limit = "40"

    def test_rate_limit_429(self):
        tok = self.key()
        codes = [self.api("GET", "/api/v1/payments?reference=r", tok).status
                 for _ in range(45)]
        self.assertEqual(codes[:40], [404] * 40, codes)
        self.assertEqual(set(codes[40:]), {429}, codes)
        r = self.api("GET", "/api/v1/payments?reference=r", tok)
        self.assertEqual(r.json()["error"], "too_many_requests", r)
        self.assertEqual(r.header("Retry-After"), "60")
        # another key has its own window
        self.assertEqual(self.api("GET", "/api/v1/payments?reference=r",
                                  self.key()).status, 404)


if __name__ == "__main__":
    harness.main()
