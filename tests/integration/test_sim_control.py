"""h5pay-sim's control and inspection endpoints: loopback only for the
switches (checked with a FastCGI request straight to the sim's socket
carrying another REMOTE_ADDR), validated input, generic faults (latency,
5xx) on any endpoint, and the escaped HTML inspection page."""
import json
import socket
import struct
import time
import uuid

import harness
from harness import TEST_APPID, TEST_MERCHANT


def fcgi_request(sock_path, params, body=b""):
    """A minimal FastCGI client (one request, role RESPONDER)."""
    def rec(t, content):
        return struct.pack("!BBHHBx", 1, t, 1, len(content), 0) + content

    def nv(k, v):
        k, v = k.encode(), v.encode()
        return bytes([len(k)]) + bytes([len(v)]) + k + v

    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(30)
    s.connect(sock_path)
    data = rec(1, struct.pack("!HB5x", 1, 0))
    data += rec(4, b"".join(nv(k, v) for k, v in params.items()))
    data += rec(4, b"")
    if body:
        data += rec(5, body)
    data += rec(5, b"")
    s.sendall(data)
    out, buf = b"", b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
    s.close()
    while len(buf) >= 8:
        _, t, _, n, pad = struct.unpack("!BBHHB", buf[:7])
        if t == 6:
            out += buf[8:8 + n]
        buf = buf[8 + n + pad:]
    return out.decode("utf-8", "replace")


class SimControlTest(harness.StackTest):

    def tearDown(self):
        self.stack.sim_control("reset")

    def direct(self, method, path, remote, body=b"", ctype=""):
        return fcgi_request(self.stack.sim_values["listen"], {
            "REQUEST_METHOD": method, "DOCUMENT_URI": path,
            "QUERY_STRING": "", "REMOTE_ADDR": remote,
            "CONTENT_TYPE": ctype, "CONTENT_LENGTH": str(len(body)),
            "REQUEST_ID": "t"}, body)

    def test_control_refused_off_loopback(self):
        body = json.dumps({"action": "faults", "error_count": 5}).encode()
        out = self.direct("POST", "/sim/control", "192.0.2.7", body,
                          "application/json")
        self.assertTrue(out.startswith("Status: 403"), out)
        out = self.direct("GET", "/sim/control", "192.0.2.7")
        self.assertTrue(out.startswith("Status: 403"), out)
        self.assertEqual(self.stack.sim_json("/sim/control")["faults"]
                         ["error_count"], 0)
        # loopback (IPv4 or IPv6) is fine
        out = self.direct("GET", "/sim/control", "::1")
        self.assertTrue(out.startswith("Status: 200"), out)

    def test_control_input_validated(self):
        for body in ({"action": "faults", "latency_ms": "5"},
                     {"action": "faults", "error_status": 200},
                     {"action": "faults", "notify_duplicate": 1},
                     {"action": "nope"}, {"no": "action"},
                     {"action": "pay"},
                     {"action": "oauth_user", "openid": "a b"}):
            r = self.stack.sim_request("POST", "/sim/control", body=body)
            self.assertEqual(r.status, 400, body)
        r = self.stack.sim_request("POST", "/sim/control", body={
            "action": "pay", "transactionId": "nosuch"})
        self.assertEqual(r.status, 404)
        self.assertEqual(self.stack.sim_json("/sim/control")["faults"]
                         ["latency_ms"], 0)

    def test_error_status_on_any_endpoint(self):
        self.stack.sim_control("faults", error_count=2, error_status=502,
                               error_path="/sns/")
        for _ in range(2):
            r = self.stack.sim_request("GET", "/sns/oauth2/access_token")
            self.assertEqual(r.status, 502)
        r = self.stack.sim_request("GET", "/sns/oauth2/access_token")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json()["errcode"], 41002)
        # the switches stay reachable whatever the fault
        self.stack.sim_control("faults", error_count=1, error_path="",
                               error_status=503)
        self.assertEqual(self.stack.sim_json("/sim/control")["faults"]
                         ["error_count"], 1)
        self.assertEqual(self.stack.sim_request(
            "GET", "/sim/healthz").status, 503)

    def test_latency(self):
        self.stack.sim_control("faults", latency_ms=400,
                               latency_path="/sim/jsbridge.js")
        t0 = time.monotonic()
        r = self.stack.sim_request("GET", "/sim/jsbridge.js")
        self.assertEqual(r.status, 200)
        self.assertGreaterEqual(time.monotonic() - t0, 0.4)

    def test_inspection_page_escaped(self):
        tid = "I" + uuid.uuid4().hex[:16]
        f = {"version": "1.0", "merchantNo": TEST_MERCHANT,
             "transactionType": "pay", "transactionId": tid,
             "appId": "127.0.0.1", "amount": "100", "currency": "HKD",
             "notifyUrl": "https://127.0.0.1:1/notify",
             "payerInfo": json.dumps({"paymentMethod": "wechat_jsapi",
                                      "sub_appid": TEST_APPID,
                                      "sub_openid": "oInspect"}),
             "orderInfo": json.dumps({"subject": "<img src=x onerror=1>",
                                      "x": "<script>"})}
        self.assertEqual(self.stack.sim_api(f).json()["errorCode"], "0000")
        r = self.stack.sim_request("GET", "/sim/")
        self.assertEqual(r.status, 200)
        self.assertTrue(r.header("Content-Type").startswith("text/html"))
        self.assertIn(tid, r.text)
        self.assertIn("&lt;img src=x onerror=1&gt;", r.text)
        self.assertNotIn("<img", r.text)
        self.assertNotIn("<script", r.text)
        self.assertIn("default-src 'none'",
                      r.header("Content-Security-Policy"))
        for path in ("/sim/api/transactions", "/sim/api/refunds",
                     "/sim/api/notifications", "/sim/api/oauth"):
            self.assertEqual(self.stack.sim_request("GET", path).status, 200)


if __name__ == "__main__":
    harness.main()
