/*
 * store_order.c - the SQL of the order schema (sql/003_orders.sql): orders,
 * events, refunds, anomalies, notifications, the reconciler's schedule.
 *
 * What it does not do: decide anything (order.c does). Every statement is
 * a cached prepared statement (store_stmt); text columns are copied out
 * before the next step. Writers expect the caller's store_begin().
 */
#include <string.h>

#include <sqlite3.h>

#include "order_state.h"
#include "store.h"
#include "util.h"

static int
bind_id(sqlite3_stmt *st, int i, int64_t id)
{
	if (id <= 0)
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_int64(st, i, id);
}

#define ORDER_COLS "id, order_no, state, amount, currency, refunded_amount, " \
	"expires_at, created_at, next_check_at, check_attempts"

static int
order_row(struct store *s, sqlite3_stmt *st, struct order *o, struct err *err)
{
	char state[32];

	memset(o, 0, sizeof(*o));
	o->id = sqlite3_column_int64(st, 0);
	store_col_copy(st, 1, o->order_no, sizeof(o->order_no));
	store_col_copy(st, 2, state, sizeof(state));
	o->amount = sqlite3_column_int64(st, 3);
	store_col_copy(st, 4, o->currency, sizeof(o->currency));
	o->refunded_amount = sqlite3_column_int64(st, 5);
	o->expires_at = sqlite3_column_int64(st, 6);
	o->created_at = sqlite3_column_int64(st, 7);
	o->next_check_at = sqlite3_column_int64(st, 8);
	o->check_attempts = sqlite3_column_int64(st, 9);
	if (order_state_parse(state, &o->state) == -1) {
		(void)s;
		return err_set(err, E_INTERNAL, "order %lld: bad state",
		    (long long)o->id);
	}
	return 0;
}

int
store_order_get(struct store *s, const char *order_no, struct order *o,
    struct err *err)
{
	sqlite3_stmt *st;
	int rc;

	st = store_stmt(s, "SELECT " ORDER_COLS " FROM orders "
	    "WHERE order_no = ?", err);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, order_no, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		rc = order_row(s, st, o, err);
		sqlite3_reset(st);
		return rc;
	}
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return err_set(err, E_NOTFOUND, "no order %.32s", order_no);
	return store_fail(s, err, "order get");
}

int
store_order_update(struct store *s, const struct order_change *c,
    struct err *err)
{
	sqlite3_stmt *st;

	/* COALESCE keeps a column when the change leaves it NULL */
	st = store_stmt(s, "UPDATE orders SET state = ?, refunded_amount = ?, "
	    "paid_at = COALESCE(?, paid_at), "
	    "provider_ref = COALESCE(?, provider_ref), "
	    "jsapi = COALESCE(?, jsapi), "
	    "error_code = COALESCE(?, error_code), "
	    "error_msg = COALESCE(?, error_msg), updated_at = ? "
	    "WHERE id = ?", err);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, order_state_name(c->state), -1,
	    SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, c->refunded_amount);
	bind_id(st, 3, c->paid_at);
	store_bind_text_or_null(st, 4, c->provider_ref);
	store_bind_text_or_null(st, 5, c->jsapi);
	store_bind_text_or_null(st, 6, c->error_code);
	store_bind_text_or_null(st, 7, c->error_msg);
	sqlite3_bind_int64(st, 8, c->now);
	sqlite3_bind_int64(st, 9, c->id);
	if (store_step_done(s, st, E_STORE, "order update", err) == -1)
		return -1;
	if (sqlite3_changes(store_db(s)) != 1)
		return err_set(err, E_NOTFOUND, "order %lld vanished",
		    (long long)c->id);
	return 0;
}

int
store_order_event_insert(struct store *s, const struct order_event *e,
    struct err *err)
{
	sqlite3_stmt *st;

	st = store_stmt(s, "INSERT INTO order_events (order_id, source, "
	    "old_state, new_state, result_code, error_code, error_msg, "
	    "msg_sha256, notification_id, refund_id, amount, actor, "
	    "created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", err);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, e->order_id);
	sqlite3_bind_text(st, 2, order_source_name(e->source), -1,
	    SQLITE_STATIC);
	sqlite3_bind_text(st, 3, order_state_name(e->old_state), -1,
	    SQLITE_STATIC);
	sqlite3_bind_text(st, 4, order_state_name(e->new_state), -1,
	    SQLITE_STATIC);
	store_bind_text_or_null(st, 5, e->result_code);
	store_bind_text_or_null(st, 6, e->error_code);
	store_bind_text_or_null(st, 7, e->error_msg);
	store_bind_text_or_null(st, 8, e->msg_sha256);
	bind_id(st, 9, e->notification_id);
	bind_id(st, 10, e->refund_id);
	if (e->amount >= 0)
		sqlite3_bind_int64(st, 11, e->amount);
	else
		sqlite3_bind_null(st, 11);
	store_bind_text_or_null(st, 12, e->actor);
	sqlite3_bind_int64(st, 13, e->created_at);
	return store_step_done(s, st, E_STORE, "event insert", err);
}

int
store_order_due(struct store *s, int64_t now, struct order *out, size_t max,
    size_t *n, struct err *err)
{
	sqlite3_stmt *st;
	int rc;

	*n = 0;
	/* one range scan per open state on orders_state_check */
	st = store_stmt(s, "SELECT " ORDER_COLS " FROM orders "
	    "WHERE state IN ('CREATED', 'PENDING', 'UNKNOWN') "
	    "AND next_check_at <= ? ORDER BY next_check_at, id LIMIT ?", err);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)max);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < max) {
		if (order_row(s, st, &out[*n], err) == -1) {
			sqlite3_reset(st);
			return -1;
		}
		(*n)++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return store_fail(s, err, "order due");
	return 0;
}

