/*
 * store.c - open, configure, migrate; transactions, the statement cache
 * and the statement helpers every store*.c shares (store_fail, ...).
 *
 * What it does not do: any business query (those live in store_<noun>.c).
 * Invariants: a connection is used by one thread only; a write transaction
 * holds the flock on "<db>.lock" from store_begin() to commit/rollback.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "buf.h"
#include "log.h"
#include "store.h"
#include "util.h"

#define STORE_STMT_CACHE 128
/* Bytes of the database file each connection maps (shared page cache of
 * the OS; address space only). */
#define STORE_MMAP_BYTES ((int64_t)1 << 30)

struct store {
	sqlite3 *db;
	int lockfd;
	pthread_mutex_t *writer;	/* this process's writers of the db */
	bool in_tx;
	size_t nstmt;
	struct {
		const char *key;
		sqlite3_stmt *st;
	} stmts[STORE_STMT_CACHE];
};

static int
db_err(struct store *s, struct err *err, const char *what)
{
	return err_set(err, E_STORE, "%s: %s", what, sqlite3_errmsg(s->db));
}

int
store_exec(struct store *s, const char *sql, struct err *err)
{
	char *msg = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		err_set(err, E_STORE, "exec: %s", msg ? msg : "?");
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

/* One statement without rows, prepared once per connection (the
 * transaction verbs of every batch: sqlite3_exec would parse each). */
static int
store_run(struct store *s, const char *sql, const char *what,
    struct err *err)
{
	sqlite3_stmt *st = store_stmt(s, sql, err);

	if (st == NULL)
		return -1;
	return store_step_done(s, st, E_STORE, what, err);
}

int
store_fail(struct store *s, struct err *err, const char *what)
{
	return db_err(s, err, what);
}

int
store_stmt_fail(struct store *s, sqlite3_stmt *st, struct err *err,
    const char *what)
{
	db_err(s, err, what);
	if (st)
		sqlite3_reset(st);
	return -1;
}

int
store_step_done(struct store *s, sqlite3_stmt *st, enum err_code on_constraint,
    const char *what, struct err *err)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		return err_set(err, on_constraint, "%s: %s", what,
		    sqlite3_errmsg(s->db));
	if (rc != SQLITE_DONE)
		return db_err(s, err, what);
	return 0;
}

int
store_step_row(struct store *s, sqlite3_stmt *st, store_row_fn row,
    void *dst, const char *what, struct err *err)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW) {
		rc = row(st, dst, err);
		sqlite3_reset(st);
		return rc;
	}
	if (rc == SQLITE_DONE) {
		sqlite3_reset(st);
		return err_set(err, E_NOTFOUND, "%s: not found", what);
	}
	return store_stmt_fail(s, st, err, what);
}

void
store_col_copy(sqlite3_stmt *st, int i, char *out, size_t n)
{
	str_lcpy(out, store_col_text(st, i), n);
}

const char *
store_col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? (const char *)t : "";
}

int
store_bind_text_or_null(sqlite3_stmt *st, int i, const char *v)
{
	if (v == NULL)
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
}

int
store_bind_text_or_empty(sqlite3_stmt *st, int i, const char *v)
{
	return sqlite3_bind_text(st, i, v ? v : "", -1, SQLITE_TRANSIENT);
}

/*
 * The threads of one process that write the same database queue on a
 * mutex of the process before the flock: with up to a few hundred threads
 * (the web pool during a flash sale) blocked in flock(2), each unlock woke
 * every one of them to fight for it again (perf: flock_locks_conflict and
 * scheduler time; a pthread mutex hands over to one waiter). The flock
 * still orders the processes. One mutex per lock file (its inode), so two
 * databases in one process do not wait for each other.
 */
#define STORE_WRITERS_MAX 16

static struct store_writers {
	dev_t dev;
	ino_t ino;
	pthread_mutex_t mu;
} store_writers[STORE_WRITERS_MAX];
static int store_nwriters;
static pthread_mutex_t store_writers_mu = PTHREAD_MUTEX_INITIALIZER;

static pthread_mutex_t *
store_writer_mutex(int lockfd, struct err *err)
{
	pthread_mutex_t *mu = NULL;
	struct stat sb;
	int i;

	if (fstat(lockfd, &sb) == -1) {
		err_set(err, E_STORE, "fstat lock: %s", strerror(errno));
		return NULL;
	}
	pthread_mutex_lock(&store_writers_mu);
	for (i = 0; i < store_nwriters && mu == NULL; i++)
		if (store_writers[i].dev == sb.st_dev &&
		    store_writers[i].ino == sb.st_ino)
			mu = &store_writers[i].mu;
	if (mu == NULL && store_nwriters < STORE_WRITERS_MAX) {
		i = store_nwriters++;
		store_writers[i].dev = sb.st_dev;
		store_writers[i].ino = sb.st_ino;
		pthread_mutex_init(&store_writers[i].mu, NULL);
		mu = &store_writers[i].mu;
	}
	pthread_mutex_unlock(&store_writers_mu);
	if (mu == NULL)
		err_set(err, E_INTERNAL, "more than %d databases written",
		    STORE_WRITERS_MAX);
	return mu;
}

