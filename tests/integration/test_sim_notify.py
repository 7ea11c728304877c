"""h5pay-sim's notifications (docs/protocol.md §5): signed form POSTs to
notifyUrl over verified TLS, UseePay's retry schedule (scaled), expiry
(closed / 3300), refund notifications, and the notification faults."""
import http.server
import json
import os
import ssl
import subprocess
import threading
import time
import urllib.parse
import uuid

import harness
from harness import TEST_APPID, TEST_MERCHANT


class Receiver:
    """A small HTTPS server standing in for the shop's /notify: records
    every POST; answers the statuses scripted per transactionId (then
    200)."""

    def __init__(self, certdir):
        self.got = []
        self.script = {}
        self.lock = threading.Lock()
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n).decode("utf-8")
                fields = dict(urllib.parse.parse_qsl(
                    body, keep_blank_values=True, strict_parsing=True))
                with outer.lock:
                    outer.got.append({"path": self.path, "body": body,
                                      "fields": fields,
                                      "ctype": self.headers.get(
                                          "Content-Type")})
                    todo = outer.script.get(fields.get("transactionId"), [])
                    status = todo.pop(0) if todo else 200
                text = b"OK" if status == 200 else b"busy"
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(text)))
                self.end_headers()
                self.wfile.write(text)

            def log_message(self, *a):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(os.path.join(certdir, "server.pem"),
                            os.path.join(certdir, "server.key"))
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket,
                                            server_side=True)
        self.port = self.httpd.server_address[1]
        self.url = "https://127.0.0.1:%d/notify" % self.port
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       daemon=True)
        self.thread.start()

    def for_tid(self, tid):
        with self.lock:
            return [g for g in self.got
                    if g["fields"].get("transactionId") == tid]

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def new_tid(p="N"):
    return p + uuid.uuid4().hex[:20]


