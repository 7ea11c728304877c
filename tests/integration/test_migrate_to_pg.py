"""h5pay migrate-to-pg (issue 16): an SQLite database copied into an
empty PostgreSQL one in one transaction, checked by row counts.

An SQLite database filled through the CLI (products, an admin, an API
key, back-dated orders with items) plus a notification with a binary
body; copied; then every table has the same rows on both sides (same
ids, same values, the body byte for byte), new rows get fresh ids (the
sequences moved past the copied ones), and a second copy into the now
non-empty database is refused and changes nothing.
PostgreSQL only (H5PAY_TEST_DB=pg).
"""
import os
import shutil
import sqlite3
import subprocess
import unittest

import enginedb
import harness

TABLES = ("meta", "products", "orders", "order_items", "notifications",
          "admin_users", "api_keys", "admin_stats_days")


@unittest.skipIf(harness.ENGINE != "pg", "needs the PostgreSQL cluster "
                 "(H5PAY_TEST_DB=pg)")
class MigrateToPgTest(unittest.TestCase):
    def setUp(self):
        self.st = harness.Stack(self.__class__.__name__, sim=False)
        self.st.make_certs()                # http_ca_file must exist
        v = self.st.config_values()          # a fresh PostgreSQL database
        self.url = v["db_url"]
        self.src = os.path.join(self.st.dir, "src.db")
        self.cfg_lite = self.write("lite.conf", dict(v, db_url=None,
                                                     db_path=self.src))
        self.cfg_pg = self.write("pg.conf", v)

    def tearDown(self):
        if os.environ.get("H5PAY_KEEP") is None:
            shutil.rmtree(self.st.dir, ignore_errors=True)

    def write(self, name, values):
        path = os.path.join(self.st.dir, name)
        with open(path, "w") as f:
            for k, val in values.items():
                if val is not None:
                    f.write("%s = %s\n" % (k, val))
        return path

    def cli(self, *args, stdin=None):
        return subprocess.run([os.path.join(harness.BUILD, "h5pay")] +
                              list(args), input=stdin, capture_output=True,
                              text=True)

    def ok(self, *args, stdin=None):
        r = self.cli(*args, stdin=stdin)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r

    def rows(self, c, table):
        order = "id" if table not in ("meta", "products",
                                      "admin_stats_days") else "1, 2"
        return [tuple(r) for r in c.execute(
            "SELECT * FROM %s ORDER BY %s" % (table, order)).fetchall()]

    def test_copy_then_refuse_a_second(self):
        self.ok("migrate", "-c", self.cfg_lite)
        self.ok("product", "add", "-c", self.cfg_lite, "--sku", "tea-1",
                "--name", "Tea", "--price", "1250")
        self.ok("admin", "-c", self.cfg_lite, "add", "alice",
                stdin="correct horse battery staple\n")
        self.ok("apikey", "add", "-c", self.cfg_lite, "k1", "--scope",
                "payments:write")
        self.ok("dev-fill", "-c", self.cfg_lite, "--orders", "120",
                "--days", "3")
        body = bytes(range(256)) * 3
        with sqlite3.connect(self.src) as c:
            oid = c.execute("SELECT MIN(id) FROM orders").fetchone()[0]
            c.execute("INSERT INTO notifications (received_at, body, "
                      "body_sha256, verified, outcome, order_id) VALUES "
                      "(1, ?, ?, 1, 'noop', ?)", (body, "ab" * 32, oid))
        lite = sqlite3.connect(self.src)
        want = {t: self.rows(lite, t) for t in TABLES}
        lite.close()
        self.assertEqual(len(want["orders"]), 120)

        r = self.ok("migrate-to-pg", "-c", self.cfg_pg, self.src)
        self.assertIn("copied", r.stdout)
        pg = enginedb.PgConnection(self.url)
        for t in TABLES:
            got = self.rows(pg, t)
            if t == "notifications":
                # bytea comes back as its hex text: compare the bytes
                self.assertEqual(len(got), 1)
                self.assertEqual(bytes.fromhex(got[0][2][2:]), body)
                continue
            self.assertEqual(got, want[t], t)
        # new rows get new ids: the sequences moved past the copied ones
        top = pg.execute("SELECT MAX(id) FROM orders").fetchone()[0]
        self.ok("dev-fill", "-c", self.cfg_pg, "--orders", "5", "--days",
                "1")
        self.assertEqual(pg.execute("SELECT COUNT(*) FROM orders WHERE "
                                    "id > ?", (top,)).fetchone()[0], 5)
        # a second copy: refused, nothing changed
        before = pg.execute("SELECT COUNT(*) FROM orders").fetchone()[0]
        r = self.cli("migrate-to-pg", "-c", self.cfg_pg, self.src)
        self.assertEqual(r.returncode, 1)
        self.assertIn("wants an empty database", r.stderr)
        self.assertEqual(pg.execute("SELECT COUNT(*) FROM orders")
                         .fetchone()[0], before)

    def test_needs_db_url_and_a_current_source(self):
        r = self.cli("migrate-to-pg", "-c", self.cfg_lite, self.src)
        self.assertEqual(r.returncode, 1)
        self.assertIn("db_url", r.stderr)
        r = self.cli("migrate-to-pg", "-c", self.cfg_pg,
                     os.path.join(self.st.dir, "missing.db"))
        self.assertEqual(r.returncode, 1)


if __name__ == "__main__":
    harness.main()
