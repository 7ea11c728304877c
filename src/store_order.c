/*
 * store_order.c - the SQL of orders (sql/003_orders.sql): an order and its
 * items, its timeline (events), the reconciler's schedule, the
 * status-query slot.
 *
 * What it does not do: decide anything (order.c does). Every statement is
 * a cached prepared statement (store_stmt); text columns are copied out
 * before the next step. Writers expect the caller's store_begin().
 */
#include <string.h>

#include "order_state.h"
#include "store.h"
#include "store_buyer.h"
#include "store_order.h"
#include "util.h"

#define ORDER_COLS "id, order_no, state, amount, currency, refunded_amount, " \
	"expires_at, created_at, next_check_at, check_attempts"

static int
order_row(struct db_stmt *st, void *dst, struct err *err)
{
	struct order *o = dst;
	char state[32];

	memset(o, 0, sizeof(*o));
	o->id = db_col_int64(st, 0);
	store_col_copy(st, 1, o->order_no, sizeof(o->order_no));
	store_col_copy(st, 2, state, sizeof(state));
	o->amount = db_col_int64(st, 3);
	store_col_copy(st, 4, o->currency, sizeof(o->currency));
	o->refunded_amount = db_col_int64(st, 5);
	o->expires_at = db_col_int64(st, 6);
	o->created_at = db_col_int64(st, 7);
	o->next_check_at = db_col_int64(st, 8);
	o->check_attempts = db_col_int64(st, 9);
	if (order_state_parse(state, &o->state) == -1)
		return err_set(err, E_INTERNAL, "order %lld: bad state",
		    (long long)o->id);
	return 0;
}

int
store_order_get(struct store *s, const char *order_no, struct order *o,
    struct err *err)
{
	struct db_stmt *st;

	st = store_stmt(s, "SELECT " ORDER_COLS " FROM orders "
	    "WHERE order_no = ?", err);
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, order_no);
	return store_step_row(s, st, order_row, o, "order", err);
}

int
store_order_update(struct store *s, const struct order_change *c,
    struct err *err)
{
	struct db_stmt *st;

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
	db_bind_text_static(st, 1, order_state_name(c->state));
	db_bind_int64(st, 2, c->refunded_amount);
	store_bind_id(st, 3, c->paid_at);
	store_bind_text_or_null(st, 4, c->provider_ref);
	store_bind_text_or_null(st, 5, c->jsapi);
	store_bind_text_or_null(st, 6, c->error_code);
	store_bind_text_or_null(st, 7, c->error_msg);
	db_bind_int64(st, 8, c->now);
	db_bind_int64(st, 9, c->id);
	if (store_step_done(s, st, E_STORE, "order update", err) == -1)
		return -1;
	if (db_changes(store_db(s)) != 1)
		return err_set(err, E_NOTFOUND, "order %lld vanished",
		    (long long)c->id);
	return 0;
}

int
store_order_event_insert(struct store *s, const struct order_event *e,
    struct err *err)
{
	struct db_stmt *st;

	st = store_stmt(s, "INSERT INTO order_events (order_id, source, "
	    "old_state, new_state, result_code, error_code, error_msg, "
	    "msg_sha256, notification_id, refund_id, amount, actor, "
	    "created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", err);
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, e->order_id);
	db_bind_text_static(st, 2, order_source_name(e->source));
	db_bind_text_static(st, 3, order_state_name(e->old_state));
	db_bind_text_static(st, 4, order_state_name(e->new_state));
	store_bind_text_or_null(st, 5, e->result_code);
	store_bind_text_or_null(st, 6, e->error_code);
	store_bind_text_or_null(st, 7, e->error_msg);
	store_bind_text_or_null(st, 8, e->msg_sha256);
	store_bind_id(st, 9, e->notification_id);
	store_bind_id(st, 10, e->refund_id);
	if (e->amount >= 0)
		db_bind_int64(st, 11, e->amount);
	else
		db_bind_null(st, 11);
	store_bind_text_or_null(st, 12, e->actor);
	db_bind_int64(st, 13, e->created_at);
	return store_step_done(s, st, E_STORE, "event insert", err);
}