class SimNotifyTest(harness.StackTest):
    # one retry "minute" lasts 20 ms: the whole schedule takes ~3 s
    stack_kwargs = {"sim_config": {"notify_minute_ms": "20",
                                   "refund_delay_ms": "50"}}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rx = Receiver(cls.stack.certs)
        other = os.path.join(cls.stack.dir, "other-ca")
        subprocess.run([os.path.join(harness.SRC, "deploy", "local-ca.sh"),
                        other, "another test CA"], check=True)
        cls.rx_other = Receiver(other)

    @classmethod
    def tearDownClass(cls):
        cls.rx.stop()
        cls.rx_other.stop()
        super().tearDownClass()

    def tearDown(self):
        self.stack.sim_control("reset")

    def create(self, url=None, sign="MD5", amount="1000"):
        tid = new_tid()
        f = {"version": "1.0", "merchantNo": TEST_MERCHANT,
             "transactionType": "pay", "transactionId": tid,
             "appId": "127.0.0.1", "amount": amount, "currency": "HKD",
             "notifyUrl": url or self.rx.url, "echoParam": "e-" + tid,
             "payerInfo": json.dumps({"paymentMethod": "wechat_jsapi",
                                      "sub_appid": TEST_APPID,
                                      "sub_openid": "oNotify"}),
             "orderInfo": json.dumps({"subject": "Notify test"})}
        r = self.stack.sim_api(f, sign=sign)
        self.assertEqual(r.json()["errorCode"], "0000", r)
        return tid

    def notif(self, tid):
        return [n for n in
                self.stack.sim_json("/sim/api/notifications")["items"]
                if n["transactionId"] == tid]

    def wait_state(self, tid, state, count=1):
        harness.wait_for(lambda: len(self.notif(tid)) >= count and
                         all(n["state"] == state for n in self.notif(tid)),
                         timeout=30, what="notification %s" % state)
        return self.notif(tid)

    def assert_md5(self, fields):
        self.assertEqual(fields["signType"], "MD5")
        self.assertEqual(fields["sign"], harness.useepay_sign_md5(fields))

    def test_paid_notification_signed_and_acknowledged(self):
        tid = self.create()
        self.stack.sim_control("pay", transactionId=tid)
        n = self.wait_state(tid, "delivered")[0]
        got = self.rx.for_tid(tid)
        self.assertEqual(len(got), 1)
        g = got[0]
        self.assertEqual(g["path"], "/notify")
        self.assertEqual(g["ctype"], "application/x-www-form-urlencoded")
        f = g["fields"]
        self.assert_md5(f)
        self.assertEqual(f["transactionType"], "pay")
        self.assertEqual(f["resultCode"], "succeed")
        self.assertEqual(f["errorCode"], "0000")
        self.assertEqual(f["amount"], "1000")
        self.assertEqual(f["currency"], "HKD")
        self.assertEqual(f["merchantNo"], TEST_MERCHANT)
        self.assertEqual(f["echoParam"], "e-" + tid)
        self.assertEqual(f["version"], "1.0")
        self.assertTrue(f["reference"])
        self.assertEqual(len(n["tries"]), 1)
        self.assertEqual(n["tries"][0]["status"], 200)
        self.assertEqual(n["tries"][0]["body"], "OK")

    def test_rsa_notification(self):
        tid = self.create(sign="RSA")
        self.stack.sim_control("pay", transactionId=tid)
        self.wait_state(tid, "delivered")
        f = self.rx.for_tid(tid)[0]["fields"]
        self.assertEqual(f["signType"], "RSA")
        pub = os.path.join(harness.VECTORS, "provider_test_pub.pem")
        self.assertTrue(harness.rsa_verify(harness.useepay_canonical(f),
                                           f["sign"], pub))

    def test_non_200_retried_until_200(self):
        tid = self.create()
        self.rx.script[tid] = [500, 503, 404]
        self.stack.sim_control("pay", transactionId=tid)
        n = self.wait_state(tid, "delivered")[0]
        self.assertEqual([t["status"] for t in n["tries"]],
                         [500, 503, 404, 200])
        self.assertEqual([t["body"] for t in n["tries"]],
                         ["busy", "busy", "busy", "OK"])
        got = self.rx.for_tid(tid)
        self.assertEqual(len(got), 4)
        self.assertEqual(len({g["body"] for g in got}), 1)   # same message
        # spaced by the schedule: 1, 3, 5 "minutes" of 20 ms
        at = [t["atMs"] for t in n["tries"]]
        self.assertGreaterEqual(at[1] - at[0], 20)
        self.assertGreaterEqual(at[2] - at[1], 60)
        self.assertGreaterEqual(at[3] - at[2], 100)

    def test_gives_up_after_eight_retries(self):
        tid = self.create()
        self.rx.script[tid] = [500] * 20
        self.stack.sim_control("pay", transactionId=tid)
        n = self.wait_state(tid, "failed")[0]
        self.assertEqual(len(n["tries"]), 9)
        time.sleep(0.3)
        self.assertEqual(len(self.rx.for_tid(tid)), 9)

    def test_expired_unpaid_closed_3300(self):
        tid = self.create()
        self.stack.sim_control("expire", transactionId=tid)
        self.wait_state(tid, "delivered")
        f = self.rx.for_tid(tid)[0]["fields"]
        self.assert_md5(f)
        self.assertEqual(f["resultCode"], "closed")
        self.assertEqual(f["errorCode"], "3300")
        # a closed order can no longer be paid
        r = self.stack.sim_request("POST", "/sim/control", body={
            "action": "pay", "transactionId": tid})
        self.assertEqual(r.status, 409)

    def refund(self, tid, amount, rid=None):
        rid = rid or new_tid("R")
        f = {"version": "1.0", "merchantNo": TEST_MERCHANT,
             "transactionType": "refund", "transactionId": rid,
             "originalTransactionId": tid, "amount": str(amount),
             "currency": "HKD", "notifyUrl": self.rx.url}
        r = self.stack.sim_api(f)
        return rid, r.json()

    def test_refund_notification(self):
        tid = self.create()
        self.stack.sim_control("pay", transactionId=tid)
        self.wait_state(tid, "delivered")
        rid, b = self.refund(tid, 250)
        self.assertEqual(b["resultCode"], "pending")
        self.wait_state(rid, "delivered")
        f = self.rx.for_tid(rid)[0]["fields"]
        self.assert_md5(f)
        self.assertEqual(f["transactionType"], "refund")
        self.assertEqual(f["originalTransactionId"], tid)
        self.assertEqual(f["resultCode"], "succeed")
        self.assertEqual(f["errorCode"], "0000")
        self.assertEqual(f["amount"], "250")

    def test_untrusted_certificate_not_delivered(self):
        # the receiver's certificate comes from another CA: the sim's
        # notifier verifies against http_ca_file and refuses it
        tid = self.create(url=self.rx_other.url)
        self.stack.sim_control("pay", transactionId=tid)
        harness.wait_for(lambda: self.notif(tid) and
                         self.notif(tid)[0]["tries"], what="attempt")
        t = self.notif(tid)[0]["tries"][0]
        self.assertEqual(t["status"], 0)
        self.assertTrue(t["error"])
        self.assertEqual(self.rx_other.got, [])

    # -- faults -----------------------------------------------------------
    def test_duplicate_notifications(self):
        self.stack.sim_control("faults", notify_duplicate=True)
        tid = self.create()
        self.stack.sim_control("pay", transactionId=tid)
        harness.wait_for(lambda: len(self.rx.for_tid(tid)) == 2,
                         what="two deliveries")
        got = self.rx.for_tid(tid)
        self.assertEqual(got[0]["body"], got[1]["body"])

    def test_dropped_notification(self):
        self.stack.sim_control("faults", notify_drop_count=1)
        tid = self.create()
        self.stack.sim_control("pay", transactionId=tid)
        n = self.wait_state(tid, "dropped")[0]
        self.assertEqual(n["tries"][0]["status"], 0)
        time.sleep(0.3)
        self.assertEqual(self.rx.for_tid(tid), [])
        # only the next one was dropped
        tid2 = self.create()
        self.stack.sim_control("pay", transactionId=tid2)
        self.wait_state(tid2, "delivered")

    def test_bad_signature_notification(self):
        self.stack.sim_control("faults", notify_bad_sign_count=1)
        tid = self.create()
        self.stack.sim_control("pay", transactionId=tid)
        harness.wait_for(lambda: self.rx.for_tid(tid), what="delivery")
        f = self.rx.for_tid(tid)[0]["fields"]
        self.assertNotEqual(f["sign"], harness.useepay_sign_md5(f))

    def test_out_of_order(self):
        self.stack.sim_control("faults", notify_out_of_order=True)
        a = self.create()
        b = self.create()
        self.stack.sim_control("pay", transactionId=a)
        time.sleep(0.3)
        self.assertEqual(self.rx.for_tid(a), [])     # held
        self.stack.sim_control("pay", transactionId=b)
        harness.wait_for(lambda: self.rx.for_tid(a) and self.rx.for_tid(b),
                         what="both delivered")
        with self.rx.lock:
            order = [g["fields"]["transactionId"] for g in self.rx.got
                     if g["fields"]["transactionId"] in (a, b)]
        self.assertEqual(order, [b, a])

    def test_notification_before_the_answer(self):
        tid = self.create()
        self.stack.sim_control("pay", transactionId=tid)
        self.wait_state(tid, "delivered")
        self.stack.sim_control("faults", notify_first=True)
        rid, b = self.refund(tid, 100)
        self.assertEqual(b["errorCode"], "0000")
        self.assertEqual(b["resultCode"], "pending")
        # already there when the synchronous answer arrived
        got = self.rx.for_tid(rid)
        self.assertEqual(len(got), 1)
        self.assertEqual(got[0]["fields"]["resultCode"], "succeed")


if __name__ == "__main__":
    harness.main()
