/*
 * db.h - the engine-neutral statement layer under store*.c: one
 * connection, its cached prepared statements, binds, steps, columns,
 * write transactions. SQLite (db_sqlite.c) is the engine today; the layer
 * is what a second engine implements (db_int.h, struct db_ops).
 *
 * What it does not do: any SQL of the application (store*.c write it),
 * pooling, threads (a connection is used by one thread only).
 *
 * SQL dialect: store*.c write one text both engines accept where they can
 * (`?` placeholders, INSERT ... ON CONFLICT) and pick a text per engine
 * with db_sql_pick() where dialects differ or cost differs (an INSERT's new
 * id: RETURNING id on PostgreSQL, db_insert_id() on SQLite, where
 * RETURNING runs through a temporary table).
 *
 * Lifetimes: a statement from db_stmt() belongs to the connection's cache
 * and lives until db_close(); a column's text or blob is borrowed until the
 * statement is stepped, reset or finalized (copy it before).
 */
#ifndef H5PAY_DB_H
#define H5PAY_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct db;
struct sqlite3;
struct db_stmt;

enum db_engine {
	DB_SQLITE,
	DB_PG
};

/* db_step() results; -1 is an error (db_errclass, db_errmsg). */
enum {
	DB_DONE = 0,
	DB_ROW = 1
};

/* What kind of failure the last error on a connection was. */
enum db_errclass {
	DB_EOK = 0,
	DB_EUNIQUE,	/* a unique or primary key constraint */
	DB_ECHECK,	/* a CHECK constraint */
	DB_ECONSTRAINT,	/* another constraint (NOT NULL, foreign key) */
	DB_EBUSY,	/* locked by another connection past the timeout */
	DB_ERETRY,	/* serialisation failure or deadlock: retry the tx */
	DB_EOTHER
};

/* A column's stored type (SQLite's storage classes). */
enum db_type {
	DB_TNULL,
	DB_TINT,
	DB_TFLOAT,
	DB_TTEXT,
	DB_TBLOB
};

/* One SQL text per engine, for where the dialects differ. */
struct db_sql {
	const char *sqlite;
	const char *pg;
};

struct db_sqlite_opts {
	bool readonly;
	int busy_timeout_ms;
	bool synchronous_normal;	/* synchronous=NORMAL, else FULL */
	int cache_kib;			/* page cache; 0: SQLite's default */
	/* write transactions take flock() on "<path>.lock" */
	bool lockfile;
	/* refuse a database with tables but not this one (NULL: no check) */
	const char *marker;
};

/*
 * Open an SQLite database (creating it unless readonly): refuse a damaged
 * file or another application's (o->marker), then WAL, foreign keys, the
 * given synchronous; the lock file last.
 */
int db_sqlite_open(struct db **, const char *path,
    const struct db_sqlite_opts *, struct err *);
void db_close(struct db *);		/* NULL ok */
enum db_engine db_engine(const struct db *);
/* The engine's text of q (borrowed from q). */
const char *db_sql_pick(const struct db *, const struct db_sql *q);
/* This thread keeps a few freed blocks of SQLite's for its next
 * allocations (db_sqlite_mem.c): for the threads that run most of the
 * process's statements. Until it exits; calling it again does nothing. */
void db_sqlite_mem_thread_cache(void);
/* The sqlite3 handle of an SQLite connection (NULL for another engine):
 * for the SQLite-only mechanisms (online backup) and tests. */
struct sqlite3 *db_sqlite_handle(struct db *);

struct db_pg_opts {
	const char *url;	/* postgresql://... (a libpq connection URI) */
	const char *password;	/* NULL: the URL's, PGPASSFILE, ~/.pgpass */
	const char *appname;	/* application_name */
};

/*
 * Open a PostgreSQL connection. Write transactions are BEGIN + a
 * transaction-level advisory lock, one key for every h5pay host on the
 * database: writers are serialised across hosts as SQLite's are across
 * processes; reads stay MVCC.
 */
int db_pg_open(struct db **, const struct db_pg_opts *, struct err *);

/*
 * A cached prepared statement for a static SQL string, keyed by the
 * string's address, reset and unbound, ready to bind. NULL with *err.
 */
struct db_stmt *db_stmt(struct db *, const char *sql, struct err *);
/* An uncached statement (schema checks, one-off queries): db_finalize(). */
struct db_stmt *db_prepare(struct db *, const char *sql, struct err *);
void db_finalize(struct db_stmt *);	/* NULL ok; not for db_stmt()'s */

/*
 * Binds, 1-based. Return 0 or -1 (an index out of range: a bug).
 * db_bind_text copies v; db_bind_text_static and db_bind_blob borrow it
 * until the statement's last step (no copy on the hot path). v NULL binds
 * SQL NULL for the text binds.
 */
int db_bind_int64(struct db_stmt *, int i, int64_t v);
int db_bind_null(struct db_stmt *, int i);
int db_bind_text(struct db_stmt *, int i, const char *v);
int db_bind_text_static(struct db_stmt *, int i, const char *v);
int db_bind_blob(struct db_stmt *, int i, const void *v, size_t len);
/* The index of a named parameter (":name"), 0 when there is none. */
int db_bind_index(struct db_stmt *, const char *name);

/* DB_ROW, DB_DONE, or -1 (the class and message stay on the connection
 * until its next error). */
int db_step(struct db_stmt *);
/* Back to before the first step; bindings stay. */
void db_reset(struct db_stmt *);

int64_t db_col_int64(struct db_stmt *, int i);
int db_col_int(struct db_stmt *, int i);
/* NULL for SQL NULL. Borrowed (see above). */
const char *db_col_text(struct db_stmt *, int i);
/* NULL (len 0) for SQL NULL or an empty blob. Borrowed. */
const void *db_col_blob(struct db_stmt *, int i, size_t *len);
enum db_type db_col_type(struct db_stmt *, int i);
bool db_col_is_null(struct db_stmt *, int i);
int db_col_count(struct db_stmt *);
const char *db_col_name(struct db_stmt *, int i);

/* Rows changed by the last INSERT/UPDATE/DELETE on the connection. */
int64_t db_changes(struct db *);
/* The id (SQLite: rowid) of the row the connection's last INSERT made;
 * 0 on PostgreSQL, which keeps none (its texts say RETURNING id). */
int64_t db_insert_id(struct db *);
/* Run SQL that yields no rows (may hold several statements). */
int db_exec(struct db *, const char *sql, struct err *);

/* The last error's message and class (DB_EOK when none yet). */
const char *db_errmsg(struct db *);
enum db_errclass db_errclass(struct db *);

/*
 * A write transaction, serialised against every other writer of the
 * database (SQLite: flock on "<path>.lock", then BEGIN IMMEDIATE).
 * db_rollback() is a no-op outside a transaction.
 */
int db_begin(struct db *, struct err *);
int db_commit(struct db *, struct err *);
void db_rollback(struct db *);
/* Whether the engine still has a transaction open (SQLite rolls one back
 * by itself after some errors). */
bool db_in_tx(struct db *);

/*
 * A lock for a job only one host may run at a time (the reconciler, the
 * events sender), held by this connection until db_close() or its end.
 * *held false: another connection has it. An engine of one host (SQLite)
 * has nothing to share: *held is always true.
 */
int db_task_lock(struct db *, int64_t key, bool *held, struct err *);

#endif
