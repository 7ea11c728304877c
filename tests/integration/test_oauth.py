"""WeChat web authorization and buyer sessions (issue 4, spec wechat.md §1).

Every acceptance point of issue 4 through nginx + h5payd over TLS, with a
browser-like client (a cookie jar per origin, redirects followed by hand and
counted, so a loop cannot hide):
  1. happy path and the session cookie's attributes, /api/me, logout;
  2. refused: missing, wrong, reused and expired state, a state from another
     browser, missing code -- no session, no redirect loop;
  3. the same callback twice (refresh) -> a session both times, one exchange;
     WeChat's double callback with two codes -> one usable login;
  4. snapshot user refused; 40125 -> configuration page; -1 once -> success;
  5. open redirects refused;
  6. finally, no AppSecret, access token, code or session token in any log.

The WeChat side is h5pay-sim's OAuth endpoints when the harness runs the
simulator (SimWeChat). Without it the tests run against FakeWeChat below: a
small stdlib HTTPS server that implements the same documented behaviour
(spec §1: single-use 5-minute codes, errcodes 40029/40163/40125/40013/-1,
is_snapshotuser, strict parameter order), so this file never depends on the
simulator's progress to exercise h5payd.
"""
import hashlib
import http.client
import http.server
import json
import os
import re
import secrets
import sqlite3
import ssl
import threading
import time
import unittest
import urllib.parse

import harness

SESSION_COOKIE = "__Host-h5s"
BINDER_COOKIE = "__Host-h5o"
MARKER_COOKIE = "__Host-h5r"
MAX_HOPS = 12


def sha256_hex(s):
    return hashlib.sha256(s.encode()).hexdigest()


# -- the WeChat side -----------------------------------------------------------
class FakeWeChat:
    """WeChat's OAuth endpoints as documented in spec §1 (a test double used
    only when h5pay-sim is not available)."""

    AUTH_RE = re.compile(r"^appid=([^&]*)&redirect_uri=([^&]*)"
                         r"&response_type=code&scope=snsapi_base"
                         r"&state=([A-Za-z0-9]{1,128})&connect_redirect=1$")

    def __init__(self, stack):
        self.stack = stack
        self.lock = threading.Lock()
        self.codes = {}          # code -> {"openid", "issued", "used"}
        self.exchanges = {}      # code -> number of token requests
        self.tokens = []         # access tokens handed out
        self.forced = []         # errcodes to answer next, in order
        self.snapshot = False
        self.openid = "oFake_" + secrets.token_hex(8)
        self.refused_authorize = []

    # control, same shape as SimWeChat
    def set_errcodes(self, codes):
        with self.lock:
            self.forced = list(codes)

    def set_snapshot(self, on):
        with self.lock:
            self.snapshot = on

    def exchange_count(self, code):
        with self.lock:
            return self.exchanges.get(code, 0)

    def access_tokens(self):
        with self.lock:
            return list(self.tokens)

    def issue_code(self, openid=None):
        code = secrets.token_hex(16)
        with self.lock:
            self.codes[code] = {"openid": openid or self.openid,
                                "issued": time.time(), "used": False}
        return code

    def start(self):
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):      # the fake keeps no logs
                pass

            def reply(self, status, body=b"", headers=()):
                self.send_response(status)
                for k, v in headers:
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                path, _, query = self.path.partition("?")
                if path == "/connect/oauth2/authorize":
                    return self.authorize(query)
                if path == "/sns/oauth2/access_token":
                    return self.token(query)
                self.reply(404)

            def authorize(self, query):
                m = outer.AUTH_RE.match(query)
                if not m or m.group(1) != harness.TEST_APPID:
                    outer.refused_authorize.append(query)
                    return self.reply(400, b"bad authorize URL")
                redir = urllib.parse.unquote(m.group(2))
                code = outer.issue_code()
                sep = "&" if "?" in redir else "?"
                loc = "%s%scode=%s&state=%s" % (redir, sep, code, m.group(3))
                self.reply(302, headers=[("Location", loc)])

            def token(self, query):
                q = urllib.parse.parse_qs(query, keep_blank_values=True)
                one = {k: v[0] for k, v in q.items()}
                code = one.get("code", "")
                with outer.lock:
                    outer.exchanges[code] = outer.exchanges.get(code, 0) + 1
                    forced = outer.forced.pop(0) if outer.forced else None
                    ans = None
                    if forced is not None:
                        ans = {"errcode": forced, "errmsg": "forced"}
                    elif one.get("appid") != harness.TEST_APPID:
                        ans = {"errcode": 40013, "errmsg": "invalid appid"}
                    elif one.get("secret") != harness.TEST_WECHAT_SECRET:
                        ans = {"errcode": 40125,
                               "errmsg": "invalid appsecret"}
                    elif one.get("grant_type") != "authorization_code":
                        ans = {"errcode": 40002, "errmsg": "invalid grant"}
                    elif not code:
                        ans = {"errcode": 41008, "errmsg": "missing code"}
                    else:
                        c = outer.codes.get(code)
                        if c is None or time.time() - c["issued"] > 300:
                            ans = {"errcode": 40029,
                                   "errmsg": "invalid code"}
                        elif c["used"]:
                            ans = {"errcode": 40163,
                                   "errmsg": "code been used"}
                        else:
                            c["used"] = True
                            tok = "ACCESSTOKEN" + secrets.token_hex(16)
                            outer.tokens.append(tok)
                            ans = {"access_token": tok, "expires_in": 7200,
                                   "refresh_token": "REFRESH" +
                                   secrets.token_hex(16),
                                   "openid": c["openid"],
                                   "scope": "snsapi_base"}
                            if outer.snapshot:
                                ans["is_snapshotuser"] = 1
                body = json.dumps(ans).encode()
                self.reply(200, body, [("Content-Type", "application/json")])

        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(os.path.join(self.stack.certs, "server.pem"),
                            os.path.join(self.stack.certs, "server.key"))
        self.httpd = http.server.ThreadingHTTPServer(
            ("127.0.0.1", self.stack.sim_port), Handler)
        self.httpd.daemon_threads = True
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket,
                                            server_side=True)
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def sim_available(stack):
    """True when the harness started h5pay-sim (it then answers its own
    OAuth inspection endpoint)."""
    if "h5pay-sim" not in stack.procs:
        return False
    try:
        r = stack.request("GET", "/sim/api/oauth", port=stack.sim_port)
        return r.status == 200
    except OSError:
        return False


