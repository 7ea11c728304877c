"""merchant_shop.py - a tiny merchant shop for test_checkout.js: a test
fixture, not a product. It is what an integrating merchant's backend does
with the payments API (docs/integration.md):

  GET /buy?ref=REF   create a payment for its order REF server to server
                     (POST /api/v1/payments with its API key), then send
                     the browser to the payment's checkoutUrl;
  GET /return?...    where hosted checkout sends the buyer back: check the
                     signature over payment_id and status, and - because a
                     return URL is never proof of payment - ask the API
                     what the payment's state is. The page shows both.
  POST /hook         the shop's events endpoint: verify H5pay-Signature
                     (HMAC-SHA256 over "<t>.<body>", docs/integration.md),
                     keep each event once by its id (at-least-once: a
                     resend is a repeat), answer 200;
  GET /events        what it received, as JSON: {"events": [{id, type,
                     order_no, deliveries}], "bad_signatures": N}.

HTTPS on 127.0.0.1 with the stack's certificate; the API is called with
the stack's CA. Configuration in the environment: E2E_MERCHANT_PORT,
E2E_BASE, E2E_CA, E2E_DIR (certs/), E2E_RETURN_SECRET_FILE, and
MERCHANT_TOKEN (the API key). Prints "ready" when it listens.
Stdlib only.
"""
import hashlib
import hmac
import html
import http.client
import http.server
import json
import os
import ssl
import sys
import threading
import time
import urllib.parse

PORT = int(os.environ["E2E_MERCHANT_PORT"])
BASE = urllib.parse.urlsplit(os.environ["E2E_BASE"])
TOKEN = os.environ["MERCHANT_TOKEN"]
with open(os.environ["E2E_RETURN_SECRET_FILE"]) as f:
    SECRET = f.read().strip()
with open(os.environ["E2E_EVENTS_SECRET_FILE"]) as f:
    EVENTS_SECRET = f.read().strip()
EVENTS = {}             # event id -> {"type", "order_no", "deliveries"}
BAD = [0]
LOCK = threading.Lock()


def event_verified(headers, body, tolerance=300):
    parts = dict(p.split("=", 1) for p in
                 headers.get("H5pay-Signature", "").split(",") if "=" in p)
    try:
        t = int(parts.get("t", ""))
    except ValueError:
        return False
    if abs(time.time() - t) > tolerance:
        return False
    mac = hmac.new(EVENTS_SECRET.encode(), b"%d." % t + body,
                   hashlib.sha256).hexdigest()
    return hmac.compare_digest(mac, parts.get("v1", ""))
CLIENT = ssl.create_default_context(cafile=os.environ["E2E_CA"])


def api(method, path, body=None):
    c = http.client.HTTPSConnection(BASE.hostname, BASE.port,
                                    context=CLIENT, timeout=30)
    h = {"Authorization": "Bearer " + TOKEN}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        h["Content-Type"] = "application/json"
    try:
        c.request(method, path, body=data, headers=h)
        r = c.getresponse()
        return r.status, json.loads(r.read() or b"null")
    finally:
        c.close()


class Shop(http.server.BaseHTTPRequestHandler):
    def page(self, status, body, location=None):
        out = ("<!DOCTYPE html><html><head><meta charset=utf-8>"
               "<title>Merchant shop</title></head><body>%s</body></html>"
               % body).encode()
        self.send_response(status)
        if location:
            self.send_header("Location", location)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        q = {k: v[0] for k, v in urllib.parse.parse_qs(u.query).items()}
        if u.path == "/buy":
            ref = q.get("ref", "")
            st, d = api("POST", "/api/v1/payments", {
                "amount": 4200, "currency": "HKD",
                "subject": "Merchant order " + ref, "reference": ref,
                "returnUrl": "https://127.0.0.1:%d/return?ref=%s" %
                             (PORT, ref),
                "metadata": {"cart": "e2e"}})
            if st not in (200, 201):
                self.page(500, "<p id=error>%s</p>" % html.escape(
                    json.dumps(d)))
                return
            self.page(303, "", location=d["checkoutUrl"])
            return
        if u.path == "/return":
            pid, status = q.get("payment_id", ""), q.get("status", "")
            want = hmac.new(SECRET.encode(), ("payment_id=%s&status=%s" %
                            (pid, status)).encode(),
                            hashlib.sha256).hexdigest()
            ok = hmac.compare_digest(q.get("sig", ""), want)
            # the signature says who sent the buyer back, not that they
            # paid: the state comes from the API
            st, d = api("GET", "/api/v1/payments/" +
                        urllib.parse.quote(pid, safe=""))
            state = d.get("state", "?") if st == 200 else "error %d" % st
            order = (d.get("orderNo") or "") if st == 200 else ""
            self.page(200, "<h1>Thank you</h1><p>order <span id=ref>%s"
                      "</span></p><p>signature <span id=sig>%s</span></p>"
                      "<p>return status <span id=status>%s</span></p>"
                      "<p>payment state (API) <span id=state>%s</span></p>"
                      "<p>h5pay order <span id=order>%s</span></p>"
                      % (html.escape(q.get("ref", "")),
                         "valid" if ok else "INVALID",
                         html.escape(status), html.escape(state),
                         html.escape(order)))
            return
        if u.path == "/events":
            with LOCK:
                out = {"events": [dict(v, id=k) for k, v in
                                  EVENTS.items()], "bad_signatures": BAD[0]}
            body = json.dumps(out).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if u.path == "/favicon.ico":
            self.send_response(204)
            self.end_headers()
            return
        self.page(404, "not found")

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0") or 0)
        body = self.rfile.read(min(n, 1 << 20))
        if urllib.parse.urlsplit(self.path).path != "/hook":
            self.page(404, "not found")
            return
        if not event_verified(self.headers, body):
            with LOCK:
                BAD[0] += 1
            self.page(401, "bad signature")
            return
        ev = json.loads(body)
        with LOCK:
            e = EVENTS.setdefault(ev["id"], {
                "type": ev["type"],
                "order_no": (ev.get("data") or {}).get("order_no"),
                "deliveries": 0})
            e["deliveries"] += 1
        self.page(200, "ok")

    def log_message(self, fmt, *args):
        sys.stderr.write("merchant: " + fmt % args + "\n")


def main():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Shop)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    certs = os.path.join(os.environ["E2E_DIR"], "certs")
    ctx.load_cert_chain(os.path.join(certs, "server.pem"),
                        os.path.join(certs, "server.key"))
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    print("ready", flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
