"""h5pay sign / h5pay verify against every shared UseePay vector (issue 3).

The built CLI must reproduce each vector's stringToSign (MD5 key shown as
***) and signature, say `valid` for each formBody, `invalid` with exit 1
for a tampered one, and exit 2 for unusable input. No stack: just the
binary, the vectors and a temporary directory.
"""
import json
import os
import shutil
import subprocess
import tempfile
import unittest
import urllib.parse

import harness

H5PAY = os.path.join(harness.BUILD, "h5pay")


def load_vectors():
    with open(os.path.join(harness.VECTORS, "useepay_sign_vectors.json"),
              encoding="utf-8") as f:
        return json.load(f)["vectors"]


class CliSign(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.vectors = load_vectors()
        cls.dir = tempfile.mkdtemp(prefix="h5pay-cli-sign-")
        cls.keyfiles = {}
        for v in cls.vectors:
            if v["signType"] == "MD5" and v["md5Key"] not in cls.keyfiles:
                path = os.path.join(cls.dir, "md5key%d" % len(cls.keyfiles))
                harness.write_secret(path, v["md5Key"])  # mode 0600
                cls.keyfiles[v["md5Key"]] = path

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def run_cli(self, args, body, secret=None):
        if isinstance(body, str):
            body = body.encode("utf-8")
        p = subprocess.run([H5PAY] + args, input=body, capture_output=True,
                           timeout=60)
        out = p.stdout.decode("utf-8")
        err = p.stderr.decode("utf-8", "replace")
        for m in harness.SANITIZER_MARKERS:
            self.assertNotIn(m, err)
        if secret is not None:
            self.assertNotIn(secret, out)
            self.assertNotIn(secret, err)
        return p.returncode, out, err

    def key_args(self, v, verify):
        if v["signType"] == "MD5":
            return ["--type", "MD5", "--md5-key-file",
                    self.keyfiles[v["md5Key"]]]
        if verify:
            return ["--type", "RSA", "--public-key",
                    os.path.join(harness.VECTORS, v["publicKey"])]
        return ["--type", "RSA", "--private-key",
                os.path.join(harness.VECTORS, v["privateKey"])]

    def masked(self, v):
        s = v["stringToSign"]
        if v["signType"] != "MD5":
            return s
        suffix = "&pkey=" + v["md5Key"]
        self.assertTrue(s.endswith(suffix))
        return s[:-len(suffix)] + "&pkey=***"

    def test_vectors_present(self):
        types = [v["signType"] for v in self.vectors]
        self.assertGreaterEqual(types.count("MD5"), 3)
        self.assertGreaterEqual(types.count("RSA"), 3)

    def test_sign_reproduces_every_vector(self):
        for v in self.vectors:
            with self.subTest(vector=v["name"]):
                rc, out, err = self.run_cli(["sign"] + self.key_args(v, False),
                                            v["formBody"], v.get("md5Key"))
                self.assertEqual(rc, 0, err)
                self.assertEqual(out, self.masked(v) + "\n" + v["sign"] + "\n")

    def test_sign_ignores_a_sign_field_and_a_trailing_newline(self):
        for v in self.vectors:
            with self.subTest(vector=v["name"]):
                fields = [(k, x) for k, x in urllib.parse.parse_qsl(
                    v["formBody"], keep_blank_values=True) if k != "sign"]
                body = urllib.parse.urlencode(fields) + "\n"
                rc, out, err = self.run_cli(["sign"] + self.key_args(v, False),
                                            body, v.get("md5Key"))
                self.assertEqual(rc, 0, err)
                self.assertEqual(out.splitlines(),
                                 [self.masked(v), v["sign"]])

    def test_control_bytes_cannot_split_the_output(self):
        md5 = next(v for v in self.vectors if v["signType"] == "MD5")
        body = "errorMsg=a%0Ab%1B%5B31m&signType=MD5&sign=" + "0" * 32
        rc, out, err = self.run_cli(["verify"] + self.key_args(md5, True),
                                    body, md5["md5Key"])
        self.assertEqual(rc, 1, err)
        self.assertEqual(out, "invalid\nerrorMsg=a\\x0ab\\x1b[31m"
                         "&signType=MD5&pkey=***\n")
        rc, out, err = self.run_cli(["sign"] + self.key_args(md5, False),
                                    body, md5["md5Key"])
        self.assertEqual(rc, 0, err)
        self.assertEqual(len(out.splitlines()), 2)

    def test_verify_every_vector_valid(self):
        for v in self.vectors:
            with self.subTest(vector=v["name"]):
                rc, out, err = self.run_cli(["verify"] + self.key_args(v, True),
                                            v["formBody"], v.get("md5Key"))
                self.assertEqual(rc, 0, err)
                self.assertEqual(out, "valid\n")
            if v["signType"] == "RSA" and "%2B" in v["formBody"]:
                # §3: a Base64 '+' sent unencoded decodes to ' '
                with self.subTest(vector=v["name"], what="raw +"):
                    rc, out, err = self.run_cli(
                        ["verify"] + self.key_args(v, True),
                        v["formBody"].replace("%2B", "+"))
                    self.assertEqual(rc, 0, err)
                    self.assertEqual(out, "valid\n")

    def test_verify_tampered_invalid(self):
        for v in self.vectors:
            fields = urllib.parse.parse_qsl(v["formBody"],
                                            keep_blank_values=True)
            for i, (k, x) in enumerate(fields):
                if k == "sign":
                    continue
                with self.subTest(vector=v["name"], field=k):
                    t = list(fields)
                    t[i] = (k, x + "1")
                    rc, out, err = self.run_cli(
                        ["verify"] + self.key_args(v, True),
                        urllib.parse.urlencode(t), v.get("md5Key"))
                    self.assertEqual(rc, 1, err)
                    lines = out.splitlines()
                    self.assertEqual(lines[0], "invalid")
                    self.assertEqual(len(lines), 2)
                    if v["signType"] == "MD5":
                        self.assertTrue(lines[1].endswith("&pkey=***"))
                    self.assertIn(k + "=", lines[1])
            with self.subTest(vector=v["name"], what="sign changed"):
                t = [(k, ("0" if x[0] != "0" else "1") + x[1:])
                     if k == "sign" else (k, x) for k, x in fields]
                rc, out, err = self.run_cli(
                    ["verify"] + self.key_args(v, True),
                    urllib.parse.urlencode(t), v.get("md5Key"))
                self.assertEqual(rc, 1, err)
                self.assertEqual(out.splitlines(),
                                 ["invalid", self.masked(v)])
            with self.subTest(vector=v["name"], what="field added"):
                rc, out, err = self.run_cli(
                    ["verify"] + self.key_args(v, True),
                    v["formBody"] + "&extra=1", v.get("md5Key"))
                self.assertEqual(rc, 1, err)
                self.assertEqual(out.splitlines()[0], "invalid")

    def test_signtype_must_agree_with_type(self):
        md5 = next(v for v in self.vectors if v["signType"] == "MD5")
        rsa = next(v for v in self.vectors if v["signType"] == "RSA")
        # a body claiming MD5 checked as RSA, and the other way round
        rc, out, err = self.run_cli(["verify"] + self.key_args(rsa, True),
                                    md5["formBody"])
        self.assertEqual(rc, 1, err)
        self.assertEqual(out.splitlines()[0], "invalid")
        rc, out, err = self.run_cli(["verify"] + self.key_args(md5, True),
                                    rsa["formBody"], md5["md5Key"])
        self.assertEqual(rc, 1, err)
        self.assertEqual(out.splitlines()[0], "invalid")
        # sign refuses to sign a body that names another method
        rc, out, err = self.run_cli(["sign"] + self.key_args(md5, False),
                                    rsa["formBody"], md5["md5Key"])
        self.assertEqual(rc, 2, err)
        self.assertEqual(out, "")

    def test_unusable_input_exits_2(self):
        md5 = next(v for v in self.vectors if v["signType"] == "MD5")
        rsa = next(v for v in self.vectors if v["signType"] == "RSA")
        args = self.key_args(md5, True)
        for body in ["a=%zz", "=1", "a=%4", "a=1&a=2&signType=MD5&sign=x",
                     md5["formBody"] + "&amount=1000"]:
            with self.subTest(body=body[:40]):
                rc, out, _ = self.run_cli(["verify"] + args, body,
                                          md5["md5Key"])
                self.assertEqual(rc, 2)
                self.assertEqual(out, "")
                rc, out, _ = self.run_cli(["sign"] + args, body,
                                          md5["md5Key"])
                self.assertEqual(rc, 2)
                self.assertEqual(out, "")
        # over the stdin cap
        rc, out, _ = self.run_cli(["verify"] + args,
                                  "a=" + "x" * (1024 * 1024))
        self.assertEqual(rc, 2)
        self.assertEqual(out, "")

    def test_bad_args_and_keys_exit_2(self):
        md5 = next(v for v in self.vectors if v["signType"] == "MD5")
        rsa = next(v for v in self.vectors if v["signType"] == "RSA")
        keyfile = self.keyfiles[md5["md5Key"]]
        pub = os.path.join(harness.VECTORS, rsa["publicKey"])
        priv = os.path.join(harness.VECTORS, rsa["privateKey"])
        loose = os.path.join(self.dir, "loose")
        with open(loose, "w") as f:
            f.write(md5["md5Key"])
        os.chmod(loose, 0o644)
        cases = [
            ["verify"],
            ["verify", "--type", "MD5"],
            ["verify", "--type", "md5", "--md5-key-file", keyfile],
            ["verify", "--type", "SHA1", "--md5-key-file", keyfile],
            ["verify", "--type", "MD5", "--md5-key-file"],
            ["verify", "--type", "RSA", "--md5-key-file", keyfile],
            ["verify", "--type", "RSA", "--private-key", priv],
            ["sign", "--type", "RSA", "--public-key", pub],
            ["verify", "--type", "MD5", "--md5-key-file", keyfile,
             "--type", "MD5"],
            ["verify", "--type", "MD5", "--md5-key-file", keyfile, "--x"],
            ["verify", "--type", "MD5", "--md5-key-file", loose],
            ["verify", "--type", "MD5", "--md5-key-file",
             os.path.join(self.dir, "missing")],
            ["sign", "--type", "MD5", "--md5-key-file", loose],
            ["verify", "--type", "RSA", "--public-key", keyfile],
            ["verify", "--type", "RSA", "--public-key", priv],
            ["sign", "--type", "RSA", "--private-key", pub],
        ]
        for args in cases:
            with self.subTest(args=args):
                rc, out, _ = self.run_cli(args, md5["formBody"],
                                          md5["md5Key"])
                self.assertEqual(rc, 2)
                self.assertEqual(out, "")


if __name__ == "__main__":
    unittest.main(verbosity=2)
