/*
 * store_catalog.c - the SQL of the buyer flow: products, new orders with
 * their items, the buyer's reads of orders, the status-query slot.
 *
 * What it does not do: change the state of an order (order_apply does),
 * or decide anything. Statements are cached (store_stmt) and bound; text
 * columns are copied before the next step. Writers expect the caller's
 * store_begin() (store_product_* take their own).
 */
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store.h"
#include "store_catalog.h"
#include "util.h"

#define PRODUCT_COLS "sku, name, description, price, currency, image, " \
	"active, created_at, updated_at"

static void
product_row(sqlite3_stmt *st, struct product *p)
{
	memset(p, 0, sizeof(*p));
	store_col_copy(st, 0, p->sku, sizeof(p->sku));
	store_col_copy(st, 1, p->name, sizeof(p->name));
	store_col_copy(st, 2, p->description, sizeof(p->description));
	p->price = sqlite3_column_int64(st, 3);
	store_col_copy(st, 4, p->currency, sizeof(p->currency));
	store_col_copy(st, 5, p->image, sizeof(p->image));
	p->active = sqlite3_column_int64(st, 6) != 0;
	p->created_at = sqlite3_column_int64(st, 7);
	p->updated_at = sqlite3_column_int64(st, 8);
}

int
store_product_get(struct store *s, const char *sku, struct product *p,
    struct err *err)
{
	static const char sql[] = "SELECT " PRODUCT_COLS
	    " FROM products WHERE sku = ?1";
	sqlite3_stmt *st = store_stmt(s, sql, err);
	int rc;

	if (st == NULL)
		return -1;
	store_bind_text_or_null(st, 1, sku);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		product_row(st, p);
		sqlite3_reset(st);
		return 0;
	}
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return err_set(err, E_NOTFOUND, "product %.64s", sku);
	return store_fail(s, err, "product get");
}

int
store_product_each(struct store *s, bool active_only, product_each_fn fn,
    void *ctx, struct err *err)
{
	static const char sql[] = "SELECT " PRODUCT_COLS
	    " FROM products WHERE ?1 = 0 OR active = 1 ORDER BY sku";
	sqlite3_stmt *st = store_stmt(s, sql, err);
	struct product p;
	int rc, stop = 0;

	if (st == NULL)
		return -1;
	sqlite3_bind_int(st, 1, active_only ? 1 : 0);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		product_row(st, &p);
		if ((stop = fn(ctx, &p)) != 0)
			break;
	}
	sqlite3_reset(st);
	if (stop == 0 && rc != SQLITE_DONE)
		return store_fail(s, err, "product list");
	return 0;
}

static bool
sku_valid(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > PRODUCT_SKU_MAX)
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z') || c == '_' || c == '.' ||
		    c == '-'))
			return false;
	}
	return true;
}

static bool
currency_valid(const char *c)
{
	return strlen(c) == 3 && c[0] >= 'A' && c[0] <= 'Z' &&
	    c[1] >= 'A' && c[1] <= 'Z' && c[2] >= 'A' && c[2] <= 'Z';
}

int
store_product_put(struct store *s, const struct product *p, int64_t now,
    struct err *err)
{
	static const char sql[] = "INSERT INTO products (sku, name, "
	    "description, price, currency, image, active, created_at, "
	    "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8) "
	    "ON CONFLICT (sku) DO UPDATE SET name = excluded.name, "
	    "description = excluded.description, price = excluded.price, "
	    "currency = excluded.currency, image = excluded.image, "
	    "active = excluded.active, updated_at = excluded.updated_at";
	sqlite3_stmt *st;
	int rc;

