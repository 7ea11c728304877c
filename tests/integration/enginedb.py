"""enginedb.py - a test's own look into h5payd's database, whatever the
engine (deploy/stack.py: SQLite, or PostgreSQL with H5PAY_TEST_DB=pg).

connect(stack) gives SQLite's own connection for an SQLite stack (the
tests' queries run exactly as before), and for a PostgreSQL stack a small
stand-in with the part of sqlite3's interface the tests use: execute(sql,
params) with `?` placeholders, fetchone/fetchall, rows by index and by
name, commit, close, `with`. Each statement is one psql run in autocommit
(the values are the tests' own, quoted here); a SELECT comes back typed
through json_agg. SQLite-only SQL (PRAGMA, sqlite_master) has no
stand-in: such tests skip on PostgreSQL.

Stdlib only: Debian's /usr/bin/python3.
"""
import json
import os
import re
import sqlite3
import subprocess

PGBIN = os.environ.get("PGBIN", "/usr/lib/postgresql/15/bin")


class Row(tuple):
    """A row like sqlite3.Row: by index, by column name, keys()."""

    def __new__(cls, pairs):
        r = super().__new__(cls, [v for _, v in pairs])
        r._names = [k for k, _ in pairs]
        return r

    def __getitem__(self, i):
        if isinstance(i, str):
            return tuple.__getitem__(self, self._names.index(i))
        return tuple.__getitem__(self, i)

    def keys(self):
        return list(self._names)


def quote(v):
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, (bytes, bytearray, memoryview)):
        return "'\\x%s'::bytea" % bytes(v).hex()
    return "'" + str(v).replace("'", "''") + "'"


def bind(sql, params):
    """sql with each ? (outside quotes) replaced by its quoted value."""
    out, it, q = [], iter(params), None
    for c in sql:
        if q:
            q = None if c == q else q
            out.append(c)
        elif c in "'\"":
            q = c
            out.append(c)
        elif c == "?":
            out.append(quote(next(it)))
        else:
            out.append(c)
    return "".join(out)


class Cursor:
    def __init__(self, rows, lastrowid=None):
        self.rows = rows
        self.rowcount = len(rows)
        self.lastrowid = lastrowid

    def fetchone(self):
        return self.rows.pop(0) if self.rows else None

    def fetchall(self):
        rows, self.rows = self.rows, []
        return rows

    def __iter__(self):
        return iter(self.fetchall())


class PgConnection:
    def __init__(self, url):
        self.url = url
        self.row_factory = None

    def psql(self, sql):
        p = subprocess.run(
            [os.path.join(PGBIN, "psql"), "-X", "-q", "-At", "-v",
             "ON_ERROR_STOP=1", "-d", self.url], input=sql,
            capture_output=True, text=True,
            env=dict(os.environ, PGOPTIONS="-c client_min_messages=warning"))
        if p.returncode != 0:
            raise sqlite3.OperationalError(p.stderr.strip())
        return p.stdout

    def rows(self, sql):
        return [Row(r) for r in json.loads(
            self.psql(sql), object_pairs_hook=lambda p: p)]

    def execute(self, sql, params=()):
        sql = bind(sql.strip().rstrip(";"), params)
        if re.match(r"(?is)^PRAGMA\s+busy_timeout\b", sql):
            return Cursor([])   # SQLite's wait for its lock: none here
        if re.match(r"(?is)^\s*(SELECT|WITH)\b", sql):
            return Cursor(self.rows("SELECT coalesce(json_agg(t), '[]') "
                                    "FROM (%s) t;" % sql))
        if re.match(r"(?is)^\s*INSERT\b", sql) and \
                not re.search(r"(?i)\bRETURNING\b", sql):
            # the new row, for lastrowid
            rows = self.rows("WITH i AS (%s RETURNING *) SELECT "
                             "coalesce(json_agg(i), '[]') FROM i;" % sql)
            ids = [r["id"] for r in rows if "id" in r.keys()]
            return Cursor([], ids[-1] if ids else None)
        if re.match(r"(?is)^\s*(UPDATE|DELETE)\b", sql) and \
                not re.search(r"(?i)\bRETURNING\b", sql):
            # how many rows it changed, for rowcount
            n = self.rows("WITH u AS (%s RETURNING 1) SELECT "
                          "json_agg(json_build_object('n', "
                          "(SELECT count(*) FROM u)));" % sql)[0][0]
            cur = Cursor([])
            cur.rowcount = n
            return cur
        self.psql(sql + ";")
        return Cursor([])

    def executemany(self, sql, seq):
        # one psql run, one transaction (sqlite3's executemany is one too)
        body = "".join(bind(sql.strip().rstrip(";"), p) + ";\n"
                       for p in seq)
        self.psql("BEGIN;\n" + body + "COMMIT;\n")
        return Cursor([])

    def commit(self):
        pass

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def connect(stack, timeout=60):
    if stack.db_url:
        return PgConnection(stack.db_url)
    return sqlite3.connect(stack.db_path, timeout=timeout)


def is_pg(stack):
    return stack.db_url is not None
