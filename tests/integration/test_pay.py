"""The buyer flow's server side (issue 5): catalog, POST /pay, order status.

Real nginx + h5payd + h5pay-sim (UseePay and WeChat) over TLS. Buyers log
in through the simulator's WeChat OAuth (automatic mode); the catalog is
seeded with `h5pay product add`. What is asserted is what buyers and the
merchant rely on:
  - the amount comes from the catalog: prices, amounts and currencies in
    the request are ignored; bad quantities, unknown or disabled skus are
    refused (400) and create nothing;
  - /pay answers the provider's six invocation parameters unchanged and the
    order is PENDING with the provider's reference;
  - one idempotency key is one order (sequential and concurrent taps) with
    one transaction at the simulator;
  - another buyer's order is a 404; the status poll queries the provider
    and applies what it says (PAID without any notification);
  - the catalog CLI and GET /api/products.
Fault cases (5xx, hang, bad signature, malformed JSON) are in
test_pay_faults.py.
"""
import http.client
import json
import os
import re
import secrets
import sqlite3
import threading
import time
import unittest
import urllib.parse

import harness

SESSION_COOKIE = "__Host-h5s"


class Buyer:
    """A browser-like client: one cookie jar for the shop, login through
    the simulator's WeChat OAuth in automatic mode."""

    def __init__(self, stack, openid=None):
        self.stack = stack
        self.openid = openid or "oBuyer_" + secrets.token_hex(6)
        self.cookies = {}

    def _remember(self, r):
        for v in r.headers_all("Set-Cookie"):
            pair = v.split(";", 1)[0]
            name, _, value = pair.partition("=")
            if value == "" or "Max-Age=0" in v:
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = value.strip()

    def request(self, method, path, body=None, headers=None, timeout=60):
        h = dict(headers or {})
        if self.cookies:
            h["Cookie"] = "; ".join("%s=%s" % kv
                                    for kv in self.cookies.items())
        r = self.stack.request(method, path, body=body, headers=h,
                               timeout=timeout)
        self._remember(r)
        return r

    def login(self, ret="/shop/"):
        r = self.request("GET", "/oauth/start?ret=" +
                         urllib.parse.quote(ret, safe=""))
        assert r.status == 302, r
        auth = r.header("Location").split("#", 1)[0]
        u = urllib.parse.urlsplit(auth)
        assert u.port == self.stack.sim_port, auth
        r = self.stack.sim_request("GET", u.path + "?" + u.query +
                                   "&sim_user=" + self.openid)
        assert r.status == 302, r
        cb = urllib.parse.urlsplit(r.header("Location"))
        r = self.request("GET", cb.path + "?" + cb.query)
        assert r.status == 302, r
        assert SESSION_COOKIE in self.cookies, self.cookies
        return self

    def pay(self, items, key=None, extra=None, timeout=60):
        body = {"items": items,
                "idempotencyKey": key or secrets.token_hex(16)}
        body.update(extra or {})
        return self.request("POST", "/pay", body=body, timeout=timeout)

    def order(self, order_no):
        return self.request("GET", "/api/orders/" + order_no)