	if (!sku_valid(p->sku))
		return err_set(err, E_INPUT, "sku: 1-64 of [0-9A-Za-z_.-]");
	if (p->name[0] == '\0')
		return err_set(err, E_INPUT, "name: required");
	if (p->price <= 0 || p->price > PRODUCT_PRICE_MAX)
		return err_set(err, E_INPUT, "price: 1..%lld minor units",
		    PRODUCT_PRICE_MAX);
	if (!currency_valid(p->currency))
		return err_set(err, E_INPUT, "currency: ISO 4217 (HKD)");
	if (p->image[0] != '\0' && (p->image[0] != '/' || p->image[1] == '/'))
		return err_set(err, E_INPUT, "image: a path on this site "
		    "(/shop/img/...)");
	if (store_begin(s, err) == -1)
		return -1;
	if ((st = store_stmt(s, sql, err)) == NULL)
		goto fail;
	store_bind_text_or_null(st, 1, p->sku);
	store_bind_text_or_null(st, 2, p->name);
	store_bind_text_or_null(st, 3, p->description);
	sqlite3_bind_int64(st, 4, p->price);
	store_bind_text_or_null(st, 5, p->currency);
	store_bind_text_or_null(st, 6, p->image);
	sqlite3_bind_int(st, 7, p->active ? 1 : 0);
	sqlite3_bind_int64(st, 8, now);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		if ((rc & 0xff) == SQLITE_CONSTRAINT)
			err_set(err, E_INPUT, "product refused: %s",
			    sqlite3_errmsg(store_db(s)));
		else
			store_fail(s, err, "product put");
		goto fail;
	}
	return store_commit(s, err);
fail:
	store_rollback(s);
	return -1;
}

int
store_product_set_active(struct store *s, const char *sku, bool active,
    int64_t now, struct err *err)
{
	static const char sql[] = "UPDATE products SET active = ?2, "
	    "updated_at = ?3 WHERE sku = ?1";
	sqlite3_stmt *st;

	if (store_begin(s, err) == -1)
		return -1;
	if ((st = store_stmt(s, sql, err)) == NULL)
		goto fail;
	store_bind_text_or_null(st, 1, sku);
	sqlite3_bind_int(st, 2, active ? 1 : 0);
	sqlite3_bind_int64(st, 3, now);
	if (store_step_done(s, st, E_STORE, "product set active", err) == -1)
		goto fail;
	if (sqlite3_changes(store_db(s)) == 0) {
		err_set(err, E_NOTFOUND, "no product %.64s", sku);
		goto fail;
	}
	return store_commit(s, err);
fail:
	store_rollback(s);
	return -1;
}

int
store_order_create(struct store *s, const struct store_order_new *o,
    int64_t *id, struct err *err)
{
	static const char sql[] = "INSERT INTO orders (order_no, openid, "
	    "appid, amount, currency, subject, state, idempotency_key, "
	    "expires_at, next_check_at, created_at, updated_at) VALUES "
	    "(?1, ?2, ?3, ?4, ?5, ?6, 'CREATED', ?7, ?8, ?9, ?10, ?10)";
	sqlite3_stmt *st = store_stmt(s, sql, err);
	int rc, ext;

	if (st == NULL)
		return -1;
	store_bind_text_or_null(st, 1, o->order_no);
	store_bind_text_or_null(st, 2, o->openid);
	store_bind_text_or_null(st, 3, o->appid);
	sqlite3_bind_int64(st, 4, o->amount);
	store_bind_text_or_null(st, 5, o->currency);
	store_bind_text_or_null(st, 6, o->subject);
	store_bind_text_or_null(st, 7, o->idempotency_key);
	sqlite3_bind_int64(st, 8, o->expires_at);
	sqlite3_bind_int64(st, 9, o->next_check_at);
	sqlite3_bind_int64(st, 10, o->now);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_DONE) {
		*id = sqlite3_last_insert_rowid(store_db(s));
		return 0;
	}
	ext = sqlite3_extended_errcode(store_db(s));
	if (ext == SQLITE_CONSTRAINT_UNIQUE)
		return err_set(err, E_CONFLICT, "order exists: %s",
		    sqlite3_errmsg(store_db(s)));
	return store_fail(s, err, "order create");
}

int
store_order_item_add(struct store *s, int64_t order_id,
    const struct buyer_item *it, struct err *err)
{
	static const char sql[] = "INSERT INTO order_items (order_id, sku, "
	    "name, unit_price, qty, line_amount) VALUES (?1, ?2, ?3, ?4, ?5, "
	    "?6)";
	sqlite3_stmt *st = store_stmt(s, sql, err);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, order_id);
	store_bind_text_or_null(st, 2, it->sku);
	store_bind_text_or_null(st, 3, it->name);
	sqlite3_bind_int64(st, 4, it->unit_price);
	sqlite3_bind_int64(st, 5, it->qty);
	sqlite3_bind_int64(st, 6, it->line_amount);
	return store_step_done(s, st, E_STORE, "order item add", err);
}

#define BUYER_COLS "id, order_no, openid, state, amount, currency, subject, " \
	"jsapi, expires_at, created_at, paid_at, last_query_at, error_code"

