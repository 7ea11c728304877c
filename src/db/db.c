/*
 * db.c - the engine-neutral half of db.h: the per-connection statement
 * cache, the last-error record, and the calls that hand each operation to
 * the connection's engine (struct db_ops).
 *
 * What it does not do: talk to a database (db_<engine>.c do).
 * Invariants: a cached statement is keyed by the address of its static SQL
 * text, so one text is prepared once per connection; the cache never
 * evicts (a full cache is a bug: more distinct statements than expected).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include "db_int.h"
#include "log.h"

void
db_init(struct db *db, const struct db_ops *ops)
{
	db->ops = ops;
	db->errclass = DB_EOK;
	db->errmsg[0] = '\0';
	db->nstmt = 0;
	memset(db->stmts, 0, sizeof(db->stmts));
}

int
db_error(struct db *db, enum db_errclass c, const char *fmt, ...)
{
	va_list ap;

	db->errclass = c;
	va_start(ap, fmt);
	vsnprintf(db->errmsg, sizeof(db->errmsg), fmt, ap);
	va_end(ap);
	return -1;
}

void
db_close(struct db *db)
{
	size_t i;

	if (db == NULL)
		return;
	for (i = 0; i < DB_STMT_CACHE; i++)
		if (db->stmts[i].key != NULL) {
			db->ops->finalize(db->stmts[i].st);
			db->stmts[i].key = NULL;
		}
	db->nstmt = 0;
	db->ops->close(db);
}

enum db_engine
db_engine(const struct db *db)
{
	return db->ops->engine;
}

const char *
db_sql_pick(const struct db *db, const struct db_sql *q)
{
	return db->ops->engine == DB_PG ? q->pg : q->sqlite;
}

struct sqlite3 *
db_sqlite_handle(struct db *db)
{
	return db->ops->sqlite ? db->ops->sqlite(db) : NULL;
}

struct db_stmt *
db_stmt(struct db *db, const char *sql, struct err *err)
{
	struct db_stmt *st;
	size_t i;

	/* open addressing on the text's address: the writer connection of
	 * a process caches the statements of every write path */
	i = ((uintptr_t)sql >> 3) % DB_STMT_CACHE;
	while (db->stmts[i].key != NULL) {
		if (db->stmts[i].key == sql) {
			st = db->stmts[i].st;
			db->ops->reset(st);
			db->ops->clear(st);
			return st;
		}
		i = (i + 1) % DB_STMT_CACHE;
	}
	if (db->nstmt >= DB_STMT_CACHE * 3 / 4) {
		log_error("db", "stmt_cache_full", "n=%d", DB_STMT_CACHE);
		err_set(err, E_INTERNAL, "statement cache full");
		return NULL;
	}
	if ((st = db->ops->prepare(db, sql, true, err)) == NULL)
		return NULL;
	db->stmts[i].key = sql;
	db->stmts[i].st = st;
	db->nstmt++;
	return st;
}

struct db_stmt *
db_prepare(struct db *db, const char *sql, struct err *err)
{
	return db->ops->prepare(db, sql, false, err);
}

void
db_finalize(struct db_stmt *st)
{
	if (st)
		st->db->ops->finalize(st);
}

int
db_bind_int64(struct db_stmt *st, int i, int64_t v)
{
	return st->db->ops->bind_int64(st, i, v);
}

int
db_bind_null(struct db_stmt *st, int i)
{
	return st->db->ops->bind_null(st, i);
}

int
db_bind_text(struct db_stmt *st, int i, const char *v)
{
	if (v == NULL)
		return st->db->ops->bind_null(st, i);
	return st->db->ops->bind_text(st, i, v, true);
}

int
db_bind_text_static(struct db_stmt *st, int i, const char *v)
{
	if (v == NULL)
		return st->db->ops->bind_null(st, i);
	return st->db->ops->bind_text(st, i, v, false);
}

int
db_bind_blob(struct db_stmt *st, int i, const void *v, size_t len)
{
	return st->db->ops->bind_blob(st, i, v, len);
}

int
db_bind_index(struct db_stmt *st, const char *name)
{
	return st->db->ops->bind_index(st, name);
}

int
db_step(struct db_stmt *st)
{
	return st->db->ops->step(st);
}

void
db_reset(struct db_stmt *st)
{
	st->db->ops->reset(st);
}

int64_t
db_col_int64(struct db_stmt *st, int i)
{
	return st->db->ops->col_int64(st, i);
}

int
db_col_int(struct db_stmt *st, int i)
{
	return (int)st->db->ops->col_int64(st, i);
}

const char *
db_col_text(struct db_stmt *st, int i)
{
	return st->db->ops->col_text(st, i);
}

const void *
db_col_blob(struct db_stmt *st, int i, size_t *len)
{
	return st->db->ops->col_blob(st, i, len);
}

enum db_type
db_col_type(struct db_stmt *st, int i)
{
	return st->db->ops->col_type(st, i);
}

bool
db_col_is_null(struct db_stmt *st, int i)
{
	return st->db->ops->col_type(st, i) == DB_TNULL;
}

int
db_col_count(struct db_stmt *st)
{
	return st->db->ops->col_count(st);
}

const char *
db_col_name(struct db_stmt *st, int i)
{
	return st->db->ops->col_name(st, i);
}

int64_t
db_changes(struct db *db)
{
	return db->ops->changes(db);
}

int64_t
db_insert_id(struct db *db)
{
	return db->ops->insert_id(db);
}

int
db_exec(struct db *db, const char *sql, struct err *err)
{
	return db->ops->exec(db, sql, err);
}

const char *
db_errmsg(struct db *db)
{
	return db->errmsg;
}

enum db_errclass
db_errclass(struct db *db)
{
	return db->errclass;
}

int
db_begin(struct db *db, struct err *err)
{
	return db->ops->begin(db, err);
}

int
db_commit(struct db *db, struct err *err)
{
	return db->ops->commit(db, err);
}

void
db_rollback(struct db *db)
{
	db->ops->rollback(db);
}

bool
db_in_tx(struct db *db)
{
	return db->ops->in_tx(db);
}

int
db_task_lock(struct db *db, int64_t key, bool *held, struct err *err)
{
	if (db->ops->task_lock == NULL) {
		*held = true;
		return 0;
	}
	return db->ops->task_lock(db, key, held, err);
}
