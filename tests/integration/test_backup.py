"""h5pay backup / restore (issue 15, "Backups and restore").

A backup taken while /notify is under load restores to a database where
every notification acknowledged before the backup started is present;
the copy is 0600, checked, never overwrites without --force; restore
refuses while h5payd runs, keeps the replaced file, migrates, and the
daemon starts on the result.
"""
import os
import signal
import sqlite3
import subprocess
import sys
import time
import unittest

import faultlib
import harness


@harness.sqlite_only
class BackupTest(harness.StackTest):
    stack_kwargs = dict(sim=False, notify_workers=2, notify_threads=4,
                        config={"reconcile_interval_sec": "0"})

    def h5pay(self, *args):
        return subprocess.run([faultlib.h5pay_bin()] + list(args),
                              capture_output=True, text=True, timeout=300)

    def test_backup_under_load_then_restore(self):
        st = self.stack
        # some bulk so the copy takes a while, then the orders under load
        faultlib.new_orders(st, "BULK", 60000, amount=500)
        orders = faultlib.new_orders(st, "BK", 4000)
        load = faultlib.Load(st, orders, threads=8).start()
        harness.wait_for(lambda: len(load.acked) >= 300, timeout=60,
                         what="first acknowledgements")
        dest = os.path.join(st.dir, "backup-1.db")
        t_start = time.monotonic()
        r = self.h5pay("backup", "-c", st.cfg_path, dest)
        t_end = time.monotonic()
        during = sum(1 for t in load.acked.values() if t_start < t < t_end)
        load.stop()
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"^backup .*: \d+ bytes, schema version "
                         r"\d+, integrity ok")
        sys.stderr.write("backup: %.2f s, %d acknowledged during it, "
                         "%d in all\n" % (t_end - t_start, during,
                                          len(load.acked)))
        self.assertEqual(os.stat(dest).st_mode & 0o777, 0o600)
        before = [no for no, t in load.acked.items() if t < t_start]
        self.assertGreaterEqual(len(before), 300)
        # the copy is one self-contained, consistent file
        self.assertFalse(os.path.exists(dest + "-wal"))
        self.assertEqual(faultlib.q(dest, "PRAGMA integrity_check"),
                         [("ok",)])
        self.assertEqual(faultlib.q(dest, "PRAGMA journal_mode"),
                         [("delete",)])
        faultlib.assert_acked_paid(self, dest, before)
        hashes = set(h for (h,) in faultlib.q(
            dest, "SELECT body_sha256 FROM notifications"))
        for no in before:
            self.assertIn(faultlib.body_hash(faultlib.notify_body(no)),
                          hashes)
        # every PAID order in the copy has its notification (one snapshot,
        # not a mix of two moments)
        self.assertEqual(faultlib.q(
            dest, "SELECT COUNT(*) FROM orders o WHERE o.state = 'PAID' "
            "AND NOT EXISTS (SELECT 1 FROM notifications n WHERE "
            "n.order_id = o.id)"), [(0,)])

        # never overwritten unless told
        mtime = os.stat(dest).st_mtime_ns
        r = self.h5pay("backup", "-c", st.cfg_path, dest)
        self.assertEqual(r.returncode, 1)
        self.assertIn("exists", r.stderr)
        self.assertEqual(os.stat(dest).st_mtime_ns, mtime)
        r = self.h5pay("backup", "-c", st.cfg_path, "--force", dest)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual([n for n in os.listdir(st.dir) if ".tmp-" in n],
                         [])

        # restore refuses while h5payd runs, and changes nothing
        size = os.stat(st.db_path).st_size
        r = self.h5pay("restore", "-c", st.cfg_path, dest)
        self.assertEqual(r.returncode, 1)
        self.assertIn("h5payd is running", r.stderr)
        self.assertEqual(os.stat(st.db_path).st_size, size)
        # a file that is no database is refused before anything moves
        junk = os.path.join(st.dir, "junk.db")
        with open(junk, "wb") as f:
            f.write(os.urandom(8192))
        r = self.h5pay("restore", "-c", st.cfg_path, junk)
        self.assertEqual(r.returncode, 1)

        # stop, restore, (migrate), start
        p = st.procs["h5payd"]
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=60)
        paid_live = faultlib.q(st, "SELECT COUNT(*) FROM orders "
                               "WHERE state = 'PAID'")[0][0]
        r = self.h5pay("restore", "-c", st.cfg_path, dest)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("schema version", r.stdout)
        kept = [n for n in os.listdir(st.dir)
                if n.startswith("h5pay.db.replaced-") and
                not n.endswith(("-wal", "-shm"))]
        self.assertEqual(len(kept), 1, os.listdir(st.dir))
        self.assertEqual(faultlib.q(os.path.join(st.dir, kept[0]),
                                    "SELECT COUNT(*) FROM orders WHERE "
                                    "state = 'PAID'")[0][0], paid_live)
        st.start_h5payd()
        harness.wait_for(lambda: st.get("/healthz").status == 200,
                         what="/healthz after restore")
        faultlib.assert_acked_paid(self, st, before)
        # UseePay's retries bring back what came after the backup
        self.assertEqual(faultlib.resend_all(st, orders), [])
        faultlib.assert_all_paid_once(self, st, orders)

    def test_backup_script_retention(self):
        st = self.stack
        d = os.path.join(st.dir, "backups")
        os.mkdir(d)
        # not a backup of ours: never touched by retention
        other = os.path.join(d, "notes.txt")
        with open(other, "w") as f:
            f.write("x")
        script = os.path.join(harness.SRC, "deploy", "h5pay-backup.sh")
        env = dict(os.environ, H5PAY=faultlib.h5pay_bin())
        names = []
        for i in range(4):
            r = subprocess.run([script, "-c", st.cfg_path, "-k", "2", d],
                               capture_output=True, text=True, env=env,
                               timeout=120)
            self.assertEqual(r.returncode, 0, r.stderr)
            names.append(r.stdout.split()[1].rstrip(":"))
        left = sorted(os.listdir(d))
        self.assertEqual(left, sorted([os.path.basename(n) for n in
                                       names[2:]] + ["notes.txt"]))
        for n in names[2:]:
            self.assertEqual(os.stat(n).st_mode & 0o777, 0o600)
        # a failing backup removes nothing
        bad = os.path.join(st.dir, "bad.conf")
        with open(bad, "w") as f:
            f.write("db_path = /nonexistent\n")
        r = subprocess.run([script, "-c", bad, "-k", "1", d],
                           capture_output=True, text=True, env=env)
        self.assertNotEqual(r.returncode, 0)
        self.assertEqual(sorted(os.listdir(d)), left)


@unittest.skipIf(harness.ENGINE != "pg", "the PostgreSQL engine's answer")
class BackupPgTest(harness.StackTest):
    stack_kwargs = dict(sim=False)

    def test_backup_and_restore_refuse_db_url(self):
        dest = os.path.join(self.stack.dir, "copy.db")
        for cmd, arg in (("backup", dest), ("restore", dest)):
            r = subprocess.run([os.path.join(harness.BUILD, "h5pay"), cmd,
                                "-c", self.stack.cfg_path, arg],
                               capture_output=True, text=True)
            self.assertEqual(r.returncode, 1)
            self.assertIn("db_url is PostgreSQL", r.stderr)
        self.assertFalse(os.path.exists(dest))


if __name__ == "__main__":
    harness.main()
