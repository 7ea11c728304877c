/*
 * store.c - open, configure, migrate; the statement cache and the
 * statement helpers every store*.c shares (store_fail, ...).
 *
 * What it does not do: transactions and the shared connections
 * (store_tx.c), any business query (those live in store_<noun>.c), talk
 * to an engine directly (src/db/ does).
 * Invariants: a connection is used by one thread only; a write transaction
 * is one db_begin() .. db_commit()/db_rollback() (never nested).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cfg.h"
#include "log.h"
#include "store.h"
#include "store_int.h"
#include "util.h"

static struct db *
conn(struct store *s)
{
	struct err err;

	return store_conn_or(s, &err);
}

static int
db_err(struct store *s, struct err *err, const char *what)
{
	struct db *d = conn(s);

	return err_set(err, E_STORE, "%s: %s", what, d ? db_errmsg(d) :
	    "no connection");
}

int
store_exec(struct store *s, const char *sql, struct err *err)
{
	struct db *d = store_conn_or(s, err);

	return d ? db_exec(d, sql, err) : -1;
}

int
store_fail(struct store *s, struct err *err, const char *what)
{
	return db_err(s, err, what);
}

int
store_stmt_fail(struct store *s, struct db_stmt *st, struct err *err,
    const char *what)
{
	db_err(s, err, what);
	if (st)
		db_reset(st);
	return -1;
}

int
store_step_done(struct store *s, struct db_stmt *st,
    enum err_code on_constraint, const char *what, struct err *err)
{
	int rc = db_step(st);

	db_reset(st);
	if (rc == DB_DONE)
		return 0;
	switch (db_errclass(conn(s))) {
	case DB_EUNIQUE:
	case DB_ECHECK:
	case DB_ECONSTRAINT:
		return err_set(err, on_constraint, "%s: %s", what,
		    db_errmsg(conn(s)));
	default:
		return db_err(s, err, what);
	}
}

int
store_step_id(struct store *s, struct db_stmt *st,
    enum err_code on_constraint, const char *what, int64_t *id,
    struct err *err)
{
	int rc = db_step(st);
	int64_t v;

	if (rc == DB_ROW) {
		if (id)
			*id = db_col_int64(st, 0);
		db_reset(st);
		return 0;
	}
	db_reset(st);
	if (rc == DB_DONE) {
		/* a text without RETURNING: the row it inserted, if any */
		v = db_changes(conn(s)) == 1 ? db_insert_id(conn(s)) : 0;
		if (v <= 0)
			return err_set(err, E_INTERNAL, "%s: no id returned",
			    what);
		if (id)
			*id = v;
		return 0;
	}
	switch (db_errclass(conn(s))) {
	case DB_EUNIQUE:
	case DB_ECHECK:
	case DB_ECONSTRAINT:
		return err_set(err, on_constraint, "%s: %s", what,
		    db_errmsg(conn(s)));
	default:
		return db_err(s, err, what);
	}
}

int
store_step_row(struct store *s, struct db_stmt *st, store_row_fn row,
    void *dst, const char *what, struct err *err)
{
	int rc = db_step(st);

	if (rc == DB_ROW) {
		rc = row(st, dst, err);
		db_reset(st);
		return rc;
	}
	if (rc == DB_DONE) {
		db_reset(st);
		return err_set(err, E_NOTFOUND, "%s: not found", what);
	}
	return store_stmt_fail(s, st, err, what);
}

void
store_col_copy(struct db_stmt *st, int i, char *out, size_t n)
{
	str_lcpy(out, store_col_text(st, i), n);
}

const char *
store_col_text(struct db_stmt *st, int i)
{
	const char *t = db_col_text(st, i);

	return t ? t : "";
}

int
store_bind_text_or_null(struct db_stmt *st, int i, const char *v)
{
	return db_bind_text(st, i, v);
}

int
store_bind_text_or_empty(struct db_stmt *st, int i, const char *v)
{
	return db_bind_text(st, i, v ? v : "");
}

struct sqlite_open {
	const char *path;
	const struct db_sqlite_opts *so;
};

/*
 * Page caches: a reader (at most 16 per process, STORE_READERS) keeps
 * what its reads touched; the writer, one per process, what transactions
 * read and write. SQLite's default is 2 MiB each. 8 MiB for the writer
 * bought no measurable /notify CPU (77-80 us either way) and filled up
 * over a long run: 8 MB more per process in the flash sale's sample.
 */
#define STORE_READER_CACHE_KIB 256
#define STORE_WRITER_CACHE_KIB 2048

