/*
 * store.h - the store: one connection per thread, opened after fork(),
 * and one writer connection per process that runs every write transaction.
 * The only SQL users are store*.c, through the statement layer of
 * src/db/ (db.h); the engine is SQLite.
 *
 * Writes: every read-modify-write runs between store_begin() and
 * store_commit(). store_begin() is db_begin(): a cross-process write lock
 * (SQLite: flock on "<db>.lock", then BEGIN IMMEDIATE), so writers are
 * serialised and every money move sees the state it decides on.
 */
#ifndef H5PAY_STORE_H
#define H5PAY_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db/db.h"
#include "err.h"

struct store;

struct store_opts {
	const char *synchronous;	/* "FULL" | "NORMAL" */
	int busy_timeout_ms;
	bool readonly;
};

struct migration {
	int version;
	const char *name;
	const char *sql;
};

/* The migrations compiled in from sql/NNN_name.sql (migrations.c), and
 * their PostgreSQL texts from sql/pg/NNN_name.sql (migrations_pg.c). */
extern const struct migration store_migrations[];
extern const int store_migration_count;
extern const struct migration store_migrations_pg[];
extern const int store_migration_pg_count;

/* Open (creating if needed) with WAL, foreign keys, the given pragmas. */
int store_open(struct store **, const char *path, const struct store_opts *,
    struct err *);
struct cfg;
/*
 * Open the database the configuration names: db_url (PostgreSQL, the
 * password from db_password_file when set; o->readonly makes every
 * transaction read-only) or db_path (store_open).
 */
int store_open_cfg(struct store **, const struct cfg *,
    const struct store_opts *, struct err *);
void store_close(struct store *);	/* NULL ok */
/*
 * Give this thread's reader connection back to the process's pool (SQLite;
 * no-op otherwise, or inside a transaction): between requests and before a
 * call that may block (the provider). The next statement borrows one.
 */
void store_idle(struct store *);

/*
 * Apply every migration newer than the recorded schema version, each in
 * its own transaction, in order (the engine's texts). Idempotent.
 * *applied gets how many ran.
 */
int store_migrate(struct store *, int *applied, struct err *);
int store_migrate_with(struct store *, const struct migration *, int n,
    int *applied, struct err *);
/* Highest applied version (0 for a fresh database). */
int store_schema_version(struct store *, int *version, struct err *);

/*
 * A write transaction (group commit, store.c): store_begin() waits for
 * this process's writer connection and opens a savepoint in its batch
 * (the first of a batch takes the cross-process lock: db_begin());
 * store_commit() returns 0 only once the batch holding it has committed,
 * -1 if it did not (nothing of it stored); store_rollback() undoes this
 * transaction only. Inside, every statement of this store runs on the
 * writer connection.
 */
int store_begin(struct store *, struct err *);
int store_commit(struct store *, struct err *);
void store_rollback(struct store *);

/* A cheap read proving the database answers (for /healthz); gives the
 * schema version. */
int store_ping(struct store *, int *version, struct err *);

/* Largest group-commit batch (write transactions per commit) this
 * process has committed so far (tests, logs). */
int store_batch_max(void);

/*
 * For store_*.c siblings: a cached prepared statement for a static SQL
 * string (keyed by its address), reset and unbound, ready to bind.
 */
struct db_stmt *store_stmt(struct store *, const char *sql,
    struct err *);
/* store_stmt() of the connection's engine's text of q (static). */
struct db_stmt *store_stmt_pick(struct store *, const struct db_sql *q,
    struct err *);
/* The store's connection (borrowed, lives as long as the store). */
struct db *store_db(struct store *);
/* The sqlite3 handle under an SQLite store (online backup, tests). */
struct sqlite3 *store_sqlite(struct store *);

/* Execute SQL with no result rows (schema, pragmas). */
int store_exec(struct store *, const char *sql, struct err *);

/*
 * Statement helpers shared by store_*.c and sim_store.c.
 *
 * store_fail: *err gets E_STORE "<what>: <db_errmsg>"; returns -1.
 * store_stmt_fail: the same, then resets st (after reading the message);
 * returns -1.
 */
int store_fail(struct store *, struct err *, const char *what);
int store_stmt_fail(struct store *, struct db_stmt *st, struct err *,
    const char *what);
/*
 * Step st once for a statement that yields no row, then reset it (always).
 * 0 on DB_DONE. -1 with on_constraint for a constraint violation (any
 * class of them; pass E_STORE to make no distinction), E_STORE for any
 * other result; the message is "<what>: <db_errmsg>".
 */
int store_step_done(struct store *, struct db_stmt *st,
    enum err_code on_constraint, const char *what, struct err *);
/*
 * Step st, an INSERT of one row (STORE_INSERT_ID()'s texts, or one that
 * says RETURNING id), then reset it (always). 0 with *id (id may be
 * NULL): the row's RETURNING id, or, where the text has none (SQLite's of
 * STORE_INSERT_ID()), the rowid the insert made; otherwise -1 as
 * store_step_done().
 */
int store_step_id(struct store *, struct db_stmt *st,
    enum err_code on_constraint, const char *what, int64_t *id,
    struct err *);
/*
 * The texts of an INSERT whose new id store_step_id() gives: SQLite's
 * without RETURNING, which it runs through a temporary table per
 * statement (the notification insert cost ~25k instructions more with
 * it), PostgreSQL's with RETURNING id. sql: a string literal.
 */
#define STORE_INSERT_ID(sql) { .sqlite = sql, .pg = sql " RETURNING id" }
/* Copies the columns of the row st is on into dst; -1 (with *err) for a
 * stored value it cannot take. */
typedef int (*store_row_fn)(struct db_stmt *st, void *dst,
    struct err *);
/*
 * Step st, a statement that yields at most one row, then reset it
 * (always). On a row, row(st, dst, err) copies its columns and its result
 * is returned. No row: -1 with E_NOTFOUND "<what>: not found"; any other
 * result: -1 with E_STORE "<what>: <db_errmsg>".
 */
int store_step_row(struct store *, struct db_stmt *st, store_row_fn row,
    void *dst, const char *what, struct err *);
/* Column i as text into out[n] (truncated, NUL-terminated); "" for NULL. */
void store_col_copy(struct db_stmt *st, int i, char *out, size_t n);
/* Column i as text, "" for NULL. Borrowed: valid until st is stepped,
 * reset or finalized (copy it before). */
const char *store_col_text(struct db_stmt *st, int i);
/* Bind a copy of v at i; v NULL binds SQL NULL. 0 or -1. */
int store_bind_text_or_null(struct db_stmt *st, int i, const char *v);
/* Bind a copy of v at i; v NULL binds "". 0 or -1. */
int store_bind_text_or_empty(struct db_stmt *st, int i, const char *v);
/* Bind a row id at i; id <= 0 (none) binds SQL NULL. */
int store_bind_id(struct db_stmt *st, int i, int64_t id);

/* Savepoints inside a write transaction (one level, fixed name), and
 * whether the transaction is still open (SQLite rolls a transaction back
 * by itself after some errors: then every statement since is lost). */
int store_savepoint(struct store *, struct err *);
int store_savepoint_release(struct store *, struct err *);
void store_savepoint_undo(struct store *);
bool store_tx_alive(struct store *);

#endif
