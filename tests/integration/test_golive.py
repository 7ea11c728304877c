"""Go-live with the real UseePay (issue 10): the answer and notification
shapes a real gateway may send, through h5pay-sim switched into the
matching profile (POST /sim/control {"action":"faults","profile":...}) and
through nginx + h5payd's /notify.

Orders are created at the simulator with a signed pay request and inserted
into our database as PENDING, as /pay leaves them (as test_reconcile.py
does). Skipped when h5pay-sim is not built.
"""
import json
import os
import sqlite3
import subprocess
import time
import unittest
import urllib.parse
import uuid

import harness
from test_admin import Admin, admin_cli
from test_pay import Buyer

HAVE_SIM = os.path.exists(os.path.join(harness.BUILD, "h5pay-sim"))
H5PAY = os.path.join(harness.BUILD, "h5pay")


def notify_fields(order_no, amount=1000, **extra):
    f = {
        "version": "1.0",
        "merchantNo": harness.TEST_MERCHANT,
        "transactionId": order_no,
        "reference": "UP" + order_no[:20],
        "transactionType": "pay",
        "amount": str(amount),
        "currency": "HKD",
        "resultCode": "succeed",
        "errorCode": "0000",
        "errorMsg": "Success",
        "signType": "MD5",
    }
    f.update(extra)
    return f


def with_sign(fields, sign=None):
    f = dict(fields)
    f["sign"] = sign or harness.useepay_sign_md5(f)
    return f


