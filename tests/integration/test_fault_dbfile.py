"""A corrupt or foreign database file at start (issue 15, "Fault tests"):
h5payd (and `h5pay migrate`) print a clear error, exit non-zero, and leave
the file byte for byte as it was (no WAL switch, no schema_version table
added, no migration applied to somebody else's data).
"""
import hashlib
import os
import shutil
import sqlite3
import subprocess
import unittest

import harness


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


@harness.sqlite_only
class DbFileTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.st = harness.Stack(cls.__name__, sim=False)
        cls.st.make_certs()
        cls.st.values = cls.st.config_values()
        # a real database of ours, to damage
        cls.good = os.path.join(cls.st.dir, "good.db")
        cls.run_with(cls.good, ["h5pay", "migrate"], check=True)

    @classmethod
    def tearDownClass(cls):
        if os.environ.get("H5PAY_KEEP") is None:
            shutil.rmtree(cls.st.dir, ignore_errors=True)

    @classmethod
    def run_with(cls, db, argv, check=False):
        v = dict(cls.st.values, db_path=db)
        cls.st.write_config(v)
        tool = os.path.join(harness.BUILD, argv[0])
        return subprocess.run([tool] + argv[1:] + ["-c", cls.st.cfg_path],
                              capture_output=True, text=True, timeout=60,
                              check=check)

    def refused(self, name, make, expect):
        path = os.path.join(self.st.dir, name + ".db")
        make(path)
        before = digest(path)
        for argv in (["h5payd"], ["h5pay", "migrate"]):
            p = self.run_with(path, argv)
            self.assertNotEqual(p.returncode, 0, (name, argv, p.stderr))
            self.assertRegex(p.stderr, expect, (name, argv))
            self.assertEqual(digest(path), before, (name, argv))
            for sfx in ("-wal", "-journal"):
                self.assertFalse(os.path.exists(path + sfx), path + sfx)
        # the daemon never got as far as binding its sockets
        self.assertFalse(os.path.exists(self.st.values["listen_web"]))

    def test_garbage(self):
        def make(p):
            with open(p, "wb") as f:
                f.write(os.urandom(65536))
        self.refused("garbage", make, r"not a usable SQLite database "
                     r"\(file is not a database\); left untouched")

    def test_text_file(self):
        def make(p):
            with open(p, "w") as f:
                f.write("db_path = oops, this is a config file\n")
        self.refused("text", make, r"not a usable SQLite database")

    def test_damaged_schema_page(self):
        def make(p):
            shutil.copy(self.good, p)
            with open(p, "r+b") as f:
                f.seek(100)             # page 1 after the file header
                f.write(b"\xa5" * 3000)
        self.refused("damaged", make, r"not a usable SQLite database "
                     r"\(.*malformed.*\); left untouched")

    def test_foreign_database(self):
        def make(p):
            c = sqlite3.connect(p)
            with c:
                c.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, "
                          "name TEXT)")
                c.execute("INSERT INTO users (name) VALUES ('someone')")
            c.close()
        self.refused("foreign", make, r"a database of another application "
                     r"\(tables but no schema_version\); left untouched")

    def test_newer_schema(self):
        def make(p):
            shutil.copy(self.good, p)
            c = sqlite3.connect(p)
            with c:
                c.execute("INSERT INTO schema_version (version, name, "
                          "applied_at) VALUES (999, 'future', 0)")
            c.close()
        self.refused("newer", make, r"schema version 999 is newer than "
                     r"this binary's \d+: migrations are forward-only")

    def test_fresh_and_empty_files_are_initialised(self):
        for name, content in (("new", None), ("empty", b"")):
            path = os.path.join(self.st.dir, name + ".db")
            if content is not None:
                with open(path, "wb") as f:
                    f.write(content)
            p = self.run_with(path, ["h5pay", "migrate"])
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertRegex(p.stdout, r"applied \d+ migration")


if __name__ == "__main__":
    harness.main()