static int
writer_open_sqlite(struct db **db, void *arg, struct err *err)
{
	const struct sqlite_open *a = arg;
	struct db_sqlite_opts so = *a->so;

	so.cache_kib = STORE_WRITER_CACHE_KIB;
	return db_sqlite_open(db, a->path, &so, err);
}

static int
writer_open_pg(struct db **db, void *arg, struct err *err)
{
	return db_pg_open(db, arg, err);
}

int
store_open(struct store **out, const char *path, const struct store_opts *o,
    struct err *err)
{
	struct store *s = xcalloc(1, sizeof(*s));
	struct db_sqlite_opts so = {
		.readonly = o->readonly,
		.busy_timeout_ms = o->busy_timeout_ms,
		.synchronous_normal = strcmp(o->synchronous, "NORMAL") == 0,
		.lockfile = true,
		.marker = "schema_version",
		.cache_kib = STORE_READER_CACHE_KIB,
	};
	struct sqlite_open a = {path, &so};
	struct buf key;

	if (o->readonly) {
		if (db_sqlite_open(&s->db, path, &so, err) == -1) {
			free(s);
			return -1;
		}
		*out = s;
		return 0;
	}
	/* a writable store borrows its readers (reader()): nothing of its
	 * own to open; the writer, opened with the process's first store,
	 * checks the file and sets WAL */
	buf_init(&key, 8192);
	buf_printf(&key, "sqlite:%s:%s", o->synchronous, path);
	s->w = store_writer_get(buf_str(&key), writer_open_sqlite, &a, err);
	buf_cleanup(&key);
	if (s->w == NULL) {
		free(s);
		return -1;
	}
	s->path = xstrdup(path);
	s->so = so;
	s->so.marker = NULL;	/* checked once, by the writer's open */
	s->so.lockfile = false;	/* the writer's, not a reader's */
	*out = s;
	return 0;
}

int
store_open_cfg(struct store **out, const struct cfg *c,
    const struct store_opts *o, struct err *err)
{
	struct db_pg_opts po = { .url = c->db_url, .appname = "h5pay" };
	struct store *s;
	char *pw = NULL;
	int rc;

	if (c->db_url == NULL)
		return store_open(out, c->db_path, o, err);
	if (c->db_password_file && (pw = cfg_read_secret(c->db_password_file,
	    "db_password_file", 1024, err)) == NULL)
		return -1;
	po.password = pw;
	s = xcalloc(1, sizeof(*s));
	rc = db_pg_open(&s->db, &po, err);
	if (rc == 0 && o->readonly && db_exec(s->db, "SET SESSION "
	    "CHARACTERISTICS AS TRANSACTION READ ONLY", err) == -1) {
		db_close(s->db);
		rc = -1;
	}
	if (rc == 0 && !o->readonly) {
		struct buf key;

		buf_init(&key, 8192);
		buf_printf(&key, "pg:%s", c->db_url);
		if ((s->w = store_writer_get(buf_str(&key), writer_open_pg, &po,
		    err)) == NULL) {
			db_close(s->db);
			rc = -1;
		}
		buf_cleanup(&key);
	}
	secret_free(pw);
	if (rc == -1) {
		free(s);
		return -1;
	}
	*out = s;
	return 0;
}

void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	store_rollback(s);
	store_idle(s);
	db_close(s->db);
	store_writer_release(s->w);
	free(s->path);
	free(s);
}

struct db *
store_db(struct store *s)
{
	return conn(s);
}

struct sqlite3 *
store_sqlite(struct store *s)
{
	return db_sqlite_handle(conn(s));
}

struct db_stmt *
store_stmt(struct store *s, const char *sql, struct err *err)
{
	struct db *d = store_conn_or(s, err);

	return d ? db_stmt(d, sql, err) : NULL;
}

struct db_stmt *
store_stmt_pick(struct store *s, const struct db_sql *q, struct err *err)
{
	struct db *d = store_conn_or(s, err);

	return d ? db_stmt(d, db_sql_pick(d, q), err) : NULL;
}

int
store_ping(struct store *s, int *version, struct err *err)
{
	struct db_stmt *st;

	st = store_stmt(s, "SELECT COALESCE(MAX(version), 0) "
	    "FROM schema_version", err);
	if (st == NULL)
		return -1;
	if (db_step(st) != DB_ROW)
		return store_stmt_fail(s, st, err, "ping");
	*version = db_col_int(st, 0);
	db_reset(st);
	return 0;
}

