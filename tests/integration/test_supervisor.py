"""The supervisor (issue 2, acceptance 2): a SIGKILLed worker is replaced
while a request loop keeps succeeding; SIGHUP swaps the workers without a
failed request; SIGTERM drains without failing an in-flight request."""
import os
import signal
import socket
import threading
import time
import unittest

import harness


# test-only: a location whose request body is streamed to the app
DRAIN_PROBE = """
location = /_drain_probe {
	fastcgi_request_buffering off;
	include h5pay/fastcgi_h5pay.conf;
	fastcgi_pass h5pay_web;
}
"""


class Load:
    """N client threads looping GET path until stopped; records results."""

    def __init__(self, stack, path="/healthz", threads=8):
        self.stack, self.path = stack, path
        self.results = []          # (time, status or exception name)
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self.loop, daemon=True)
                        for _ in range(threads)]

    def loop(self):
        deadline = time.monotonic() + 120     # bounded even if never stopped
        while not self.stopping.is_set() and time.monotonic() < deadline:
            try:
                st = self.stack.get(self.path, timeout=20).status
            except Exception as e:          # connection-level failure
                st = type(e).__name__
            with self.lock:
                self.results.append((time.monotonic(), st))

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        for t in self.threads:
            t.join(timeout=30)

    def count(self):
        with self.lock:
            return len(self.results)

    def since(self, t0):
        with self.lock:
            return [st for (t, st) in self.results if t >= t0]

    def wait_more(self, n, timeout=30):
        target = self.count() + n
        harness.wait_for(lambda: self.count() >= target, timeout,
                         "%d more requests" % n)


class TestSupervisor(unittest.TestCase):

    def setUp(self):
        self.stack = harness.Stack("sup", web_workers=2, web_threads=4,
                                   nginx_extra=DRAIN_PROBE)
        self.stack.start()

    def tearDown(self):
        self.stack.stop()
        if os.environ.get("H5PAY_KEEP") is None:
            import shutil
            shutil.rmtree(self.stack.dir, ignore_errors=True)

    def test_runs_with_the_units_environment(self):
        """The stack runs h5payd as the systemd unit does: the unit's
        Environment= (glibc's per-thread cache size) reaches the
        supervisor and, through fork, every worker."""
        s = self.stack
        want = harness.stack.unit_environment()
        self.assertIn("GLIBC_TUNABLES", want)
        harness.wait_for(lambda: len(s.worker_pids("web")) == 2,
                         what="2 web workers")
        for pid in [s.h5payd_pid()] + s.worker_pids():
            with open("/proc/%d/environ" % pid, "rb") as f:
                env = dict(kv.split(b"=", 1) for kv in
                           f.read().split(b"\0") if b"=" in kv)
            for k, v in want.items():
                if k not in os.environ:
                    self.assertEqual(env.get(k.encode()), v.encode(), pid)

    def test_sigkill_worker_is_replaced(self):
        s = self.stack
        harness.wait_for(lambda: len(s.worker_pids("web")) == 2,
                         what="2 web workers")
        with Load(s) as load:
            load.wait_more(50)
            victim = s.worker_pids("web")[0]
            os.kill(victim, signal.SIGKILL)
            harness.wait_for(lambda: victim not in s.worker_pids() and
                             len(s.worker_pids("web")) == 2,
                             what="a replacement web worker")
            t_back = time.monotonic()
            load.wait_more(200)
            after = load.since(t_back + 0.2)
        # every request after the replacement succeeded
        self.assertTrue(after)
        self.assertEqual([st for st in after if st != 200], [])
        self.assertIn("worker_died", s.log_text("h5payd"))
        self.assertEqual(len(s.worker_pids("notify")), 1)

    def test_sighup_reload_drops_nothing(self):
        s = self.stack
        harness.wait_for(lambda: len(s.worker_pids("web")) == 2,
                         what="2 web workers")
        old = set(s.worker_pids())
        with Load(s) as load:
            load.wait_more(30)
            t0 = time.monotonic()
            os.kill(s.h5payd_pid(), signal.SIGHUP)
            harness.wait_for(lambda: not (old & set(s.worker_pids())) and
                             len(s.worker_pids("web")) +
                             len(s.worker_pids("notify")) == 3,
                             what="the new generation only")
            load.wait_more(100)
            during = load.since(t0)
        self.assertEqual([st for st in during if st != 200], [])
        self.assertIn("evt=reloaded", s.log_text("h5payd"))

    def test_sighup_with_broken_config_keeps_serving(self):
        s = self.stack
        old = set(s.worker_pids())
        bad = dict(s.values)
        del bad["db_url" if harness.is_pg(s) else "db_path"]   # no database
        s.write_config(bad)
        os.kill(s.h5payd_pid(), signal.SIGHUP)
        harness.wait_for(lambda: "reload_fail" in s.log_text("h5payd"),
                         what="reload_fail")
        self.assertEqual(set(s.worker_pids()), old)
        self.assertEqual(s.get("/healthz").status, 200)
        s.write_config(s.values)

    def test_sigterm_drains_in_flight(self):
        s = self.stack
        with Load(s, threads=8) as load:
            load.wait_more(50)
            # a request inside a worker: its body is still arriving
            slow = SlowUpload(s)
            time.sleep(0.5)
            os.kill(s.h5payd_pid(), signal.SIGTERM)
            harness.wait_for(lambda: not os.path.exists(
                s.values["listen_web"]), what="socket unlinked")
            time.sleep(0.5)
            status, body = slow.finish()
            s.procs["h5payd"].wait(timeout=30)
        self.assertEqual(s.procs["h5payd"].returncode, 0)
        # the in-flight request got the app's own answer, not a 502
        self.assertEqual(status, 404, body)
        self.assertIn(b'"error":"not_found"', body)
        # Requests nginx could no longer hand over fail at connect() (the
        # socket is gone); none that a worker accepted or that was queued
        # may be cut: nginx would log a reset or a premature close.
        err = s._read(os.path.join(s.run, "nginx.error.log"))
        self.assertNotIn("prematurely closed", err)
        self.assertNotIn("reset by peer", err)
        self.assertNotIn("drain_timeout", s.log_text("h5payd"))
        self.assertIn("evt=stopped", s.log_text("h5payd"))
        self.assertGreater([st for (_, st) in load.results].count(200), 50)


class SlowUpload:
    """POST whose body arrives in two parts; nginx streams it to the app
    (fastcgi_request_buffering off on a test-only location)."""

    def __init__(self, stack):
        raw = socket.create_connection(("127.0.0.1", stack.shop_port))
        self.sock = stack.ssl_context().wrap_socket(
            raw, server_hostname="127.0.0.1")
        self.sock.settimeout(30)
        self.sock.sendall(b"POST /_drain_probe HTTP/1.1\r\nHost: 127.0.0.1"
                          b"\r\nContent-Type: text/plain\r\n"
                          b"Content-Length: 10\r\nConnection: close\r\n"
                          b"\r\n12345")

    def finish(self):
        self.sock.sendall(b"67890")
        data = b""
        while True:
            chunk = self.sock.recv(65536)
            if not chunk:
                break
            data += chunk
        self.sock.close()
        head, _, body = data.partition(b"\r\n\r\n")
        return int(head.split()[1]), body


if __name__ == "__main__":
    unittest.main(verbosity=2)
