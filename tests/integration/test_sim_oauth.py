"""h5pay-sim's WeChat OAuth (docs/protocol.md §W1): the authorize page and
its automatic mode, single-use codes that expire, the real errcodes,
snapshot users, the exchange counter."""
import urllib.parse

import harness
from harness import TEST_APPID, TEST_WECHAT_SECRET


class SimOAuthTest(harness.StackTest):

    def tearDown(self):
        self.stack.sim_control("reset")

    def redirect_uri(self):
        return "https://127.0.0.1:%d/oauth/callback" % self.stack.shop_port

    def authorize_path(self, state="abc123", user=None, **over):
        q = [("appid", TEST_APPID), ("redirect_uri", self.redirect_uri()),
             ("response_type", "code"), ("scope", "snsapi_base"),
             ("state", state)]
        q = [(k, over.get(k, v)) for k, v in q if over.get(k, v) is not None]
        if user:
            q.append(("sim_user", user))
        return "/connect/oauth2/authorize?" + urllib.parse.urlencode(q)

    def code_for(self, user="oTest1", state="abc123"):
        r = self.stack.sim_request("GET", self.authorize_path(state, user))
        self.assertEqual(r.status, 302, r)
        loc = r.header("Location")
        self.assertTrue(loc.startswith(self.redirect_uri() + "?"), loc)
        q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(loc).query))
        self.assertEqual(q["state"], state)
        self.assertEqual(len(q["code"]), 32)
        return q["code"]

    def exchange(self, code, appid=TEST_APPID, secret=TEST_WECHAT_SECRET,
                 grant="authorization_code"):
        q = [("appid", appid), ("secret", secret), ("code", code),
             ("grant_type", grant)]
        q = [(k, v) for k, v in q if v is not None]
        r = self.stack.sim_request("GET", "/sns/oauth2/access_token?" +
                                   urllib.parse.urlencode(q))
        self.assertEqual(r.status, 200)
        return r.json()

    def exchanges(self):
        return self.stack.sim_json("/sim/api/oauth")

    def test_code_exchange_once(self):
        code = self.code_for("oAlice")
        before = self.exchanges()["exchanges"]
        t = self.exchange(code)
        self.assertEqual(t["openid"], "oAlice")
        self.assertEqual(t["scope"], "snsapi_base")
        self.assertEqual(t["expires_in"], 7200)
        self.assertTrue(t["access_token"])
        self.assertNotIn("is_snapshotuser", t)
        self.assertNotIn("errcode", t)
        again = self.exchange(code)
        self.assertEqual(again["errcode"], 40163)
        self.assertNotIn("openid", again)
        o = self.exchanges()
        self.assertEqual(o["exchanges"], before + 2)
        self.assertGreaterEqual(o["byErrcode"]["40163"], 1)
        alice = [u for u in o["users"] if u["openid"] == "oAlice"][0]
        self.assertEqual(alice["exchanges"], 1)

    def test_code_expires_after_five_minutes(self):
        code = self.code_for("oBob")
        self.stack.sim_control("age_codes", seconds=301)
        self.assertEqual(self.exchange(code)["errcode"], 40029)
        fresh = self.code_for("oBob")
        self.stack.sim_control("age_codes", seconds=290)
        self.assertEqual(self.exchange(fresh)["openid"], "oBob")

    def test_errcodes(self):
        code = self.code_for()
        self.assertEqual(self.exchange(code, secret="wrong")["errcode"],
                         40125)
        self.assertEqual(self.exchange(code, appid="wx0000000000000000")
                         ["errcode"], 40013)
        self.assertEqual(self.exchange(None)["errcode"], 41008)
        self.assertEqual(self.exchange("nosuchcode")["errcode"], 40029)
        self.assertEqual(self.exchange(code, grant="x")["errcode"], 40002)
        # none of those used the code up
        self.assertEqual(self.exchange(code)["openid"], "oTest1")

    def test_forced_errcodes_for_next_exchanges(self):
        self.stack.sim_control("faults", oauth_errcode=-1,
                               oauth_errcode_count=2)
        code = self.code_for()
        self.assertEqual(self.exchange(code)["errcode"], -1)
        self.assertEqual(self.exchange(code)["errcode"], -1)
        self.assertEqual(self.exchange(code)["openid"], "oTest1")

    def test_snapshot_user(self):
        self.stack.sim_control("oauth_user", openid="oSnap", snapshot=True)
        t = self.exchange(self.code_for("oSnap"))
        self.assertEqual(t["is_snapshotuser"], 1)
        self.assertEqual(t["openid"], "oSnap")

    def test_automatic_mode_by_control(self):
        self.stack.sim_control("faults", oauth_auto_user="oAuto")
        r = self.stack.sim_request("GET", self.authorize_path("s1"))
        self.assertEqual(r.status, 302)
        code = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(
            r.header("Location")).query))["code"]
        self.assertEqual(self.exchange(code)["openid"], "oAuto")

    def test_picker_page_escapes(self):
        self.stack.sim_control("oauth_user", openid="oPick_1")
        r = self.stack.sim_request("GET", self.authorize_path(
            redirect_uri="https://127.0.0.1/cb?x=<script>&y=\"q\""))
        # '<' and '"' are refused in a redirect_uri altogether
        self.assertEqual(r.status, 400)
        r = self.stack.sim_request("GET", self.authorize_path(
            redirect_uri=self.redirect_uri() + "?x=1&y=2"))
        self.assertEqual(r.status, 200)
        self.assertTrue(r.header("Content-Type").startswith("text/html"))
        self.assertIn("oPick_1", r.text)
        self.assertIn("x=1&amp;y=2", r.text)
        self.assertNotIn("<script", r.text)
        self.assertIn("default-src 'none'",
                      r.header("Content-Security-Policy"))
        self.assertIn('name="sim_user"', r.text)

    def test_authorize_checks(self):
        cases = [
            ({"appid": "wx0000000000000000"}, "10016"),
            ({"appid": None}, "10012"),
            ({"redirect_uri": "http://127.0.0.1/cb"}, "10003"),
            ({"redirect_uri": None}, "10011"),
            # not the authorized domain (oauth_domain)
            ({"redirect_uri": "https://localhost:%d/cb" %
              self.stack.shop_port}, "10003"),
            ({"redirect_uri": "https://127.0.0.1:1/cb"}, "10003"),
            ({"response_type": "token"}, "10004"),
            ({"scope": "snsapi_login"}, "10005"),
            ({"state": "a-b"}, "10013"),
            ({"state": "s" * 129}, "10013"),
            ({"state": None}, "10013"),
        ]
        for over, code in cases:
            r = self.stack.sim_request("GET", self.authorize_path(
                user="oX", **over))
            self.assertEqual(r.status, 400, (over, r))
            self.assertIn("errcode " + code, r.text, over)
            self.assertIsNone(r.header("Location"))
        # WeChat matches the parameter order strictly
        q = urllib.parse.urlencode([
            ("redirect_uri", self.redirect_uri()), ("appid", TEST_APPID),
            ("response_type", "code"), ("scope", "snsapi_base"),
            ("state", "s"), ("sim_user", "oX")])
        r = self.stack.sim_request("GET", "/connect/oauth2/authorize?" + q)
        self.assertEqual(r.status, 400)
        # connect_redirect=1 is accepted after state
        r = self.stack.sim_request("GET", self.authorize_path(
            "s2").replace("state=s2", "state=s2&connect_redirect=1") +
            "&sim_user=oX")
        self.assertEqual(r.status, 302)


if __name__ == "__main__":
    harness.main()