class SimWeChat:
    """h5pay-sim's WeChat OAuth, driven through its loopback control
    endpoint and inspected through /sim/api/oauth."""

    def __init__(self, stack):
        self.stack = stack

    def control(self, body):
        r = self.stack.request("POST", "/sim/api/control", body=body,
                               port=self.stack.sim_port)
        if r.status != 200:
            raise AssertionError("sim control %r: %r" % (body, r))

    def set_errcodes(self, codes):
        self.control({"oauth": {"errcodes": list(codes)}})

    def set_snapshot(self, on):
        self.control({"oauth": {"snapshot": bool(on)}})

    def state(self):
        r = self.stack.request("GET", "/sim/api/oauth",
                               port=self.stack.sim_port)
        return r.json()

    def exchange_count(self, code):
        st = self.state()
        for c in st.get("codes", []):
            if c.get("code") == code:
                return c.get("exchanges", 0)
        return 0

    def access_tokens(self):
        return [c["access_token"] for c in self.state().get("codes", [])
                if c.get("access_token")]

    def stop(self):
        pass


# -- a browser -----------------------------------------------------------------
class Browser:
    """Cookies per origin (host:port), redirects followed by hand."""

    def __init__(self, stack):
        self.stack = stack
        self.jar = {}            # port -> {name: value}
        self.set_cookies = []    # every Set-Cookie header seen (raw)
        self.visited = []        # every URL requested

    def cookies(self, port=None):
        return self.jar.setdefault(port or self.stack.shop_port, {})

    def request(self, method, url, body=None, headers=None):
        u = urllib.parse.urlsplit(url)
        port = u.port if u.scheme else self.stack.shop_port
        path = u.path + ("?" + u.query if u.query else "")
        h = dict(headers or {})
        jar = self.cookies(port)
        if jar:
            h["Cookie"] = "; ".join("%s=%s" % kv for kv in jar.items())
        self.visited.append(url)
        r = self.stack.request(method, path, body=body, headers=h, port=port)
        for v in r.headers_all("Set-Cookie"):
            self.set_cookies.append(v)
            name, _, rest = v.partition("=")
            value = rest.split(";", 1)[0]
            attrs = rest.lower()
            if "max-age=0" in attrs.replace(" ", ""):
                jar.pop(name, None)
            else:
                jar[name] = value
        r.url = url
        return r

    def get(self, url, **kw):
        return self.request("GET", url, **kw)

    def follow(self, url, stop=None):
        """GET url and follow redirects; returns the list of responses.
        stop(resp) -> True ends early (before following resp)."""
        hops = []
        while True:
            r = self.get(url)
            hops.append(r)
            if stop and stop(r):
                return hops
            if r.status not in (301, 302, 303, 307, 308):
                return hops
            if len(hops) > MAX_HOPS:
                raise AssertionError("redirect loop: %r" %
                                     [h.url for h in hops])
            loc = r.header("Location")
            base = "https://127.0.0.1:%d%s" % (
                urllib.parse.urlsplit(url).port or self.stack.shop_port,
                urllib.parse.urlsplit(url).path)
            url = urllib.parse.urljoin(base, loc).split("#", 1)[0]

    @staticmethod
    def is_callback(r):
        return urllib.parse.urlsplit(r.url).path == "/oauth/callback"


