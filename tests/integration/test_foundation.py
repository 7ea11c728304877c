"""Foundation: nginx + h5payd on loopback (issue 2, acceptance 1 and 2)."""
import os
import signal
import threading
import time

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


if __name__ == "__main__":
    harness.main()
