"""Acceptance (issue 3, item 4): h5payd's UseePay client (the `h5pay
useepay` CLI, same code and libcurl client as h5payd) against h5pay-sim
over real TLS through nginx: pay, query, refund succeed in MD5 and RSA
mode; a server certificate from another CA is refused; the sim refuses
what the real gateway would (a wrong key); the client sees the sim's
faults as the outcomes it must handle."""
import json
import os
import shutil
import subprocess
import time
import uuid

import harness
from harness import TEST_APPID


def new_no(p="A"):
    return p + uuid.uuid4().hex[:20]


class ClientMixin:
    def cli(self, *args, cfg=None):
        p = subprocess.run([os.path.join(harness.BUILD, "h5pay"), "useepay",
                            args[0], "-c", cfg or self.stack.cfg_path] +
                           list(args[1:]), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=120)
        try:
            out = json.loads(p.stdout.decode())
        except ValueError:
            raise AssertionError("not JSON: %r / %r" % (p.stdout, p.stderr))
        return p.returncode, out

    def pay(self, order, amount=1000, cfg=None):
        return self.cli("pay", "--order", order, "--amount", str(amount),
                        "--openid", "oAccept_1", "--subject", "Tea & cake",
                        cfg=cfg)

    def sim_txn(self, order):
        for t in self.stack.sim_json("/sim/api/transactions")["items"]:
            if t["transactionId"] == order:
                return t
        return None

    def full_cycle(self):
        order = new_no()
        rc, out = self.pay(order)
        self.assertEqual(rc, 0, out)
        self.assertEqual(out["outcome"], "ok", out)
        js = out["jsapi"]
        self.assertEqual(js["appId"], TEST_APPID)
        self.assertEqual(js["signType"], "RSA")
        self.assertTrue(js["package"].startswith("prepay_id="))
        self.assertTrue(js["nonceStr"])
        t = self.sim_txn(order)
        self.assertEqual(t["amount"], 1000)
        self.assertEqual(t["subject"], "Tea & cake")
        self.assertEqual(t["subOpenid"], "oAccept_1")

        rc, out = self.cli("query", "--order", order)
        self.assertEqual((rc, out["outcome"]), (0, "ok"), out)
        self.assertEqual(out["transaction"]["resultCode"], "pending")

        # the payer pays in the sheet (here: the sim's control)
        self.stack.sim_control("pay", transactionId=order)
        rc, out = self.cli("query", "--order", order)
        self.assertEqual(out["transaction"]["resultCode"], "succeed", out)
        self.assertEqual(out["transaction"]["amount"], 1000)

        refund = new_no("R")
        rc, out = self.cli("refund", "--refund", refund, "--order", order,
                           "--amount", "400")
        self.assertEqual((rc, out["outcome"]), (0, "ok"), out)
        self.assertEqual(out["resultCode"], "pending")
        # more than what is left is refused by the sim
        rc, out = self.cli("refund", "--refund", new_no("R"), "--order",
                           order, "--amount", "601")
        self.assertEqual((rc, out["outcome"]), (0, "failed"), out)
        self.assertEqual(out["errorCode"], "1007")
        harness.wait_for(lambda: self.cli("query", "--order", refund)[1]
                         ["transaction"]["resultCode"] == "succeed",
                         what="refund succeeded")
        rc, out = self.cli("query", "--order", refund)
        self.assertEqual(out["transaction"]["transactionType"], "refund")
        self.assertEqual(out["transaction"]["originalTransactionId"], order)


