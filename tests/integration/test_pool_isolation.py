"""Two pools (issue 6, acceptance 6; issue 2 "two pools on two sockets"):
with the provider hanging on order creation and every web worker stuck in
/pay, UseePay's notifications are still answered at once by the notify pool.
"""
import hashlib
import sqlite3
import threading
import time
import urllib.parse

import harness
from test_pay import Buyer

HANG_MS = 6000


def signed_notify(order_no, amount):
    f = {"version": "1.0", "merchantNo": harness.TEST_MERCHANT,
         "transactionId": order_no, "reference": "R" + order_no,
         "transactionType": "pay", "amount": str(amount), "currency": "HKD",
         "resultCode": "succeed", "errorCode": "0000",
         "errorMsg": "Approved", "signType": "MD5"}
    canon = "&".join("%s=%s" % kv for kv in sorted(f.items()))
    f["sign"] = hashlib.md5((canon + "&pkey=" + harness.TEST_MD5_KEY)
                            .encode()).hexdigest()
    return urllib.parse.urlencode(f)


class TestPoolIsolation(harness.StackTest):
    stack_kwargs = {"web_workers": 1, "web_threads": 3,
                    "config": {"http_timeout_ms": str(HANG_MS + 4000),
                               "useepay_pay_timeout_ms": str(HANG_MS + 4000),
                               "useepay_query_timeout_ms":
                                   str(HANG_MS + 4000),
                               "reconcile_interval_sec": "0"}}

    def test_notify_answers_while_web_pool_is_stuck(self):
        s = self.stack
        s.seed_demo()
        buyers = [Buyer(s).login() for _ in range(6)]
        now = int(time.time())
        nos = ["ISO%05d" % i for i in range(5)]
        with harness.db_connect(s, timeout=30) as c:
            c.executemany(
                "INSERT INTO orders (order_no, openid, appid, amount, "
                "currency, subject, state, expires_at, created_at, "
                "updated_at, next_check_at) VALUES (?, 'oIsolation01', ?, "
                "1000, 'HKD', 'isolation', 'PENDING', ?, ?, ?, ?)",
                [(no, harness.TEST_APPID, now + 900, now, now, now + 900)
                 for no in nos])
        s.sim_control("faults", hang_count=100, hang_ms=HANG_MS)

        results = []

        def pay(b):
            r = b.pay([{"sku": "tea-oolong", "qty": 1}], timeout=60)
            results.append(r.status)

        threads = [threading.Thread(target=pay, args=(b,)) for b in buyers]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        # the web pool is saturated: it cannot answer its own health check
        time.sleep(1.0)
        with self.assertRaises(OSError):
            s.get("/healthz", timeout=1.5)
        self.assertLess(time.monotonic() - t0, HANG_MS / 1000.0,
                        "the web pool was not stuck long enough to test")
        for no in nos:
            t1 = time.monotonic()
            r = s.post("/notify", body=signed_notify(no, 1000), headers={
                "Content-Type": "application/x-www-form-urlencoded"},
                timeout=5)
            elapsed = time.monotonic() - t1
            self.assertEqual((r.status, r.text), (200, "OK"))
            self.assertLess(elapsed, 1.0)
        self.assertLess(time.monotonic() - t0, HANG_MS / 1000.0,
                        "notifications were answered only after the hang")
        for t in threads:
            t.join(timeout=60)
        with harness.db_connect(s) as c:
            paid = c.execute("SELECT count(*) FROM orders WHERE order_no "
                             "LIKE 'ISO%' AND state = 'PAID'").fetchone()[0]
        self.assertEqual(paid, len(nos))
        self.assertEqual(len(results), len(buyers))


if __name__ == "__main__":
    harness.main()
