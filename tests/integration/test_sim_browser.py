"""h5pay-sim's WeixinJSBridge in a real browser (headless Chromium): a
page on the shop origin, under the shop's CSP, gets the bridge injected
by nginx, waits for WeixinJSBridgeReady, invokes getBrandWCPayRequest
with what the gateway returned; the sheet shows merchant and amount, its
buttons give the real err_msg values and Pay marks the order paid."""
import json
import os
import shutil
import subprocess
import tempfile
import unittest
import urllib.parse
import uuid

import harness
from harness import TEST_APPID, TEST_MERCHANT

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>checkout</title></head>
<body><p id="sheet">no sheet</p><p id="out">pending</p>
<script src="/simtest/drive.js"></script></body></html>
"""

# No inline script: the shop's CSP forbids it, as in production.
DRIVE = r"""(function () {
  'use strict';
  function go() {
    var p = JSON.parse(decodeURIComponent(location.hash.slice(1)));
    var action = p.__action;
    delete p.__action;
    WeixinJSBridge.invoke('getBrandWCPayRequest', p, function (res) {
      document.getElementById('out').textContent = 'RESULT:' + res.err_msg;
    });
    var tries = 0;
    var t = setInterval(function () {
      var s = document.getElementById('h5pay-sim-sheet');
      if (s) {
        document.getElementById('sheet').textContent = 'SHEET:' +
          s.querySelector('.sim-merchant').textContent + '|' +
          s.querySelector('.sim-amount').textContent;
        clearInterval(t);
        s.querySelector('.sim-' + action).click();
      }
      if (++tries > 250) { clearInterval(t); }
    }, 20);
  }
  if (typeof WeixinJSBridge === 'undefined') {
    document.addEventListener('WeixinJSBridgeReady', go, false);
  } else { go(); }
})();
"""


@unittest.skipIf(CHROMIUM is None, "chromium is not installed")
class SimBrowserTest(harness.StackTest):

    @classmethod
    def setUpClass(cls):
        st = harness.Stack(cls.__name__,
                           sim_config={"merchant_name": "Browser Shop"})
        web = os.path.join(st.dir, "simtest")
        os.makedirs(web)
        with open(os.path.join(web, "page.html"), "w") as f:
            f.write(PAGE)
        with open(os.path.join(web, "drive.js"), "w") as f:
            f.write(DRIVE)
        st.nginx_extra = """location /simtest/ {
			alias %s/;
			include h5pay/security_headers.conf;
		}""" % web
        cls.stack = st.start()

    def create(self):
        tid = "B" + uuid.uuid4().hex[:20]
        f = {"version": "1.0", "merchantNo": TEST_MERCHANT,
             "transactionType": "pay", "transactionId": tid,
             "appId": "127.0.0.1", "amount": "2599", "currency": "HKD",
             "notifyUrl": "https://127.0.0.1:%d/notify" %
             self.stack.shop_port,
             "payerInfo": json.dumps({"paymentMethod": "wechat_jsapi",
                                      "sub_appid": TEST_APPID,
                                      "sub_openid": "oBrowser"}),
             "orderInfo": json.dumps({"subject": "Browser tea"})}
        rp = json.loads(self.stack.sim_api(f).json()["redirectParam"])
        return tid, {"appId": rp["appId"], "timeStamp": rp["timeStamp"],
                     "nonceStr": rp["noceStr"], "package": rp["package"],
                     "signType": rp["signType"], "paySign": rp["paySign"]}

    def run_page(self, params, action):
        p = dict(params, __action=action)
        url = "https://127.0.0.1:%d/simtest/page.html#%s" % (
            self.stack.shop_port, urllib.parse.quote(json.dumps(p)))
        prof = tempfile.mkdtemp(prefix="h5pay-chromium-")
        try:
            r = subprocess.run(
                [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking",
                 "--disable-component-update", "--disable-sync",
                 "--no-first-run", "--user-data-dir=" + prof,
                 # the local test CA is not in Chromium's store
                 "--ignore-certificate-errors",
                 "--user-agent=Mozilla/5.0 MicroMessenger/8.0.47",
                 "--virtual-time-budget=15000", "--dump-dom", url],
                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                timeout=120)
        finally:
            shutil.rmtree(prof, ignore_errors=True)
        return r.stdout.decode("utf-8", "replace")

    def status(self, tid):
        for t in self.stack.sim_json("/sim/api/transactions")["items"]:
            if t["transactionId"] == tid:
                return t["resultCode"]

    def test_cancel_then_pay(self):
        tid, p = self.create()
        dom = self.run_page(p, "cancel")
        self.assertIn("SHEET:Browser Shop|HKD 25.99", dom)
        self.assertIn("RESULT:get_brand_wcpay_request:cancel", dom)
        self.assertEqual(self.status(tid), "pending")
        dom = self.run_page(p, "pay")
        self.assertIn("RESULT:get_brand_wcpay_request:ok", dom)
        self.assertEqual(self.status(tid), "succeed")

    def test_bad_params_fail_without_sheet(self):
        tid, p = self.create()
        p["timeStamp"] = int(p["timeStamp"])      # a number, not a string
        dom = self.run_page(p, "pay")
        self.assertIn("no sheet", dom)
        self.assertIn("RESULT:get_brand_wcpay_request:fail", dom)
        self.assertEqual(self.status(tid), "pending")


if __name__ == "__main__":
    harness.main()
