"""Foundation: nginx + h5payd on loopback (issue 2, acceptance 1 and 2)."""
import os
import shutil
import signal
import threading
import time
import unittest

import harness


class TestRouting(harness.StackTest):
    stack_kwargs = {"config": {"max_body_bytes": "16384"}}

    def test_healthz_web_pool(self):
        r = self.stack.get("/healthz")
        self.assertEqual(r.status, 200)
        self.assertTrue(r.header("Content-Type").startswith("application/json"))
        body = r.json()
        self.assertEqual(body["status"], "ok")
        self.assertEqual(body["db"], "ok")
        self.assertEqual(body["pool"], "web")
        self.assertGreaterEqual(body["schema"], 1)

    def test_notify_prefix_goes_to_notify_pool(self):
        r = self.stack.get("/notify/healthz")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json()["pool"], "notify")

    def test_unknown_route_404_json(self):
        r = self.stack.get("/api/no-such-thing")
        self.assertEqual(r.status, 404)
        self.assertEqual(r.json()["error"], "not_found")
        self.assertTrue(r.json().get("requestId"))

    def test_wrong_method_405_with_allow(self):
        r = self.stack.post("/healthz", body="x")
        self.assertEqual(r.status, 405)
        self.assertEqual(r.json()["error"], "method_not_allowed")
        self.assertEqual(r.header("Allow"), "GET")

    def test_notify_pool_does_not_serve_web_routes(self):
        # the notify socket answers only its own routes
        r = self.stack.get("/notify/../healthz")   # nginx normalises this
        self.assertEqual(r.json()["pool"], "web")

    def test_nginx_body_cap_413(self):
        # past nginx's client_max_body_size (64k): nginx refuses first
        big = b"x" * (70 * 1024)
        r = self.stack.post("/api/anything", body=big,
                            headers={"Content-Type": "application/json"})
        self.assertEqual(r.status, 413)

    def test_app_body_cap_413_json(self):
        # nginx lets it through; the app's cap (max_body_bytes) refuses it
        r = self.stack.post("/api/x", body=b"y" * 40000,
                            headers={"Content-Type": "application/json"})
        self.assertEqual(r.status, 413)
        self.assertEqual(r.json()["error"], "too_large")

    def test_security_headers(self):
        r = self.stack.get("/healthz")
        self.assertEqual(r.header("X-Content-Type-Options"), "nosniff")
        self.assertIn("default-src 'self'", r.header("Content-Security-Policy"))
        self.assertIsNone(r.header("Server") and
                          ("/" in r.header("Server") or None))
        self.assertEqual(r.header("Cache-Control"), "no-store")

    def test_request_id_passes_through(self):
        r = self.stack.get("/api/nothing")
        self.assertEqual(r.json()["requestId"], r.header("X-Request-Id"))


class TestHostHeader(harness.StackTest):
    """Issue 12 item 9: nginx's redirects never carry the request's Host
    header (relative redirects; production uses $server_name)."""

    def test_redirects_do_not_reflect_host(self):
        for path in ("/", "/shop", "/admin"):
            r = self.stack.get(path, headers={"Host": "evil.example"})
            self.assertIn(r.status, (301, 302), path)
            loc = r.header("Location")
            self.assertNotIn("evil", loc, path)
            self.assertTrue(loc.startswith("/"), (path, loc))
        r = self.stack.get("/", headers={"Host": "evil.example"})
        self.assertEqual(r.header("Location"), "/shop/")

    def test_production_site_uses_the_configured_name(self):
        for f in ("h5pay.conf", "h5pay-locations.conf",
                  "security_headers.conf", "fastcgi_h5pay.conf"):
            with open(os.path.join(harness.SRC, "nginx", f)) as fh:
                text = fh.read()
            self.assertNotIn("$host", text, f)
            self.assertNotIn("$http_host", text, f)
        with open(os.path.join(harness.SRC, "nginx", "h5pay.conf")) as fh:
            self.assertIn("return 301 https://$server_name$request_uri;",
                          fh.read())

    def test_hsts_default(self):
        r = self.stack.get("/healthz")
        self.assertEqual(r.header("Strict-Transport-Security"),
                         "max-age=31536000")


