/*
 * store_admin.h - the SQL of the admin (sql/004_admin.sql and the admin's
 * reads of the order schema). store_admin.c is a store*.c file: the only
 * place with this SQL. Writers run inside the caller's store_begin().
 * -1 with E_NOTFOUND for a missing row, E_CONFLICT for a duplicate,
 * E_STORE for a database failure.
 */
#ifndef H5PAY_STORE_ADMIN_H
#define H5PAY_STORE_ADMIN_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"

struct store;
struct json_object;

struct store_admin_user {
	int64_t id;
	char username[65];
	char pw_hash[257];
	bool disabled;
	char totp_secret[65];		/* base32; "" when not enrolled */
	int64_t totp_last_step;		/* last TOTP step accepted */
};

int store_admin_user_insert(struct store *, const char *name,
    const char *pw_hash, int64_t now, struct err *);
int store_admin_user_get(struct store *, const char *name,
    struct store_admin_user *, struct err *);
int store_admin_user_set_hash(struct store *, int64_t id,
    const char *pw_hash, int64_t now, struct err *);
/* Enrol (base32 secret) or remove (NULL) the user's TOTP secret. */
int store_admin_user_set_totp(struct store *, int64_t id,
    const char *secret_b32, int64_t now, struct err *);
/* Record step as the user's last accepted TOTP step; -1 E_CONFLICT when
 * a step at or past it was already recorded (a concurrent replay). */
int store_admin_user_totp_used(struct store *, int64_t id, int64_t step,
    struct err *);
int store_admin_user_set_disabled(struct store *, int64_t id, bool disabled,
    int64_t now, struct err *);

int store_admin_session_insert(struct store *, const char *token_sha256,
    int64_t user_id, int64_t now, int64_t expires_at, const char *ip,
    const char *ua, struct err *);
/* A live session (not revoked, not expired at now, user enabled). */
int store_admin_session_find(struct store *, const char *token_sha256,
    int64_t now, int64_t *id, int64_t *user_id, char *username,
    size_t usz, int64_t *expires_at, struct err *);
int store_admin_session_revoke(struct store *, const char *token_sha256,
    int64_t now, struct err *);
int store_admin_sessions_revoke_user(struct store *, int64_t user_id,
    int64_t now, struct err *);

/* kind: "user" (by username typed) or "ip". */
int store_admin_attempt_insert(struct store *, int64_t now,
    const char *username, const char *ip, int64_t *id, struct err *);
int store_admin_attempt_ok(struct store *, int64_t id, struct err *);
/* Failures of key since `since`: count and the latest time (0 if none). */
int store_admin_attempt_fails(struct store *, const char *kind,
    const char *key, int64_t since, int64_t *count, int64_t *last,
    struct err *);
/* Failures of one (user name, address) pair since `since`: count, last. */
int store_admin_attempt_fails_pair(struct store *, const char *username,
    const char *ip, int64_t since, int64_t *count, int64_t *last,
    struct err *);
/* Forget the failures of a user name from one address (after a
 * successful login from it) and attempts older than `before`. Failures
 * from other addresses stay: they are someone else's. */
int store_admin_attempt_clear(struct store *, const char *username,
    const char *ip, int64_t before, struct err *);
/* Lockout end of (kind, key), 0 when none. */
int store_admin_lockout_get(struct store *, const char *kind,
    const char *key, int64_t *until, struct err *);
int store_admin_lockout_set(struct store *, const char *kind,
    const char *key, int64_t until, int64_t now, struct err *);

int store_admin_audit_insert(struct store *, int64_t at, const char *admin,
    const char *action, const char *target, const char *detail,
    const char *result, const char *ip, const char *rid, struct err *);

/* The newest audit records (id < before_id when before_id > 0), at most
 * limit, as a JSON array of rows (keys = column names). Caller puts. */
int store_admin_audit_list(struct store *, int64_t before_id, int64_t limit,
    struct json_object **out, struct err *);

/* --- orders (read side of sql/003_orders.sql) --------------------------- */

enum store_admin_sort {
	SORT_CREATED_DESC = 0,
	SORT_CREATED_ASC,
	SORT_AMOUNT_DESC,
	SORT_AMOUNT_ASC,
	SORT__COUNT
};

/* A list filter; NULL strings / defaults mean "any". */
struct store_admin_filter {
	const char *state;
	const char *order_no;
	const char *openid;
	int64_t from, to;		/* created_at in [from, to) */
	int64_t amount_min, amount_max;	/* inclusive */
	enum store_admin_sort sort;
	bool has_cursor;		/* rows strictly after (key, id) */
	int64_t cursor_key, cursor_id;
	int64_t limit;
};

/* One list row; strings borrowed for the callback's duration. */
struct store_admin_order_row {
	int64_t id;
	const char *order_no, *openid, *currency, *subject, *state;
	const char *error_code, *error_msg;
	int64_t amount, refunded_amount, created_at, paid_at; /* paid_at 0 */
	int64_t open_anomalies;
};

/* Initialise f to "everything, newest first, 50 rows". */
void store_admin_filter_init(struct store_admin_filter *);

/* Rows matching f in its order, at most f->limit; cb returns 0 to go on,
 * -1 to stop (the function then returns -1 with cb's *err). */
int store_admin_orders_list(struct store *, const struct store_admin_filter *,
    int (*cb)(void *ctx, const struct store_admin_order_row *,
    struct err *), void *ctx, struct err *);

/*
 * The detail of order_no as a JSON object (caller puts): "order" (the row),
 * "items", "events", "notifications", "refunds", "anomalies" (arrays of
 * rows, keys = column names, oldest first). E_NOTFOUND when no such order.
 */
int store_admin_order_detail(struct store *, const char *order_no,
    struct json_object **out, struct err *);

/* Refundable amount of an order: amount - refunded - refunds in flight. */
int store_admin_refundable(struct store *, int64_t order_id,
    int64_t *in_flight, struct err *);
/* The refund numbers of an order's refunds still in flight (CREATED,
 * PENDING, UNKNOWN), oldest first, at most max into nos; *n how many. */
int store_admin_refunds_open(struct store *, int64_t order_id,
    char (*nos)[33], size_t max, size_t *n, struct err *);
/* A new refund row (state CREATED); *id gets its rowid. */
int store_admin_refund_insert(struct store *, const char *refund_no,
    int64_t order_id, int64_t amount, const char *currency,
    const char *reason, const char *admin, int64_t now, int64_t *id,
    struct err *);

/*
 * Per UTC day in [from, to): orders created (any currency), amount paid
 * (by paid_at) and refunds succeeded (count, amount, by updated_at) in
 * currency. As a JSON
 * array of {"day": unix, "orders", "paidCount", "paidAmount",
 * "refundCount", "refundAmount"} for every day of the range (zeros
 * included). Caller puts.
 * Closed days (ended at least an hour before now) are read from and kept
 * in admin_stats_days, in a short transaction of its own: do not call
 * inside one.
 */
int store_admin_stats(struct store *, int64_t from, int64_t to,
    const char *currency, int64_t now, struct json_object **out,
    struct err *);

/*
 * Benchmarks only (h5pay dev-fill): n fake orders "DEV<12 digits>" spread
 * over the `days` days before now (states PAID 60 %, CLOSED 20 %, PENDING
 * 10 %, FAILED 10 %), one item and one event each, in transactions of
 * 10,000 orders. Deterministic (fixed seed).
 */
int store_admin_dev_fill(struct store *, int64_t n, int64_t days,
    int64_t now, const char *currency, struct err *);

#endif
