"""POST /pay against provider faults (issue 5, acceptance 2;
docs/protocol.md §4, the unknown-outcome rule: after a timeout or a
transport error, query and never re-create).

For each fault the simulator injects into the create call, what must hold:
  - the buyer never gets invocation parameters that were not verified;
  - the order ends in the provider's real state (asked with a query), not
    in a guess; the simulator holds at most one transaction for it (never
    a second create, also when the buyer taps again with the same key);
  - a provider business refusal makes the order FAILED with its code and
    answers 502 with a safe message (no provider text).
"""
import json
import secrets
import time

import harness
from test_pay import Buyer, PayTestBase

HTTP_TIMEOUT_MS = 2000


class PayFaultTest(PayTestBase):
    stack_kwargs = {"config": {"status_query_interval_sec": "1",
                               "useepay_expiration_min": "10",
                               "http_timeout_ms": str(HTTP_TIMEOUT_MS),
                               "useepay_pay_timeout_ms": str(HTTP_TIMEOUT_MS),
                               "useepay_query_timeout_ms":
                                   str(HTTP_TIMEOUT_MS)}}

    def pay_with_fault(self, **fault):
        b = Buyer(self.stack).login()
        self.stack.sim_control("faults", **fault)
        key = secrets.token_hex(16)
        r = b.pay([{"sku": "tea-oolong", "qty": 1}], key)
        self.assertNotEqual(r.status, 200, r)
        d = r.json()
        self.assertNotIn("jsapi", d)
        self.assertIn("orderNo", d, d)
        self.assertNotIn("Traceback", r.text)
        return b, key, r, d["orderNo"]

    def assert_no_second_create(self, b, key, no):
        """Tap again with the same key: same order, no new transaction."""
        n = len(self.sim_txns(no))
        orders = self.count_orders()
        r = b.pay([{"sku": "tea-oolong", "qty": 1}], key)
        self.assertNotEqual(r.status, 200, r)
        self.assertEqual(r.json()["orderNo"], no)
        self.assertEqual(len(self.sim_txns(no)), n)
        self.assertEqual(self.count_orders(), orders)

    def test_5xx_nothing_created(self):
        b, key, r, no = self.pay_with_fault(error_count=1, error_status=503,
                                            error_path="/api")
        # the provider answered 503 and holds nothing; its query refusal ("not
        # found", code table unknown: docs/protocol.md §8) is not proof, so
        # the order stays UNKNOWN for the reconciler; the buyer is told the
        # outcome is unknown
        self.assertEqual(r.status, 504, r)
        self.assertEqual(r.json()["error"], "payment_unknown")
        self.assertEqual(self.sim_txns(no), [])
        row = self.order_row(no)
        self.assertEqual(row["state"], "UNKNOWN")
        self.assertIsNone(row["jsapi"])
        self.assertIsNotNone(row["last_query_at"])
        time.sleep(1.1)
        self.assert_no_second_create(b, key, no)
        self.assertEqual(self.sim_txns(no), [])

    def test_hang_past_timeout_ends_in_real_state(self):
        t0 = time.monotonic()
        b, key, r, no = self.pay_with_fault(
            hang_count=1, hang_ms=HTTP_TIMEOUT_MS + 4000)
        self.assertLess(time.monotonic() - t0, 30)
        # created at the provider, answer lost: the query says pending
        self.assertIn(r.status, (409, 502, 504), r)
        row = self.order_row(no)
        self.assertEqual(row["state"], "PENDING", dict(row))
        self.assertIsNone(row["jsapi"])
        self.assertTrue(row["provider_ref"])
        self.assertEqual(len(self.sim_txns(no)), 1)
        # the provider closes it: the status poll follows the real state
        self.stack.sim_control("close", transactionId=no)
        self.stack.sim_control("faults", notify_drop_count=1)
        o = self.wait_state(b, no, ("CLOSED",))
        self.assertEqual(o["state"], "CLOSED")
        time.sleep(HTTP_TIMEOUT_MS / 1000.0 + 3)   # the hang is over
        self.assert_no_second_create(b, key, no)
        self.assertEqual(len(self.sim_txns(no)), 1)
        with self.db() as c:
            ev = [tuple(e) for e in c.execute(
                "SELECT source, old_state, new_state FROM order_events e "
                "JOIN orders o ON o.id = e.order_id WHERE o.order_no = ? "
                "ORDER BY e.id", (no,))]
        self.assertEqual(ev[0], ("pay", "CREATED", "UNKNOWN"))
        self.assertEqual(ev[1], ("query", "UNKNOWN", "PENDING"))

    def test_bad_signature_refused(self):
        b, key, r, no = self.pay_with_fault(bad_sign_count=1)
        row = self.order_row(no)
        # nothing from the forged answer is used: no parameters stored;
        # the real state comes from a (verified) query
        self.assertIsNone(row["jsapi"])
        self.assertEqual(row["state"], "PENDING")
        self.assertEqual(len(self.sim_txns(no)), 1)
        with self.db() as c:
            ev = [tuple(e) for e in c.execute(
                "SELECT source, new_state FROM order_events e JOIN orders o "
                "ON o.id = e.order_id WHERE o.order_no = ? ORDER BY e.id",
                (no,))]
        self.assertEqual(ev[0], ("pay", "UNKNOWN"))
        self.assertIn("verify", self.stack.log_text("h5payd").lower())
        self.assert_no_second_create(b, key, no)

    def test_malformed_json(self):
        b, key, r, no = self.pay_with_fault(malformed_count=1)
        row = self.order_row(no)
        self.assertIsNone(row["jsapi"])
        self.assertEqual(row["state"], "PENDING")
        self.assertEqual(len(self.sim_txns(no)), 1)
        self.assert_no_second_create(b, key, no)

    def test_new_key_after_a_fault_pays(self):
        # after a fault the buyer taps again with a new key: a new order
        # that works normally
        b, key, r, no = self.pay_with_fault(malformed_count=1)
        r2 = b.pay([{"sku": "tea-oolong", "qty": 1}])
        self.assertEqual(r2.status, 200, r2)
        self.assertNotEqual(r2.json()["orderNo"], no)
        self.assertEqual(len(self.sim_txns(r2.json()["orderNo"])), 1)


class PayRefusedTest(PayTestBase):
    # the simulator only accepts another registered domain: every create
    # is refused with a business error
    stack_kwargs = {"config": {"status_query_interval_sec": "1"},
                    "sim_config": {"shop_app_id": "shop.example.com"}}

    def test_business_failure(self):
        b = Buyer(self.stack).login()
        key = secrets.token_hex(16)
        r = b.pay([{"sku": "cup-celadon", "qty": 1}], key)
        self.assertEqual(r.status, 502, r)
        d = r.json()
        self.assertEqual(d["error"], "payment_refused")
        self.assertNotIn("appId", r.text)      # no provider text leaks
        self.assertNotIn("jsapi", d)
        row = self.order_row(d["orderNo"])
        self.assertEqual(row["state"], "FAILED")
        self.assertTrue(row["error_code"])
        self.assertTrue(row["error_msg"])
        self.assertEqual(self.sim_txns(d["orderNo"]), [])
        # the same key again: the same failed order, no new call
        r2 = b.pay([{"sku": "cup-celadon", "qty": 1}], key)
        self.assertEqual(r2.status, 502, r2)
        self.assertEqual(r2.json()["orderNo"], d["orderNo"])
        o = b.order(d["orderNo"]).json()
        self.assertEqual(o["state"], "FAILED")
        self.assertEqual(o["errorCode"], row["error_code"])


if __name__ == "__main__":
    harness.main()
