"""h5pay doctor -c FILE (issue 10): the go-live check against h5pay-sim in
its healthy and broken profiles, through the real nginx and h5payd. Each
case asserts the lines an operator relies on and the exit status (1 on any
FAIL)."""
import os
import re
import shutil
import subprocess
import unittest

import harness

HAVE_SIM = os.path.exists(os.path.join(harness.BUILD, "h5pay-sim"))
H5PAY = os.path.join(harness.BUILD, "h5pay")


@unittest.skipUnless(HAVE_SIM, "h5pay-sim not built")
class DoctorTest(harness.StackTest):
    stack_kwargs = {"config": {"reconcile_interval_sec": "0"}}

    def setUp(self):
        self.stack.sim_control("reset")

    def doctor(self, cfg=None, *extra):
        p = subprocess.run([H5PAY, "doctor", "-c", cfg or
                            self.stack.cfg_path] + list(extra),
                           capture_output=True, text=True, timeout=120)
        lines = p.stdout.strip().splitlines()
        for line in lines[:-1]:
            self.assertRegex(line, r"^(PASS|WARN|FAIL) [a-z ]+: ", line)
        # no secret ever printed
        self.assertNotIn(harness.TEST_MD5_KEY, p.stdout + p.stderr)
        self.assertNotIn(harness.TEST_WECHAT_SECRET, p.stdout + p.stderr)
        return p.returncode, lines

    def line(self, lines, level, check):
        got = [l for l in lines if l.startswith("%s %s: " % (level, check))]
        self.assertTrue(got, "no %s %s in:\n%s" % (level, check,
                                                     "\n".join(lines)))
        return got[0]

    def config(self, name, **over):
        v = self.stack.config_values()
        v.update({k: str(x) for k, x in over.items()})
        path = os.path.join(self.stack.dir, name)
        with open(path, "w") as f:
            for k, x in v.items():
                if x is not None:
                    f.write("%s = %s\n" % (k, x))
        os.chmod(path, 0o640)
        return path

    def doctor_rows(self):
        import sqlite3
        c = harness.db_connect(self.stack, timeout=30)
        try:
            return c.execute("SELECT transaction_type, outcome, order_id "
                             "FROM notifications WHERE transaction_id LIKE "
                             "'DOCTOR%' ORDER BY id").fetchall()
        finally:
            c.close()

    def test_healthy(self):
        before = self.doctor_rows()
        rc, lines = self.doctor()
        self.assertEqual(rc, 0, "\n".join(lines))
        for check in ("config", "keys", "useepay tls", "clock",
                      "useepay query", "wechat tls", "wechat",
                      "notify url"):
            self.line(lines, "PASS", check)
        self.assertIn("merchant number, key and IP allow-list are "
                      "accepted", self.line(lines, "PASS", "useepay query"))
        # the self-test was answered 200 and changed no order
        self.assertIn("answered our signed self-test",
                      self.line(lines, "PASS", "notify url"))
        host = "127.0.0.1"
        self.assertIn("网页授权域名 (Official Account console): " + host,
                      "\n".join(lines))
        self.assertIn("支付授权目录 (JSAPI payment directory, given to "
                      "UseePay): https://127.0.0.1:%d/shop/" %
                      self.stack.shop_port, "\n".join(lines))
        self.assertEqual(lines[-1].split(",")[0], "0 FAIL")
        self.assertEqual(self.doctor_rows(), before +
                         [("h5payDoctorTest", "ignored", None)])

    def test_unsigned_refusal(self):
        self.stack.sim_control("faults", profile="unsigned_refusal")
        rc, lines = self.doctor()
        self.assertEqual(rc, 1)
        l = self.line(lines, "FAIL", "useepay query")
        self.assertIn("UseePay refused us, unsigned", l)
        self.assertIn("useepay_merchant_no", l)
        self.assertIn("allow-list", l)

    def test_no_allowlist(self):
        self.stack.sim_control("faults", profile="no_allowlist")
        rc, lines = self.doctor()
        self.assertEqual(rc, 1)
        l = self.line(lines, "FAIL", "useepay query")
        self.assertIn("HTTP 403", l)
        self.assertIn("not allow-listed", l)

    def test_wrong_key(self):
        self.stack.sim_control("faults", profile="wrong_key")
        rc, lines = self.doctor()
        self.assertEqual(rc, 1)
        self.assertIn("signed but does not verify",
                      self.line(lines, "FAIL", "useepay query"))
        self.assertIn("useepay_md5_key_file",
                      self.line(lines, "FAIL", "useepay query"))

    def test_bad_clock(self):
        self.stack.sim_control("faults", profile="bad_clock")
        rc, lines = self.doctor()
        self.assertEqual(rc, 1)
        l = self.line(lines, "FAIL", "clock")
        self.assertRegex(l, r"7[12]\d\d s away from UseePay's")
        self.assertIn("timedatectl set-ntp true", l)

    def test_notify_url_unreachable(self):
        port = harness.free_port()
        cfg = self.config("unreach.conf", useepay_notify_url=
                          "https://127.0.0.1:%d/notify" % port)
        rc, lines = self.doctor(cfg)
        self.assertEqual(rc, 1)
        self.assertIn("is unreachable from here",
                      self.line(lines, "FAIL", "notify url"))
        self.line(lines, "PASS", "useepay query")

    def test_wrong_wechat_secret_and_loose_config(self):
        bad = os.path.join(self.stack.dir, "other.secret")
        harness.write_secret(bad, "not-the-appsecret")
        cfg = self.config("wx.conf", wechat_secret_file=bad)
        os.chmod(cfg, 0o666)
        rc, lines = self.doctor(cfg)
        self.assertEqual(rc, 1)
        self.assertIn("AppSecret is refused",
                      self.line(lines, "FAIL", "wechat"))
        self.assertIn("chmod 640", self.line(lines, "FAIL", "config"))

    def test_weak_and_swapped_keys_and_mp_verify(self):
        keys = self.stack.make_sim_keys()
        priv = os.path.join(self.stack.dir, "weak.b64")
        shutil.copy(os.path.join(harness.VECTORS, "rsa1024_key.b64"), priv)
        os.chmod(priv, 0o600)
        # RSA with our own public key where UseePay's belongs
        cfg = self.config("rsa.conf", useepay_sign_type="RSA",
                          useepay_private_key_file=priv,
                          useepay_public_key_file=os.path.join(
                              harness.VECTORS, "rsa1024_pub.pem"))
        mp = os.path.join(self.stack.dir, "mp")
        os.makedirs(mp, exist_ok=True)
        with open(os.path.join(mp, "MP_verify_abc123.txt"), "w") as f:
            f.write("abc123")
        rc, lines = self.doctor(cfg, "--mp-verify-dir", mp)
        self.assertEqual(rc, 1)
        w = self.line(lines, "WARN", "keys")
        self.assertIn("1024 bits is weak", w)
        self.assertIn("rsa_keygen_bits:2048", w)
        self.assertIn("your own key, not UseePay's",
                      self.line(lines, "FAIL", "keys"))
        self.assertIn("MP_verify_abc123.txt is not served",
                      self.line(lines, "FAIL", "mp verify"))
        del keys

    def test_unloadable_key_names_the_conversion(self):
        bad = os.path.join(self.stack.dir, "bad.key")
        harness.write_secret(bad, "-----BEGIN NONSENSE-----\nxx\n")
        cfg = self.config("badkey.conf", useepay_sign_type="RSA",
                          useepay_private_key_file=bad,
                          useepay_public_key_file=os.path.join(
                              harness.VECTORS, "provider_test_pub.pem"))
        rc, lines = self.doctor(cfg)
        self.assertEqual(rc, 1)
        l = self.line(lines, "FAIL", "keys")
        self.assertIn("openssl pkcs8 -topk8 -nocrypt", l)
        self.assertIn("one-line Base64", l)


if __name__ == "__main__":
    harness.main()
