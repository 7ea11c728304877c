/*
 * db_sqlite.c - the SQLite engine of db.h: a connection, prepared
 * statements (sqlite3_prepare_v3 PERSISTENT), binds and columns as thin
 * calls, and write transactions serialised by flock on "<path>.lock" then
 * BEGIN IMMEDIATE: serialising writers ourselves keeps tail latency flat
 * where SQLite's busy handler alone backs off for up to seconds (measured,
 * see README "Performance").
 *
 * What it does not do: migrations or any application SQL (store.c).
 * Invariants: no allocation per bind or step beyond SQLite's own; a write
 * transaction holds the flock from db_begin() to commit/rollback.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <sqlite3.h>

#include "buf.h"
#include "db_int.h"
#include "util.h"

struct dbs {
	struct db base;		/* first: a struct db * is a struct dbs * */
	sqlite3 *h;
	int lockfd;
};

struct dbs_stmt {
	struct db_stmt base;	/* first */
	sqlite3_stmt *st;
};

#define DBS(db)		((struct dbs *)(db))
#define SST(s)		(((struct dbs_stmt *)(s))->st)

static enum db_errclass
dbs_class(int ext)
{
	switch (ext) {
	case SQLITE_CONSTRAINT_UNIQUE:
	case SQLITE_CONSTRAINT_PRIMARYKEY:
		return DB_EUNIQUE;
	case SQLITE_CONSTRAINT_CHECK:
		return DB_ECHECK;
	default:
		break;
	}
	switch (ext & 0xff) {
	case SQLITE_CONSTRAINT:
		return DB_ECONSTRAINT;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return DB_EBUSY;
	default:
		return DB_EOTHER;
	}
}

/* Record the handle's current error on the connection; returns -1. */
static int
dbs_fail(struct dbs *d)
{
	return db_error(&d->base, dbs_class(sqlite3_extended_errcode(d->h)),
	    "%s", sqlite3_errmsg(d->h));
}

static struct db_stmt *
dbs_prepare(struct db *db, const char *sql, bool cached,
    struct err *err)
{
	struct dbs *d = DBS(db);
	struct dbs_stmt *s;
	sqlite3_stmt *st;