int
store_order_due(struct store *s, int64_t now, struct order *out, size_t max,
    size_t *n, struct err *err)
{
	struct db_stmt *st;
	int rc;

	*n = 0;
	/* one range scan per open state on orders_state_check (partial:
	 * the WHERE repeats its condition, sql/011_hotpath.sql) */
	st = store_stmt(s, "SELECT " ORDER_COLS " FROM orders "
	    "WHERE (state = 'CREATED' OR state = 'PENDING' OR "
	    "state = 'UNKNOWN') AND next_check_at <= ? "
	    "ORDER BY next_check_at, id LIMIT ?", err);
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, now);
	db_bind_int64(st, 2, (int64_t)max);
	while ((rc = db_step(st)) == DB_ROW && *n < max) {
		if (order_row(st, &out[*n], err) == -1) {
			db_reset(st);
			return -1;
		}
		(*n)++;
	}
	db_reset(st);
	if (rc != DB_DONE && rc != DB_ROW)
		return store_fail(s, err, "order due");
	return 0;
}

int
store_order_check_at(struct store *s, int64_t id, int64_t next_check_at,
    struct err *err)
{
	struct db_stmt *st;

	st = store_stmt(s, "UPDATE orders SET next_check_at = ? WHERE id = ?",
	    err);
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, next_check_at);
	db_bind_int64(st, 2, id);
	return store_step_done(s, st, E_STORE, "order check at", err);
}

int
store_order_schedule(struct store *s, int64_t id, int64_t last_query_at,
    int64_t next_check_at, int64_t attempts, struct err *err)
{
	struct db_stmt *st;

	st = store_stmt(s, "UPDATE orders SET last_query_at = ?, "
	    "next_check_at = ?, check_attempts = ? WHERE id = ?", err);
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, last_query_at);
	db_bind_int64(st, 2, next_check_at);
	db_bind_int64(st, 3, attempts);
	db_bind_int64(st, 4, id);
	return store_step_done(s, st, E_STORE, "order schedule", err);
}

int
store_order_create(struct store *s, const struct store_order_new *o,
    int64_t *id, struct err *err)
{
	static const struct db_sql sql = STORE_INSERT_ID("INSERT INTO orders "
	    "(order_no, openid, appid, amount, currency, subject, state, "
	    "idempotency_key, expires_at, next_check_at, created_at, "
	    "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'CREATED', ?7, ?8, "
	    "?9, ?10, ?10)");
	struct db_stmt *st = store_stmt_pick(s, &sql, err);

	if (st == NULL)
		return -1;
	store_bind_text_or_null(st, 1, o->order_no);
	store_bind_text_or_null(st, 2, o->openid);
	store_bind_text_or_null(st, 3, o->appid);
	db_bind_int64(st, 4, o->amount);
	store_bind_text_or_null(st, 5, o->currency);
	store_bind_text_or_null(st, 6, o->subject);
	store_bind_text_or_null(st, 7, o->idempotency_key);
	db_bind_int64(st, 8, o->expires_at);
	db_bind_int64(st, 9, o->next_check_at);
	db_bind_int64(st, 10, o->now);
	if (store_step_id(s, st, E_STORE, "order create", id, err) == 0)
		return 0;
	if (db_errclass(store_db(s)) == DB_EUNIQUE)
		return err_set(err, E_CONFLICT, "order exists: %s",
		    db_errmsg(store_db(s)));
	return -1;
}

int
store_order_item_add(struct store *s, int64_t order_id,
    const struct buyer_item *it, struct err *err)
{
	static const char sql[] = "INSERT INTO order_items (order_id, sku, "
	    "name, unit_price, qty, line_amount) VALUES (?1, ?2, ?3, ?4, ?5, "
	    "?6)";
	struct db_stmt *st = store_stmt(s, sql, err);

	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, order_id);
	store_bind_text_or_null(st, 2, it->sku);
	store_bind_text_or_null(st, 3, it->name);
	db_bind_int64(st, 4, it->unit_price);
	db_bind_int64(st, 5, it->qty);
	db_bind_int64(st, 6, it->line_amount);
	return store_step_done(s, st, E_STORE, "order item add", err);
}

int
store_order_query_claim(struct store *s, int64_t id, int64_t now,
    int64_t not_after, bool *taken, struct err *err)
{
	static const char sql[] = "UPDATE orders SET last_query_at = ?2 "
	    "WHERE id = ?1 AND coalesce(last_query_at, created_at) <= ?3";
	struct db_stmt *st = store_stmt(s, sql, err);

	*taken = false;
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, id);
	db_bind_int64(st, 2, now);
	db_bind_int64(st, 3, not_after);
	if (store_step_done(s, st, E_STORE, "order query claim", err) == -1)
		return -1;
	*taken = db_changes(store_db(s)) == 1;
	return 0;
}
