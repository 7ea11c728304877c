/*
 * store.h - the SQLite store: one connection per thread, opened after
 * fork(). The only SQLite users are store*.c.
 *
 * Writes: every read-modify-write runs between store_begin() and
 * store_commit(). store_begin() first takes a cross-process write lock
 * (flock on "<db>.lock"), then BEGIN IMMEDIATE: serialising writers
 * ourselves keeps tail latency flat where SQLite's busy handler alone backs
 * off for up to seconds (measured, see README "Performance").
 */
#ifndef H5PAY_STORE_H
#define H5PAY_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"

struct store;
struct sqlite3_stmt;

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

/* The migrations compiled in from sql/NNN_name.sql (migrations.c). */
extern const struct migration store_migrations[];
extern const int store_migration_count;

/* Open (creating if needed) with WAL, foreign keys, the given pragmas. */
int store_open(struct store **, const char *path, const struct store_opts *,
    struct err *);
void store_close(struct store *);	/* NULL ok */

/*
 * Apply every migration newer than the recorded schema version, each in
 * its own transaction, in order. Idempotent. *applied gets how many ran.
 */
int store_migrate(struct store *, int *applied, struct err *);
int store_migrate_with(struct store *, const struct migration *, int n,
    int *applied, struct err *);
/* Highest applied version (0 for a fresh database). */
int store_schema_version(struct store *, int *version, struct err *);

/* Cross-process write lock + BEGIN IMMEDIATE / COMMIT / ROLLBACK. */
int store_begin(struct store *, struct err *);
int store_commit(struct store *, struct err *);
void store_rollback(struct store *);

/* A cheap read proving the database answers (for /healthz); gives the
 * schema version. */
int store_ping(struct store *, int *version, struct err *);

/*
 * For store_*.c siblings: a cached prepared statement for a static SQL
 * string (keyed by its address), reset and unbound, ready to bind.
 */
struct sqlite3_stmt *store_stmt(struct store *, const char *sql,
    struct err *);
struct sqlite3 *store_db(struct store *);

/* Execute SQL with no result rows (schema, pragmas). */
int store_exec(struct store *, const char *sql, struct err *);

#endif
