"""h5pay-sim's payer (docs/protocol.md §W2): /sim/jsbridge.js, the checks of
the six getBrandWCPayRequest parameters, the sheet's Pay / Cancel / Fail,
CORS for the shop origin only."""
import json
import os
import uuid

import harness
from harness import TEST_APPID, TEST_MERCHANT


class SimPayerTest(harness.StackTest):
    stack_kwargs = {"sim_config": {"currencies": "HKD,JPY,KWD",
                                   "merchant_name": "Demo <Shop>"},
                    "nginx_extra": """location = /simtest/page.html {
			default_type text/html;
			include h5pay/security_headers.conf;
			return 200 "<html><head><title>t</title></head><body>x</body></html>";
		}"""}

    def create(self, amount="1050", currency="HKD"):
        tid = "P" + uuid.uuid4().hex[:20]
        f = {"version": "1.0", "merchantNo": TEST_MERCHANT,
             "transactionType": "pay", "transactionId": tid,
             "appId": "127.0.0.1", "amount": amount, "currency": currency,
             "notifyUrl": "https://127.0.0.1:%d/notify" %
             self.stack.shop_port,
             "payerInfo": json.dumps({"paymentMethod": "wechat_jsapi",
                                      "sub_appid": TEST_APPID,
                                      "sub_openid": "oPayer"}),
             "orderInfo": json.dumps({"subject": "<i>Green</i> tea"})}
        body = self.stack.sim_api(f).json()
        self.assertEqual(body["errorCode"], "0000", body)
        rp = json.loads(body["redirectParam"])
        # what the shop page hands WeixinJSBridge (docs/protocol.md §4)
        params = {"appId": rp["appId"], "timeStamp": rp["timeStamp"],
                  "nonceStr": rp["noceStr"], "package": rp["package"],
                  "signType": rp["signType"], "paySign": rp["paySign"]}
        return tid, params

    def post(self, path, body, origin=None):
        h = {}
        if origin:
            h["Origin"] = origin
        return self.stack.sim_request("POST", path, body=body, headers=h)

    def check(self, params, origin=None):
        r = self.post("/sim/pay/check", params, origin)
        self.assertEqual(r.status, 200, r)
        return r.json()

    def confirm(self, params, action):
        r = self.post("/sim/pay/confirm", {"action": action,
                                           "params": params})
        self.assertEqual(r.status, 200, r)
        return r.json()["err_msg"]

    def status(self, tid):
        for t in self.stack.sim_json("/sim/api/transactions")["items"]:
            if t["transactionId"] == tid:
                return t["resultCode"]

    def test_script(self):
        r = self.stack.sim_request("GET", "/sim/jsbridge.js")
        self.assertEqual(r.status, 200)
        self.assertTrue(r.header("Content-Type").startswith(
            "application/javascript"))
        js = r.text
        for s in ("WeixinJSBridge", "getBrandWCPayRequest",
                  "WeixinJSBridgeReady", "textContent", "/sim/pay/check",
                  "get_brand_wcpay_request:"):
            self.assertIn(s, js)
        self.assertNotIn("innerHTML", js)
        self.assertNotIn("eval(", js)

    def test_sheet_and_pay(self):
        tid, p = self.create()
        c = self.check(p)
        self.assertTrue(c["ok"], c)
        self.assertEqual(c["merchant"], "Demo <Shop>")
        self.assertEqual(c["subject"], "<i>Green</i> tea")
        self.assertEqual(c["amountText"], "HKD 10.50")
        self.assertEqual(self.confirm(p, "cancel"),
                         "get_brand_wcpay_request:cancel")
        self.assertEqual(self.confirm(p, "fail"),
                         "get_brand_wcpay_request:fail")
        self.assertEqual(self.status(tid), "pending")
        self.assertEqual(self.confirm(p, "pay"), "get_brand_wcpay_request:ok")
        self.assertEqual(self.status(tid), "succeed")
        # a notification is queued for the paid order
        harness.wait_for(lambda: any(
            n["transactionId"] == tid for n in
            self.stack.sim_json("/sim/api/notifications")["items"]),
            what="notification queued")
        # paid: the sheet no longer opens
        c = self.check(p)
        self.assertFalse(c["ok"])
        self.assertTrue(c["err_msg"].startswith(
            "get_brand_wcpay_request:fail"))

    def test_amount_exponents(self):
        _, p = self.create(amount="1050", currency="JPY")
        self.assertEqual(self.check(p)["amountText"], "JPY 1050")
        _, p = self.create(amount="1050", currency="KWD")
        self.assertEqual(self.check(p)["amountText"], "KWD 1.050")

    def test_parameters_checked(self):
        tid, p = self.create()
        fail = "get_brand_wcpay_request:fail"
        bad = [
            dict(p, timeStamp=int(p["timeStamp"])),        # not a string
            {k: v for k, v in p.items() if k != "nonceStr"},
            dict(p, extra="x"),
            dict({k: v for k, v in p.items() if k != "timeStamp"},
                 timestamp=p["timeStamp"]),                 # case matters
            dict(p, signType="MD5"),
            dict(p, appId="wx0000000000000000"),
            dict(p, package=p["package"][len("prepay_id="):]),
        ]
        for b in bad:
            c = self.check(b)
            self.assertFalse(c["ok"], b)
            self.assertTrue(c["err_msg"].startswith(fail), c)
            self.assertEqual(self.confirm(b, "pay").split(":")[1][:4],
                             "fail")
        # a tampered signature
        sig = p["paySign"]
        c = self.check(dict(p, paySign=("A" if sig[0] != "A" else "B") +
                            sig[1:]))
        self.assertEqual(c["err_msg"],
                         "get_brand_wcpay_request:fail_invalid signature")
        # well signed (with the sim's own key), but an unknown prepay id
        pkg = "prepay_id=wx_unknown"
        msg = "%s\n%s\n%s\n%s\n" % (p["appId"], p["timeStamp"],
                                     p["nonceStr"], pkg)
        key = os.path.join(self.stack.dir, "simkeys", "wechat_key.pem")
        forged = dict(p, package=pkg, paySign=harness.rsa_sign(msg, key))
        self.assertFalse(self.check(forged)["ok"])
        self.assertEqual(self.status(tid), "pending")

    def test_expired_order_not_payable(self):
        tid, p = self.create()
        self.stack.sim_control("expire", transactionId=tid)
        self.assertFalse(self.check(p)["ok"])
        self.assertTrue(self.confirm(p, "pay").startswith(
            "get_brand_wcpay_request:fail"))

    def test_cors_for_the_shop_origin_only(self):
        _, p = self.create()
        shop = "https://127.0.0.1:%d" % self.stack.shop_port
        r = self.post("/sim/pay/check", p, origin=shop)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header("Access-Control-Allow-Origin"), shop)
        r = self.post("/sim/pay/check", p, origin="https://evil.example")
        self.assertEqual(r.status, 403)
        self.assertIsNone(r.header("Access-Control-Allow-Origin"))
        r = self.stack.sim_request("OPTIONS", "/sim/pay/confirm", headers={
            "Origin": shop, "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type"})
        self.assertEqual(r.status, 204)
        self.assertEqual(r.header("Access-Control-Allow-Origin"), shop)
        self.assertIn("Content-Type",
                      r.header("Access-Control-Allow-Headers"))

    def test_shop_pages_get_the_bridge(self):
        # the demo/test nginx injects the script into the shop's HTML
        # (sub_filter in @SHOP_EXTRA@); the CSP lets it load and connect
        r = self.stack.get("/simtest/page.html")
        self.assertEqual(r.status, 200)
        self.assertIn('<script src="%s/sim/jsbridge.js"></script></head>'
                      % self.stack.sim_origin(), r.text)
        csp = r.header("Content-Security-Policy")
        self.assertIn("script-src 'self' " + self.stack.sim_origin(), csp)
        self.assertIn("connect-src 'self' " + self.stack.sim_origin(), csp)

if __name__ == "__main__":
    harness.main()