/*
 * Before anything writes (journal_mode=WAL rewrites the header): refuse a
 * file that is not an SQLite database or is damaged, and a database of
 * another application (tables, but no schema_version). An empty file or a
 * new one is a fresh database.
 */
static int
store_check_ours(struct store *s, const char *path, struct err *err)
{
	sqlite3_stmt *st = NULL;
	int rc, ret = -1;

	if (sqlite3_prepare_v2(s->db, "SELECT COUNT(*), "
	    "COALESCE(SUM(name = 'schema_version'), 0) FROM sqlite_master "
	    "WHERE type = 'table'", -1, &st, NULL) != SQLITE_OK ||
	    (rc = sqlite3_step(st)) != SQLITE_ROW) {
		err_set(err, E_STORE, "%s: not a usable SQLite database (%s); "
		    "left untouched", path, sqlite3_errmsg(s->db));
		goto out;
	}
	if (sqlite3_column_int(st, 0) > 0 && sqlite3_column_int(st, 1) == 0) {
		err_set(err, E_STORE, "%s: a database of another application "
		    "(tables but no schema_version); left untouched", path);
		goto out;
	}
	ret = 0;
out:
	sqlite3_finalize(st);
	return ret;
}

int
store_open(struct store **out, const char *path, const struct store_opts *o,
    struct err *err)
{
	struct store *s = xcalloc(1, sizeof(*s));
	struct buf b;
	int flags;

	s->lockfd = -1;
	flags = o->readonly ? SQLITE_OPEN_READONLY :
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	flags |= SQLITE_OPEN_NOMUTEX;	/* one connection, one thread */
	if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK) {
		err_set(err, E_STORE, "open %s: %s", path,
		    s->db ? sqlite3_errmsg(s->db) : "out of memory");
		goto fail;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, o->busy_timeout_ms);
	if (store_check_ours(s, path, err) == -1)
		goto fail;
	buf_init(&b, 512);
	/* mmap: a page of the database file is read in place instead of
	 * pread(2) into this connection's cache (the profile of /notify
	 * showed ~8 % of its time in pread copying pages) */
	buf_printf(&b, "PRAGMA journal_mode=WAL; PRAGMA synchronous=%s; "
	    "PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY; "
	    "PRAGMA mmap_size=%lld;", 
	    strcmp(o->synchronous, "NORMAL") == 0 ? "NORMAL" : "FULL",
	    (long long)STORE_MMAP_BYTES);
	if (!o->readonly && store_exec(s, buf_str(&b), err) == -1) {
		buf_cleanup(&b);
		goto fail;
	}
	buf_cleanup(&b);
	if (o->readonly && store_exec(s, "PRAGMA foreign_keys=ON;", err) == -1)
		goto fail;
	if (!o->readonly) {
		buf_init(&b, 8192);
		buf_printf(&b, "%s.lock", path);
		s->lockfd = open(buf_str(&b), O_RDWR | O_CREAT | O_CLOEXEC,
		    0600);
		buf_cleanup(&b);
		if (s->lockfd == -1) {
			err_set(err, E_STORE, "open %s.lock: %s", path,
			    strerror(errno));
			goto fail;
		}
		if ((s->writer = store_writer_mutex(s->lockfd, err)) == NULL)
			goto fail;
	}
	*out = s;
	return 0;
fail:
	store_close(s);
	return -1;
}

void
store_close(struct store *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->nstmt; i++)
		sqlite3_finalize(s->stmts[i].st);
	if (s->db)
		sqlite3_close(s->db);
	if (s->lockfd != -1)
		close(s->lockfd);
	free(s);
}

sqlite3 *
store_db(struct store *s)
{
	return s->db;
}

