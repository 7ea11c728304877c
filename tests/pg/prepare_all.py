#!/usr/bin/env python3
"""prepare_all.py - every SQL text of the store must be valid PostgreSQL.

The store writes one SQL text for both engines (or a struct db_sql pair):
this finds each statement in src/store*.c after the C preprocessor
(macros like ORDER_COLS expanded, adjacent literals joined), keeps the
ones that start like SQL, turns `?`, `?NNN` and `:name` into $n as
src/db/db_pg.c does, and PREPAREs each in a database migrated with
sql/pg/ (psql; env PGBIN, H5PAY_PG_HOST, H5PAY_PG_DB). PREPARE parses,
resolves every name and infers every parameter's type, which is where a
SQLite-only text fails. Texts marked as SQLite's side of a db_sql pair
(`.sqlite = ...`) and SQLite-only files (store_backup.c) are skipped.

Usage: prepare_all.py SRC_DIR CC [-I...]   (exit 1, one line per failure)
"""
import os
import re
import subprocess
import sys

SKIP_FILES = {"store_backup.c"}
SQL_START = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\b", re.I)
LIT = re.compile(r'"((?:[^"\\]|\\.)*)"')


def unescape(s):
    return bytes(s, "utf-8").decode("unicode_escape")


def statements(path, cc, flags):
    out = subprocess.run([cc, "-E", "-P", "-D_GNU_SOURCE"] + flags + [path],
                         capture_output=True, text=True, check=True).stdout
    # runs of adjacent literals, with what precedes the run
    res = []
    pat = re.compile(r'(?:"(?:[^"\\]|\\.)*"\s*)+')
    for m in pat.finditer(out):
        text = "".join(unescape(x) for x in LIT.findall(m.group(0)))
        # printf formats build a statement at run time: not checkable
        # here; SQLite's catalogue is read on the SQLite side only
        if not SQL_START.match(text) or re.search(r"%[sd]", text) or \
                "sqlite_master" in text:
            continue
        before = out[max(0, m.start() - 40):m.start()]
        if re.search(r"\.sqlite\s*=\s*$", before):
            continue
        res.append(text)
    return res


def translate(sql):
    out, i, mx, names = [], 0, 0, []
    while i < len(sql):
        c = sql[i]
        if c in "'\"":
            j = sql.index(c, i + 1) + 1
            out.append(sql[i:j])
            i = j
        elif sql.startswith("--", i):
            j = sql.find("\n", i)
            j = len(sql) if j < 0 else j
            out.append(sql[i:j])
            i = j
        elif c == "?":
            m = re.match(r"\?(\d*)", sql[i:])
            n = int(m.group(1)) if m.group(1) else mx + 1
            mx = max(mx, n)
            out.append("$%d" % n)
            i += len(m.group(0))
        elif c == ":" and (i == 0 or sql[i - 1] != ":") and \
                re.match(r":[A-Za-z_]", sql[i:]):
            m = re.match(r":[A-Za-z_]\w*", sql[i:])
            if m.group(0) not in names:
                names.append(m.group(0))
                mx += 1
                idx = mx
            else:
                idx = [k for k, v in enumerate(names)
                       if v == m.group(0)][0] + 1
            out.append("$%d" % idx)
            i += len(m.group(0))
        else:
            out.append(c)
            i += 1
    return "".join(out)


def psql(sql):
    return subprocess.run(
        [os.path.join(os.environ["PGBIN"], "psql"), "-X", "-q", "-At",
         "-v", "ON_ERROR_STOP=1", "-h", os.environ["H5PAY_PG_HOST"], "-U",
         "h5pay", "-d", os.environ["H5PAY_PG_DB"]],
        input=sql, capture_output=True, text=True,
        env=dict(os.environ, PGOPTIONS="-c client_min_messages=warning"))


def main():
    src, cc, flags = sys.argv[1], sys.argv[2], sys.argv[3:]
    sqldir = os.path.join(src, "..", "sql", "pg")
    setup = ("DROP SCHEMA public CASCADE; CREATE SCHEMA public;\n"
             # made by the migration mechanism (src/store.c), not sql/pg/
             "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, "
             "name TEXT NOT NULL, applied_at BIGINT NOT NULL);\n") + "".join(
        open(os.path.join(sqldir, f), encoding="utf-8").read() + "\n"
        for f in sorted(os.listdir(sqldir)) if f.endswith(".sql"))
    p = psql(setup)
    if p.returncode != 0:
        print("prepare_all: schema: " + p.stderr.strip())
        return 1
    bad, n = [], 0
    files = sorted(f for f in os.listdir(src) if re.match(r"store.*\.c$", f))
    for f in files:
        if f in SKIP_FILES:
            continue
        for sql in statements(os.path.join(src, f), cc, flags):
            n += 1
            p = psql("PREPARE h5p AS %s;\nDEALLOCATE h5p;\n" %
                     translate(sql))
            if p.returncode != 0:
                bad.append("%s: %s\n    %s" % (f, p.stderr.strip()
                           .splitlines()[0], " ".join(sql.split())[:300]))
    for b in bad:
        print(b)
    print("prepare_all: %d statements, %d refused by PostgreSQL" %
          (n, len(bad)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
