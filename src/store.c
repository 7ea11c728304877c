/*
 * store.c - open, configure, migrate; transactions, the statement cache
 * and the statement helpers every store*.c shares (store_fail, ...).
 *
 * What it does not do: any business query (those live in store_<noun>.c),
 * talk to an engine directly (src/db/ does).
 * Invariants: a connection is used by one thread only; a write transaction
 * is one db_begin() .. db_commit()/db_rollback() (never nested).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cfg.h"
#include "log.h"
#include "store.h"
#include "util.h"

#define STORE_BATCH_MAX 256		/* transactions per batch */
#define STORE_BATCH_MAX_US 20000	/* age of a batch that commits */

struct store_batch {
	int refs;
	bool done;
	int rc;
	struct err err;
};

struct store_writer {
	char *key;			/* engine and path or URL */
	int refs;			/* stores of this process using it */
	struct db *conn;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool busy;			/* a transaction runs on conn */
	int waiting;			/* threads waiting for busy */
	struct store_batch *open;	/* the batch conn's transaction is */
	int n;				/* transactions in it so far */
	int64_t opened_us;
	pid_t pid;			/* the process that opened conn */
	struct store_writer *next;
};

struct store {
	struct db *db;			/* this thread's connection */
	struct store_writer *w;		/* NULL: read-only */
	struct store_batch *batch;	/* in a write transaction: its batch */
	bool in_tx;
	bool sp;			/* ours is the savepoint h5pay_tx */
};

static struct store_writer *writer_get(const char *,
    int (*)(struct db **, void *, struct err *), void *, struct err *);
static void writer_release(struct store_writer *);

/* The connection a statement runs on: the writer's inside a write
 * transaction (it sees the transaction's own changes), else our own. */
static struct db *
conn(const struct store *s)
{
	return s->in_tx ? s->w->conn : s->db;
}

static int
db_err(struct store *s, struct err *err, const char *what)
{
	return err_set(err, E_STORE, "%s: %s", what, db_errmsg(conn(s)));
}

int
store_exec(struct store *s, const char *sql, struct err *err)
{
	return db_exec(conn(s), sql, err);
}

/* One statement without rows, prepared once per connection: the
 * savepoints of every transaction (store_exec would parse each: ~5 % of
 * the /notify profile in sqlite3_exec). */
static int
store_run(struct store *s, const char *sql, struct err *err)
{
	struct db_stmt *st = store_stmt(s, sql, err);

	if (st == NULL)
		return -1;
	return store_step_done(s, st, E_STORE, sql, err);
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

	if (rc == DB_ROW) {
		if (id)
			*id = db_col_int64(st, 0);
		db_reset(st);
		return 0;
	}
	db_reset(st);
	if (rc == DB_DONE)
		return err_set(err, E_INTERNAL, "%s: no id returned", what);
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
 * Page caches: a thread's own connection only reads (the database file is
 * mapped, so a read costs no cache), and a web process has a hundred or
 * more of them; the writer, one per process, keeps what transactions
 * write. SQLite's default is 2 MiB each.
 */
#define STORE_READER_CACHE_KIB 256
#define STORE_WRITER_CACHE_KIB 8192