sqlite3_stmt *
store_stmt(struct store *s, const char *sql, struct err *err)
{
	sqlite3_stmt *st;
	size_t i;

	for (i = 0; i < s->nstmt; i++)
		if (s->stmts[i].key == sql) {
			st = s->stmts[i].st;
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			return st;
		}
	if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st,
	    NULL) != SQLITE_OK) {
		db_err(s, err, "prepare");
		return NULL;
	}
	if (s->nstmt < STORE_STMT_CACHE) {
		s->stmts[s->nstmt].key = sql;
		s->stmts[s->nstmt].st = st;
		s->nstmt++;
		return st;
	}
	/* cache full: a bug (more distinct statements than expected) */
	log_error("store", "stmt_cache_full", "n=%d", STORE_STMT_CACHE);
	sqlite3_finalize(st);
	err_set(err, E_INTERNAL, "statement cache full");
	return NULL;
}

static int
store_lock(struct store *s, struct err *err)
{
	if (s->lockfd == -1)
		return err_set(err, E_STORE, "read-only store");
	pthread_mutex_lock(s->writer);
	while (flock(s->lockfd, LOCK_EX) == -1)
		if (errno != EINTR) {
			pthread_mutex_unlock(s->writer);
			return err_set(err, E_STORE, "flock: %s",
			    strerror(errno));
		}
	return 0;
}

static void
store_unlock(struct store *s)
{
	if (s->lockfd != -1) {
		flock(s->lockfd, LOCK_UN);
		pthread_mutex_unlock(s->writer);
	}
}

int
store_begin(struct store *s, struct err *err)
{
	if (s->in_tx)
		return err_set(err, E_INTERNAL, "nested transaction");
	if (store_lock(s, err) == -1)
		return -1;
	if (store_run(s, "BEGIN IMMEDIATE", "begin", err) == -1) {
		store_unlock(s);
		return -1;
	}
	s->in_tx = true;
	return 0;
}

int
store_commit(struct store *s, struct err *err)
{
	if (!s->in_tx)
		return err_set(err, E_INTERNAL, "commit outside transaction");
	if (store_run(s, "COMMIT", "commit", err) == -1) {
		store_rollback(s);
		return -1;
	}
	s->in_tx = false;
	store_unlock(s);
	return 0;
}

void
store_rollback(struct store *s)
{
	if (!s->in_tx)
		return;
	if (sqlite3_get_autocommit(s->db) == 0)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	s->in_tx = false;
	store_unlock(s);
}

int
store_ping(struct store *s, int *version, struct err *err)
{
	sqlite3_stmt *st;
	int rc;

	st = store_stmt(s, "SELECT COALESCE(MAX(version), 0) "
	    "FROM schema_version", err);
	if (st == NULL)
		return -1;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		return db_err(s, err, "ping");
	}
	*version = sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	return 0;
}

int
store_schema_version(struct store *s, int *version, struct err *err)
{
	sqlite3_stmt *st;
	int rc;

	if (store_exec(s, "CREATE TABLE IF NOT EXISTS schema_version ("
	    "version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
	    "applied_at INTEGER NOT NULL)", err) == -1)
		return -1;
	if (sqlite3_prepare_v2(s->db, "SELECT COALESCE(MAX(version), 0) FROM "
	    "schema_version", -1, &st, NULL) != SQLITE_OK)
		return db_err(s, err, "schema_version");
	rc = sqlite3_step(st);
	*version = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return db_err(s, err, "schema_version");
	return 0;
}

int
store_migrate_with(struct store *s, const struct migration *m, int n,
    int *applied, struct err *err)
{
	sqlite3_stmt *st = NULL;
	int i, have, rc = -1;

	*applied = 0;
	if (store_schema_version(s, &have, err) == -1)
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
		if (sqlite3_prepare_v2(s->db, "INSERT INTO schema_version "
		    "(version, name, applied_at) VALUES (?, ?, ?)", -1, &st,
		    NULL) != SQLITE_OK) {
			db_err(s, err, "record migration");
			goto fail;
		}
		sqlite3_bind_int(st, 1, m[i].version);
		sqlite3_bind_text(st, 2, m[i].name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, now_s());
		if (sqlite3_step(st) != SQLITE_DONE) {
			db_err(s, err, "record migration");
			goto fail;
		}
		sqlite3_finalize(st);
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
	sqlite3_finalize(st);
	store_rollback(s);
	return rc;
}

int
store_migrate(struct store *s, int *applied, struct err *err)
{
	return store_migrate_with(s, store_migrations, store_migration_count,
	    applied, err);
}

int
store_bind_id(sqlite3_stmt *st, int i, int64_t id)
{
	if (id <= 0)
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_int64(st, i, id);
}

int
store_savepoint(struct store *s, struct err *err)
{
	return store_run(s, "SAVEPOINT h5pay_sp", "savepoint", err);
}

int
store_savepoint_release(struct store *s, struct err *err)
{
	return store_run(s, "RELEASE h5pay_sp", "release", err);
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
	return sqlite3_get_autocommit(store_db(s)) == 0;
}
