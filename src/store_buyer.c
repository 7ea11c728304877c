/*
 * store_buyer.c - the SQL of the buyer's view of orders (store_buyer.h,
 * sql/003_orders.sql): reads only. The buyer sees their own orders; the
 * owner check is the caller's (pay.c), the openid is returned with the row.
 * What it does not do: change orders (store_order.c, through order_apply).
 */
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "store_buyer.h"
#include "util.h"

#define BUYER_COLS "id, order_no, openid, state, amount, currency, subject, " \
	"jsapi, expires_at, created_at, paid_at, last_query_at, error_code, " \
	"refunded_amount"

static void
buyer_row(struct db_stmt *st, struct buyer_order *o, bool with_jsapi)
{
	const char *j;

	memset(o, 0, sizeof(*o));
	o->id = db_col_int64(st, 0);
	store_col_copy(st, 1, o->order_no, sizeof(o->order_no));
	store_col_copy(st, 2, o->openid, sizeof(o->openid));
	store_col_copy(st, 3, o->state, sizeof(o->state));
	o->amount = db_col_int64(st, 4);
	store_col_copy(st, 5, o->currency, sizeof(o->currency));
	store_col_copy(st, 6, o->subject, sizeof(o->subject));
	j = db_col_text(st, 7);
	o->jsapi = with_jsapi && j != NULL ? xstrdup(j) : NULL;
	o->expires_at = db_col_int64(st, 8);
	o->created_at = db_col_int64(st, 9);
	o->paid_at = db_col_int64(st, 10);
	o->last_query_at = db_col_int64(st, 11);
	store_col_copy(st, 12, o->error_code, sizeof(o->error_code));
	o->refunded_amount = db_col_int64(st, 13);
}

void
buyer_order_cleanup(struct buyer_order *o)
{
	if (o == NULL)
		return;
	free(o->jsapi);
	o->jsapi = NULL;
}

static int
buyer_row_full(struct db_stmt *st, void *dst, struct err *err)
{
	(void)err;
	buyer_row(st, dst, true);
	return 0;
}

/* Step a prepared single-row select into *o. */
static int
buyer_one(struct store *s, struct db_stmt *st, struct buyer_order *o,
    const char *what, struct err *err)
{
	return store_step_row(s, st, buyer_row_full, o, what, err);
}

int
store_buyer_order_get(struct store *s, const char *order_no,
    struct buyer_order *o, struct err *err)
{
	static const char sql[] = "SELECT " BUYER_COLS
	    " FROM orders WHERE order_no = ?1";
	struct db_stmt *st = store_stmt(s, sql, err);

	if (st == NULL)
		return -1;
	store_bind_text_or_null(st, 1, order_no);
	return buyer_one(s, st, o, "order get", err);
}

int
store_buyer_order_by_key(struct store *s, const char *openid,
    const char *key, struct buyer_order *o, struct err *err)
{
	static const char sql[] = "SELECT " BUYER_COLS
	    " FROM orders WHERE openid = ?1 AND idempotency_key = ?2";
	struct db_stmt *st = store_stmt(s, sql, err);

	if (st == NULL)
		return -1;
	store_bind_text_or_null(st, 1, openid);
	store_bind_text_or_null(st, 2, key);
	return buyer_one(s, st, o, "order by key", err);
}

int
store_buyer_open_orders(struct store *s, const char *openid, int64_t now,
    int64_t *n, struct err *err)
{
	static const char sql[] = "SELECT count(*) FROM orders WHERE "
	    "openid = ?1 AND state IN ('CREATED', 'PENDING', 'UNKNOWN') AND "
	    "expires_at > ?2";
	struct db_stmt *st = store_stmt(s, sql, err);
	int rc;

	if (st == NULL)
		return -1;
	store_bind_text_or_null(st, 1, openid);
	db_bind_int64(st, 2, now);
	rc = db_step(st);
	if (rc == DB_ROW)
		*n = db_col_int64(st, 0);
	db_reset(st);
	if (rc != DB_ROW)
		return store_fail(s, err, "buyer open orders");
	return 0;
}

int
store_buyer_items_each(struct store *s, int64_t order_id,
    buyer_item_each_fn fn, void *ctx, struct err *err)
{
	static const char sql[] = "SELECT sku, name, unit_price, qty, "
	    "line_amount FROM order_items WHERE order_id = ?1 ORDER BY id";
	struct db_stmt *st = store_stmt(s, sql, err);
	struct buyer_item it;
	int rc, stop = 0;

	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, order_id);
	while ((rc = db_step(st)) == DB_ROW) {
		memset(&it, 0, sizeof(it));
		store_col_copy(st, 0, it.sku, sizeof(it.sku));
		store_col_copy(st, 1, it.name, sizeof(it.name));
		it.unit_price = db_col_int64(st, 2);
		it.qty = db_col_int64(st, 3);
		it.line_amount = db_col_int64(st, 4);
		if ((stop = fn(ctx, &it)) != 0)
			break;
	}
	db_reset(st);
	if (stop == 0 && rc != DB_DONE)
		return store_fail(s, err, "order items");
	return 0;
}

int
store_buyer_orders_each(struct store *s, const char *openid, int limit,
    buyer_order_each_fn fn, void *ctx, struct err *err)
{
	static const char sql[] = "SELECT " BUYER_COLS
	    " FROM orders WHERE openid = ?1 ORDER BY created_at DESC, id DESC"
	    " LIMIT ?2";
	struct db_stmt *st = store_stmt(s, sql, err);
	struct buyer_order o;
	int rc, stop = 0;

	if (st == NULL)
		return -1;
	store_bind_text_or_null(st, 1, openid);
	db_bind_int64(st, 2, limit);
	while ((rc = db_step(st)) == DB_ROW) {
		buyer_row(st, &o, false);
		if ((stop = fn(ctx, &o)) != 0)
			break;
	}
	db_reset(st);
	if (stop == 0 && rc != DB_DONE)
		return store_fail(s, err, "orders list");
	return 0;
}