static int
writer_open_sqlite(struct db **db, void *arg, struct err *err)
{
	const struct sqlite_open *a = arg;
	struct db_sqlite_opts so = *a->so;

	so.cache_kib = STORE_WRITER_CACHE_KIB;
	so.big_lookaside = true;
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

	if (db_sqlite_open(&s->db, path, &so, err) == -1) {
		free(s);
		return -1;
	}
	if (!o->readonly) {
		buf_init(&key, 8192);
		buf_printf(&key, "sqlite:%s:%s", o->synchronous, path);
		s->w = writer_get(buf_str(&key), writer_open_sqlite, &a, err);
		buf_cleanup(&key);
		if (s->w == NULL) {
			db_close(s->db);
			free(s);
			return -1;
		}
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
	if (rc == 0 && o->readonly && db_exec(s->db, "SET SESSION "
	    "CHARACTERISTICS AS TRANSACTION READ ONLY", err) == -1) {
		db_close(s->db);
		rc = -1;
	}
	if (rc == 0 && !o->readonly) {
		struct buf key;

		buf_init(&key, 8192);
		buf_printf(&key, "pg:%s", c->db_url);
		if ((s->w = writer_get(buf_str(&key), writer_open_pg, &po,
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
	db_close(s->db);
	writer_release(s->w);
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
	return db_stmt(conn(s), sql, err);
}

/*
 * Group commit of write transactions (issue 14). Every thread of a process
 * that writes a database runs its write transactions on one shared
 * connection, the writer, each inside its own savepoint of one open
 * transaction: the batch. A thread that finishes its transaction while
 * others wait to begin leaves the batch open for them and waits; the last
 * one (nobody waiting, or the batch full or old) commits the batch, one
 * fsync for all, and every member's store_commit() returns only then, with
 * the batch's result. So a write is acknowledged only once it is durable,
 * as before, but a flash sale's hundreds of threads no longer pay one
 * fsync each behind one lock (measured: two durable commits per /pay
 * capped it near 460/s with the provider answering at once).
 *
 * A transaction that fails alone rolls back to its savepoint and fails
 * alone; if the engine lost the whole transaction (SQLite rolls back by
 * itself after an I/O error or a full disk) or COMMIT fails, every member
 * of the batch fails: none was acknowledged. The writer's db_begin() takes
 * the cross-process lock (SQLite: flock, PostgreSQL: an advisory lock) for
 * the batch's life, so batches of different processes never mix.
 *
 * Invariants: w->busy is held by the one thread running a transaction on
 * w->conn (or committing it); members of a batch hold a reference to it
 * until they have read its result.
 */
static pthread_mutex_t writers_mu = PTHREAD_MUTEX_INITIALIZER;
static struct store_writer *writers;
static atomic_int batch_max_seen;

/*
 * The writer for key, opened by open(arg) when this process has none yet
 * (another connection with the same settings); counted until
 * writer_release().
 */
static struct store_writer *
writer_get(const char *key, int (*open)(struct db **, void *, struct err *),
    void *arg, struct err *err)
{
	struct store_writer *w;

	pthread_mutex_lock(&writers_mu);
	for (w = writers; w != NULL; w = w->next)
		if (w->pid == getpid() && strcmp(w->key, key) == 0)
			break;	/* (a parent's connection is not ours) */
	if (w == NULL) {
		w = xcalloc(1, sizeof(*w));
		if (open(&w->conn, arg, err) == -1) {
			free(w);
			pthread_mutex_unlock(&writers_mu);
			return NULL;
		}
		w->key = xstrdup(key);
		w->pid = getpid();
		pthread_mutex_init(&w->mu, NULL);
		pthread_cond_init(&w->cv, NULL);
		w->next = writers;
		writers = w;
	}
	w->refs++;
	pthread_mutex_unlock(&writers_mu);
	return w;
}

static void
writer_release(struct store_writer *w)
{
	struct store_writer **p;

	if (w == NULL)
		return;
	pthread_mutex_lock(&writers_mu);
	if (--w->refs == 0) {
		for (p = &writers; *p != NULL; p = &(*p)->next)
			if (*p == w) {
				*p = w->next;
				break;
			}
		db_close(w->conn);
		pthread_mutex_destroy(&w->mu);
		pthread_cond_destroy(&w->cv);
		free(w->key);
		free(w);
	}
	pthread_mutex_unlock(&writers_mu);
}

/* With w->mu held: finish the open batch with rc (after COMMIT or after
 * losing it), wake its members. */
static void
batch_finish(struct store_writer *w, int rc, const struct err *e)
{
	struct store_batch *b = w->open;

	b->rc = rc;
	if (rc == -1)
		b->err = *e;
	b->done = true;
	if (w->n > atomic_load(&batch_max_seen))
		atomic_store(&batch_max_seen, w->n);
	w->open = NULL;
	w->n = 0;
	if (b->refs == 0)	/* every member left already */
		free(b);
}

/* Read b's result and let go of it (with w->mu held). */
static int
batch_leave(struct store_batch *b, struct err *err)
{
	int rc = b->rc;

	if (rc == -1 && err != NULL)
		*err = b->err;
	if (--b->refs == 0 && b->done)
		free(b);
	return rc;
}

/*
 * The end of one member's transaction (its savepoint released or undone),
 * with w->mu held and w->busy ours: leave the batch open for a waiting
 * thread, or commit it; then wait for the batch's result.
 */
static int
batch_end(struct store *s, bool wait, struct err *err)
{
	struct store_writer *w = s->w;
	struct store_batch *b = s->batch;
	struct err e;
	int rc;

	if (!db_in_tx(w->conn)) {
		/* the engine rolled the whole transaction back */
		err_set(&e, E_STORE, "batch transaction lost");
		db_rollback(w->conn);	/* releases the lock */
		batch_finish(w, -1, &e);
	} else if (w->waiting > 0 && w->n < STORE_BATCH_MAX &&
	    mono_us() - w->opened_us < STORE_BATCH_MAX_US) {
		/* someone will run into this batch and commit it later */
	} else {
		pthread_mutex_unlock(&w->mu);
		err_clear(&e);
		rc = db_commit(w->conn, &e);
		pthread_mutex_lock(&w->mu);
		batch_finish(w, rc, &e);
	}
	w->busy = false;
	pthread_cond_broadcast(&w->cv);
	s->batch = NULL;
	s->in_tx = false;
	if (!wait) {		/* a rollback: nothing of ours to wait for */
		b->refs--;	/* freed by batch_finish if not done yet */
		if (b->refs == 0 && b->done)
			free(b);
		return 0;
	}
	while (!b->done)
		pthread_cond_wait(&w->cv, &w->mu);
	return batch_leave(b, err);
}

int
store_begin(struct store *s, struct err *err)
{
	struct store_writer *w = s->w;
	struct store_batch *b;
	int rc = 0;

	if (s->in_tx)
		return err_set(err, E_INTERNAL, "nested transaction");
	if (w == NULL)
		return err_set(err, E_STORE, "read-only store");
	pthread_mutex_lock(&w->mu);
	w->waiting++;
	while (w->busy)
		pthread_cond_wait(&w->cv, &w->mu);
	w->waiting--;
	w->busy = true;
	if (w->open == NULL) {
		pthread_mutex_unlock(&w->mu);
		rc = db_begin(w->conn, err);	/* the cross-process lock */
		pthread_mutex_lock(&w->mu);
		if (rc == 0) {
			w->open = xcalloc(1, sizeof(*w->open));
			w->opened_us = mono_us();
		}
	}
	if (rc == -1) {
		w->busy = false;
		pthread_cond_broadcast(&w->cv);
		pthread_mutex_unlock(&w->mu);
		return -1;
	}
	b = w->open;
	b->refs++;
	w->n++;
	/* the first member of a batch needs no savepoint: nothing runs
	 * before it to keep, and no other member starts before it ends
	 * (busy), so undoing it is undoing the engine's transaction. A
	 * savepoint made every page written go to the sub-journal as well
	 * (~4 % of the /notify profile in malloc/free/memcpy of copies) */
	s->sp = w->n > 1;
	pthread_mutex_unlock(&w->mu);
	s->batch = b;
	s->in_tx = true;
	if (s->sp && store_run(s, "SAVEPOINT h5pay_tx", err) == -1) {
		pthread_mutex_lock(&w->mu);
		(void)batch_end(s, false, NULL);
		pthread_mutex_unlock(&w->mu);
		return -1;
	}
	return 0;
}

int
store_commit(struct store *s, struct err *err)
{
	int rc;

	if (!s->in_tx)
		return err_set(err, E_INTERNAL, "commit outside transaction");
	if (s->sp && store_run(s, "RELEASE h5pay_tx", err) == -1) {
		char msg[sizeof(err->msg)];

		str_lcpy(msg, err->msg, sizeof(msg));
		store_rollback(s);
		return err_set(err, E_STORE, "commit: %s", msg);
	}
	pthread_mutex_lock(&s->w->mu);
	rc = batch_end(s, true, err);
	pthread_mutex_unlock(&s->w->mu);
	return rc;
}

void
store_rollback(struct store *s)
{
	struct err err;

	if (!s->in_tx)
		return;
	/* undo this transaction only; the batch goes on without it. Wait
	 * for the batch all the same: what made this one fail may be a
	 * change of an earlier member (a unique key taken by a concurrent
	 * twin), and the caller's next read, on its own connection, must see
	 * it committed (test_pay's concurrent double submit, on PostgreSQL) */
	if (db_in_tx(s->w->conn)) {
		if (s->sp)
			(void)store_exec(s, "ROLLBACK TO h5pay_tx; "
			    "RELEASE h5pay_tx", &err);
		else	/* the first member: the whole batch is ours */
			db_rollback(s->w->conn);
	}
	pthread_mutex_lock(&s->w->mu);
	(void)batch_end(s, true, &err);
	pthread_mutex_unlock(&s->w->mu);
}

int
store_batch_max(void)
{
	return atomic_load(&batch_max_seen);
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
 * After a SQLite migration that edited sqlite_schema itself (PRAGMA
 * writable_schema; SQLite's procedure for changing a CHECK): raise
 * schema_version, so that every connection, this one included, reloads
 * the schema before its next statement.
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
		if (store_exec(s, m[i].sql, err) == -1 ||
		    (!pg && strstr(m[i].sql, "writable_schema") != NULL &&
		    schema_cookie_bump(s, err) == -1))
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
	return store_run(s, "SAVEPOINT h5pay_sp", err);
}

int
store_savepoint_release(struct store *s, struct err *err)
{
	return store_run(s, "RELEASE h5pay_sp", err);
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
	return s->in_tx && db_in_tx(conn(s));
}
