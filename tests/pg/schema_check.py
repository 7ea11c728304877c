#!/usr/bin/env python3
"""schema_check.py - sql/NNN_*.sql (SQLite) and sql/pg/NNN_*.sql
(PostgreSQL) must describe the same schema, so the two cannot drift.

Applies every SQLite migration to an in-memory database (Python's sqlite3,
the same libsqlite3 h5pay links) and every PostgreSQL one, in order, to a
fresh database of the test cluster (psql; env PGBIN, H5PAY_PG_HOST,
H5PAY_PG_DB), then compares: the migration file names, the tables, each
table's columns in order (name, NOT NULL, a type class: int, text, blob),
primary keys, unique constraints, foreign keys (column -> table.column)
and the explicitly created indexes (name, table, columns, unique,
partial). A primary key column counts as NOT NULL on both sides (SQLite's
pragma says 0 for INTEGER PRIMARY KEY, which can never hold NULL).

Usage: schema_check.py SQL_DIR   (exit 1 and one line per difference)
"""
import os
import re
import sqlite3
import subprocess
import sys

TYPES = {"integer": "int", "bigint": "int", "smallint": "int",
         "text": "text", "blob": "blob", "bytea": "blob"}


def tclass(t):
    t = t.strip().lower()
    if t not in TYPES:
        raise SystemExit("schema_check: unknown column type %r" % t)
    return TYPES[t]


def migrations(d):
    return sorted(f for f in os.listdir(d) if re.match(r"^\d{3}_.*\.sql$", f))


def sqlite_schema(d):
    db = sqlite3.connect(":memory:")
    for f in migrations(d):
        db.executescript(open(os.path.join(d, f), encoding="utf-8").read())
    s = {"cols": {}, "pk": {}, "unique": set(), "fk": set(), "idx": set()}
    tables = [r[0] for r in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT "
        "LIKE 'sqlite_%' ORDER BY name")]
    for t in tables:
        info = db.execute("PRAGMA table_info(%s)" % t).fetchall()
        pk = [r[1] for r in sorted((r for r in info if r[5]),
                                   key=lambda r: r[5])]
        s["pk"][t] = tuple(pk)
        s["cols"][t] = [(r[1], bool(r[3]) or r[1] in pk, tclass(r[2]))
                        for r in info]
        for _, name, unique, origin, partial in db.execute(
                "PRAGMA index_list(%s)" % t):
            cols = tuple(r[2] for r in db.execute(
                "PRAGMA index_info(%s)" % name))
            if origin == "u":
                s["unique"].add((t, cols))
            elif origin == "c":
                s["idx"].add((name, t, cols, bool(unique), bool(partial)))
        for r in db.execute("PRAGMA foreign_key_list(%s)" % t):
            s["fk"].add((t, r[3], r[2], r[4]))
    return s


def psql(sql):
    p = subprocess.run(
        [os.path.join(os.environ["PGBIN"], "psql"), "-X", "-q", "-At",
         "-F", "|", "-v", "ON_ERROR_STOP=1", "-h",
         os.environ["H5PAY_PG_HOST"], "-U", "h5pay", "-d",
         os.environ["H5PAY_PG_DB"]],
        input=sql, capture_output=True, text=True,
        env=dict(os.environ, PGOPTIONS="-c client_min_messages=warning"))
    if p.returncode != 0:
        raise SystemExit("schema_check: psql: " + p.stderr.strip())
    return [line.split("|") for line in p.stdout.splitlines() if line]


ATTS = ("array_to_string(array(SELECT a.attname FROM unnest(%s::int2[]) "
        "WITH ORDINALITY k(n, o) JOIN pg_attribute a ON a.attrelid = %s "
        "AND a.attnum = k.n ORDER BY k.o), ',')")


def pg_schema(d):
    psql("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    for f in migrations(d):
        psql(open(os.path.join(d, f), encoding="utf-8").read())
    s = {"cols": {}, "pk": {}, "unique": set(), "fk": set(), "idx": set()}
    for t, c, nullable, typ in psql(
            "SELECT table_name, column_name, is_nullable, data_type FROM "
            "information_schema.columns WHERE table_schema = 'public' "
            "ORDER BY table_name, ordinal_position"):
        s["cols"].setdefault(t, []).append((c, nullable == "NO",
                                            tclass(typ)))
        s["pk"].setdefault(t, ())
    for t, kind, cols, ft, fcols in psql(
            "SELECT c.conrelid::regclass, c.contype, %s, "
            "coalesce(c.confrelid::regclass::text, ''), "
            "coalesce(%s, '') FROM pg_constraint c WHERE c.connamespace = "
            "'public'::regnamespace AND c.contype IN ('p', 'u', 'f')" %
            (ATTS % ("c.conkey", "c.conrelid"),
             ATTS % ("c.confkey", "c.confrelid"))):
        cols = tuple(cols.split(","))
        if kind == "p":
            s["pk"][t] = cols
        elif kind == "u":
            s["unique"].add((t, cols))
        else:
            s["fk"].add((t, cols[0], ft, fcols))
    for name, t, cols, unique, partial in psql(
            "SELECT i.relname, t.relname, %s, ix.indisunique, "
            "ix.indpred IS NOT NULL FROM pg_index ix JOIN pg_class i ON "
            "i.oid = ix.indexrelid JOIN pg_class t ON t.oid = ix.indrelid "
            "WHERE t.relnamespace = 'public'::regnamespace AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint c WHERE c.conindid = "
            "ix.indexrelid)" % (ATTS % ("ix.indkey", "ix.indrelid"))):
        s["idx"].add((name, t, tuple(cols.split(",")), unique == "t",
                      partial == "t"))
    return s


def main():
    d = sys.argv[1]
    bad = []
    if migrations(d) != migrations(os.path.join(d, "pg")):
        bad.append("migration files differ: %s vs pg/%s" %
                   (migrations(d), migrations(os.path.join(d, "pg"))))
    lite, pg = sqlite_schema(d), pg_schema(os.path.join(d, "pg"))
    # schema_version is made by the migration mechanism, not by sql/
    for s in (lite, pg):
        for k in ("cols", "pk"):
            s[k].pop("schema_version", None)
    if sorted(lite["cols"]) != sorted(pg["cols"]):
        bad.append("tables: sqlite %s, pg %s" %
                   (sorted(lite["cols"]), sorted(pg["cols"])))
    for t in sorted(set(lite["cols"]) & set(pg["cols"])):
        if lite["cols"][t] != pg["cols"][t]:
            bad.append("%s columns:\n  sqlite %s\n  pg     %s" %
                       (t, lite["cols"][t], pg["cols"][t]))
        if lite["pk"][t] != pg["pk"][t]:
            bad.append("%s primary key: sqlite %s, pg %s" %
                       (t, lite["pk"][t], pg["pk"][t]))
    for k in ("unique", "fk", "idx"):
        for x in sorted(lite[k] - pg[k]):
            bad.append("%s only in sqlite: %s" % (k, x))
        for x in sorted(pg[k] - lite[k]):
            bad.append("%s only in pg: %s" % (k, x))
    for b in bad:
        print(b)
    print("schema_check: %d tables, %d indexes, %d differences" %
          (len(lite["cols"]), len(lite["idx"]), len(bad)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
