"""The wall clock jumping forward and back under load (issue 15, "Fault
tests"), with h5payd under libfaketime (Debian's faketime package; the
offset file is re-read every second; monotonic time is left alone, so
timeouts and drains are unaffected, as with a real NTP step):
- /notify keeps answering 200 and every acknowledged order is PAID
  exactly once, stamped with the clock of the moment (an order past its
  expiry by the jumped clock is still PAID: the money was taken);
- a buyer session expires when the clock passes its expiry and is valid
  again when the clock steps back before it (expiry is a comparison with
  the clock, nothing is deleted by the jump);
- the reconciler keeps passing after the clock steps back (its sleep is
  relative) and closes nothing without a verified answer.
"""
import hashlib
import os
import sys
import time
import unittest

import faultlib
import harness

LIBFAKETIME = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1"
NOW = int(time.time())


# libfaketime interposes clock_gettime() with its own lazy initialisation,
# which recurses into AddressSanitizer's interceptors while the sanitizer
# runtime starts: h5payd never comes up ("Unexpected recursive calls to
# clock_gettime() without proper initialization", then a hang). The clock
# handling under test is the same code in both trees; it runs in the
# normal tree.
@unittest.skipIf(os.environ.get("H5PAY_SANITIZE", "0").upper() in
                 ("1", "ON", "TRUE"), "libfaketime cannot preload into an "
                 "ASan binary (see the comment above)")
class ClockJumpTest(harness.StackTest):
    @classmethod
    def setUpClass(cls):
        if not os.path.exists(LIBFAKETIME):
            raise AssertionError(LIBFAKETIME + " missing: apt-get install "
                                 "faketime (tests/run.sh does)")
        st = harness.Stack(cls.__name__, sim=False, notify_workers=2,
                           notify_threads=4,
                           config={"reconcile_interval_sec": "1"})
        cls.offset = os.path.join(st.dir, "faketime")
        cls.set_offset("+0")
        env = {"LD_PRELOAD": LIBFAKETIME,
               "FAKETIME_TIMESTAMP_FILE": cls.offset,
               "FAKETIME_CACHE_DURATION": "1",
               "DONT_FAKE_MONOTONIC": "1"}
        st.start_h5payd = lambda: faultlib.start_h5payd_env(st, env)
        cls.stack = st.start()

    @classmethod
    def set_offset(cls, text):
        tmp = cls.offset + ".tmp"
        with open(tmp, "w") as f:
            f.write(text + "\n")
        os.rename(tmp, cls.offset)

    def me(self, token):
        return self.stack.get("/api/me", headers={
            "Cookie": "__Host-h5s=" + token}).status

    def wait_clock(self, off):
        """Until three notifications in a row are stamped with the new
        clock (every worker process re-reads the offset on its own)."""
        ok, end = 0, time.monotonic() + 20
        while ok < 3:
            self.assertLess(time.monotonic(), end, "clock never moved")
            self.probes += 1
            (no,) = faultlib.new_orders(self.stack, "CP%d" %
                                        self.probes, 1)
            faultlib.post_each(self.stack, [no])
            got = faultlib.q(self.stack, "SELECT paid_at FROM "
                             "orders WHERE order_no = ?", no)[0][0]
            ok = ok + 1 if got and abs(got - time.time() - off) < 60 else 0
            time.sleep(0.1)

    probes = 0

    def passes(self):
        return self.stack.log_text("h5payd").count("mod=reconcile evt=pass ")

    def test_clock_jumps(self):
        st = self.stack
        token = "clockjumptoken0123456789abcdefABCDEFGHIJKLM"   # 43 chars
        c = faultlib.db(st)
        with c:
            c.execute("INSERT INTO buyer_session (token_hash, appid, openid, "
                      "created_at, expires_at) VALUES (?, ?, "
                      "'oClockTestOpenid01', ?, ?)",
                      (hashlib.sha256(token.encode()).hexdigest(),
                       harness.TEST_APPID, NOW, NOW + 3600))
        c.close()
        self.assertEqual(self.me(token), 200)
        # expire 20 min from now (real time)
        orders = faultlib.new_orders(st, "CJ", 20000,
                                     expires=NOW + 1200)
        load = faultlib.Load(st, orders, threads=4, pace=0.005).start()
        phases = []                     # (name, offset s, start, end)
        try:
            time.sleep(1)
            for name, text, off in (("forward", "+2h", 7200),
                                    ("back", "-2h", -7200),
                                    ("now", "+0", 0)):
                self.set_offset(text)
                self.wait_clock(off)
                start = time.monotonic()
                if name == "forward":
                    # past the session's expiry and the orders'
                    self.assertEqual(self.me(token), 401)
                    time.sleep(1.5)
                elif name == "back":
                    self.assertEqual(self.me(token), 200)
                    # a pass works through up to 2,048 due orders: 8-11 s
                    # on PostgreSQL on a quiet machine, 21 s and more on a
                    # busy one, and the passes after the step may still
                    # find 2,048 due; two of them must fit. A sleep taken
                    # from the stepped wall clock would be 2 h
                    before = self.passes()
                    harness.wait_for(lambda: self.passes() >= before + 2,
                                     timeout=180, what="reconciler passes "
                                     "after the clock stepped back")
                else:
                    self.assertEqual(self.me(token), 200)
                    time.sleep(1.5)
                phases.append((name, off, start, time.monotonic()))
        finally:
            load.stop()
        sys.stderr.write("clock jumps: answers %r\n" % load.answers)
        self.assertEqual(list(load.answers), [200])
        faultlib.assert_acked_paid(self, st, load.acked)
        # each acknowledgement was stamped by the clock of its phase
        paid_at = dict(faultlib.q(st, "SELECT order_no, paid_at "
                                  "FROM orders WHERE order_no LIKE 'CJ%' "
                                  "AND state = 'PAID'"))
        for name, off, start, end in phases:
            inside = [no for no, t in load.acked.items()
                      if start + 0.2 < t < end - 0.2]
            self.assertGreater(len(inside), 20, name)
            expect = NOW + off
            wrong = [(no, paid_at[no]) for no in inside
                     if abs(paid_at[no] - expect) > 120]
            self.assertEqual(wrong[:5], [], name)
        # no provider answered: the reconciler closed nothing, even for
        # orders expired by the forward clock
        self.assertEqual(faultlib.q(st, "SELECT COUNT(*) FROM orders "
                                    "WHERE state = 'CLOSED'"), [(0,)])
        sent = orders[:len(orders) - len(load.work)]
        self.assertEqual(faultlib.resend_all(st, sent), [])
        faultlib.assert_all_paid_once(self, st, sent)


if __name__ == "__main__":
    harness.main()