class PayTestBase(harness.StackTest):
    stack_kwargs = {"config": {"status_query_interval_sec": "1",
                               "useepay_expiration_min": "10"}}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not cls.stack.sim:
            raise unittest.SkipTest("h5pay-sim is not built")
        cls.stack.seed_demo()

    def tearDown(self):
        self.stack.sim_control("reset")

    def db(self):
        c = harness.db_connect(self.stack, timeout=30)
        c.row_factory = sqlite3.Row
        return c

    def order_row(self, order_no):
        with self.db() as c:
            return c.execute("SELECT * FROM orders WHERE order_no = ?",
                             (order_no,)).fetchone()

    def count_orders(self):
        with self.db() as c:
            return c.execute("SELECT count(*) FROM orders").fetchone()[0]

    def sim_txns(self, order_no):
        """The simulator's transactions for this order number."""
        with sqlite3.connect(self.stack.sim_values["db_path"],
                             timeout=30) as c:
            c.row_factory = sqlite3.Row
            return c.execute("SELECT * FROM txn WHERE kind = 'pay' AND "
                             "transaction_id = ?", (order_no,)).fetchall()

    def provider_calls(self):
        """UseePay calls so far (the simulator's POST /api in nginx's
        access log)."""
        log = self.stack._read(os.path.join(self.stack.run,
                                            "nginx.access.log"))
        return len(re.findall(r'"POST /api HTTP', log))

    def wait_state(self, buyer, order_no, states, timeout=60):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            r = buyer.order(order_no)
            self.assertEqual(r.status, 200, r)
            last = r.json()
            if last["state"] in states:
                return last
            time.sleep(0.3)
        self.fail("order %s stayed %s" % (order_no, last and last["state"]))


class CatalogTest(PayTestBase):

    def test_products_public_active_only(self):
        self.stack.h5pay("product", "add", "--sku", "gone-1", "--name",
                         "Gone", "--price", "100")
        self.stack.h5pay("product", "disable", "--sku", "gone-1")
        r = self.stack.get("/api/products")
        self.assertEqual(r.status, 200, r)
        prods = r.json()["products"]
        skus = [p["sku"] for p in prods]
        self.assertEqual(sorted(skus), sorted(
            p[0] for p in harness.Stack.DEMO_PRODUCTS))
        tea = [p for p in prods if p["sku"] == "tea-oolong"][0]
        self.assertEqual(tea["price"], 12800)
        self.assertEqual(tea["currency"], "HKD")
        self.assertEqual(tea["name"], "凤凰单丛 Phoenix oolong tea")
        # the shop's own name, logo and time zone for the pages (defaults)
        self.assertEqual(r.json()["shop"], {
            "name": "H5 Shop", "logo": "/shop/img/logo.svg",
            "timeZone": "Asia/Hong_Kong", "currency": "HKD"})
        out = self.stack.h5pay("product", "list", "--all").stdout
        self.assertIn("gone-1\tdisabled\t100\tHKD\tGone", out)
        self.assertNotIn("gone-1", self.stack.h5pay("product",
                                                    "list").stdout)

    def test_cli_refuses_bad_products(self):
        for args in (["--sku", "x y", "--name", "N", "--price", "1"],
                     ["--sku", "ok", "--name", "N", "--price", "1.50"],
                     ["--sku", "ok", "--name", "N", "--price", "0"],
                     ["--sku", "ok", "--name", "N", "--price", "-5"],
                     ["--sku", "ok", "--name", "N", "--price", "9",
                      "--currency", "hkd"],
                     ["--sku", "ok", "--name", "N", "--price", "9",
                      "--image", "https://evil.example/x.png"],
                     ["--sku", "ok", "--price", "9"]):
            r = self.stack.h5pay("product", "add", *args, check=False)
            self.assertNotEqual(r.returncode, 0, args)
        self.assertNotIn("\tok\t", self.stack.h5pay("product", "list",
                                                    "--all").stdout)
        r = self.stack.h5pay("product", "disable", "--sku", "nope",
                             check=False)
        self.assertEqual(r.returncode, 1)