@unittest.skipUnless(HAVE_SIM, "h5pay-sim not built")
class GoLiveSimTest(harness.StackTest):
    stack_kwargs = {"config": {"reconcile_interval_sec": "0",
                               "useepay_terminal_type": "WAP"}}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.stack.seed_demo()

    def setUp(self):
        self.stack.sim_control("reset")

    def q(self, sql, *args):
        c = harness.db_connect(self.stack, timeout=60)
        try:
            return c.execute(sql, args).fetchall()
        finally:
            c.close()

    def create(self, amount=1000, **extra):
        """A pay transaction at the simulator + our PENDING order."""
        no = "G" + uuid.uuid4().hex[:24]
        f = {
            "version": "1.0",
            "merchantNo": harness.TEST_MERCHANT,
            "transactionType": "pay",
            "transactionId": no,
            "transactionExpirationTime": "15",
            "appId": "127.0.0.1",
            "amount": str(amount),
            "currency": "HKD",
            "notifyUrl": "https://127.0.0.1:%d/notify" % self.stack.shop_port,
            "payerInfo": json.dumps({"paymentMethod": "wechat_jsapi",
                                     "sub_appid": harness.TEST_APPID,
                                     "sub_openid": "oUser_123"},
                                    separators=(",", ":")),
            "orderInfo": json.dumps({"subject": "tea"},
                                    separators=(",", ":")),
        }
        f.update(extra)
        r = self.stack.sim_api(f)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["errorCode"], "0000", r.json())
        now = int(time.time())
        c = harness.db_connect(self.stack, timeout=60)
        with c:
            c.execute("INSERT INTO orders (order_no, openid, appid, amount, "
                      "currency, subject, state, provider_ref, expires_at, "
                      "created_at, updated_at) VALUES (?, 'oUser_123', ?, ?, "
                      "'HKD', 'tea', 'PENDING', ?, ?, ?, ?)",
                      (no, harness.TEST_APPID, amount, r.json()["reference"],
                       now + 900, now, now))
        c.close()
        return no

    def state(self, no):
        return self.q("SELECT state FROM orders WHERE order_no = ?", no)[0][0]

    def cli(self, *args, cfg=None):
        p = subprocess.run([H5PAY] + list(args[:2]) +
                           ["-c", cfg or self.stack.cfg_path] +
                           list(args[2:]), capture_output=True, text=True,
                           timeout=120)
        return p.returncode, p.stdout, p.stderr

    def notify(self, fields):
        return self.stack.post(
            "/notify", body=urllib.parse.urlencode(fields),
            headers={"Content-Type": "application/x-www-form-urlencoded"})

    # -- item 1: query answers with lists / objects --------------------------
    def test_query_answer_with_settlement(self):
        for profile in ("", "settlement", "nested"):
            no = self.create()
            self.stack.sim_control("pay", transactionId=no)
            self.stack.sim_control("faults", profile=profile)
            raw = self.stack.sim_api({"version": "1.0",
                                      "merchantNo": harness.TEST_MERCHANT,
                                      "transactionType": "query",
                                      "transactionId": no}).json()
            info = raw["transactionInfo"]
            if profile == "nested":
                # the shape the profile promises: an object, a boolean
                self.assertIsInstance(info, dict)
                self.assertIs(raw["liveMode"], False)
            else:
                self.assertIsInstance(info, str)
                info = json.loads(info)
            if profile:
                self.assertEqual(info["amount"], 1000)
                self.assertEqual(info["settlement"][0]["settleAmount"],
                                 "10.00")
            rc, out, err = self.cli("useepay", "query", "--order", no)
            self.assertEqual(rc, 0, (profile, out, err))
            got = json.loads(out)
            self.assertEqual(got["outcome"], "ok", got)
            self.assertEqual(got["transaction"]["status"], "succeed")
            self.assertEqual(got["transaction"]["amount"], 1000)

    # -- item 4: unknown transaction types are kept, answered 200 ------------
    def test_unknown_type_notification_stored_verified(self):
        no = self.create()
        for tt in ("sale", "authorizationVoid", "chargeback" + "N" * 54):
            body = with_sign(notify_fields(
                "X" + uuid.uuid4().hex[:20], transactionType=tt,
                originalTransactionId=no))
            r = self.notify(body)
            self.assertEqual(r.status, 200, (tt, r))
            rows = self.q("SELECT verified, outcome, o.order_no FROM "
                          "notifications n LEFT JOIN orders o ON "
                          "o.id = n.order_id WHERE transaction_type = ?", tt)
            self.assertEqual(rows, [(1, "ignored", no)], tt)
        self.assertEqual(self.state(no), "PENDING")
        # over the documented 64: malformed, nothing stored
        tt = "x" * 65
        r = self.notify(with_sign(notify_fields(no, transactionType=tt)))
        self.assertEqual(r.status, 400, r)
        self.assertEqual(self.q("SELECT count(*) FROM notifications WHERE "
                                "transaction_type = ?", tt), [(0,)])

    # -- security: the signature does not fix field boundaries ---------------
    def test_fold_attack_refused(self):
        no = self.create()
        genuine = with_sign(notify_fields(no))
        before = self.q("SELECT count(*) FROM notifications")[0][0]
        folds = []
        # errorCode=0000&errorMsg=Success folded into one errorCode value
        f = dict(genuine)
        f["errorCode"] = "0000&errorMsg=Success"
        del f["errorMsg"]
        folds.append(f)
        # amount and currency folded: a payment without amount/currency
        f = dict(genuine)
        f["amount"] = "1000&currency=HKD"
        del f["currency"]
        folds.append(f)
        # a free-text field swallowing a field we read
        f = with_sign(notify_fields(no, reserved="r1"))
        f["reserved"] = "r1&resultCode=succeed"
        del f["resultCode"]
        folds.append(f)
        for f in folds:
            # the same canonical string, hence the same signature
            self.assertEqual(harness.useepay_sign_md5(f), f["sign"])
            r = self.notify(f)
            self.assertEqual(r.status, 401, (f, r))
        self.assertEqual(self.q("SELECT count(*) FROM notifications")[0][0],
                         before)
        self.assertEqual(self.state(no), "PENDING")
        r = self.notify(genuine)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.state(no), "PAID")


    # -- item 5: optional request fields --------------------------------------
    def test_pay_sends_user_info_terminal_type_reserved(self):
        # through h5payd: /pay sends the buyer's address as nginx saw it
        b = Buyer(self.stack).login()
        r = b.pay([{"sku": "tea-oolong", "qty": 1}])
        self.assertEqual(r.status, 200, r)
        no = r.json()["orderNo"]
        harness.wait_for(lambda: ("txn=%s " % no) in
                         self.stack.log_text("h5pay-sim"),
                         what="the sim's pay_created line")
        line = [l for l in self.stack.log_text("h5pay-sim").splitlines()
                if "evt=pay_created" in l and ("txn=%s " % no) in l][0]
        self.assertIn("user_ip=127.0.0.1 terminal=WAP", line)
        # through the client: reserved too, and it comes back on query
        no = "G" + uuid.uuid4().hex[:24]
        rc, out, err = self.cli("useepay", "pay", "--order", no,
                                "--amount", "500", "--openid", "oUser_123",
                                "--ip", "203.0.113.9", "--reserved", "r-9")
        self.assertEqual(rc, 0, (out, err))
        self.assertEqual(json.loads(out)["outcome"], "ok", out)
        raw = self.stack.sim_api({"version": "1.0",
                                  "merchantNo": harness.TEST_MERCHANT,
                                  "transactionType": "query",
                                  "transactionId": no}).json()
        self.assertEqual(json.loads(raw["transactionInfo"])["reserved"],
                         "r-9")
        self.assertIn("txn=%s amount=500 currency=HKD user_ip=203.0.113.9 "
                      "terminal=WAP reserved=yes" % no,
                      self.stack.log_text("h5pay-sim"))

    # -- item 7: a timeout per call --------------------------------------------
    def test_pay_timeout_is_its_own(self):
        cfg = self.stack.config_values()
        cfg.update({"useepay_pay_timeout_ms": "1000",
                    "http_timeout_ms": "60000"})
        path = os.path.join(self.stack.dir, "short-pay.conf")
        with open(path, "w") as f:
            for k, v in cfg.items():
                if v is not None:
                    f.write("%s = %s\n" % (k, v))
        self.stack.sim_control("faults", hang_count=1, hang_ms=3000)
        t0 = time.monotonic()
        rc, out, err = self.cli("useepay", "pay", "--order",
                                "G" + uuid.uuid4().hex[:24], "--amount",
                                "5", "--openid", "oUser_123", cfg=path)
        self.assertEqual(rc, 3, (out, err))
        self.assertEqual(json.loads(out)["outcome"], "unknown")
        self.assertLess(time.monotonic() - t0, 2.8)


    def reconcile(self):
        p = subprocess.run([H5PAY, "reconcile", "-c", self.stack.cfg_path],
                           capture_output=True, text=True, timeout=300)
        self.assertEqual(p.returncode, 0, p.stderr)
        return p.stdout

    def events(self, no):
        return self.q("SELECT source, old_state, new_state FROM order_events "
                      "e JOIN orders o ON o.id = e.order_id WHERE "
                      "order_no = ? ORDER BY e.id", no)

    def anomalies(self, no):
        return [k for (k,) in self.q(
            "SELECT kind FROM anomalies a JOIN orders o ON o.id = "
            "a.order_id WHERE order_no = ? ORDER BY a.id", no)]

    # -- item 2: a succeed without amount/currency ----------------------------
    def test_paid_without_amount_confirmed_by_query(self):
        no = self.create()
        c = harness.db_connect(self.stack, timeout=60)
        with c:
            c.execute("UPDATE orders SET next_check_at = ? WHERE "
                      "order_no = ?", (int(time.time()) + 3600, no))
        c.close()
        self.stack.sim_control("faults", profile="no_amount")
        self.stack.sim_control("pay", transactionId=no)
        harness.wait_for(lambda: self.q(
            "SELECT count(*) FROM notifications WHERE transaction_id = ?",
            no)[0][0] == 1, what="the notification without amount")
        # not a bare anomaly: the order waits for a query, due now
        self.assertEqual(self.state(no), "PENDING")
        self.assertEqual(self.anomalies(no), [])
        self.assertLessEqual(self.q("SELECT next_check_at FROM orders "
                                    "WHERE order_no = ?", no)[0][0],
                             int(time.time()))
        self.stack.sim_control("reset")
        self.assertIn("paid=1", self.reconcile())
        self.assertEqual(self.state(no), "PAID")
        self.assertEqual(self.events(no), [("reconciler", "PENDING", "PAID")])
        self.assertEqual(self.anomalies(no), [])

    # -- item 3: refused unsigned / unresolved -----------------------------------
    def test_pay_refused_unsigned_fails_the_order(self):
        b = Buyer(self.stack).login()
        self.stack.sim_control("faults", profile="unsigned_refusal")
        r = b.pay([{"sku": "tea-oolong", "qty": 1}])
        self.assertEqual(r.status, 502, r)
        self.assertEqual(r.json()["error"], "payment_refused")
        no = self.q("SELECT order_no FROM orders ORDER BY id DESC "
                    "LIMIT 1")[0][0]
        self.assertEqual(self.state(no), "FAILED")
        self.assertEqual(self.anomalies(no), ["provider_refused"])
        self.assertEqual(self.q("SELECT error_code FROM orders WHERE "
                                "order_no = ?", no), [("1003",)])
        self.assertIn("evt=refused_unsigned", self.stack.log_text("h5payd"))

    def test_unresolvable_unknown_order_ends(self):
        no = self.create()
        gone = int(time.time()) - 86400 - 700
        c = harness.db_connect(self.stack, timeout=60)
        with c:
            c.execute("UPDATE orders SET state = 'UNKNOWN', expires_at = ?, "
                      "next_check_at = 0 WHERE order_no = ?", (gone, no))
        c.close()
        # every answer carries a wrong signature: no query can resolve it
        self.stack.sim_control("faults", bad_sign_count=5)
        self.reconcile()
        self.assertEqual(self.state(no), "CLOSED")
        self.assertEqual(self.anomalies(no), ["unresolved"])
        self.assertEqual(self.events(no), [("reconciler", "UNKNOWN",
                                            "CLOSED")])

    # -- item 6: refunds stuck UNKNOWN are bounded --------------------------------
    def test_stuck_refund_bounded_released_by_a_verified_query(self):
        no = self.create()
        self.stack.sim_control("pay", transactionId=no)
        harness.wait_for(lambda: self.state(no) == "PAID", what="paid")
        # a refund UseePay has, whose answer and notification we lost
        # 8 days ago
        # every delivery of its notification is lost (a retry arriving
        # during the test would resolve the refund before its time)
        self.stack.sim_control("faults", notify_drop_count=1000)
        rno = "F" + uuid.uuid4().hex[:24]
        r = self.stack.sim_api({
            "version": "1.0", "merchantNo": harness.TEST_MERCHANT,
            "transactionType": "refund", "transactionId": rno,
            "originalTransactionId": no, "amount": "300", "currency": "HKD",
            "notifyUrl": "https://127.0.0.1:%d/notify" % self.stack.shop_port})
        self.assertEqual(r.json()["errorCode"], "0000", r.json())
        old = int(time.time()) - 8 * 86400
        c = harness.db_connect(self.stack, timeout=60)
        with c:
            c.execute("INSERT INTO refunds (refund_no, order_id, amount, "
                      "currency, state, admin, created_at, updated_at, "
                      "next_check_at) SELECT ?, id, 300, 'HKD', 'UNKNOWN', "
                      "'admin', ?, ?, 0 FROM orders WHERE order_no = ?",
                      (rno, old, old, no))
        c.close()
        # no query can verify: after the bound it is no longer queried,
        # keeps its reservation and is shown as an anomaly
        self.stack.sim_control("faults", bad_sign_count=5)
        self.reconcile()
        self.stack.sim_control("faults", bad_sign_count=0)
        self.assertEqual(self.q("SELECT state, next_check_at > ? FROM "
                                "refunds WHERE refund_no = ?",
                                int(time.time()) + 86400 * 365, rno),
                         [("UNKNOWN", 1)])
        self.assertEqual(self.anomalies(no), ["unresolved"])
        # ... and as an anomaly.raised event for the merchant (outbox)
        self.assertEqual([json.loads(b)["data"]["kind"] for (b,) in self.q(
            "SELECT body FROM outbox x JOIN "
            "orders o ON o.id = x.order_id WHERE o.order_no = ? AND "
            "x.type = 'anomaly.raised' AND x.refund_id IS NOT NULL", no)],
            ["unresolved"])
        self.reconcile()            # not due: not released, no new anomaly
        self.assertEqual(self.q("SELECT state FROM refunds WHERE "
                                "refund_no = ?", rno), [("UNKNOWN",)])
        self.assertEqual(self.anomalies(no), ["unresolved"])
        # a verified query (the admin's "query now") resolves it
        r = admin_cli(self.stack, "add", "golive", password="s3cret-Passw0rd")
        self.assertEqual(r.returncode, 0, r.stderr)
        a = Admin(self.stack)
        a.login("golive", "s3cret-Passw0rd")
        r = a.post("/admin/api/orders/%s/query" % no)
        self.assertEqual(r.status, 200, r)
        harness.wait_for(lambda: self.q(
            "SELECT state FROM refunds WHERE refund_no = ?", rno)[0][0] !=
            "UNKNOWN", what="the verified refund status")
        self.assertIn(self.q("SELECT state FROM refunds WHERE refund_no = ?",
                             rno)[0][0], ("PENDING", "SUCCEEDED"))

    def test_stuck_refund_released_by_an_admin_decision(self):
        # issue 10 item 6: after the bound, the reservation is released
        # only by a verified query or an admin decision (here: UseePay's
        # support confirmed it never left); before the bound, no decision
        no = self.create()
        self.stack.sim_control("pay", transactionId=no)
        harness.wait_for(lambda: self.state(no) == "PAID", what="paid")
        rno = "G" + uuid.uuid4().hex[:24]
        old = int(time.time()) - 8 * 86400
        c = harness.db_connect(self.stack, timeout=60)
        with c:
            c.execute("INSERT INTO refunds (refund_no, order_id, amount, "
                      "currency, state, admin, created_at, updated_at, "
                      "next_check_at) SELECT ?, id, 300, 'HKD', 'UNKNOWN', "
                      "'admin', ?, ?, ? FROM orders WHERE order_no = ?",
                      (rno, old, old, int(time.time()) + 3600, no))
        c.close()
        r = admin_cli(self.stack, "add", "golive2",
                      password="s3cret-Passw0rd")
        self.assertEqual(r.returncode, 0, r.stderr)
        a = Admin(self.stack)
        a.login("golive2", "s3cret-Passw0rd")
        path = "/admin/api/orders/%s/refund-release" % no
        body = {"refundNo": rno, "note": "UseePay support: never sent"}
        # still being queried: no decision yet
        r = a.post(path, body=body)
        self.assertEqual(r.status, 409, r)
        self.assertEqual(a.get("/admin/api/orders/" + no).json()
                         ["refundInFlight"], 300)
        # no query can verify it: given up, still reserved
        self.stack.sim_control("faults", bad_sign_count=5)
        c = harness.db_connect(self.stack, timeout=60)
        with c:
            c.execute("UPDATE refunds SET next_check_at = 0 WHERE "
                      "refund_no = ?", (rno,))
        c.close()
        self.reconcile()
        self.stack.sim_control("reset")
        d = a.get("/admin/api/orders/" + no).json()
        self.assertEqual([(x["refundNo"], x["gaveUp"]) for x in
                          d["refunds"]], [(rno, 1)])
        self.assertEqual(d["refundInFlight"], 300)
        # a note is required, another order's refund is not found
        self.assertEqual(a.post(path, body={"refundNo": rno}).status, 400)
        other = self.create()
        self.assertEqual(a.post("/admin/api/orders/%s/refund-release"
                                % other, body=body).status, 404)
        # the decision: FAILED, the reservation released, audited
        r = a.post(path, body=body)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["refundState"], "FAILED")
        self.assertEqual(self.q("SELECT state, error_code, error_msg FROM "
                                "refunds WHERE refund_no = ?", rno),
                         [("FAILED", "ADMIN", "UseePay support: never sent")])
        d = a.get("/admin/api/orders/" + no).json()
        self.assertEqual(d["refundInFlight"], 0)
        self.assertEqual(d["refundable"], 1000)
        self.assertIn(("refund_release", "ok"), self.q(
            "SELECT action, result FROM admin_audit WHERE target = ?", no))
        self.assertIn(("refund_release", "refused"), self.q(
            "SELECT action, result FROM admin_audit WHERE target = ?", no))
        # decided once: a second time is a conflict
        self.assertEqual(a.post(path, body=body).status, 409)


