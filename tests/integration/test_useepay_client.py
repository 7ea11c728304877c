"""h5pay useepay pay|query|refund against a scripted gateway over real TLS.

The real libcurl client (CA from the config, peer + host verification) talks
to a small HTTPS server in this process that plays UseePay: it checks the
MD5 signature of every request independently (hashlib, not our code) and
answers per test. Checks the CLI's one-JSON-object output and exit status
(0 known outcome, 3 unknown), and the transport outcomes a payment client
relies on: wrong CA = nothing delivered, stall = unknown, oversize = too_big.
No h5payd, no nginx.
"""
import hashlib
import json
import os
import shutil
import ssl
import subprocess
import threading
import time
import unittest
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import harness

H5PAY = os.path.join(harness.BUILD, "h5pay")
KEY = harness.TEST_MD5_KEY


def md5_sign(fields):
    canon = "&".join("%s=%s" % (k, v) for k, v in sorted(fields.items())
                     if k != "sign" and v.strip() != "")
    return hashlib.md5((canon + "&pkey=" + KEY).encode()).hexdigest()


class Gateway(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    script = None           # callable(fields) -> (status, body bytes)
    seen = []

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(n).decode()
        pairs = urllib.parse.parse_qsl(raw, keep_blank_values=True,
                                       strict_parsing=True)
        fields = dict(pairs)
        Gateway.seen.append({
            "path": self.path, "ctype": self.headers.get("Content-Type"),
            "fields": fields, "keys": [k for k, _ in pairs],
            "sig_ok": fields.get("sign") == md5_sign(fields)})
        status, body = Gateway.script(fields)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def signed(d):
    d = dict(d, signType="MD5")
    d["sign"] = md5_sign(d)
    return json.dumps(d).encode()


REDIRECT = json.dumps({"appId": harness.TEST_APPID, "timeStamp": "1700000000",
                       "noceStr": "abc", "package": "prepay_id=wx1",
                       "signType": "RSA", "paySign": "c2ln+/="})


class UseepayClient(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = harness.Stack("useepay-client")
        cls.stack.make_certs()
        cls.other_ca = os.path.join(cls.stack.dir, "other-ca")
        subprocess.run([os.path.join(harness.SRC, "deploy", "local-ca.sh"),
                        cls.other_ca, "another CA"], check=True)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(os.path.join(cls.stack.certs, "server.pem"),
                            os.path.join(cls.stack.certs, "server.key"))
        cls.httpd = ThreadingHTTPServer(("127.0.0.1", cls.stack.sim_port),
                                        Gateway)
        cls.httpd.daemon_threads = True
        cls.httpd.socket = ctx.wrap_socket(cls.httpd.socket,
                                           server_side=True)
        cls.thread = threading.Thread(target=cls.httpd.serve_forever,
                                      daemon=True)
        cls.thread.start()

    @classmethod
    def tearDownClass(cls):
        cls.httpd.shutdown()
        cls.httpd.server_close()
        if os.environ.get("H5PAY_KEEP") is None:
            shutil.rmtree(cls.stack.dir, ignore_errors=True)

    def setUp(self):
        Gateway.seen = []

    def config(self, **extra):
        v = self.stack.config_values()
        v.update({k: str(x) for k, x in extra.items()})
        self.stack.write_config(v)
        return self.stack.cfg_path

    def run_cli(self, args, cfg=None):
        p = subprocess.run([H5PAY, "useepay"] + args[:1] +
                           ["-c", cfg or self.config()] + args[1:],
                           capture_output=True, text=True, timeout=120)
        lines = p.stdout.strip().splitlines()
        self.assertEqual(len(lines), 1, (p.stdout, p.stderr))
        return p.returncode, json.loads(lines[0])

    def test_pay_ok(self):
        Gateway.script = lambda f: (200, signed({
            "resultCode": "received", "errorCode": "0000",
            "errorMsg": "Approved", "reference": "1012401011200000001",
            "transactionId": f["transactionId"], "amount": f["amount"],
            "currency": f["currency"], "redirectParam": REDIRECT}))
        rc, out = self.run_cli(["pay", "--order", "ORD1", "--amount", "1000",
                                "--openid", "oAbCdEfGhIjKlMnOpQrStUvWxYz0",
                                "--subject", "Tea 1/2 kg"])
        self.assertEqual(rc, 0, out)
        self.assertEqual(out["outcome"], "ok")
        self.assertEqual(out["reference"], "1012401011200000001")
        self.assertEqual(out["jsapi"], {
            "appId": harness.TEST_APPID, "timeStamp": "1700000000",
            "nonceStr": "abc", "package": "prepay_id=wx1",
            "signType": "RSA", "paySign": "c2ln+/="})
        self.assertEqual(len(Gateway.seen), 1)
        req = Gateway.seen[0]
        self.assertEqual(req["path"], "/api")
        self.assertEqual(req["ctype"], "application/x-www-form-urlencoded")
        self.assertTrue(req["sig_ok"])
        self.assertEqual(req["keys"], [
            "transactionType", "version", "merchantNo", "transactionId",
            "transactionExpirationTime", "appId", "amount", "currency",
            "notifyUrl", "payerInfo", "orderInfo", "signType", "sign"])
        f = req["fields"]
        self.assertEqual(f["merchantNo"], harness.TEST_MERCHANT)
        self.assertEqual(f["appId"], "127.0.0.1")
        self.assertEqual(f["notifyUrl"],
                         "https://127.0.0.1:%d/notify" % self.stack.shop_port)
        self.assertEqual(json.loads(f["payerInfo"]), {
            "paymentMethod": "wechat_jsapi", "sub_appid": harness.TEST_APPID,
            "sub_openid": "oAbCdEfGhIjKlMnOpQrStUvWxYz0"})
        self.assertEqual(f["orderInfo"], '{"subject":"Tea 1/2 kg"}')

    def test_pay_refused_is_known(self):
        Gateway.script = lambda f: (200, signed({
            "resultCode": "failed", "errorCode": "1001",
            "errorMsg": "Merchant does not exist"}))
        rc, out = self.run_cli(["pay", "--order", "ORD2", "--amount", "5",
                                "--openid", "oAbC"])
        self.assertEqual(rc, 0, out)
        self.assertEqual(out["outcome"], "failed")
        self.assertEqual(out["errorCode"], "1001")
        self.assertIsNone(out["jsapi"])

    def test_bad_signature_is_unknown(self):
        def script(f):
            body = json.loads(signed({"resultCode": "pending",
                                      "errorCode": "0000"}))
            body["errorCode"] = "0001"       # after signing
            return 200, json.dumps(body).encode()
        Gateway.script = script
        rc, out = self.run_cli(["refund", "--refund", "RF1", "--order",
                                "ORD1", "--amount", "5"])
        self.assertEqual(rc, 3, out)
        self.assertEqual(out["outcome"], "bad_signature")

    def test_query_and_refund(self):
        info = json.dumps({"transactionId": "ORD1", "resultCode": "succeed",
                           "amount": "1000", "currency": "HKD",
                           "reference": "R1", "transactionType": "pay"})
        Gateway.script = lambda f: (200, signed(
            {"resultCode": "succeed", "errorCode": "0000",
             "transactionInfo": info} if f["transactionType"] == "query"
            else {"resultCode": "pending", "errorCode": "0000",
                  "reference": "R2"}))
        rc, out = self.run_cli(["query", "--order", "ORD1"])
        self.assertEqual(rc, 0, out)
        self.assertEqual(out["outcome"], "ok")
        self.assertEqual(out["transaction"]["status"], "succeed")
        self.assertEqual(out["transaction"]["amount"], 1000)
        rc, out = self.run_cli(["refund", "--refund", "RF1", "--order",
                                "ORD1", "--amount", "400"])
        self.assertEqual(rc, 0, out)
        self.assertEqual(out["outcome"], "ok")
        self.assertEqual(out["status"], "pending")
        self.assertEqual(out["reference"], "R2")
        self.assertEqual(Gateway.seen[1]["fields"]["originalTransactionId"],
                         "ORD1")
        self.assertTrue(all(s["sig_ok"] for s in Gateway.seen))

    def test_untrusted_certificate_delivers_nothing(self):
        Gateway.script = lambda f: (200, signed({"errorCode": "0000"}))
        cfg = self.config(http_ca_file=os.path.join(self.other_ca, "ca.pem"))
        rc, out = self.run_cli(["query", "--order", "ORD1"], cfg=cfg)
        self.assertEqual(rc, 3, out)
        self.assertEqual(out["outcome"], "malformed")    # E_UPSTREAM
        self.assertEqual(Gateway.seen, [])

    def test_stall_is_unknown(self):
        def script(f):
            time.sleep(4)
            return 200, signed({"errorCode": "0000"})
        Gateway.script = script
        # issue 10 item 7: the pay call's own timeout, not http_timeout_ms
        cfg = self.config(useepay_pay_timeout_ms=1000)
        t0 = time.monotonic()
        rc, out = self.run_cli(["pay", "--order", "ORD3", "--amount", "5",
                                "--openid", "oAbC"], cfg=cfg)
        self.assertEqual(rc, 3, out)
        self.assertEqual(out["outcome"], "unknown")
        self.assertLess(time.monotonic() - t0, 3.5)
        # the same stall within the query's own (longer) timeout answers
        cfg = self.config(useepay_pay_timeout_ms=1000,
                          useepay_query_timeout_ms=8000, http_timeout_ms=1000)
        rc, out = self.run_cli(["query", "--order", "ORD3"], cfg=cfg)
        self.assertEqual(rc, 0, out)

    def test_oversize_answer(self):
        Gateway.script = lambda f: (200, signed({"errorCode": "0000",
                                                 "pad": "x" * 5000}))
        cfg = self.config(http_max_response_bytes=1024)
        rc, out = self.run_cli(["query", "--order", "ORD1"], cfg=cfg)
        self.assertEqual(rc, 3, out)
        self.assertEqual(out["outcome"], "too_big")


if __name__ == "__main__":
    unittest.main()