class TestHealthzPublic(harness.StackTest):
    """Issue 12 item 9: /healthz told the schema version to anyone. The
    test nginx takes the client address from a header (realip), so a
    request can come from a public address."""
    stack_kwargs = {"nginx_extra": "set_real_ip_from 127.0.0.1;\n\t\t"
                                   "real_ip_header X-Test-Client;"}

    def test_schema_only_for_loopback(self):
        for ip in ("203.0.113.9", "2001:db8::1", "10.1.2.3"):
            r = self.stack.get("/healthz", headers={"X-Test-Client": ip})
            self.assertEqual(r.status, 200)
            self.assertEqual(r.json(), {"status": "ok", "db": "ok",
                                        "pool": "web"}, ip)
        r = self.stack.get("/notify/healthz",
                           headers={"X-Test-Client": "203.0.113.9"})
        self.assertNotIn("schema", r.json())
        r = self.stack.get("/healthz")                 # from the host
        self.assertGreaterEqual(r.json()["schema"], 6)


class HstsStack(harness.Stack):
    hsts = "max-age=31536000; includeSubDomains"


class TestHstsOption(unittest.TestCase):
    """Issue 12 item 9: includeSubDomains is the operator's option (the
    $h5pay_hsts map), sent on every answer once chosen."""

    def test_include_subdomains_when_chosen(self):
        st = HstsStack("hsts").start()
        try:
            for path in ("/healthz", "/shop/", "/admin/", "/api/nothing"):
                r = st.get(path)
                self.assertEqual(r.header("Strict-Transport-Security"),
                                 "max-age=31536000; includeSubDomains",
                                 path)
        finally:
            st.stop()
            shutil.rmtree(st.dir, ignore_errors=True)
        with open(os.path.join(harness.SRC, "nginx", "h5pay.conf")) as fh:
            site = fh.read()
        self.assertIn('default "max-age=31536000";', site)
        self.assertIn("includeSubDomains", site)      # documented there


def logfmt_pairs(line):
    """key=value pairs of one h5payd log line, values unquoted and
    unescaped as log.c writes them; raises ValueError on a broken line."""
    pairs, i, n = [], 0, len(line)
    while i < n:
        j = line.index("=", i)
        key = line[i:j]
        if not key or " " in key or '"' in key:
            raise ValueError("bad key %r" % key)
        i = j + 1
        if i < n and line[i] == '"':
            i += 1
            v = []
            while line[i] != '"':
                if line[i] == "\\":
                    i += 1
                    if line[i] not in '"\\':
                        v.append("\\")    # \n, \xNN stay as written
                v.append(line[i])
                i += 1
            i += 1
            val = "".join(v)
        else:
            j = line.find(" ", i)
            j = n if j < 0 else j
            val = line[i:j]
            i = j
        pairs.append((key, val))
        if i < n:
            if line[i] != " ":
                raise ValueError("no space after %r" % key)
            i += 1
    return pairs


class TestLogForging(harness.StackTest):
    """Issue 12 item 7: request text in key=value logs cannot add a key,
    a line or invalid UTF-8 (one escaper in log.c)."""

    FORGERIES = [
        "/admin/api/orders/%22%20evt=login%20user=admin",
        "/admin/api/orders/x%20evt=login%20user=admin",
        "/admin/api/orders/x%0alvl=error%20mod=admin%20evt=login%20"
        "user=admin",
        "/admin/api/orders/x%0dlvl=error",
        "/admin/api/orders/%5c%22%20user=admin",
        "/admin/api/orders/%ff%fe%c0%af%e2%80%a8",
    ]

    def test_forged_keys_and_lines_stay_values(self):
        mark = len(self.stack.log_text("h5payd").encode())
        for path in self.FORGERIES:
            r = self.stack.get(path)
            self.assertIn(r.status, (400, 401), path)
        time.sleep(0.3)
        with open(self.stack.logs["h5payd"], "rb") as f:
            raw = f.read()[mark:]
        text = raw.decode("utf-8")          # strict: valid UTF-8 only
        lines = [l for l in text.split("\n") if l]
        refused = []
        for line in lines:
            self.assertTrue(line.startswith("lvl="), line)
            self.assertNotIn("\r", line)
            self.assertNotIn("\u2028", line)
            pairs = logfmt_pairs(line)
            keys = [k for k, _ in pairs]
            self.assertEqual(len(keys), len(set(keys)), line)
            self.assertNotIn("user", keys, line)
            d = dict(pairs)
            if d.get("evt") == "refused" and d.get("mod") == "route":
                refused.append(d["path"])
        # every forgery logged once, as one path value, with its bytes
        self.assertIn('/admin/api/orders/" evt=login user=admin', refused)
        self.assertIn("/admin/api/orders/x evt=login user=admin", refused)
        self.assertIn("/admin/api/orders/x\\nlvl=error mod=admin "
                      "evt=login user=admin", refused)
        self.assertIn("/admin/api/orders/\\xff\\xfe\\xc0\\xaf\\u2028",
                      refused)
        self.assertIn('/admin/api/orders/\\" user=admin', refused)


if __name__ == "__main__":
    harness.main()