int
store_schema_version(struct store *s, int *version, struct err *err)
{
	struct db_stmt *st;
	int rc;

	static const struct db_sql create = {
		.sqlite = "CREATE TABLE IF NOT EXISTS schema_version ("
		    "version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
		    "applied_at INTEGER NOT NULL)",
		.pg = "CREATE TABLE IF NOT EXISTS schema_version ("
		    "version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
		    "applied_at BIGINT NOT NULL)",
	};

	if (store_exec(s, db_sql_pick(conn(s), &create), err) == -1)
		return -1;
	if ((st = db_prepare(conn(s), "SELECT COALESCE(MAX(version), 0) FROM "
	    "schema_version", err)) == NULL)
		return db_err(s, err, "schema_version");
	rc = db_step(st);
	*version = rc == DB_ROW ? db_col_int(st, 0) : 0;
	if (rc != DB_ROW)
		db_err(s, err, "schema_version");
	db_finalize(st);
	return rc == DB_ROW ? 0 : -1;
}

/*
 * After every SQLite migration: raise schema_version, so that every
 * connection, this one included, reloads the schema before its next
 * statement. DDL raises it by itself; a migration that edits sqlite_schema
 * directly (PRAGMA writable_schema, SQLite's procedure for changing a
 * CHECK: 012_checks) does not.
 */
static int
schema_cookie_bump(struct store *s, struct err *err)
{
	struct db_stmt *st;
	char sql[64];
	int64_t v;

	if ((st = db_prepare(conn(s), "PRAGMA schema_version", err)) == NULL)
		return -1;
	if (db_step(st) != DB_ROW) {
		db_finalize(st);
		return db_err(s, err, "read schema_version");
	}
	v = db_col_int64(st, 0);
	db_finalize(st);
	snprintf(sql, sizeof(sql), "PRAGMA schema_version = %lld",
	    (long long)v + 1);
	return store_exec(s, sql, err);
}

int
store_migrate_with(struct store *s, const struct migration *m, int n,
    int *applied, struct err *err)
{
	struct db_stmt *st = NULL;
	int i, have, rc = -1;
	bool pg;

	*applied = 0;
	/* PostgreSQL: under the write lock, or hosts starting together on a
	 * fresh database race on CREATE TABLE schema_version */
	pg = db_engine(conn(s)) == DB_PG;
	if (pg && store_begin(s, err) == -1)
		return -1;
	if (store_schema_version(s, &have, err) == -1) {
		store_rollback(s);
		return -1;
	}
	if (pg && store_commit(s, err) == -1)
		return -1;
	if (n > 0 && have > m[n - 1].version)
		return err_set(err, E_STORE, "schema version %d is newer than "
		    "this binary's %d: migrations are forward-only, run the "
		    "newer h5pay", have, m[n - 1].version);
	for (i = 0; i < n; i++) {
		if (i > 0 && m[i].version <= m[i - 1].version)
			return err_set(err, E_INTERNAL, "migrations out of "
			    "order at %d", m[i].version);
	}
	for (i = 0; i < n; i++) {
		if (m[i].version <= have)
			continue;
		if (store_begin(s, err) == -1)
			return -1;
		/* re-check under the lock: another process may have won */
		if (store_schema_version(s, &have, err) == -1)
			goto fail;
		if (m[i].version <= have) {
			store_rollback(s);
			continue;
		}
		if (store_exec(s, m[i].sql, err) == -1 ||
		    (!pg && schema_cookie_bump(s, err) == -1))
			goto fail;
		if ((st = db_prepare(conn(s), "INSERT INTO schema_version "
		    "(version, name, applied_at) VALUES (?, ?, ?)", err)) ==
		    NULL)
			goto fail;
		db_bind_int64(st, 1, m[i].version);
		db_bind_text_static(st, 2, m[i].name);
		db_bind_int64(st, 3, now_s());
		if (db_step(st) != DB_DONE) {
			db_err(s, err, "record migration");
			goto fail;
		}
		db_finalize(st);
		st = NULL;
		if (store_commit(s, err) == -1)
			return -1;
		have = m[i].version;
		(*applied)++;
		log_info("store", "migrated", "version=%d name=%s",
		    m[i].version, m[i].name);
	}
	return 0;
fail:
	{
		char msg[sizeof(err->msg)];

		str_lcpy(msg, err->msg, sizeof(msg));
		err_set(err, E_STORE, "migration %03d_%s: %s", m[i].version,
		    m[i].name, msg);
	}
	db_finalize(st);
	store_rollback(s);
	return rc;
}

int
store_migrate(struct store *s, int *applied, struct err *err)
{
	if (db_engine(conn(s)) == DB_PG)
		return store_migrate_with(s, store_migrations_pg,
		    store_migration_pg_count, applied, err);
	return store_migrate_with(s, store_migrations, store_migration_count,
	    applied, err);
}

int
store_bind_id(struct db_stmt *st, int i, int64_t id)
{
	if (id <= 0)
		return db_bind_null(st, i);
	return db_bind_int64(st, i, id);
}
