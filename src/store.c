/*
 * store.c - open, configure, migrate; transactions, the statement cache
 * and the statement helpers every store*.c shares (store_fail, ...).
 *
 * What it does not do: any business query (those live in store_<noun>.c),
 * talk to an engine directly (src/db/ does).
 * Invariants: a connection is used by one thread only; a write transaction
 * is one db_begin() .. db_commit()/db_rollback() (never nested).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "log.h"
#include "store.h"
#include "util.h"

struct store {
	struct db *db;
	bool in_tx;
};

static int
db_err(struct store *s, struct err *err, const char *what)
{
	return err_set(err, E_STORE, "%s: %s", what, db_errmsg(s->db));
}

int
store_exec(struct store *s, const char *sql, struct err *err)
{
	return db_exec(s->db, sql, err);
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
	switch (db_errclass(s->db)) {
	case DB_EUNIQUE:
	case DB_ECHECK:
	case DB_ECONSTRAINT:
		return err_set(err, on_constraint, "%s: %s", what,
		    db_errmsg(s->db));
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

	if (rc == DB_ROW) {
		if (id)
			*id = db_col_int64(st, 0);
		db_reset(st);
		return 0;
	}
	db_reset(st);
	if (rc == DB_DONE)
		return err_set(err, E_INTERNAL, "%s: no id returned", what);
	switch (db_errclass(s->db)) {
	case DB_EUNIQUE:
	case DB_ECHECK:
	case DB_ECONSTRAINT:
		return err_set(err, on_constraint, "%s: %s", what,
		    db_errmsg(s->db));
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
	};

	if (db_sqlite_open(&s->db, path, &so, err) == -1) {
		free(s);
		return -1;
	}
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
	secret_free(pw);
	if (rc == 0 && o->readonly && db_exec(s->db, "SET SESSION "
	    "CHARACTERISTICS AS TRANSACTION READ ONLY", err) == -1) {
		db_close(s->db);
		rc = -1;
	}
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
	db_close(s->db);
	free(s);
}

struct db *
store_db(struct store *s)
{
	return s->db;
}

struct sqlite3 *
store_sqlite(struct store *s)
{
	return db_sqlite_handle(s->db);
}

struct db_stmt *
store_stmt(struct store *s, const char *sql, struct err *err)
{
	return db_stmt(s->db, sql, err);
}

int
store_begin(struct store *s, struct err *err)
{
	if (s->in_tx)
		return err_set(err, E_INTERNAL, "nested transaction");
	if (db_begin(s->db, err) == -1)
		return -1;
	s->in_tx = true;
	return 0;
}

int
store_commit(struct store *s, struct err *err)
{
	if (!s->in_tx)
		return err_set(err, E_INTERNAL, "commit outside transaction");
	s->in_tx = false;
	/* on failure db_commit() has rolled back and released the lock */
	return db_commit(s->db, err);
}

void
store_rollback(struct store *s)
{
	if (!s->in_tx)
		return;
	db_rollback(s->db);
	s->in_tx = false;
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

	if (store_exec(s, db_sql_pick(s->db, &create), err) == -1)
		return -1;
	if ((st = db_prepare(s->db, "SELECT COALESCE(MAX(version), 0) FROM "
	    "schema_version", err)) == NULL)
		return db_err(s, err, "schema_version");
	rc = db_step(st);
	*version = rc == DB_ROW ? db_col_int(st, 0) : 0;
	if (rc != DB_ROW)
		db_err(s, err, "schema_version");
	db_finalize(st);
	return rc == DB_ROW ? 0 : -1;
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
	pg = db_engine(s->db) == DB_PG;
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
		if (store_exec(s, m[i].sql, err) == -1)
			goto fail;
		if ((st = db_prepare(s->db, "INSERT INTO schema_version "
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
	if (db_engine(s->db) == DB_PG)
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

int
store_savepoint(struct store *s, struct err *err)
{
	return store_exec(s, "SAVEPOINT h5pay_sp", err);
}

int
store_savepoint_release(struct store *s, struct err *err)
{
	return store_exec(s, "RELEASE h5pay_sp", err);
}

void
store_savepoint_undo(struct store *s)
{
	struct err err;

	/* if this fails the transaction is gone: store_tx_alive() tells */
	if (store_tx_alive(s))
		(void)store_exec(s, "ROLLBACK TO h5pay_sp; RELEASE h5pay_sp",
		    &err);
}

bool
store_tx_alive(struct store *s)
{
	return db_in_tx(s->db);
}
