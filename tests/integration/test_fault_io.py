"""I/O errors and fsync failures on the database (issue 15, "Fault
tests"), injected by tests/fault/iofail.c preloaded into h5payd: while
fsync (or write) fails on the database files, /notify answers 5xx and
never 200; when the fault goes, it answers 200 again without anyone
restarting it; nothing acknowledged is lost, nothing is applied twice.
"""
import os
import sys
import time

import faultlib
import harness

SHIM = os.path.join(harness.BUILD, "tests", "libiofail.so")


@harness.sqlite_only
class IoFailTest(harness.StackTest):
    @classmethod
    def setUpClass(cls):
        if not os.path.exists(SHIM):
            raise AssertionError("%s not built" % SHIM)
        st = harness.Stack(cls.__name__, sim=False, notify_workers=2,
                           notify_threads=4,
                           config={"reconcile_interval_sec": "0"})
        cls.ctl = os.path.join(st.dir, "iofail")
        env = {"LD_PRELOAD": SHIM, "H5PAY_IOFAIL_CTL": cls.ctl,
               "H5PAY_IOFAIL_MATCH": os.path.basename(st.db_path)}
        st.start_h5payd = lambda: faultlib.start_h5payd_env(st, env)
        cls.stack = st.start()

    def fault(self, kind, orders):
        st = self.stack
        sup = st.h5payd_pid()
        ok = faultlib.post_each(st, orders[:10])
        self.assertEqual([s for _, s in ok], [200] * 10)
        flag = self.ctl + "." + kind
        open(flag, "w").close()
        try:
            during = faultlib.post_each(st, orders[10:40])
        finally:
            os.unlink(flag)
        codes = [s for _, s in during]
        sys.stderr.write("%s failing: answers %r\n" % (kind, sorted(
            set(map(str, codes)))))
        # never acknowledged while the disk lies; 5xx (or no answer from
        # a worker that gave up and was replaced), never 4xx
        self.assertEqual([c for c in codes if c is not None and
                          not 500 <= c < 600], [])
        self.assertGreaterEqual(codes.count(500) + codes.count(502) +
                                codes.count(503), 20)
        # recovers by itself
        rest = orders[40:]
        harness.wait_for(lambda: faultlib.post_each(st, rest[:1])[0][1] ==
                         200, timeout=30, what="/notify 200 again")
        after = faultlib.post_each(st, rest[1:])
        self.assertEqual([s for _, s in after], [200] * len(rest[1:]))
        self.assertIn('evt=batch_commit_fail n=1 msg="commit: disk I/O '
                      'error"', st.log_text("h5payd"))
        self.assertEqual(st.h5payd_pid(), sup)
        self.assertIsNone(st.procs["h5payd"].poll())
        faultlib.assert_acked_paid(self, st,
                                   [o for o, _ in ok] + rest)
        # UseePay retries the failed ones: each applied once
        self.assertEqual(faultlib.resend_all(st, orders), [])
        faultlib.assert_all_paid_once(self, st, orders)

    def test_fsync_fails(self):
        self.fault("fsync", faultlib.new_orders(self.stack, "FS",
                                                80))

    def test_write_fails(self):
        self.fault("write", faultlib.new_orders(self.stack, "WR",
                                                80))


if __name__ == "__main__":
    harness.main()