	if (sqlite3_prepare_v3(d->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &st,
	    NULL) != SQLITE_OK) {
		dbs_fail(d);
		err_set(err, E_STORE, "prepare: %s", db->errmsg);
		return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	s->base.db = db;
	s->st = st;
	return &s->base;
}

static void
dbs_finalize(struct db_stmt *s)
{
	sqlite3_finalize(SST(s));
	free(s);
}

static int
dbs_rc(int rc)
{
	return rc == SQLITE_OK ? 0 : -1;
}

static int
dbs_bind_int64(struct db_stmt *s, int i, int64_t v)
{
	return dbs_rc(sqlite3_bind_int64(SST(s), i, v));
}

static int
dbs_bind_null(struct db_stmt *s, int i)
{
	return dbs_rc(sqlite3_bind_null(SST(s), i));
}

static int
dbs_bind_text(struct db_stmt *s, int i, const char *v, bool copy)
{
	return dbs_rc(sqlite3_bind_text(SST(s), i, v, -1,
	    copy ? SQLITE_TRANSIENT : SQLITE_STATIC));
}

static int
dbs_bind_blob(struct db_stmt *s, int i, const void *v, size_t len)
{
	if (len > INT32_MAX)
		return -1;
	return dbs_rc(sqlite3_bind_blob(SST(s), i, v, (int)len,
	    SQLITE_STATIC));
}

static int
dbs_bind_index(struct db_stmt *s, const char *name)
{
	return sqlite3_bind_parameter_index(SST(s), name);
}

static int
dbs_step(struct db_stmt *s)
{
	int rc = sqlite3_step(SST(s));

	if (rc == SQLITE_ROW)
		return DB_ROW;
	if (rc == SQLITE_DONE)
		return DB_DONE;
	return dbs_fail(DBS(s->db));
}

static void
dbs_reset(struct db_stmt *s)
{
	sqlite3_reset(SST(s));
}

static void
dbs_clear(struct db_stmt *s)
{
	sqlite3_clear_bindings(SST(s));
}

static int64_t
dbs_col_int64(struct db_stmt *s, int i)
{
	return sqlite3_column_int64(SST(s), i);
}

static const char *
dbs_col_text(struct db_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(SST(s), i);
}

static const void *
dbs_col_blob(struct db_stmt *s, int i, size_t *len)
{
	const void *p = sqlite3_column_blob(SST(s), i);

	*len = p ? (size_t)sqlite3_column_bytes(SST(s), i) : 0;
	return p;
}

static enum db_type
dbs_col_type(struct db_stmt *s, int i)
{
	switch (sqlite3_column_type(SST(s), i)) {
	case SQLITE_INTEGER:
		return DB_TINT;
	case SQLITE_FLOAT:
		return DB_TFLOAT;
	case SQLITE_TEXT:
		return DB_TTEXT;
	case SQLITE_BLOB:
		return DB_TBLOB;
	default:
		return DB_TNULL;
	}
}

static int
dbs_col_count(struct db_stmt *s)
{
	return sqlite3_column_count(SST(s));
}

static const char *
dbs_col_name(struct db_stmt *s, int i)
{
	return sqlite3_column_name(SST(s), i);
}

static int64_t
dbs_changes(struct db *db)
{
	return sqlite3_changes(DBS(db)->h);
}

static int64_t
dbs_insert_id(struct db *db)
{
	return sqlite3_last_insert_rowid(DBS(db)->h);
}

static int
dbs_exec(struct db *db, const char *sql, struct err *err)
{
	struct dbs *d = DBS(db);
	char *msg = NULL;
	int rc;

	if ((rc = sqlite3_exec(d->h, sql, NULL, NULL, &msg)) != SQLITE_OK) {
		db_error(db, dbs_class(sqlite3_extended_errcode(d->h)), "%s",
		    msg ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
		return err_set(err, E_STORE, "exec: %s", db->errmsg);
	}
	return 0;
}

/* One statement without rows from the connection's cache: the
 * transaction verbs run for every batch, and sqlite3_exec would parse them
 * each time (seen in the /notify profile). */
static int
dbs_run(struct db *db, const char *sql)
{
	struct db_stmt *st;
	struct err err;
	int rc;

	if ((st = db_stmt(db, sql, &err)) == NULL)
		return -1;
	rc = db_step(st);
	db_reset(st);
	return rc == DB_DONE ? 0 : -1;
}

static void
dbs_unlock(struct dbs *d)
{
	if (d->lockfd != -1)
		flock(d->lockfd, LOCK_UN);
}

static int
dbs_begin(struct db *db, struct err *err)
{
	struct dbs *d = DBS(db);

	if (d->lockfd == -1)
		return err_set(err, E_STORE, "read-only store");
	while (flock(d->lockfd, LOCK_EX) == -1)
		if (errno != EINTR)
			return err_set(err, E_STORE, "flock: %s",
			    strerror(errno));
	if (dbs_run(db, "BEGIN IMMEDIATE") == -1) {
		dbs_fail(d);
		dbs_unlock(d);
		return err_set(err, E_STORE, "begin: %s", db->errmsg);
	}
	return 0;
}

static void
dbs_rollback(struct db *db)
{
	struct dbs *d = DBS(db);

	if (sqlite3_get_autocommit(d->h) == 0)
		sqlite3_exec(d->h, "ROLLBACK", NULL, NULL, NULL);
	dbs_unlock(d);
}

static int
dbs_commit(struct db *db, struct err *err)
{
	struct dbs *d = DBS(db);

	if (dbs_run(db, "COMMIT") == -1) {
		dbs_fail(d);
		err_set(err, E_STORE, "commit: %s", db->errmsg);
		dbs_rollback(db);
		return -1;
	}
	dbs_unlock(d);
	return 0;
}

static bool
dbs_in_tx(struct db *db)
{
	return sqlite3_get_autocommit(DBS(db)->h) == 0;
}

static void
dbs_close(struct db *db)
{
	struct dbs *d = DBS(db);

	if (d->h)
		sqlite3_close(d->h);
	if (d->lockfd != -1)
		close(d->lockfd);
	free(d);
}

static struct sqlite3 *
dbs_sqlite(struct db *db)
{
	return DBS(db)->h;
}

static const struct db_ops dbs_ops = {
	.engine = DB_SQLITE,
	.prepare = dbs_prepare,
	.finalize = dbs_finalize,
	.bind_int64 = dbs_bind_int64,
	.bind_null = dbs_bind_null,
	.bind_text = dbs_bind_text,
	.bind_blob = dbs_bind_blob,
	.bind_index = dbs_bind_index,
	.step = dbs_step,
	.reset = dbs_reset,
	.clear = dbs_clear,
	.col_int64 = dbs_col_int64,
	.col_text = dbs_col_text,
	.col_blob = dbs_col_blob,
	.col_type = dbs_col_type,
	.col_count = dbs_col_count,
	.col_name = dbs_col_name,
	.changes = dbs_changes,
	.insert_id = dbs_insert_id,
	.exec = dbs_exec,
	.begin = dbs_begin,
	.commit = dbs_commit,
	.rollback = dbs_rollback,
	.in_tx = dbs_in_tx,
	.close = dbs_close,
	.sqlite = dbs_sqlite,
};

/*
 * Before anything writes (journal_mode=WAL rewrites the header): refuse a
 * file that is not an SQLite database or is damaged, and a database of
 * another application (tables, but no o->marker table). An empty file or a
 * new one is a fresh database.
 */
static int
dbs_check_ours(struct dbs *d, const char *path,
    const struct db_sqlite_opts *o, struct err *err)
{
	sqlite3_stmt *st = NULL;
	int ret = -1;

	if (sqlite3_prepare_v2(d->h, "SELECT COUNT(*), "
	    "COALESCE(SUM(name = ?), 0) FROM sqlite_master "
	    "WHERE type = 'table'", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_bind_text(st, 1, o->marker, -1, SQLITE_STATIC) !=
	    SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
		err_set(err, E_STORE, "%s: not a usable SQLite database (%s); "
		    "left untouched", path, sqlite3_errmsg(d->h));
		goto out;
	}
	if (sqlite3_column_int(st, 0) > 0 && sqlite3_column_int(st, 1) == 0) {
		err_set(err, E_STORE, "%s: a database of another application "
		    "(tables but no %s); left untouched", path, o->marker);
		goto out;
	}
	ret = 0;
out:
	sqlite3_finalize(st);
	return ret;
}

/*
 * Before SQLite's first use in the process: no memory statistics (with
 * them, the default, every sqlite3_malloc()/sqlite3_free() takes one
 * process-wide mutex to count bytes nobody reads; in the /notify profile
 * that mutex was ~6 % of the CPU, pthread_mutex_lock/unlock under
 * sqlite3VdbeExec, and every thread's connection contends on it), and our
 * allocator (db_sqlite_mem.c). Not under AddressSanitizer, which then sees
 * every block of SQLite's through malloc.
 */
#if defined(__SANITIZE_ADDRESS__)		/* gcc */
#define DBS_ASAN 1
#elif defined(__has_feature)			/* clang */
#if __has_feature(address_sanitizer)
#define DBS_ASAN 1
#endif
#endif

static void
dbs_config_once(void)
{
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
#ifndef DBS_ASAN
	(void)sqlite3_config(SQLITE_CONFIG_MALLOC, db_sqlite_mem_methods());
#endif
}

int
db_sqlite_open(struct db **out, const char *path,
    const struct db_sqlite_opts *o, struct err *err)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	struct dbs *d = xcalloc(1, sizeof(*d));
	struct buf b;
	int flags, rc;

	(void)pthread_once(&once, dbs_config_once);
	db_init(&d->base, &dbs_ops);
	d->lockfd = -1;
	flags = o->readonly ? SQLITE_OPEN_READONLY :
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	/* one thread at a time (the writer is handed between threads
	 * under the store's mutex) */
	flags |= SQLITE_OPEN_NOMUTEX;
	if (sqlite3_open_v2(path, &d->h, flags, NULL) != SQLITE_OK) {
		err_set(err, E_STORE, "open %s: %s", path,
		    d->h ? sqlite3_errmsg(d->h) : "out of memory");
		goto fail;
	}
	sqlite3_extended_result_codes(d->h, 1);
	/* No SQLITE_DBCONFIG_LOOKASIDE: Debian builds SQLite with
	 * SQLITE_OMIT_LOOKASIDE (PRAGMA compile_options), so it does nothing
	 * and every allocation of SQLite's goes to its allocator (~117 a
	 * notification, tests/bench/notify_cost.py: with 512- or 1280-byte
	 * slots or none, the same count within 0.1 %): db_sqlite_mem.c. */
	sqlite3_busy_timeout(d->h, o->busy_timeout_ms);
	if (o->marker && dbs_check_ours(d, path, o, err) == -1)
		goto fail;
	buf_init(&b, 512);
	/* no mmap_size: SQLite drops a connection's whole mapping whenever it
	 * begins a read after another connection wrote (in a flash sale each
	 * web process did ~150 munmap+mmap a second and faulted its pages in
	 * again), and a mapping counts the database's pages in the RSS of
	 * every process that touched them; against pread(2) into the
	 * connection's cache it saved no measurable CPU on /notify (82-86 us
	 * both ways, 193 MB database, 8 MiB writer cache) */
	buf_printf(&b, "PRAGMA journal_mode=WAL; PRAGMA synchronous=%s; "
	    "PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY;",
	    o->synchronous_normal ? "NORMAL" : "FULL");
	if (dbs_exec(&d->base, o->readonly ? "PRAGMA foreign_keys=ON;" :
	    buf_str(&b), err) == -1) {
		buf_cleanup(&b);
		goto fail;
	}
	buf_cleanup(&b);
	if (o->cache_kib > 0) {
		buf_init(&b, 64);
		buf_printf(&b, "PRAGMA cache_size=-%d;", o->cache_kib);
		rc = dbs_exec(&d->base, buf_str(&b), err);
		buf_cleanup(&b);
		if (rc == -1)
			goto fail;
	}
	if (o->lockfile && !o->readonly) {
		buf_init(&b, 8192);
		buf_printf(&b, "%s.lock", path);
		d->lockfd = open(buf_str(&b), O_RDWR | O_CREAT | O_CLOEXEC,
		    0600);
		buf_cleanup(&b);
		if (d->lockfd == -1) {
			err_set(err, E_STORE, "open %s.lock: %s", path,
			    strerror(errno));
			goto fail;
		}
	}
	*out = &d->base;
	return 0;
fail:
	dbs_close(&d->base);
	return -1;
}