def parse_set_cookie(v):
    name, _, rest = v.partition("=")
    parts = [p.strip() for p in rest.split(";")]
    attrs = {}
    for p in parts[1:]:
        k, _, val = p.partition("=")
        attrs[k.lower()] = val
    return name, parts[0], attrs


# -- the tests -----------------------------------------------------------------
class TestOAuth(harness.StackTest):
    stack_kwargs = {"config": {"session_ttl_sec": "3600"}}
    codes_seen = []
    session_tokens = []

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if sim_available(cls.stack):
            cls.wechat = SimWeChat(cls.stack)
        else:
            cls.wechat = FakeWeChat(cls.stack)
            cls.wechat.start()

    @classmethod
    def tearDownClass(cls):
        cls.wechat.stop()
        super().tearDownClass()

    def setUp(self):
        self.wechat.set_errcodes([])
        self.wechat.set_snapshot(False)

    # helpers
    def browser(self):
        return Browser(self.stack)

    def remember(self, b):
        """Collect the codes and session tokens a browser saw (for the log
        check at the end)."""
        for u in b.visited:
            q = urllib.parse.parse_qs(urllib.parse.urlsplit(u).query)
            TestOAuth.codes_seen.extend(q.get("code", []))
        for v in b.set_cookies:
            name, value, _ = parse_set_cookie(v)
            if name == SESSION_COOKIE and value:
                TestOAuth.session_tokens.append(value)

    def start(self, b, ret="/shop/"):
        """/oauth/start for ret; returns the authorize URL and state."""
        r = b.get("/oauth/start?ret=" + urllib.parse.quote(ret, safe=""))
        self.assertEqual(r.status, 302, r)
        loc = r.header("Location")
        state = urllib.parse.parse_qs(
            urllib.parse.urlsplit(loc.split("#")[0]).query)["state"][0]
        return loc.split("#", 1)[0], state

    def authorize(self, b, auth_url):
        """Let WeChat answer the authorize URL: the callback URL."""
        r = b.get(auth_url)
        self.assertEqual(r.status, 302, r)
        return r.header("Location")

    def login(self, b, ret="/shop/"):
        auth, state = self.start(b, ret)
        cb = self.authorize(b, auth)
        r = b.get(cb)
        self.remember(b)
        return r, cb, state

    def me(self, b):
        return b.get("/api/me")

    def db(self):
        c = sqlite3.connect(self.stack.db_path, timeout=30)
        return c

    def assert_no_session(self, r, b=None):
        for v in r.headers_all("Set-Cookie"):
            name, value, _ = parse_set_cookie(v)
            if name == SESSION_COOKIE:
                self.assertEqual(value, "", "session cookie issued: %s" % v)
        if b is not None:
            self.assertEqual(self.me(b).status, 401)

    def assert_page(self, r, status, page_id):
        self.assertEqual(r.status, status, r)
        self.assertTrue(r.header("Content-Type").startswith("text/html"))
        self.assertIsNone(r.header("Location"))
        self.assertIn('id="%s"' % page_id, r.text)
        self.assertNotIn("<script", r.text.lower())
        self.assertNotIn("style=", r.text.lower())

    def assert_restart(self, r, ret="/"):
        self.assertEqual(r.status, 302, r)
        self.assertEqual(r.header("Location"),
                         "/oauth/start?ret=%s&restart=1" %
                         urllib.parse.quote(ret, safe=""))

    # 1. happy path
    def test_01_happy_path(self):
        b = self.browser()
        auth, state = self.start(b, "/shop/cart.html?x=1")
        # parameters in WeChat's exact order (§1)
        redir = urllib.parse.quote("https://127.0.0.1:%d/oauth/callback" %
                                   self.stack.shop_port, safe="")
        r0 = b.get("/oauth/start?ret=%2Fshop%2F")
        self.assertEqual(
            r0.header("Location"),
            "https://127.0.0.1:%d/connect/oauth2/authorize?appid=%s"
            "&redirect_uri=%s&response_type=code&scope=snsapi_base"
            "&state=%s&connect_redirect=1#wechat_redirect" % (
                self.stack.sim_port, harness.TEST_APPID, redir,
                urllib.parse.parse_qs(urllib.parse.urlsplit(
                    r0.header("Location").split("#")[0]).query)
                ["state"][0]))
        self.assertRegex(state, r"^[A-Za-z0-9]{16,128}$")
        binder = [v for v in r0.headers_all("Set-Cookie")
                  if v.startswith(BINDER_COOKIE + "=")]
        self.assertEqual(len(binder), 1)
        self.assertIn("HttpOnly", binder[0])
        self.assertIn("Secure", binder[0])

        cb = self.authorize(b, auth)
        self.assertTrue(cb.startswith("https://127.0.0.1:%d/oauth/callback?"
                                      % self.stack.shop_port), cb)
        r = b.get(cb)
        self.remember(b)
        self.assertEqual(r.status, 302, r)
        self.assertEqual(r.header("Location"), "/shop/cart.html?x=1")
        cookies = [parse_set_cookie(v) for v in r.headers_all("Set-Cookie")]
        sess = [c for c in cookies if c[0] == SESSION_COOKIE]
        self.assertEqual(len(sess), 1)
        name, value, attrs = sess[0]
        self.assertRegex(value, r"^[A-Za-z0-9_-]{43}$")     # 256 bits
        self.assertIn("httponly", attrs)
        self.assertIn("secure", attrs)
        self.assertEqual(attrs.get("samesite"), "Lax")
        self.assertEqual(attrs.get("path"), "/")
        self.assertEqual(attrs.get("max-age"), "3600")
        self.assertNotIn("domain", attrs)                   # __Host-

        me = self.me(b)
        self.assertEqual(me.status, 200)
        body = me.json()
        self.assertEqual(body["appid"], harness.TEST_APPID)
        self.assertRegex(body["openid"], r"^.{4}\*\*\*.{4}$")
        # the database holds the openid with its appid, the token hashed
        with self.db() as c:
            rows = c.execute("SELECT appid, openid FROM buyer_session WHERE "
                             "token_hash = ?", (sha256_hex(value),)).fetchall()
            self.assertEqual(len(rows), 1)
            self.assertEqual(rows[0][0], harness.TEST_APPID)
            self.assertTrue(rows[0][1].startswith(body["openid"][:4]))
            self.assertEqual(c.execute(
                "SELECT COUNT(*) FROM buyer_session WHERE token_hash = ?",
                (value,)).fetchone()[0], 0)

    def test_02_buyer_route_without_session(self):
        b = self.browser()
        r = self.me(b)
        self.assertEqual(r.status, 401)
        self.assertEqual(r.json(), {"error": "login_required",
                                    "login": "/oauth/start?ret=/api/me"})
        b.cookies()[SESSION_COOKIE] = "A" * 43
        self.assertEqual(self.me(b).status, 401)

    def test_03_logout(self):
        b = self.browser()
        r, _, _ = self.login(b)
        self.assertEqual(r.status, 302)
        self.assertEqual(self.me(b).status, 200)
        token = b.cookies()[SESSION_COOKIE]
        r = b.request("POST", "/api/logout")
        self.assertEqual(r.status, 200)
        self.assertEqual(self.me(b).status, 401)
        # the old token is dead on the server, not only in this browser
        b.cookies()[SESSION_COOKIE] = token
        self.assertEqual(self.me(b).status, 401)

    # 2. refused
    def test_10_missing_state(self):
        b = self.browser()
        code = secrets.token_hex(16)
        r = b.get("/oauth/callback?code=" + code)
        self.assert_no_session(r)
        self.assert_restart(r, "/")
        # the restart marker stops a second restart: a page, no redirect
        r = b.get("/oauth/callback?code=" + code)
        self.assert_page(r, 400, "oauth-expired")
        self.assert_no_session(r, b)
        self.remember(b)

    def test_11_wrong_state(self):
        b = self.browser()
        auth, state = self.start(b)
        wrong = "0" * len(state)
        cb = self.authorize(b, auth.replace(state, wrong))
        r = b.get(cb)
        self.assert_no_session(r)
        self.assert_restart(r, "/")
        r = b.get(cb)
        self.assert_page(r, 400, "oauth-expired")
        self.assert_no_session(r, b)
        self.remember(b)

    def test_12_reused_state(self):
        b = self.browser()
        auth, state = self.start(b, "/shop/a")
        cb1 = self.authorize(b, auth)
        self.assertEqual(b.get(cb1).status, 302)
        # the same state again with a fresh code (a replay): refused
        b2 = self.browser()
        cb2 = self.authorize(b2, auth)
        r = b2.get(cb2)
        self.assert_no_session(r)
        self.assert_restart(r, "/shop/a")
        r = b2.get(cb2)
        self.assert_page(r, 400, "oauth-expired")
        self.assert_no_session(r, b2)
        self.remember(b)
        self.remember(b2)

    def test_13_expired_state(self):
        b = self.browser()
        auth, state = self.start(b, "/shop/e")
        with self.db() as c:
            n = c.execute("UPDATE oauth_state SET expires_at = "
                          "CAST(strftime('%s','now') AS INTEGER) - 1 "
                          "WHERE state_hash = ?",
                          (sha256_hex(state),)).rowcount
        self.assertEqual(n, 1)
        cb = self.authorize(b, auth)
        r = b.get(cb)
        self.assert_no_session(r)
        self.assert_restart(r, "/shop/e")
        # follow the restart: a fresh state, marked as a restart; if it
        # expires too, a page and not another round
        r = b.get(r.header("Location"))
        self.assertEqual(r.status, 302)
        auth2 = r.header("Location").split("#")[0]
        state2 = urllib.parse.parse_qs(
            urllib.parse.urlsplit(auth2).query)["state"][0]
        b.cookies().pop(MARKER_COOKIE, None)     # lost cookie: row decides
        with self.db() as c:
            row = c.execute("SELECT restarts FROM oauth_state WHERE "
                            "state_hash = ?",
                            (sha256_hex(state2),)).fetchone()
            self.assertEqual(row[0], 1)
            c.execute("UPDATE oauth_state SET expires_at = 0 WHERE "
                      "state_hash = ?", (sha256_hex(state2),))
        r = b.get(self.authorize(b, auth2))
        self.assert_page(r, 400, "oauth-expired")
        self.assert_no_session(r, b)
        self.remember(b)

    def test_14_state_from_another_browser(self):
        attacker, victim = self.browser(), self.browser()
        auth, state = self.start(attacker, "/shop/")
        self.start(victim, "/shop/")          # the victim has its binder
        cb = self.authorize(attacker, auth)
        before = self.wechat.exchange_count(
            urllib.parse.parse_qs(urllib.parse.urlsplit(cb).query)
            ["code"][0])
        r = victim.get(cb)
        self.assert_page(r, 403, "oauth-other-browser")
        self.assert_no_session(r, victim)
        code = urllib.parse.parse_qs(urllib.parse.urlsplit(cb).query)[
            "code"][0]
        self.assertEqual(self.wechat.exchange_count(code), before)
        self.remember(attacker)
        self.remember(victim)

    def test_15_lost_cookie_tolerated(self):
        b = self.browser()
        auth, state = self.start(b, "/shop/lost")
        b.jar.clear()                            # WeChat lost the cookie
        r = b.get(self.authorize(b, auth))
        self.assertEqual(r.status, 302)
        self.assertEqual(r.header("Location"), "/shop/lost")
        self.assertEqual(self.me(b).status, 200)
        self.remember(b)

    def test_16_missing_code(self):
        b = self.browser()
        auth, state = self.start(b, "/shop/")
        r = b.get("/oauth/callback?state=" + state)
        self.assert_page(r, 403, "oauth-refused")
        self.assert_no_session(r, b)
        # the page offers a fresh, user-initiated start (not a redirect)
        self.assertIn('href="/oauth/start?ret=%2Fshop%2F"', r.text)
        # and the state is spent
        with self.db() as c:
            used = c.execute("SELECT used_at FROM oauth_state WHERE "
                             "state_hash = ?",
                             (sha256_hex(state),)).fetchone()[0]
        self.assertIsNotNone(used)

    def test_17_no_loop_when_everything_fails(self):
        # a WeChat that keeps answering 40163: at most one restart, then
        # a page -- followed end to end with a hop limit
        b = self.browser()
        self.wechat.set_errcodes([40163] * 6)
        hops = b.follow("/oauth/start?ret=%2Fshop%2F")
        self.remember(b)
        starts = [h for h in hops
                  if urllib.parse.urlsplit(h.url).path == "/oauth/start"]
        self.assertEqual(len(starts), 2, [h.url for h in hops])
        self.assert_page(hops[-1], 400, "oauth-expired")
        self.assert_no_session(hops[-1], b)

    # 3. repeated callbacks
    def test_20_refresh_same_callback(self):
        b = self.browser()
        r, cb, state = self.login(b, "/shop/r")
        self.assertEqual(r.status, 302)
        self.assertEqual(self.me(b).status, 200)
        code = urllib.parse.parse_qs(urllib.parse.urlsplit(cb).query)[
            "code"][0]
        r2 = b.get(cb)                            # refresh
        self.remember(b)
        self.assertEqual(r2.status, 302)
        self.assertEqual(r2.header("Location"), "/shop/r")
        self.assertEqual(self.me(b).status, 200)
        self.assertEqual(self.wechat.exchange_count(code), 1)
        r3 = b.get(cb)                            # and the back button
        self.remember(b)
        self.assertEqual(r3.status, 302)
        self.assertEqual(self.me(b).status, 200)
        self.assertEqual(self.wechat.exchange_count(code), 1)

    def test_21_double_callback_two_codes(self):
        b = self.browser()
        auth, state = self.start(b, "/shop/d")
        cb1 = self.authorize(b, auth)             # WeChat calls twice,
        cb2 = self.authorize(b, auth)             # with two codes
        self.assertNotEqual(cb1, cb2)
        r1 = b.get(cb1)
        self.assertEqual(r1.status, 302)
        hops = b.follow(cb2)                      # the browser shows this
        self.remember(b)
        final = [h for h in hops if h.status == 302 and
                 h.header("Location") == "/shop/d"]
        self.assertTrue(final, [h.url for h in hops])
        self.assertEqual(self.me(b).status, 200)

    # 4. WeChat's answers
    def test_30_snapshot_user(self):
        b = self.browser()
        self.wechat.set_snapshot(True)
        r, _, _ = self.login(b)
        self.assert_page(r, 403, "oauth-snapshot")
        self.assertIn("使用完整服务", r.text)
        self.assert_no_session(r, b)

    def test_31_invalid_appsecret(self):
        b = self.browser()
        self.wechat.set_errcodes([40125])
        mark = len(self.stack.log_text("h5payd"))
        r, _, _ = self.login(b)
        self.assert_page(r, 500, "oauth-config")
        self.assert_no_session(r, b)
        log = self.stack.log_text("h5payd")[mark:]
        self.assertRegex(log, r"lvl=error .*evt=config_error errcode=40125")
        self.assertNotIn(harness.TEST_WECHAT_SECRET, log)

    def test_32_invalid_appid(self):
        b = self.browser()
        self.wechat.set_errcodes([40013])
        r, _, _ = self.login(b)
        self.assert_page(r, 500, "oauth-config")
        self.assert_no_session(r, b)

    def test_33_busy_once_then_success(self):
        b = self.browser()
        self.wechat.set_errcodes([-1])
        r, cb, _ = self.login(b, "/shop/busy")
        self.assertEqual(r.status, 302, r)
        self.assertEqual(r.header("Location"), "/shop/busy")
        self.assertEqual(self.me(b).status, 200)
        code = urllib.parse.parse_qs(urllib.parse.urlsplit(cb).query)[
            "code"][0]
        self.assertEqual(self.wechat.exchange_count(code), 2)

    def test_34_busy_twice(self):
        b = self.browser()
        self.wechat.set_errcodes([-1, -1])
        r, cb, _ = self.login(b)
        self.assert_page(r, 503, "oauth-unavailable")
        self.assert_no_session(r, b)
        code = urllib.parse.parse_qs(urllib.parse.urlsplit(cb).query)[
            "code"][0]
        self.assertEqual(self.wechat.exchange_count(code), 2)

    def test_35_code_used_restarts_once(self):
        b = self.browser()
        self.wechat.set_errcodes([40163])
        r, _, _ = self.login(b, "/shop/u")
        self.assert_no_session(r)
        self.assert_restart(r, "/shop/u")
        hops = b.follow(r.header("Location"), stop=Browser.is_callback)
        self.remember(b)
        self.assertEqual(hops[-1].status, 302)
        self.assertEqual(hops[-1].header("Location"), "/shop/u")
        self.assertEqual(self.me(b).status, 200)

    # 5. open redirects
    def test_40_open_redirects_refused(self):
        for ret in ("https://evil.example/", "//evil.example",
                    "/\\evil.example", "\\\\evil.example", "/\t/evil.example",
                    "http:evil.example", "/oauth/start?ret=/",
                    "javascript:alert(1)", "/x\r\nLocation: //evil"):
            b = self.browser()
            r = b.get("/oauth/start?ret=" + urllib.parse.quote(ret, safe=""))
            self.assert_page(r, 400, "oauth-bad-return")
            self.assertEqual(b.cookies(), {}, ret)

    def test_41_relative_ret_kept(self):
        b = self.browser()
        r, _, _ = self.login(b, "/shop/item.html?id=7#top")
        self.assertEqual(r.header("Location"), "/shop/item.html?id=7#top")

    def test_42_missing_ret_goes_home(self):
        b = self.browser()
        r = b.get("/oauth/start")
        self.assertEqual(r.status, 302)
        r = b.get(self.authorize(b, r.header("Location").split("#")[0]))
        self.remember(b)
        self.assertEqual(r.header("Location"), "/")

    # 6. secrets stay out of the logs (runs last)
    def test_99_logs_hold_no_secrets(self):
        time.sleep(0.5)     # let nginx and the workers finish writing
        logs = self.stack.all_logs()
        self.assertIn("evt=login", logs)                # logs were read
        self.assertNotIn(harness.TEST_WECHAT_SECRET, logs)
        self.assertNotIn(urllib.parse.quote(harness.TEST_WECHAT_SECRET,
                                            safe=""), logs)
        tokens = self.wechat.access_tokens()
        self.assertTrue(tokens)
        for t in tokens:
            self.assertNotIn(t, logs)
        codes = set(TestOAuth.codes_seen)
        self.assertGreater(len(codes), 10)
        for c in codes:
            self.assertNotIn(c, logs)
        sessions = set(TestOAuth.session_tokens)
        self.assertGreater(len(sessions), 5)
        for s in sessions:
            self.assertNotIn(s, logs)
        # and the raw openid never appears (masked only)
        if isinstance(self.wechat, FakeWeChat):
            self.assertNotIn(self.wechat.openid, logs)


if __name__ == "__main__":
    harness.main()
