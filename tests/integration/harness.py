"""harness.py - the real stack for an integration test.

The launcher itself is deploy/stack.py (the demo runs the same code); this
module re-exports it and adds what only tests need: UseePay signing
helpers, the simulator's control and inspection calls, the supervisor's
worker processes, and StackTest (one Stack per TestCase class). Nothing
here knows the expected answers of a test; it only starts, talks and
stops.

Stdlib only: Debian's /usr/bin/python3.
"""
import os
import shutil
import subprocess  # noqa: F401 (tests use harness.subprocess)
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "deploy"))

import stack  # noqa: E402
import enginedb  # noqa: E402
from enginedb import connect as db_connect, is_pg  # noqa: E402,F401
from stack import (  # noqa: E402,F401
    BUILD, SRC, NGINX, SANITIZE, VECTORS, SIM_BIN, SANITIZER_MARKERS,
    TEST_MD5_KEY, TEST_WECHAT_SECRET, TEST_APPID, TEST_MERCHANT,
    free_port, wait_for, write_secret, Response, ENGINE)

# Tests of SQLite's own mechanisms (the file, its fsync, the online
# backup) skip on PostgreSQL with this (H5PAY_TEST_DB=pg).
sqlite_only = unittest.skipIf(
    ENGINE == "pg", "SQLite's own file mechanism: not the PostgreSQL engine")


def useepay_canonical(fields):
    """docs/protocol.md §3: every field but sign, blank ones dropped,
    sorted by key (byte order), k=v joined with '&', raw values."""
    items = [(k, v) for k, v in fields.items()
             if k != "sign" and str(v).strip() != ""]
    items.sort(key=lambda kv: kv[0].encode())
    return "&".join("%s=%s" % (k, v) for k, v in items)


def useepay_sign_md5(fields, key=TEST_MD5_KEY):
    import hashlib
    s = useepay_canonical(fields) + "&pkey=" + key
    return hashlib.md5(s.encode("utf-8")).hexdigest()


def rsa_sign(data, key_path):
    """Base64 RSA-SHA256 (PKCS#1 v1.5) with the openssl CLI."""
    import base64
    p = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key_path],
                       input=data.encode("utf-8"), stdout=subprocess.PIPE,
                       check=True)
    return base64.b64encode(p.stdout).decode()


def rsa_verify(data, b64sig, pub_path):
    import base64
    with tempfile.NamedTemporaryFile() as f:
        f.write(base64.b64decode(b64sig))
        f.flush()
        p = subprocess.run(["openssl", "dgst", "-sha256", "-verify",
                            pub_path, "-signature", f.name],
                           input=data.encode("utf-8"),
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    return p.returncode == 0


def form_encode(fields):
    import urllib.parse
    return urllib.parse.urlencode(list(fields.items()),
                                  quote_via=urllib.parse.quote_plus)


class Stack(stack.Stack):
    """deploy/stack.py's Stack with the tests' helpers."""

    # -- the simulator ----------------------------------------------------
    def sim_control(self, action, **kw):
        body = dict(kw)
        body["action"] = action
        r = self.sim_request("POST", "/sim/control", body=body)
        if r.status != 200:
            raise AssertionError("sim control %s: %r" % (action, r))
        return r.json()

    def sim_api(self, fields, sign="MD5", timeout=30):
        """POST a UseePay request to the sim's /api. sign: "MD5" or "RSA"
        (signed with the test merchant key), None to send fields as
        given. Returns the Response."""
        f = dict(fields)
        if sign == "MD5":
            f.setdefault("signType", "MD5")
            f["sign"] = useepay_sign_md5(f)
        elif sign == "RSA":
            f.setdefault("signType", "RSA")
            f["sign"] = rsa_sign(useepay_canonical(f), os.path.join(
                self.dir, "simkeys", "merchant_test_key.pem"))
        return self.sim_request(
            "POST", "/api", body=form_encode(f), timeout=timeout,
            headers={"Content-Type": "application/x-www-form-urlencoded"})

    def sim_json(self, path):
        r = self.sim_request("GET", path)
        if r.status != 200:
            raise AssertionError("GET %s: %r" % (path, r))
        return r.json()

    # -- h5payd's processes -----------------------------------------------
    def h5payd_pid(self):
        return self.procs["h5payd"].pid

    def worker_pids(self, pool=None):
        """Children of the supervisor (optionally only one pool's)."""
        sup = self.h5payd_pid()
        out = []
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % pid) as f:
                    stat = f.read()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == sup:
                out.append(int(pid))
        if pool is None:
            return sorted(out)
        return sorted(p for p in out if self._pool_of(p) == pool)

    def _pool_of(self, pid):
        # the listening socket a worker holds tells its pool
        try:
            fds = os.listdir("/proc/%d/fd" % pid)
        except OSError:
            return None
        inodes = set()
        for fd in fds:
            try:
                t = os.readlink("/proc/%d/fd/%s" % (pid, fd))
            except OSError:
                continue
            if t.startswith("socket:["):
                inodes.add(t[8:-1])
        with open("/proc/net/unix") as f:
            for line in f.readlines()[1:]:
                parts = line.split()
                if len(parts) >= 8 and parts[6] in inodes:
                    if parts[7].endswith("notify.sock"):
                        return "notify"
                    if parts[7].endswith("web.sock"):
                        return "web"
        return None


class StackTest(unittest.TestCase):
    """A TestCase with one Stack for the whole class."""
    stack_kwargs = {}

    @classmethod
    def setUpClass(cls):
        cls.stack = Stack(cls.__name__, **cls.stack_kwargs).start()

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()
        if os.environ.get("H5PAY_KEEP") is None:
            shutil.rmtree(cls.stack.dir, ignore_errors=True)


def main():
    unittest.main(verbosity=2)
