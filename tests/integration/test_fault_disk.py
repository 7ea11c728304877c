"""Disk full (issue 15, "Fault tests"): the database lives on a small tmpfs
that the test fills. While it is full /notify answers 5xx, never 200; when
space returns it answers 200 again by itself (same supervisor, nobody
restarts anything); nothing acknowledged is lost, nothing doubles.

Mounting needs root (CI runs as root). Not root: skipped, saying so;
root and the mount fails: the test fails.
"""
import errno
import os
import subprocess
import sys
import unittest

import faultlib
import harness


@harness.sqlite_only
class DiskFullTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if os.geteuid() != 0:
            raise unittest.SkipTest("mounting a tmpfs needs root")
        st = harness.Stack(cls.__name__, sim=False, notify_workers=1,
                           notify_threads=4,
                           config={"reconcile_interval_sec": "0"})
        cls.mnt = os.path.join(st.dir, "dbfs")
        os.mkdir(cls.mnt)
        p = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m,mode=0700",
                            "h5pay-test", cls.mnt], capture_output=True,
                           text=True)
        if p.returncode != 0:
            raise AssertionError("mount tmpfs: " + p.stderr)
        st.db_path = os.path.join(cls.mnt, "h5pay.db")
        cls.stack = st
        try:
            st.start()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()
        subprocess.run(["umount", cls.mnt])
        if os.environ.get("H5PAY_KEEP") is None:
            import shutil
            shutil.rmtree(cls.stack.dir, ignore_errors=True)

    def fill(self):
        path = os.path.join(self.mnt, "filler")
        chunk = b"\0" * 4096
        with open(path, "wb", buffering=0) as f:
            try:
                while True:
                    f.write(chunk)
            except OSError as e:
                self.assertEqual(e.errno, errno.ENOSPC)
        return path

    def test_disk_full(self):
        st = self.stack
        sup = st.h5payd_pid()
        orders = faultlib.new_orders(st, "DF", 3000)
        ok = faultlib.post_each(st, orders[:20])
        self.assertEqual([s for _, s in ok], [200] * 20)
        filler = self.fill()
        acked = [no for no, _ in ok]
        # until the WAL can no longer grow, commits may still fit in
        # space SQLite already owns (then the answer is a durable 200);
        # after that, every answer is a 5xx until space returns
        i, streak, answers = 20, 0, {}
        while streak < 20 and i < 2000:
            (no, s), = faultlib.post_each(st, orders[i:i + 1])
            i += 1
            answers[s] = answers.get(s, 0) + 1
            if s == 200:
                acked.append(no)
                streak = 0
            else:
                self.assertTrue(s is not None and 500 <= s < 600, s)
                streak += 1
        self.assertEqual(streak, 20, "never failed: %r" % answers)
        still = faultlib.post_each(st, orders[i:i + 30])
        i += 30
        self.assertEqual(sorted(set(s for _, s in still)), [500],
                         "answers while the disk stays full")
        sys.stderr.write("disk full: %d acknowledged after filling, then "
                         "5xx; answers %r\n" % (answers.get(200, 0),
                                                answers))
        # reads still work while full; every acknowledgement holds
        faultlib.assert_acked_paid(self, st, acked)
        os.unlink(filler)
        rest = orders[i:i + 50]
        harness.wait_for(lambda: faultlib.post_each(st, rest[:1])[0][1] ==
                         200, timeout=30, what="/notify 200 after space "
                         "returned")
        after = faultlib.post_each(st, rest[1:])
        self.assertEqual([s for _, s in after], [200] * len(after))
        self.assertEqual(st.h5payd_pid(), sup)
        self.assertIsNone(st.procs["h5payd"].poll())
        self.assertEqual(st.get("/notify/healthz").status, 200)
        sent = orders[:i + 50]
        self.assertEqual(faultlib.resend_all(st, sent), [])
        faultlib.assert_all_paid_once(self, st, sent)


if __name__ == "__main__":
    harness.main()
