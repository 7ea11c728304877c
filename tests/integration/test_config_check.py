"""`h5payd -t` and `h5pay check-config` (issue 2, acceptance 3): each bad
config is refused with a message naming the key and a non-zero exit."""
import os
import shutil
import subprocess
import unittest

import harness


class TestConfigCheck(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.stack = harness.Stack("cfgcheck")
        cls.stack.make_certs()
        cls.good = cls.stack.config_values()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.stack.dir, ignore_errors=True)

    def check(self, values):
        self.stack.write_config(values)
        out = []
        for argv in ([os.path.join(harness.BUILD, "h5payd"), "-t", "-c",
                      self.stack.cfg_path],
                     [os.path.join(harness.BUILD, "h5pay"), "check-config",
                      "-c", self.stack.cfg_path]):
            p = subprocess.run(argv, capture_output=True, text=True,
                               timeout=30)
            out.append((p.returncode, p.stdout + p.stderr))
        return out

    def assert_refused(self, values, key, detail=None):
        for rc, text in self.check(values):
            self.assertNotEqual(rc, 0, text)
            self.assertIn(key, text)
            if detail:
                self.assertIn(detail, text)

    def test_valid_config_passes(self):
        for rc, text in self.check(dict(self.good)):
            self.assertEqual(rc, 0, text)

    def test_missing_key(self):
        v = dict(self.good)
        del v["useepay_merchant_no"]
        self.assert_refused(v, "useepay_merchant_no", "missing")

    def test_bad_url(self):
        v = dict(self.good)
        v["useepay_base_url"] = "not a url"
        self.assert_refused(v, "useepay_base_url", "URL")

    def test_plain_http_refused_by_default(self):
        v = dict(self.good)
        v["wechat_api_base_url"] = "http://127.0.0.1:9"
        self.assert_refused(v, "wechat_api_base_url", "https")

    def test_world_readable_secret(self):
        v = dict(self.good)
        path = os.path.join(self.stack.dir, "loose.key")
        with open(path, "w") as f:
            f.write("k\n")
        os.chmod(path, 0o644)
        v["useepay_md5_key_file"] = path
        self.assert_refused(v, "useepay_md5_key_file", "chmod 600")

    def test_missing_secret_file(self):
        v = dict(self.good)
        v["wechat_secret_file"] = os.path.join(self.stack.dir, "nope")
        self.assert_refused(v, "wechat_secret_file")

    def test_rsa_needs_key_files_and_valid_pem(self):
        v = dict(self.good)
        v["useepay_sign_type"] = "RSA"
        self.assert_refused(v, "useepay_private_key_file")
        bad = os.path.join(self.stack.dir, "bad.pem")
        harness.write_secret(bad, "not a key")
        v["useepay_private_key_file"] = bad
        v["useepay_public_key_file"] = os.path.join(harness.VECTORS,
                                                    "provider_test_pub.pem")
        self.assert_refused(v, "bad.pem", "PEM")

    def test_out_of_range(self):
        v = dict(self.good)
        v["notify_threads"] = "100000"
        self.assert_refused(v, "notify_threads")


if __name__ == "__main__":
    unittest.main(verbosity=2)