class PayTest(PayTestBase):

    def test_not_logged_in(self):
        r = self.stack.post("/pay", body={"items": [{"sku": "tea-oolong",
                                                     "qty": 1}],
                                          "idempotencyKey": "k" * 16})
        self.assertEqual(r.status, 401)
        self.assertEqual(r.json()["error"], "login_required")
        self.assertTrue(r.json()["login"].startswith("/oauth/start?ret="))
        self.assertEqual(self.stack.get("/api/orders").status, 401)
        self.assertEqual(self.stack.get("/api/orders/H5X").status, 401)

    def test_pay_happy_path_and_paid_by_query(self):
        b = Buyer(self.stack).login()
        r = b.pay([{"sku": "tea-oolong", "qty": 2},
                   {"sku": "cup-celadon", "qty": 1}])
        self.assertEqual(r.status, 200, r)
        d = r.json()
        self.assertEqual(sorted(d), ["amount", "currency", "expiresAt",
                                     "jsapi", "orderNo"])
        self.assertEqual(d["amount"], 2 * 12800 + 8800)
        self.assertEqual(d["currency"], "HKD")
        self.assertRegex(d["orderNo"], r"^[0-9A-Za-z]{1,32}$")
        self.assertEqual(sorted(d["jsapi"]), sorted(
            ["appId", "timeStamp", "nonceStr", "package", "signType",
             "paySign"]))
        for v in d["jsapi"].values():
            self.assertIsInstance(v, str)
        self.assertEqual(d["jsapi"]["appId"], harness.TEST_APPID)
        self.assertTrue(d["jsapi"]["package"].startswith("prepay_id="))
        now = time.time()
        self.assertTrue(now + 9 * 60 - 30 <= d["expiresAt"] <= now + 10 * 60
                        + 30, d["expiresAt"])
        # the simulator's bridge accepts the parameters as they are
        chk = self.stack.sim_request("POST", "/sim/pay/check",
                                     body=d["jsapi"])
        self.assertEqual(chk.status, 200, chk)
        self.assertTrue(chk.json().get("ok"), chk.json())

        row = self.order_row(d["orderNo"])
        self.assertEqual(row["state"], "PENDING")
        self.assertEqual(row["amount"], 34400)
        self.assertEqual(row["openid"], b.openid)
        self.assertTrue(row["provider_ref"])
        self.assertEqual(json.loads(row["jsapi"]), d["jsapi"])
        self.assertIn("凤凰单丛", row["subject"])
        self.assertEqual(len(self.sim_txns(d["orderNo"])), 1)
        with self.db() as c:
            items = c.execute(
                "SELECT sku, unit_price, qty, line_amount FROM order_items"
                " WHERE order_id = ? ORDER BY id", (row["id"],)).fetchall()
        self.assertEqual([tuple(i) for i in items],
                         [("tea-oolong", 12800, 2, 25600),
                          ("cup-celadon", 8800, 1, 8800)])

        o = b.order(d["orderNo"])
        self.assertEqual(o.status, 200, o)
        self.assertIn(o.json()["state"], ("PENDING", "PAID"))
        self.assertEqual(len(o.json()["items"]), 2)

        # paid at the provider, no notification: the poll's query finds it
        self.stack.sim_control("faults", notify_drop_count=1)
        self.stack.sim_control("pay", transactionId=d["orderNo"])
        o = self.wait_state(b, d["orderNo"], ("PAID",))
        self.assertIn("paidAt", o)
        with self.db() as c:
            ev = c.execute(
                "SELECT source, old_state, new_state FROM order_events "
                "WHERE order_id = ? ORDER BY id", (row["id"],)).fetchall()
        self.assertIn(("pay", "CREATED", "PENDING"), [tuple(e) for e in ev])
        self.assertIn(("PENDING", "PAID"),
                      [tuple(e)[1:] for e in ev])
        lst = b.request("GET", "/api/orders").json()["orders"]
        self.assertEqual(lst[0]["orderNo"], d["orderNo"])
        self.assertEqual(lst[0]["state"], "PAID")
        # "my orders" names the items and the refunded amount (none yet)
        self.assertEqual(lst[0]["refundedAmount"], 0)
        self.assertEqual([(i["sku"], i["name"], i["qty"], i["lineAmount"])
                          for i in lst[0]["items"]],
                         [("tea-oolong", "凤凰单丛 Phoenix oolong tea", 2,
                           25600),
                          ("cup-celadon", "青瓷茶杯 Celadon tea cup", 1, 8800)])

    def test_tampered_prices_ignored(self):
        b = Buyer(self.stack).login()
        r = b.pay([{"sku": "eggroll-tin", "qty": 3, "price": 1,
                    "unitPrice": 1, "amount": 1, "currency": "JPY"}],
                  extra={"amount": 1, "currency": "USD", "total": 1,
                         "price": 1})
        self.assertEqual(r.status, 200, r)
        d = r.json()
        self.assertEqual(d["amount"], 3 * 6800)
        self.assertEqual(d["currency"], "HKD")
        row = self.order_row(d["orderNo"])
        self.assertEqual((row["amount"], row["currency"]), (20400, "HKD"))
        t = self.sim_txns(d["orderNo"])
        self.assertEqual(len(t), 1)
        self.assertEqual(t[0]["amount"], 20400)

    def test_bad_requests_refused_nothing_created(self):
        b = Buyer(self.stack).login()
        before = self.count_orders()
        bad_qty = [0, 100, -1, 1.5, "1", True, None, 1e2, 2 ** 63]
        for q in bad_qty:
            r = b.pay([{"sku": "tea-oolong", "qty": q}])
            self.assertEqual(r.status, 400, (q, r))
            self.assertEqual(r.json()["error"], "bad_input")
        self.stack.h5pay("product", "add", "--sku", "off-1", "--name",
                         "Off", "--price", "500", "--inactive")
        self.stack.h5pay("product", "add", "--sku", "usd-1", "--name",
                         "Dollar thing", "--price", "500", "--currency",
                         "USD")
        for items in ([{"sku": "no-such-sku", "qty": 1}],
                      [{"sku": "off-1", "qty": 1}],
                      [{"sku": "tea-oolong", "qty": 1},
                       {"sku": "usd-1", "qty": 1}],
                      [{"sku": "tea-oolong", "qty": 1},
                       {"sku": "tea-oolong", "qty": 1}],
                      [], [{"qty": 1}], [{"sku": 5, "qty": 1}],
                      [{"sku": "../../etc", "qty": 1}],
                      [{"sku": "x", "qty": 1}] * 21):
            r = b.pay(items)
            self.assertEqual(r.status, 400, (items, r))
        for key in ("", "short", "k" * 65, "bad key!", None):
            r = b.request("POST", "/pay", body={
                "items": [{"sku": "tea-oolong", "qty": 1}],
                "idempotencyKey": key})
            self.assertEqual(r.status, 400, (key, r))
        for body, ctype in (("not json", "application/json"),
                            ('{"items":[{"sku":"tea-oolong","qty":1}],'
                             '"idempotencyKey":"aaaaaaaaaaaa"}',
                             "text/plain"),
                            ("[]", "application/json")):
            r = b.request("POST", "/pay", body=body,
                          headers={"Content-Type": ctype})
            self.assertEqual(r.status, 400, (body, r))
        self.assertEqual(self.count_orders(), before)

    def test_same_key_one_order(self):
        b = Buyer(self.stack).login()
        key = secrets.token_hex(16)
        items = [{"sku": "mooncake-box", "qty": 1}]
        r1 = b.pay(items, key)
        r2 = b.pay(items, key)
        self.assertEqual((r1.status, r2.status), (200, 200), (r1, r2))
        self.assertEqual(r1.json(), r2.json())
        self.assertEqual(len(self.sim_txns(r1.json()["orderNo"])), 1)
        # another buyer with the same key gets their own order
        b2 = Buyer(self.stack).login()
        r3 = b2.pay(items, key)
        self.assertEqual(r3.status, 200, r3)
        self.assertNotEqual(r3.json()["orderNo"], r1.json()["orderNo"])

    def test_open_order_cap_per_buyer(self):
        # issue 12 item 9: one buyer could make the shop create any number
        # of open orders at UseePay; pay_max_open_orders_per_buyer (5)
        items = [{"sku": "mooncake-box", "qty": 1}]
        b = Buyer(self.stack).login()
        keys = [secrets.token_hex(16) for _ in range(5)]
        nos = []
        for k in keys:
            r = b.pay(items, k)
            self.assertEqual(r.status, 200, r)
            nos.append(r.json()["orderNo"])
        before, calls = self.count_orders(), self.provider_calls()
        r = b.pay(items)
        self.assertEqual(r.status, 429, r)
        self.assertEqual(r.json()["error"], "too_many_open_orders")
        self.assertIn("unpaid orders", r.json()["message"])
        self.assertEqual(self.count_orders(), before)        # nothing made
        self.assertEqual(self.provider_calls(), calls)       # nor sent
        # a retried key of an open order still answers (idempotent)
        r = b.pay(items, keys[0])
        self.assertEqual((r.status, r.json()["orderNo"]), (200, nos[0]))
        # another buyer is not affected
        self.assertEqual(Buyer(self.stack).login().pay(items).status, 200)
        # an order past its expiry no longer counts
        with self.db() as c:
            c.execute("UPDATE orders SET expires_at = 1 WHERE order_no = ?",
                      (nos[0],))
        self.assertEqual(b.pay(items).status, 200)
        self.assertEqual(b.pay(items).status, 429)

    def test_concurrent_double_submit_one_order(self):
        b = Buyer(self.stack).login()
        key = secrets.token_hex(16)
        items = [{"sku": "cup-celadon", "qty": 2}]
        before = self.count_orders()
        # slow the provider so the taps overlap inside the create
        self.stack.sim_control("faults", latency_ms=1500,
                               latency_path="/api")
        res = [None] * 4

        def tap(i):
            res[i] = b.pay(items, key)
        ts = [threading.Thread(target=tap, args=(i,)) for i in range(4)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(90)
        statuses = [r.status for r in res]
        self.assertEqual(statuses, [200] * 4, res)
        nos = {r.json()["orderNo"] for r in res}
        self.assertEqual(len(nos), 1)
        self.assertEqual(len({json.dumps(r.json(), sort_keys=True)
                              for r in res}), 1)
        self.assertEqual(self.count_orders(), before + 1)
        self.assertEqual(len(self.sim_txns(nos.pop())), 1)

    def test_other_buyers_order_is_404(self):
        a = Buyer(self.stack).login()
        r = a.pay([{"sku": "tea-oolong", "qty": 1}])
        self.assertEqual(r.status, 200, r)
        no = r.json()["orderNo"]
        b = Buyer(self.stack).login()
        r = b.order(no)
        self.assertEqual(r.status, 404, r)
        self.assertNotIn(no.encode(), r.body)
        missing = b.order("H5" + "0" * 28)
        self.assertEqual(missing.status, 404)
        self.assertEqual(r.json()["error"], missing.json()["error"])
        self.assertEqual(b.order("bad%2Fno").status, 404)
        self.assertNotIn(no, [o["orderNo"] for o in
                              b.request("GET", "/api/orders")
                              .json()["orders"]])
        self.assertEqual(a.order(no).status, 200)

    def test_status_queries_are_rate_limited(self):
        b = Buyer(self.stack).login()
        r = b.pay([{"sku": "eggroll-tin", "qty": 1}])
        self.assertEqual(r.status, 200, r)
        no = r.json()["orderNo"]
        time.sleep(1.5)
        before = self.provider_calls()
        t0 = time.monotonic()
        n = 0
        while time.monotonic() - t0 < 3.0:
            self.assertEqual(b.order(no).status, 200)
            n += 1
        elapsed = time.monotonic() - t0
        queries = self.provider_calls() - before
        self.assertGreaterEqual(queries, 1, "the poll never asked UseePay")
        # status_query_interval_sec = 1: at most one query per second
        self.assertLessEqual(queries, int(elapsed) + 2, (queries, n))
        self.assertGreater(n, queries)
        self.assertIsNotNone(self.order_row(no)["last_query_at"])


if __name__ == "__main__":
    harness.main()