@unittest.skipUnless(HAVE_SIM, "h5pay-sim not built")
class GoLiveKeysTest(unittest.TestCase):
    """Keys as merchants get them, and rotation without downtime: h5payd
    -t with the console's forms, and /notify during an overlap window."""

    @classmethod
    def setUpClass(cls):
        cls.stack = harness.Stack("golive-keys", sim=False)
        cls.stack.make_certs()
        cls.base = cls.stack.config_values()

    @classmethod
    def tearDownClass(cls):
        if cls.stack.procs:
            cls.stack.stop()
        import shutil
        shutil.rmtree(cls.stack.dir, ignore_errors=True)

    def check(self, **over):
        v = dict(self.base)
        v.update(over)
        self.stack.write_config(v)
        p = subprocess.run([os.path.join(harness.BUILD, "h5payd"), "-t",
                            "-c", self.stack.cfg_path],
                           capture_output=True, text=True, timeout=30)
        return p.returncode, p.stdout + p.stderr

    def secret_copy(self, name):
        dst = os.path.join(self.stack.dir, name)
        with open(os.path.join(harness.VECTORS, name), "rb") as f:
            data = f.read()
        with open(dst, "wb") as f:
            f.write(data)
        os.chmod(dst, 0o600)
        return dst

    def test_rsa_key_forms_and_sizes(self):
        pub = os.path.join(harness.VECTORS, "rsa1024_pub.b64")
        for priv in ("rsa1024_key.pem", "rsa1024_key.der", "rsa1024_key.b64",
                     "rsa1024_key_pkcs1.pem"):
            rc, text = self.check(useepay_sign_type="RSA",
                                  useepay_private_key_file=
                                  self.secret_copy(priv),
                                  useepay_public_key_file=pub)
            self.assertEqual(rc, 0, (priv, text))
            self.assertIn("weak", text)
            self.assertIn("1024", text)
        # 2048 bits: no warning
        rc, text = self.check(
            useepay_sign_type="RSA",
            useepay_private_key_file=self.secret_copy(
                "merchant_test_key.pem"),
            useepay_public_key_file=os.path.join(harness.VECTORS,
                                                 "provider_test_pub.pem"))
        self.assertEqual(rc, 0, text)
        self.assertNotIn("weak", text)
        # under 1024: refused
        rc, text = self.check(
            useepay_sign_type="RSA",
            useepay_private_key_file=self.secret_copy("rsa512_key.pem"),
            useepay_public_key_file=pub)
        self.assertNotEqual(rc, 0, text)
        self.assertIn("1024", text)

    def test_rotation_overlap_on_notify(self):
        st = self.stack
        newkey = os.path.join(st.dir, "md5-new.key")
        harness.write_secret(newkey, "NEWKEY-0123456789")
        v = dict(self.base)
        # the switch MD5 -> RSA with the old MD5 key kept for the overlap,
        # and a second MD5 key (a change of MD5 key) next to it
        v.update({"useepay_sign_type": "RSA",
                  "useepay_private_key_file":
                      self.secret_copy("merchant_test_key.pem"),
                  "useepay_public_key_file":
                      os.path.join(harness.VECTORS, "provider_test_pub.pem"),
                  "useepay_md5_key_next_file": newkey,
                  "reconcile_interval_sec": "0"})
        st.values = v
        st.write_config(v)
        st.start_h5payd()
        st.start_nginx()
        harness.wait_for(lambda: st.get("/healthz").status == 200,
                         what="/healthz")
        now = int(time.time())
        nos = ["K" + uuid.uuid4().hex[:20] for _ in range(4)]
        c = harness.db_connect(st, timeout=60)
        with c:
            for no in nos:
                c.execute("INSERT INTO orders (order_no, openid, appid, "
                          "amount, currency, subject, state, expires_at, "
                          "created_at, updated_at) VALUES (?, 'oUser_123', "
                          "?, 1000, 'HKD', 'tea', 'PENDING', ?, ?, ?)",
                          (no, harness.TEST_APPID, now + 900, now, now))
        c.close()

        def post(f):
            return st.post("/notify", body=urllib.parse.urlencode(f),
                           headers={"Content-Type":
                                    "application/x-www-form-urlencoded"})
        # RSA with UseePay's key: the configured type
        f = notify_fields(nos[0], signType="RSA")
        f["sign"] = harness.rsa_sign(harness.useepay_canonical(f),
                                     os.path.join(harness.VECTORS,
                                                  "provider_test_key.pem"))
        self.assertEqual(post(f).status, 200)
        # MD5 with the old key (in flight during the switch)
        f = with_sign(notify_fields(nos[1]))
        self.assertEqual(post(f).status, 200)
        # MD5 with the new (next) key
        f = notify_fields(nos[2])
        f["sign"] = harness.useepay_sign_md5(f, key="NEWKEY-0123456789")
        self.assertEqual(post(f).status, 200)
        # a key we do not hold: 401
        f = notify_fields(nos[3])
        f["sign"] = harness.useepay_sign_md5(f, key="SOMEONE-ELSE")
        self.assertEqual(post(f).status, 401)
        c = harness.db_connect(st, timeout=60)
        got = [c.execute("SELECT state FROM orders WHERE order_no = ?",
                         (no,)).fetchone()[0] for no in nos]
        c.close()
        self.assertEqual(got, ["PAID", "PAID", "PAID", "PENDING"])

if __name__ == "__main__":
    harness.main()
