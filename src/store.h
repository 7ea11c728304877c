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
#include <stddef.h>
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

/*
 * Statement helpers shared by store_*.c and sim_store.c.
 *
 * store_fail: *err gets E_STORE "<what>: <sqlite3_errmsg>"; returns -1.
 * store_stmt_fail: the same, then resets st (after reading the message);
 * returns -1.
 */
int store_fail(struct store *, struct err *, const char *what);
int store_stmt_fail(struct store *, struct sqlite3_stmt *st, struct err *,
    const char *what);
/*
 * Step st once for a statement that yields no row, then reset it (always).
 * 0 on SQLITE_DONE. -1 with on_constraint for a constraint violation (any
 * SQLITE_CONSTRAINT_*; pass E_STORE to make no distinction), E_STORE for
 * any other result; the message is "<what>: <sqlite3_errmsg>".
 */
int store_step_done(struct store *, struct sqlite3_stmt *st,
    enum err_code on_constraint, const char *what, struct err *);
/* Column i as text into out[n] (truncated, NUL-terminated); "" for NULL. */
void store_col_copy(struct sqlite3_stmt *st, int i, char *out, size_t n);
/* Column i as text, "" for NULL. Borrowed: valid until st is stepped,
 * reset or finalized (copy it before). */
const char *store_col_text(struct sqlite3_stmt *st, int i);
/* Bind a copy of v at i; v NULL binds SQL NULL. Returns the SQLite code. */
int store_bind_text_or_null(struct sqlite3_stmt *st, int i, const char *v);
/* Bind a copy of v at i; v NULL binds "". Returns the SQLite code. */
int store_bind_text_or_empty(struct sqlite3_stmt *st, int i, const char *v);

/*
 * store_order.c: the order schema (sql/003_orders.sql). Writers run inside
 * store_begin() .. store_commit(); -1 with E_NOTFOUND for a missing row,
 * E_STORE for a database failure.
 */
struct order;
struct order_change;
struct order_event;
struct refund;
struct notification;

int store_order_get(struct store *, const char *order_no, struct order *,
    struct err *);
int store_order_update(struct store *, const struct order_change *,
    struct err *);
int store_order_event_insert(struct store *, const struct order_event *,
    struct err *);
/* Open orders (CREATED/PENDING/UNKNOWN) with next_check_at <= now, the
 * most overdue first; at most max into out[], *n gets how many. */
int store_order_due(struct store *, int64_t now, struct order *out,
    size_t max, size_t *n, struct err *);
int store_order_schedule(struct store *, int64_t id, int64_t last_query_at,
    int64_t next_check_at, int64_t attempts, struct err *);
int store_refund_get(struct store *, const char *refund_no, struct refund *,
    struct err *);
int store_refund_update(struct store *, int64_t id, const char *state,
    const char *provider_ref, const char *error_code, const char *error_msg,
    int64_t now, struct err *);
/* order_id, notification_id, refund_id: 0 = none. */
int store_anomaly_insert(struct store *, int64_t order_id,
    int64_t notification_id, int64_t refund_id, const char *kind,
    const char *source, const char *detail, int64_t now, struct err *);
/* The first notification stored with this body hash: 0 and *id, or -1
 * with E_NOTFOUND. */
int store_notification_find(struct store *, const char *body_sha256,
    int64_t *id, struct err *);
int store_notification_insert(struct store *, const struct notification *,
    const char *outcome, int64_t *id, struct err *);
int store_notification_finish(struct store *, int64_t id, const char *outcome,
    int64_t order_id, struct err *);
/* Savepoints inside a write transaction (one level, fixed name), and
 * whether the transaction is still open (SQLite rolls a transaction back
 * by itself after some errors: then every statement since is lost). */
int store_savepoint(struct store *, struct err *);
int store_savepoint_release(struct store *, struct err *);
void store_savepoint_undo(struct store *);
bool store_tx_alive(struct store *);

/*
 * store_session.c: WeChat OAuth states, the code -> openid cache and buyer
 * sessions (sql/002_sessions.sql). Every *_hash is the lowercase hex
 * SHA-256 of a secret value: the values themselves are never stored. Each
 * write runs in its own store_begin()/store_commit().
 */
#define STORE_RET_MAX 512
#define STORE_OPENID_MAX 128
#define STORE_APPID_MAX 32

struct store_oauth_state {
	char browser_hash[65];
	char ret[STORE_RET_MAX + 1];
	int restarts;			/* 0, or 1 for a restarted login */
	int64_t expires_at;
	bool was_used;			/* already taken before this call */
};

struct store_oauth_code {
	char state_hash[65];
	char browser_hash[65];		/* "" if the callback had no cookie */
	char appid[STORE_APPID_MAX + 1];
	char openid[STORE_OPENID_MAX + 1];
	char ret[STORE_RET_MAX + 1];
};

struct store_session {
	char appid[STORE_APPID_MAX + 1];
	char openid[STORE_OPENID_MAX + 1];
	int64_t created_at, expires_at;
};

int store_oauth_state_insert(struct store *, const char *state_hash,
    const char *browser_hash, const char *ret, int restarts, int64_t now,
    int64_t expires_at, struct err *);
/*
 * Read the state and, if it is unused and not expired, mark it used, in one
 * transaction. 0 with *out filled and *taken telling whether this call took
 * it (else out->was_used / out->expires_at say why); -1 with E_NOTFOUND
 * for an unknown state, E_STORE on failure.
 */
int store_oauth_state_take(struct store *, const char *state_hash,
    int64_t now, struct store_oauth_state *out, bool *taken, struct err *);
int store_oauth_code_put(struct store *, const char *code_hash,
    const struct store_oauth_code *, int64_t now, int64_t expires_at,
    struct err *);
/* 0 with *out, or -1 with E_NOTFOUND when absent or expired. */
int store_oauth_code_get(struct store *, const char *code_hash, int64_t now,
    struct store_oauth_code *out, struct err *);
int store_session_insert(struct store *, const char *token_hash,
    const char *appid, const char *openid, int64_t now, int64_t expires_at,
    struct err *);
/* 0 with *out, or -1 with E_NOTFOUND when absent or expired. */
int store_session_get(struct store *, const char *token_hash, int64_t now,
    struct store_session *out, struct err *);
/* Delete one session (absent is not an error). */
int store_session_delete(struct store *, const char *token_hash,
    struct err *);
/*
 * Delete expired sessions and cached codes, and states expired more than
 * state_grace seconds ago (kept a while so "expired" and the restart
 * marker outlive the TTL). *deleted gets the number of rows removed.
 */
int store_oauth_purge(struct store *, int64_t now, int64_t state_grace,
    int64_t *deleted, struct err *);

#endif