int
store_order_schedule(struct store *s, int64_t id, int64_t last_query_at,
    int64_t next_check_at, int64_t attempts, struct err *err)
{
	sqlite3_stmt *st;

	st = store_stmt(s, "UPDATE orders SET last_query_at = ?, "
	    "next_check_at = ?, check_attempts = ? WHERE id = ?", err);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, last_query_at);
	sqlite3_bind_int64(st, 2, next_check_at);
	sqlite3_bind_int64(st, 3, attempts);
	sqlite3_bind_int64(st, 4, id);
	return store_step_done(s, st, E_STORE, "order schedule", err);
}

int
store_refund_get(struct store *s, const char *refund_no, struct refund *r,
    struct err *err)
{
	sqlite3_stmt *st;
	char state[32];
	int rc;

	st = store_stmt(s, "SELECT id, refund_no, order_id, state, amount, "
	    "currency FROM refunds WHERE refund_no = ?", err);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, refund_no, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		if (rc == SQLITE_DONE)
			return err_set(err, E_NOTFOUND, "no refund");
		return store_fail(s, err, "refund get");
	}
	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(st, 0);
	store_col_copy(st, 1, r->refund_no, sizeof(r->refund_no));
	r->order_id = sqlite3_column_int64(st, 2);
	store_col_copy(st, 3, state, sizeof(state));
	r->amount = sqlite3_column_int64(st, 4);
	store_col_copy(st, 5, r->currency, sizeof(r->currency));
	sqlite3_reset(st);
	if (refund_state_parse(state, &r->state) == -1)
		return err_set(err, E_INTERNAL, "refund %lld: bad state",
		    (long long)r->id);
	return 0;
}

int
store_refund_update(struct store *s, int64_t id, const char *state,
    const char *provider_ref, const char *error_code, const char *error_msg,
    int64_t now, struct err *err)
{
	sqlite3_stmt *st;

	st = store_stmt(s, "UPDATE refunds SET state = ?, "
	    "provider_ref = COALESCE(?, provider_ref), "
	    "error_code = COALESCE(?, error_code), "
	    "error_msg = COALESCE(?, error_msg), updated_at = ? "
	    "WHERE id = ?", err);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, state, -1, SQLITE_TRANSIENT);
	store_bind_text_or_null(st, 2, provider_ref);
	store_bind_text_or_null(st, 3, error_code);
	store_bind_text_or_null(st, 4, error_msg);
	sqlite3_bind_int64(st, 5, now);
	sqlite3_bind_int64(st, 6, id);
	return store_step_done(s, st, E_STORE, "refund update", err);
}

int
store_anomaly_insert(struct store *s, int64_t order_id,
    int64_t notification_id, int64_t refund_id, const char *kind,
    const char *source, const char *detail, int64_t now, struct err *err)
{
	sqlite3_stmt *st;

	st = store_stmt(s, "INSERT INTO anomalies (order_id, notification_id, "
	    "refund_id, kind, source, detail, created_at) "
	    "VALUES (?,?,?,?,?,?,?)", err);
	if (st == NULL)
		return -1;
	bind_id(st, 1, order_id);
	bind_id(st, 2, notification_id);
	bind_id(st, 3, refund_id);
	sqlite3_bind_text(st, 4, kind, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 5, source, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 6, detail, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 7, now);
	return store_step_done(s, st, E_STORE, "anomaly insert", err);
}

int
store_notification_find(struct store *s, const char *sha, int64_t *id,
    struct err *err)
{
	sqlite3_stmt *st;
	int rc;

	st = store_stmt(s, "SELECT id FROM notifications "
	    "WHERE body_sha256 = ? AND duplicate_of IS NULL", err);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, sha, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return err_set(err, E_NOTFOUND, "new notification");
	return store_fail(s, err, "notification find");
}

int
store_notification_insert(struct store *s, const struct notification *n,
    const char *outcome, int64_t *id, struct err *err)
{
	sqlite3_stmt *st;

	st = store_stmt(s, "INSERT INTO notifications (received_at, body, "
	    "body_sha256, verified, transaction_type, transaction_id, "
	    "result_code, outcome, duplicate_of) VALUES (?,?,?,?,?,?,?,?,?)",
	    err);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, n->received_at);
	if (n->body)
		sqlite3_bind_blob(st, 2, n->body, (int)n->body_len,
		    SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 2);
	sqlite3_bind_text(st, 3, n->body_sha256, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, n->verified ? 1 : 0);
	store_bind_text_or_null(st, 5, n->transaction_type);
	store_bind_text_or_null(st, 6, n->transaction_id);
	store_bind_text_or_null(st, 7, n->result_code);
	sqlite3_bind_text(st, 8, outcome, -1, SQLITE_STATIC);
	bind_id(st, 9, n->duplicate_of);
	if (store_step_done(s, st, E_STORE, "notification insert", err) == -1)
		return -1;
	*id = sqlite3_last_insert_rowid(store_db(s));
	return 0;
}

int
store_notification_finish(struct store *s, int64_t id, const char *outcome,
    int64_t order_id, struct err *err)
{
	sqlite3_stmt *st;

	st = store_stmt(s, "UPDATE notifications SET outcome = ?, "
	    "order_id = ? WHERE id = ?", err);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, outcome, -1, SQLITE_STATIC);
	bind_id(st, 2, order_id);
	sqlite3_bind_int64(st, 3, id);
	return store_step_done(s, st, E_STORE, "notification finish", err);
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
	return sqlite3_get_autocommit(store_db(s)) == 0;
}
