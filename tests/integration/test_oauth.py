"""WeChat web authorization and buyer sessions (issue 4, docs/protocol.md §W1).

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

The WeChat side is h5pay-sim's OAuth endpoints (automatic authorize mode,
errcodes and snapshot users switched through its loopback control
endpoint, the exchange counter from /sim/api/oauth).
"""
import hashlib
import json
import os
import re
import secrets
import sqlite3
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
class OAuthStack(harness.Stack):
    """The harness's stack. Every log of it -- h5payd's, h5pay-sim's, the
    nginx access and error logs, which in the demo and the tests also
    carry the simulated WeChat's requests (its token endpoint's URL holds
    the AppSecret and the code by WeChat's design) -- is checked by
    test_99 (issue 12 item 8: no query strings in access logs)."""


class SimWeChat:
    """h5pay-sim's WeChat OAuth (docs/protocol.md §W1): automatic authorize
    mode, errcodes and snapshot users through its loopback control endpoint,
    the exchange counter from /sim/api/oauth."""

    def __init__(self, stack):
        self.stack = stack
        self.openid = "oBuyer_" + secrets.token_hex(8)
        self.snap_openid = "oSnap_" + secrets.token_hex(8)
        stack.sim_control("oauth_user", openid=self.openid, snapshot=False)
        stack.sim_control("oauth_user", openid=self.snap_openid,
                          snapshot=True)
        self.set_snapshot(False)

    def set_errcodes(self, codes):
        """The next len(codes) exchanges answer codes[0] (one errcode at a
        time, as the simulator offers)."""
        codes = list(codes)
        assert len(set(codes)) <= 1, codes
        self.stack.sim_control("faults",
                               oauth_errcode=codes[0] if codes else 0,
                               oauth_errcode_count=len(codes))

    def set_snapshot(self, on):
        self.stack.sim_control("faults", oauth_auto_user=self.snap_openid
                               if on else self.openid)

    def exchanges(self):
        """Token requests the simulated WeChat has answered so far."""
        return self.stack.sim_json("/sim/api/oauth")["exchanges"]


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
    states_seen = []
    binders_seen = []
    session_tokens = []

    @classmethod
    def setUpClass(cls):
        if not os.path.exists(harness.SIM_BIN):
            raise AssertionError("h5pay-sim is not built: the OAuth tests "
                                 "need its WeChat endpoints")
        cls.stack = OAuthStack(cls.__name__, **cls.stack_kwargs).start()
        cls.wechat = SimWeChat(cls.stack)

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
            q = urllib.parse.parse_qs(urllib.parse.urlsplit(
                u.split("#")[0]).query)
            TestOAuth.codes_seen.extend(q.get("code", []))
            TestOAuth.states_seen.extend(q.get("state", []))
        for v in b.set_cookies:
            name, value, _ = parse_set_cookie(v)
            if name == SESSION_COOKIE and value:
                TestOAuth.session_tokens.append(value)
            if name == BINDER_COOKIE and value:
                TestOAuth.binders_seen.append(value)

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
        c = harness.db_connect(self.stack, timeout=30)
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
        # no script and no inline style from h5payd (the test nginx
        # injects the simulator's bridge into every shop page: drop it)
        html = r.text.replace('<script src="%s/sim/jsbridge.js"></script>'
                              % self.stack.sim_origin(), "").lower()
        self.assertNotIn("<script", html)
        self.assertNotIn("style=", html)
        self.assertNotRegex(html, r"\son[a-z]+=")

    def assert_restart(self, r, ret="/"):
        self.assertEqual(r.status, 302, r)
        self.assertEqual(r.header("Location"),
                         "/oauth/start?ret=%s&restart=1" %
                         urllib.parse.quote(ret, safe=""))

    # 1. happy path
    def test_01_happy_path(self):
        b = self.browser()
        auth, state = self.start(b, "/shop/cart.html?x=1")
        # parameters in WeChat's exact order (§W1)
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

    def test_04_cross_site_post_refused(self):
        # a hostile page POSTing to a state-changing buyer route with the
        # buyer's cookie: refused by the route guard, nothing changes
        b = self.browser()
        self.login(b)
        self.assertEqual(self.me(b).status, 200)
        for hdrs in ({"Sec-Fetch-Site": "cross-site"},
                     {"Sec-Fetch-Site": "same-site"},
                     {"Origin": "https://evil.example"},
                     {"Origin": "null"}):
            r = b.request("POST", "/api/logout", headers=hdrs)
            self.assertEqual(r.status, 403, (hdrs, r))
            self.assertEqual(self.me(b).status, 200, hdrs)
            r = b.request("POST", "/pay", body=json.dumps(
                {"items": [{"sku": "x", "qty": 1}],
                 "idempotencyKey": "crosssite01"}).encode(),
                headers=dict(hdrs, **{"Content-Type": "application/json"}))
            self.assertEqual(r.status, 403, (hdrs, r))
        # the page's own requests pass
        origin = "https://127.0.0.1:%d" % self.stack.shop_port
        r = b.request("POST", "/api/logout",
                      headers={"Sec-Fetch-Site": "same-origin",
                               "Origin": origin})
        self.assertEqual(r.status, 200, r)
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
            n = c.execute("UPDATE oauth_state SET expires_at = ? "
                          "WHERE state_hash = ?",
                          (int(time.time()) - 1, sha256_hex(state))).rowcount
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
            # just expired (an ancient one could be purged meanwhile)
            c.execute("UPDATE oauth_state SET expires_at = ? "
                      "WHERE state_hash = ?",
                      (int(time.time()) - 1, sha256_hex(state2)))
        r = b.get(self.authorize(b, auth2))
        self.assert_page(r, 400, "oauth-expired")
        self.assert_no_session(r, b)
        self.remember(b)

    def test_14_state_from_another_browser(self):
        attacker, victim = self.browser(), self.browser()
        auth, state = self.start(attacker, "/shop/")
        self.start(victim, "/shop/")          # the victim has its binder
        cb = self.authorize(attacker, auth)
        before = self.wechat.exchanges()
        r = victim.get(cb)
        self.assert_page(r, 403, "oauth-other-browser")
        self.assert_no_session(r, victim)
        self.assertEqual(self.wechat.exchanges(), before)   # never sent
        self.remember(attacker)
        self.remember(victim)

    def refresh_target(self, r):
        """The URL of a restart page's <meta http-equiv=refresh>."""
        m = re.search(r'http-equiv="refresh" content="0; url=([^"]+)"',
                      r.text)
        self.assertIsNotNone(m, r.text)
        return m.group(1).replace("&amp;", "&")

    def test_15_lost_cookie_restarts_bound(self):
        # issue 12 item 1: WeChat's webview lost the binder cookie. The
        # callback creates no session (it cannot tell this browser from a
        # victim of a forged link); a no-store page with a fresh binder
        # restarts the login from here, and that one succeeds.
        b = self.browser()
        auth, state = self.start(b, "/shop/lost")
        b.jar.clear()                            # WeChat lost the cookie
        before = self.wechat.exchanges()
        cb = self.authorize(b, auth)
        r = b.get(cb)
        self.assert_page(r, 200, "oauth-restart")
        self.assert_no_session(r)
        self.assertEqual(r.header("Cache-Control"), "no-store")
        code = urllib.parse.parse_qs(urllib.parse.urlsplit(cb).query)[
            "code"][0]
        self.assertNotIn(code, r.text)
        self.assertIn('name="referrer" content="no-referrer"', r.text)
        self.assertIn(BINDER_COOKIE, b.cookies())
        self.assertEqual(self.wechat.exchanges(), before)   # never sent
        target = self.refresh_target(r)
        self.assertEqual(target, "/oauth/start?ret=%2Fshop%2Flost&restart=1")
        hops = b.follow(target, stop=Browser.is_callback)
        self.remember(b)
        self.assertEqual(hops[-1].status, 302, [h.url for h in hops])
        self.assertEqual(hops[-1].header("Location"), "/shop/lost")
        self.assertEqual(self.me(b).status, 200)

    def test_15b_cookie_lost_every_time_ends_on_a_page(self):
        # a webview that keeps no cookie at all: one restart, then a page
        # with a link a person can use -- never a loop
        b = self.browser()
        auth, _ = self.start(b, "/shop/")
        b.jar.clear()
        r = b.get(self.authorize(b, auth))
        self.assert_page(r, 200, "oauth-restart")
        b.jar.clear()
        r = b.get(self.refresh_target(r))           # the restarted login
        self.assertEqual(r.status, 302)
        cb = self.authorize(b, r.header("Location").split("#")[0])
        b.jar.clear()                               # and lost again
        r = b.get(cb)
        self.remember(b)
        self.assert_page(r, 400, "oauth-no-cookie")
        self.assert_no_session(r, b)
        self.assertIn('href="/oauth/start?ret=%2Fshop%2F"', r.text)

    def test_18_login_csrf_forged_callback_link(self):
        # issue 12 item 1: the attacker starts a login, stops at the
        # callback and sends the link. A victim without a binder cookie
        # (it lives 600 s) must not be logged in as the attacker, and a
        # victim's session must not be replaced.
        attacker = self.browser()
        auth, _ = self.start(attacker, "/shop/")
        attacker_cb = self.authorize(attacker, auth)
        fresh_victim = self.browser()
        before = self.wechat.exchanges()
        r = fresh_victim.get(attacker_cb)
        self.assert_no_session(r, fresh_victim)
        self.assertEqual(self.wechat.exchanges(), before)
        # a victim logged in earlier, binder expired (600 s)
        victim = self.browser()
        self.login(victim, "/shop/")
        victim_token = victim.cookies()[SESSION_COOKIE]
        victim.cookies().pop(BINDER_COOKIE, None)
        auth, _ = self.start(attacker, "/shop/")
        attacker_cb = self.authorize(attacker, auth)
        r = victim.get(attacker_cb)
        self.assert_no_session(r)
        self.assertEqual(victim.cookies()[SESSION_COOKIE], victim_token)
        self.assertEqual(self.me(victim).status, 200)
        self.assertEqual(self.wechat.exchanges(), before + 1)
        self.remember(attacker)
        self.remember(victim)
        self.remember(fresh_victim)

    def test_19_leaked_callback_link_replayed(self):
        # issue 12 item 2: a callback URL seen in a log, a history or a
        # Referer, replayed within the code cache's 5 minutes without the
        # browser's cookies: no session as that buyer
        b = self.browser()
        r, cb, _ = self.login(b, "/shop/")
        self.assertEqual(r.status, 302)
        thief = self.browser()
        before = self.wechat.exchanges()
        hops = thief.follow(cb, stop=Browser.is_callback)
        for h in hops:
            self.assert_no_session(h)
        self.assertEqual(self.me(thief).status, 401)
        self.assertEqual(self.wechat.exchanges(), before)
        self.remember(thief)

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
        before = self.wechat.exchanges()
        r, cb, state = self.login(b, "/shop/r")
        self.assertEqual(r.status, 302)
        self.assertEqual(self.me(b).status, 200)
        r2 = b.get(cb)                            # refresh
        self.remember(b)
        self.assertEqual(r2.status, 302)
        self.assertEqual(r2.header("Location"), "/shop/r")
        self.assertEqual(self.me(b).status, 200)
        r3 = b.get(cb)                            # and the back button
        self.remember(b)
        self.assertEqual(r3.status, 302)
        self.assertEqual(self.me(b).status, 200)
        # one code exchange at WeChat for the three callbacks
        self.assertEqual(self.wechat.exchanges() - before, 1)

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
        before = self.wechat.exchanges()
        r, cb, _ = self.login(b, "/shop/busy")
        self.assertEqual(r.status, 302, r)
        self.assertEqual(r.header("Location"), "/shop/busy")
        self.assertEqual(self.me(b).status, 200)
        self.assertEqual(self.wechat.exchanges() - before, 2)

    def test_34_busy_twice(self):
        b = self.browser()
        self.wechat.set_errcodes([-1, -1])
        before = self.wechat.exchanges()
        r, cb, _ = self.login(b)
        self.assert_page(r, 503, "oauth-unavailable")
        self.assert_no_session(r, b)
        self.assertEqual(self.wechat.exchanges() - before, 2)  # one retry

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

        def absent(value, kind):
            # the message names the kind and where, never the log itself
            if value in logs:
                line = next(l for l in logs.splitlines() if value in l)
                self.fail("a %s is in the logs, in a line starting %r" %
                          (kind, line[:60]))

        absent(harness.TEST_WECHAT_SECRET, "AppSecret")
        absent(urllib.parse.quote(harness.TEST_WECHAT_SECRET, safe=""),
               "AppSecret")
        # access and refresh tokens: the simulator's are 64 hex digits;
        # nothing of ours logs a 64-hex value (request ids are 32)
        m = re.search(r"(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])", logs)
        if m:
            absent(m.group(0), "64-hex token")
        codes = set(TestOAuth.codes_seen)
        self.assertTrue(codes)
        for c in codes:
            absent(c, "OAuth code")
        sessions = set(TestOAuth.session_tokens)
        self.assertTrue(sessions)
        for s in sessions:
            absent(s, "session token")
            absent(sha256_hex(s), "session token hash")
        absent(self.wechat.openid, "unmasked openid")
        absent(self.wechat.snap_openid, "unmasked openid")
        states = set(TestOAuth.states_seen)
        self.assertTrue(states)
        for st in states:
            absent(st, "OAuth state")
        for bd in set(TestOAuth.binders_seen):
            absent(bd, "browser binder")
        # the access log was read, with the simulated WeChat's requests
        # (the daemon's code exchange passes through this nginx) and the
        # AppSecret's parameter name nowhere
        self.assertTrue('"GET /sns/oauth2/access_token HTTP/1.1" 200' in
                        logs, "the simulator's requests are not logged")
        m = re.search(r"[?&](secret|code|state|appid|openid)=", logs)
        self.assertIsNone(m, m and "a query string is logged: %r" %
                          m.group(0))

    def test_98_access_logs_drop_query_strings(self):
        # issue 12 item 8: every access_log of every nginx config the
        # project ships (production and local alike) is off or uses the
        # query-less h5pay format, and there is one at http level
        confs = []
        for d in ("nginx", "deploy"):
            top = os.path.join(harness.SRC, d)
            confs += [os.path.join(top, f) for f in sorted(os.listdir(top))
                      if f.endswith((".conf", ".conf.in"))]
        seen = 0
        for path in confs:
            with open(path) as f:
                text = re.sub(r"#.*", "", f.read())
            for m in re.finditer(r"\baccess_log\s+([^;]+);", text):
                args = m.group(1).split()
                seen += 1
                self.assertTrue(args == ["off"] or (len(args) >= 2 and
                                args[1] == "h5pay"), (path, m.group(0)))
        self.assertGreaterEqual(seen, 3)
        with open(os.path.join(harness.SRC, "nginx",
                               "log_format.conf")) as f:
            fmt = f.read()
        self.assertNotIn("$request ", fmt)
        self.assertNotIn("$request_uri", fmt)
        self.assertNotIn("$args", fmt)
        self.assertNotIn("$query_string", fmt)
        self.assertNotIn("$http_referer", fmt)

if __name__ == "__main__":
    harness.main()
