"""Two h5payd hosts on one PostgreSQL database behind one nginx upstream
(issue 16): what one host guarantees holds across both.

Host A is the stack's h5payd; host B a second h5payd with the same
config but its own sockets (a second machine in production); nginx's
upstreams list both, so requests alternate between them.
- a duplicate storm (every notification delivered 1..4 times, shuffled,
  8 connections): every delivery is acknowledged, both hosts answered,
  each order is PAID exactly once, one notification row per order with
  every other delivery counted on it;
- kill -9 under load: host B is killed whole (its process group) and
  restarted, over and over, notify workers of host A are killed between
  times; host A keeps acknowledging while B is down; a failed delivery is
  never a 2xx or a 4xx; nothing acknowledged is lost or doubled, and after
  UseePay's retries every order is PAID exactly once; only the requests
  in flight inside a killed process fail (nginx retries the rest on the
  live host: the upstream servers have max_fails=0).
PostgreSQL only: SQLite is one host by design.
"""
import os
import random
import signal
import sys
import threading
import time
import unittest

import faultlib
import harness


@unittest.skipIf(harness.ENGINE != "pg", "two hosts share a database only "
                 "on PostgreSQL (H5PAY_TEST_DB=pg)")
class TwoHostTest(harness.StackTest):
    stack_kwargs = dict(sim=False, notify_workers=2, notify_threads=2,
                        web_workers=1, web_threads=2,
                        config={"reconcile_interval_sec": "0"})

    @classmethod
    def setUpClass(cls):
        st = harness.Stack(cls.__name__, **cls.stack_kwargs)
        render = st.render_nginx

        def both_hosts(**kw):
            path = render(**kw)
            with open(path) as f:
                text = f.read()
            # max_fails=0: a host's failed request (a worker killed in
            # it) never takes the host out for fail_timeout, so with one
            # host dead the other always gets the retry
            for sock in ("web", "notify"):
                a = "server unix:%s/%s.sock;" % (st.run, sock)
                text = text.replace(a, "server unix:%s/%s.sock max_fails=0;"
                                    "\n\t\tserver unix:%s/%s-b.sock "
                                    "max_fails=0;" % (st.run, sock, st.run,
                                                      sock))
            with open(path, "w") as f:
                f.write(text)
            return path

        st.render_nginx = both_hosts
        cls.stack = st.start()
        v = dict(st.values,
                 listen_web=os.path.join(st.run, "web-b.sock"),
                 listen_notify=os.path.join(st.run, "notify-b.sock"))
        cls.cfg_b = os.path.join(st.dir, "h5pay-b.conf")
        with open(cls.cfg_b, "w") as f:
            for k, val in v.items():
                if val is not None:
                    f.write("%s = %s\n" % (k, val))
        cls.values_b = v
        cls.start_b()

    @classmethod
    def start_b(cls):
        st, v = cls.stack, cls.values_b
        st.spawn("h5payd-b", [os.path.join(harness.BUILD, "h5payd"), "-c",
                              cls.cfg_b])
        harness.wait_for(lambda: os.path.exists(v["listen_web"]) and
                         os.path.exists(v["listen_notify"]),
                         what="host B's sockets")

    @classmethod
    def kill_b(cls):
        p = cls.stack.procs["h5payd-b"]
        try:
            os.killpg(p.pid, signal.SIGKILL)   # the whole host
        except ProcessLookupError:
            pass
        p.wait(timeout=30)
        # its sockets stay as files: nginx gets "connection refused" and
        # tries the other host; remove them as a new start would
        for k in ("listen_web", "listen_notify"):
            try:
                os.unlink(cls.values_b[k])
            except FileNotFoundError:
                pass

    @classmethod
    def tearDownClass(cls):
        p = cls.stack.procs.get("h5payd-b")
        if p and p.poll() is None:
            p.send_signal(signal.SIGTERM)
        super().tearDownClass()

    def done_lines(self, name):
        return self.stack.log_text(name).count("mod=notify evt=done")

    def test_1_duplicate_storm_across_hosts(self):
        st = self.stack
        rnd = random.Random(1616)
        nos = faultlib.new_orders(st, "TH", 300)
        bodies = []
        for no in nos:
            bodies += [faultlib.notify_body(no)] * rnd.randint(1, 4)
        rnd.shuffle(bodies)
        a0, b0 = self.done_lines("h5payd"), self.done_lines("h5payd-b")
        results, lock = [], threading.Lock()

        def run(part):
            p = faultlib.Poster(st)
            for b in part:
                r = p.post(b)
                with lock:
                    results.append(r)
            p.close()

        threads = [threading.Thread(target=run, args=(bodies[i::8],))
                   for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)
        self.assertEqual(len(results), len(bodies))
        self.assertEqual([r for r in results if r != (200, b"OK")], [])
        # both hosts answered a good share
        a = self.done_lines("h5payd") - a0
        b = self.done_lines("h5payd-b") - b0
        self.assertEqual(a + b, len(bodies))
        self.assertGreater(min(a, b), len(bodies) // 5, (a, b))
        faultlib.assert_all_paid_once(self, st, nos)
        n = faultlib.q(st, "SELECT COUNT(*), SUM(redeliveries) FROM "
                       "notifications WHERE transaction_id LIKE 'TH%'")
        self.assertEqual(tuple(n[0]), (len(nos), len(bodies) - len(nos)))

    def test_2_kill9_hosts_under_load(self):
        st = self.stack
        rnd = random.Random(1617)
        orders = faultlib.new_orders(st, "TK", 20000)
        load = faultlib.Load(st, orders, threads=6, pace=0.01).start()
        down = []                 # (start, end) of host B's outages
        kills = {"host": 0, "worker": 0}
        t_end = time.monotonic() + 30
        try:
            while time.monotonic() < t_end and load.work:
                time.sleep(1.0 + rnd.random())
                t = time.monotonic()
                self.kill_b()
                kills["host"] += 1
                time.sleep(1.0)
                # host A alone meanwhile; kill one of its notify workers
                pids = st.worker_pids("notify")
                if pids:
                    try:
                        os.kill(rnd.choice(pids), signal.SIGKILL)
                        kills["worker"] += 1
                    except ProcessLookupError:
                        pass
                time.sleep(1.0)
                self.start_b()
                down.append((t, time.monotonic()))
        finally:
            load.stop()
        sys.stderr.write("two hosts: %d host kills, %d worker kills, %d "
                         "deliveries, %d acknowledged, answers %r\n" %
                         (kills["host"], kills["worker"],
                          sum(load.answers.values()), len(load.acked),
                          load.answers))
        self.assertGreaterEqual(kills["host"], 5)
        # only requests inside a killed process fail; the rest is retried
        # on the live host by nginx
        self.assertLess(load.answers.get(502, 0), len(load.acked) // 20)
        # host A acknowledged while B was down
        during = [no for no, t in load.acked.items()
                  if any(s + 0.2 <= t <= e for s, e in down)]
        self.assertGreater(len(during), 50)
        # a failed delivery is never a 2xx or a 4xx: UseePay retries it
        wrong = [(no, s) for no, s, _ in load.failed
                 if s is not None and not 500 <= s < 600]
        self.assertEqual(wrong[:10], [])
        faultlib.assert_acked_paid(self, st, load.acked)
        sent = orders[:len(orders) - len(load.work)]
        self.assertEqual(faultlib.resend_all(st, sent, threads=8), [])
        faultlib.assert_all_paid_once(self, st, sent)


if __name__ == "__main__":
    harness.main()