class AcceptanceMD5(ClientMixin, harness.StackTest):
    stack_kwargs = {"config": {"http_timeout_ms": "2000",
                               "useepay_pay_timeout_ms": "2000",
                               "useepay_query_timeout_ms": "2000",
                               "useepay_refund_timeout_ms": "2000"},
                    "sim_config": {"refund_delay_ms": "100"}}

    def tearDown(self):
        self.stack.sim_control("reset")

    def test_pay_query_refund(self):
        self.full_cycle()

    def variant_cfg(self, name, **over):
        """A copy of h5payd's config with some values changed."""
        v = dict(self.stack.values)
        v.update(over)
        path = os.path.join(self.stack.dir, name + ".conf")
        with open(path, "w") as f:
            for k, val in v.items():
                if val is not None:
                    f.write("%s = %s\n" % (k, val))
        return path

    def test_server_certificate_from_another_ca_refused(self):
        other = os.path.join(self.stack.dir, "other-ca")
        subprocess.run([os.path.join(harness.SRC, "deploy", "local-ca.sh"),
                        other, "another test CA"], check=True)
        cfg = self.variant_cfg("other-ca",
                               http_ca_file=os.path.join(other, "ca.pem"))
        order = new_no()
        rc, out = self.pay(order, cfg=cfg)
        self.assertNotEqual(rc, 0, out)
        self.assertNotEqual(out["outcome"], "ok")
        self.assertIsNone(self.sim_txn(order))   # nothing reached the sim

    def test_wrong_key_refused_by_sim(self):
        key = os.path.join(self.stack.dir, "wrong-md5.key")
        harness.write_secret(key, "NOT-THE-KEY")
        cfg = self.variant_cfg("wrong-key", useepay_md5_key_file=key)
        order = new_no()
        rc, out = self.pay(order, cfg=cfg)
        # the sim's refusal is signed with the real key: the client with
        # the wrong key cannot verify it either
        self.assertNotEqual(out["outcome"], "ok", out)
        self.assertIsNone(self.sim_txn(order))

    def test_faults_seen_by_the_client(self):
        self.stack.sim_control("faults", malformed_count=1)
        rc, out = self.pay(new_no())
        self.assertEqual((rc, out["outcome"]), (3, "malformed"), out)

        self.stack.sim_control("faults", bad_sign_count=1)
        rc, out = self.pay(new_no())
        self.assertEqual((rc, out["outcome"]), (3, "bad_signature"), out)

        self.stack.sim_control("faults", error_count=1, error_status=503,
                               error_path="/api")
        rc, out = self.pay(new_no())
        self.assertEqual(rc, 3, out)
        self.assertNotEqual(out["outcome"], "ok")

        # hang past the client's timeout (2 s): the outcome is unknown,
        # yet the sim created the payment -- the client must query
        self.stack.sim_control("faults", hang_count=1, hang_ms=4000)
        order = new_no()
        rc, out = self.pay(order)
        self.assertEqual((rc, out["outcome"]), (3, "unknown"), out)
        self.assertIsNotNone(self.sim_txn(order))
        rc, out = self.cli("query", "--order", order)
        self.assertEqual(out["transaction"]["resultCode"], "pending")

        self.stack.sim_control("faults", latency_ms=300, latency_path="/api")
        t0 = time.monotonic()
        rc, out = self.pay(new_no())
        self.assertEqual(out["outcome"], "ok", out)
        self.assertGreaterEqual(time.monotonic() - t0, 0.3)


class AcceptanceRSA(ClientMixin, harness.StackTest):
    stack_kwargs = {"sim_config": {"refund_delay_ms": "100"}}

    @classmethod
    def setUpClass(cls):
        # h5payd signs with the merchant's RSA key and verifies with the
        # provider's public key; the sim holds the other halves
        keys = os.path.join(harness.SRC, "tests", "vectors")
        cls.stack_kwargs = dict(cls.stack_kwargs)
        cls.stack_kwargs["config"] = {"useepay_sign_type": "RSA"}
        st = harness.Stack(cls.__name__, **cls.stack_kwargs)
        priv = os.path.join(st.dir, "merchant_key.pem")
        shutil.copy(os.path.join(keys, "merchant_test_key.pem"), priv)
        os.chmod(priv, 0o600)
        st.extra_config.update({
            "useepay_private_key_file": priv,
            "useepay_public_key_file":
                os.path.join(keys, "provider_test_pub.pem"),
            "useepay_md5_key_file": None,
        })
        cls.stack = st.start()

    def test_pay_query_refund_rsa(self):
        self.full_cycle()
        t = self.stack.sim_json("/sim/api/transactions")["items"][0]
        self.assertEqual(t["signType"], "RSA")


if __name__ == "__main__":
    harness.main()
