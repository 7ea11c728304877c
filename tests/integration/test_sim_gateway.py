"""h5pay-sim's UseePay gateway (POST /api): strict validation, pay, query,
refund (issue 3, simulator part 1; docs/protocol.md §3, §4, §6, §7)."""
import json
import os
import time
import uuid

import harness
from harness import TEST_APPID, TEST_MERCHANT


def new_tid(prefix="T"):
    return prefix + uuid.uuid4().hex[:20]


class SimGatewayTest(harness.StackTest):
    stack_kwargs = {"sim_config": {"refund_delay_ms": "100"}}

    def pay_fields(self, tid=None, **over):
        f = {
            "version": "1.0",
            "merchantNo": TEST_MERCHANT,
            "transactionType": "pay",
            "transactionId": tid or new_tid(),
            "transactionExpirationTime": "15",
            "appId": "127.0.0.1",
            "amount": "1000",
            "currency": "HKD",
            "notifyUrl": "https://127.0.0.1:%d/notify" % self.stack.shop_port,
            "payerInfo": json.dumps({"paymentMethod": "wechat_jsapi",
                                     "sub_appid": TEST_APPID,
                                     "sub_openid": "oUser_123"},
                                    separators=(",", ":")),
            "orderInfo": json.dumps({"subject": "Tea <b>&</b> cake"},
                                    separators=(",", ":")),
        }
        for k, v in over.items():
            if v is None:
                f.pop(k, None)
            else:
                f[k] = v
        return f

    def api(self, fields, sign="MD5"):
        r = self.stack.sim_api(fields, sign=sign)
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.header("Content-Type").startswith(
            "application/json"))
        body = r.json()
        for k, v in body.items():
            self.assertIsInstance(v, str, "value of %s is not a string" % k)
        return body

    def assert_signed_md5(self, body):
        self.assertEqual(body["signType"], "MD5")
        self.assertEqual(body["sign"], harness.useepay_sign_md5(body))

    def refused(self, fields, code, sign="MD5"):
        body = self.api(fields, sign=sign)
        self.assertEqual(body["resultCode"], "failed", body)
        self.assertEqual(body["errorCode"], code, body)
        self.assertNotIn("redirectParam", body)
        return body

    def txn_ids(self):
        return [t["transactionId"] for t in
                self.stack.sim_json("/sim/api/transactions")["items"]]

    def pay(self, **over):
        f = self.pay_fields(**over)
        body = self.api(f)
        self.assertEqual(body["errorCode"], "0000", body)
        return f, body

    # -- pay --------------------------------------------------------------
    def test_pay_answer_signed_with_wechat_params(self):
        f, body = self.pay(echoParam="echo-1")
        self.assert_signed_md5(body)
        self.assertEqual(body["resultCode"], "pending")
        self.assertEqual(body["transactionId"], f["transactionId"])
        self.assertEqual(body["amount"], "1000")
        self.assertEqual(body["currency"], "HKD")
        self.assertEqual(body["echoParam"], "echo-1")
        self.assertTrue(body["reference"])
        rp = json.loads(body["redirectParam"])
        self.assertEqual(set(rp), {"appId", "timeStamp", "noceStr",
                                   "package", "signType", "paySign"})
        for v in rp.values():
            self.assertIsInstance(v, str)
        self.assertEqual(rp["appId"], TEST_APPID)
        self.assertEqual(rp["signType"], "RSA")
        self.assertTrue(rp["package"].startswith("prepay_id=wx"))
        self.assertTrue(rp["timeStamp"].isdigit())
        msg = "%s\n%s\n%s\n%s\n" % (rp["appId"], rp["timeStamp"],
                                     rp["noceStr"], rp["package"])
        pub = self.wechat_pub()
        self.assertTrue(harness.rsa_verify(msg, rp["paySign"], pub))
        self.assertFalse(harness.rsa_verify(msg + "x", rp["paySign"], pub))
        t = [x for x in self.stack.sim_json("/sim/api/transactions")["items"]
             if x["transactionId"] == f["transactionId"]][0]
        self.assertEqual(t["resultCode"], "pending")
        self.assertEqual(t["subject"], "Tea <b>&</b> cake")
        self.assertEqual(t["subOpenid"], "oUser_123")

    def wechat_pub(self):
        d = os.path.join(self.stack.dir, "simkeys")
        pub = os.path.join(d, "wechat_pub.pem")
        if not os.path.exists(pub):
            harness.subprocess.run(
                ["openssl", "pkey", "-in", os.path.join(d, "wechat_key.pem"),
                 "-pubout", "-out", pub], check=True)
        return pub

    def test_pay_rsa_request_gets_rsa_answer(self):
        f = self.pay_fields()
        body = self.api(f, sign="RSA")
        self.assertEqual(body["errorCode"], "0000", body)
        self.assertEqual(body["signType"], "RSA")
        pub = os.path.join(harness.VECTORS, "provider_test_pub.pem")
        canon = harness.useepay_canonical(body)
        self.assertTrue(harness.rsa_verify(canon, body["sign"], pub))

    def test_bad_signature_refused_nothing_created(self):
        f = self.pay_fields()
        f["signType"] = "MD5"
        f["sign"] = harness.useepay_sign_md5(f, key="WRONGKEY")
        body = self.refused(f, "1003", sign=None)
        self.assert_signed_md5(body)
        self.assertNotIn(f["transactionId"], self.txn_ids())

    def test_tampered_field_after_signing_refused(self):
        f = self.pay_fields()
        f["signType"] = "MD5"
        f["sign"] = harness.useepay_sign_md5(f)
        f["amount"] = "1"
        self.refused(f, "1003", sign=None)
        self.assertNotIn(f["transactionId"], self.txn_ids())

    def test_sign_type_must_match(self):
        f = self.pay_fields()
        f["signType"] = "RSA"      # but an MD5 signature
        f["sign"] = harness.useepay_sign_md5(f)
        self.refused(f, "1003", sign=None)
        f = self.pay_fields(signType="SHA1")
        f["sign"] = harness.useepay_sign_md5(f)
        self.refused(f, "1003", sign=None)

    def test_missing_sign_refused(self):
        self.refused(self.pay_fields(signType="MD5"), "1003", sign=None)

    def test_missing_required_fields(self):
        for k in ("transactionId", "appId", "amount", "currency",
                  "notifyUrl", "payerInfo", "orderInfo", "version",
                  "transactionType"):
            f = self.pay_fields(**{k: None})
            body = self.refused(f, "1001")
            self.assertIn(k, body["errorMsg"])
            self.assertNotIn(f.get("transactionId"), self.txn_ids())

    def test_over_long_fields(self):
        for k, n in (("transactionId", 65), ("appId", 129),
                     ("echoParam", 257), ("notifyUrl", 513)):
            v = "a" * n if k != "notifyUrl" else \
                "https://127.0.0.1/" + "n" * (n - 18)
            f = self.pay_fields(**{k: v})
            body = self.refused(f, "1002")
            self.assertIn(k, body["errorMsg"])
        # the limits themselves pass
        self.pay(transactionId="b" * 64, echoParam="e" * 256)

    def test_bad_amounts(self):
        for a in ("0", "-1", "1.00", "010", "1e3", "1234567890123", "abc",
                  " 100", "100 ", "+5"):
            self.refused(self.pay_fields(amount=a), "1002")
        self.pay(amount="999999999999")

    def test_bad_currency(self):
        for c in ("hkd", "HK", "HKDD", "H1D", "USD"):   # USD not enabled
            self.refused(self.pay_fields(currency=c), "1002")
        self.pay(currency="CNY")

    def test_payer_and_order_info(self):
        good = {"paymentMethod": "wechat_jsapi", "sub_appid": TEST_APPID,
                "sub_openid": "oX"}
        bad = [
            "not json",
            json.dumps(good) + " x",
            json.dumps([good]),
            json.dumps(dict(good, paymentMethod="wechat_h5")),
            json.dumps(dict(good, sub_appid="wx0000000000000000")),
            json.dumps({k: v for k, v in good.items() if k != "sub_openid"}),
            json.dumps(dict(good, sub_openid=7)),
            json.dumps(dict(good, sub_openid="o<x>")),
        ]
        for p in bad:
            self.refused(self.pay_fields(payerInfo=p), "1002")
        for o in ("{}", '{"subject":""}', json.dumps({"subject": "s" * 129}),
                  "subject"):
            self.refused(self.pay_fields(orderInfo=o), "1002")

    def test_expiration_and_notify_url(self):
        for e in ("0", "21", "x", "-1"):
            self.refused(self.pay_fields(transactionExpirationTime=e),
                         "1002")
        for u in ("http://127.0.0.1/notify", "/notify", "https://",
                  "https://h/x#frag", "https://h/a b"):
            self.refused(self.pay_fields(notifyUrl=u), "1002")
        self.pay(transactionExpirationTime="1")
        self.pay(transactionExpirationTime=None)

    def test_strict_form(self):
        # an undocumented field, a blank value, a padded value, a wrong
        # merchant, a wrong version, an unknown transactionType
        self.refused(self.pay_fields(goodsInfo="x"), "1010")
        self.refused(self.pay_fields(echoParam=" x"), "1002")
        self.refused(self.pay_fields(merchantNo="999"), "1004")
        self.refused(self.pay_fields(version="2.0"), "1002")
        self.refused(self.pay_fields(transactionType="capture"), "1011")
        self.refused(self.pay_fields(appId="https://127.0.0.1"), "1002")
        # a field given twice
        f = self.pay_fields()
        f["signType"] = "MD5"
        f["sign"] = harness.useepay_sign_md5(f)
        body = harness.form_encode(f) + "&amount=1"
        r = self.stack.sim_request(
            "POST", "/api", body=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(r.json()["errorCode"], "1002")

    def test_reused_transaction_id_refused(self):
        f, body = self.pay()
        again = self.refused(self.pay_fields(tid=f["transactionId"]), "1005")
        self.assertEqual(again["transactionId"], f["transactionId"])
        # the first one is untouched
        q = self.query(f["transactionId"])
        self.assertEqual(json.loads(q["transactionInfo"])["amount"], "1000")

    # -- query --------------------------------------------------------------
    def query(self, tid=None, ref=None):
        f = {"version": "1.0", "merchantNo": TEST_MERCHANT,
             "transactionType": "query"}
        if tid:
            f["transactionId"] = tid
        if ref:
            f["reference"] = ref
        return self.api(f)

    def test_query_pending_then_paid(self):
        f, created = self.pay()
        q = self.query(f["transactionId"])
        self.assert_signed_md5(q)
        self.assertEqual(q["errorCode"], "0000")
        info = json.loads(q["transactionInfo"])
        self.assertEqual(info["resultCode"], "pending")
        self.assertEqual(info["transactionType"], "pay")
        self.assertEqual(info["reference"], created["reference"])
        self.stack.sim_control("pay", transactionId=f["transactionId"])
        info = json.loads(self.query(ref=created["reference"])
                          ["transactionInfo"])
        self.assertEqual(info["resultCode"], "succeed")
        self.assertEqual(info["errorCode"], "0000")
        self.assertEqual(info["transactionId"], f["transactionId"])

    def test_query_unknown(self):
        q = self.query(new_tid())
        self.assertEqual(q["resultCode"], "failed")
        self.assertEqual(q["errorCode"], "1006")
        self.assertNotIn("transactionInfo", q)
        self.assertEqual(self.query(ref="nope")["errorCode"], "1006")
        f = {"version": "1.0", "merchantNo": TEST_MERCHANT,
             "transactionType": "query"}
        self.assertEqual(self.api(f)["errorCode"], "1001")

    def test_query_expired_is_closed_3300(self):
        f, _ = self.pay()
        self.stack.sim_control("expire", transactionId=f["transactionId"])
        info = json.loads(self.query(f["transactionId"])["transactionInfo"])
        self.assertEqual(info["resultCode"], "closed")
        self.assertEqual(info["errorCode"], "3300")

    # -- refund -------------------------------------------------------------
    def refund(self, orig, amount, tid=None, **over):
        f = {"version": "1.0", "merchantNo": TEST_MERCHANT,
             "transactionType": "refund", "transactionId": tid or new_tid("R"),
             "originalTransactionId": orig, "amount": str(amount),
             "currency": "HKD",
             "notifyUrl": "https://127.0.0.1:%d/notify" %
             self.stack.shop_port}
        f.update(over)
        return f, self.api(f)

    def test_refund_rules(self):
        f, _ = self.pay(amount="1000")
        tid = f["transactionId"]
        # not paid yet
        _, b = self.refund(tid, 100)
        self.assertEqual(b["errorCode"], "1008")
        self.stack.sim_control("pay", transactionId=tid)
        _, b = self.refund(tid, 1001)
        self.assertEqual(b["errorCode"], "1007")
        _, b = self.refund(tid, 0)
        self.assertEqual(b["errorCode"], "1002")
        _, b = self.refund(tid, 100, currency="CNY")
        self.assertEqual(b["errorCode"], "1009")
        _, b = self.refund(new_tid(), 100)
        self.assertEqual(b["errorCode"], "1006")
        rf, b = self.refund(tid, 600, echoParam="r1")
        self.assert_signed_md5(b)
        self.assertEqual(b["errorCode"], "0000", b)
        self.assertEqual(b["resultCode"], "pending")
        self.assertEqual(b["originalTransactionId"], tid)
        self.assertTrue(b["reference"])
        # the refund id is a transactionId: never reused
        _, b2 = self.refund(tid, 100, tid=rf["transactionId"])
        self.assertEqual(b2["errorCode"], "1005")
        # 600 of 1000 refunded (pending counts): 401 is too much, 400 fits
        _, b = self.refund(tid, 401)
        self.assertEqual(b["errorCode"], "1007")
        _, b = self.refund(tid, 400)
        self.assertEqual(b["errorCode"], "0000")
        _, b = self.refund(tid, 1)
        self.assertEqual(b["errorCode"], "1007")
        # the refund settles (refund_delay_ms) and query says so
        harness.wait_for(lambda: json.loads(self.query(rf["transactionId"])
                                            ["transactionInfo"])
                         ["resultCode"] == "succeed", what="refund settled")
        info = json.loads(self.query(rf["transactionId"])["transactionInfo"])
        self.assertEqual(info["transactionType"], "refund")
        self.assertEqual(info["originalTransactionId"], tid)
        self.assertEqual(info["amount"], "600")
        refunds = self.stack.sim_json("/sim/api/refunds")["items"]
        self.assertIn(rf["transactionId"],
                      [x["transactionId"] for x in refunds])

    def test_failed_refund_gives_amount_back(self):
        f, _ = self.pay(amount="500")
        tid = f["transactionId"]
        self.stack.sim_control("pay", transactionId=tid)
        self.stack.sim_control("faults", refund_fail=True)
        try:
            rf, b = self.refund(tid, 500)
            self.assertEqual(b["errorCode"], "0000")
            harness.wait_for(lambda: json.loads(
                self.query(rf["transactionId"])["transactionInfo"])
                ["resultCode"] == "failed", what="refund failed")
        finally:
            self.stack.sim_control("reset")
        _, b = self.refund(tid, 500)
        self.assertEqual(b["errorCode"], "0000", b)


if __name__ == "__main__":
    harness.main()