static void
buyer_row(sqlite3_stmt *st, struct buyer_order *o, bool with_jsapi)
{
	const unsigned char *j;

	memset(o, 0, sizeof(*o));
	o->id = sqlite3_column_int64(st, 0);
	store_col_copy(st, 1, o->order_no, sizeof(o->order_no));
	store_col_copy(st, 2, o->openid, sizeof(o->openid));
	store_col_copy(st, 3, o->state, sizeof(o->state));
	o->amount = sqlite3_column_int64(st, 4);
	store_col_copy(st, 5, o->currency, sizeof(o->currency));
	store_col_copy(st, 6, o->subject, sizeof(o->subject));
	j = sqlite3_column_text(st, 7);
	o->jsapi = with_jsapi && j != NULL ? xstrdup((const char *)j) : NULL;
	o->expires_at = sqlite3_column_int64(st, 8);
	o->created_at = sqlite3_column_int64(st, 9);
	o->paid_at = sqlite3_column_int64(st, 10);
	o->last_query_at = sqlite3_column_int64(st, 11);
	store_col_copy(st, 12, o->error_code, sizeof(o->error_code));
}

void
buyer_order_cleanup(struct buyer_order *o)
{
	if (o == NULL)
		return;
	free(o->jsapi);
	o->jsapi = NULL;
}

/* Step a prepared single-row select into *o. */
static int
buyer_one(struct store *s, sqlite3_stmt *st, struct buyer_order *o,
    const char *what, struct err *err)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW) {
		buyer_row(st, o, true);
		sqlite3_reset(st);
		return 0;
	}
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return err_set(err, E_NOTFOUND, "%s: no such order", what);
	return store_fail(s, err, what);
}

int
store_buyer_order_get(struct store *s, const char *order_no,
    struct buyer_order *o, struct err *err)
{
	static const char sql[] = "SELECT " BUYER_COLS
	    " FROM orders WHERE order_no = ?1";
	sqlite3_stmt *st = store_stmt(s, sql, err);

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
	sqlite3_stmt *st = store_stmt(s, sql, err);

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
	sqlite3_stmt *st = store_stmt(s, sql, err);
	int rc;

	if (st == NULL)
		return -1;
	store_bind_text_or_null(st, 1, openid);
	sqlite3_bind_int64(st, 2, now);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return store_fail(s, err, "buyer open orders");
	return 0;
}

int
store_buyer_items_each(struct store *s, int64_t order_id,
    buyer_item_each_fn fn, void *ctx, struct err *err)
{
	static const char sql[] = "SELECT sku, name, unit_price, qty, "
	    "line_amount FROM order_items WHERE order_id = ?1 ORDER BY id";
	sqlite3_stmt *st = store_stmt(s, sql, err);
	struct buyer_item it;
	int rc, stop = 0;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, order_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&it, 0, sizeof(it));
		store_col_copy(st, 0, it.sku, sizeof(it.sku));
		store_col_copy(st, 1, it.name, sizeof(it.name));
		it.unit_price = sqlite3_column_int64(st, 2);
		it.qty = sqlite3_column_int64(st, 3);
		it.line_amount = sqlite3_column_int64(st, 4);
		if ((stop = fn(ctx, &it)) != 0)
			break;
	}
	sqlite3_reset(st);
	if (stop == 0 && rc != SQLITE_DONE)
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
	sqlite3_stmt *st = store_stmt(s, sql, err);
	struct buyer_order o;
	int rc, stop = 0;

	if (st == NULL)
		return -1;
	store_bind_text_or_null(st, 1, openid);
	sqlite3_bind_int(st, 2, limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		buyer_row(st, &o, false);
		if ((stop = fn(ctx, &o)) != 0)
			break;
	}
	sqlite3_reset(st);
	if (stop == 0 && rc != SQLITE_DONE)
		return store_fail(s, err, "orders list");
	return 0;
}

int
store_order_query_claim(struct store *s, int64_t id, int64_t now,
    int64_t not_after, bool *taken, struct err *err)
{
	static const char sql[] = "UPDATE orders SET last_query_at = ?2 "
	    "WHERE id = ?1 AND coalesce(last_query_at, created_at) <= ?3";
	sqlite3_stmt *st = store_stmt(s, sql, err);

	*taken = false;
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int64(st, 3, not_after);
	if (store_step_done(s, st, E_STORE, "order query claim", err) == -1)
		return -1;
	*taken = sqlite3_changes(store_db(s)) == 1;
	return 0;
}
