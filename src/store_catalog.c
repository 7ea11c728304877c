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

#include "store.h"
#include "store_catalog.h"
#include "util.h"
#include "valid.h"

#define PRODUCT_COLS "sku, name, description, price, currency, image, " \
	"active, created_at, updated_at"

static void
product_row(struct db_stmt *st, struct product *p)
{
	memset(p, 0, sizeof(*p));
	store_col_copy(st, 0, p->sku, sizeof(p->sku));
	store_col_copy(st, 1, p->name, sizeof(p->name));
	store_col_copy(st, 2, p->description, sizeof(p->description));
	p->price = db_col_int64(st, 3);
	store_col_copy(st, 4, p->currency, sizeof(p->currency));
	store_col_copy(st, 5, p->image, sizeof(p->image));
	p->active = db_col_int64(st, 6) != 0;
	p->created_at = db_col_int64(st, 7);
	p->updated_at = db_col_int64(st, 8);
}

static int
product_row_copy(struct db_stmt *st, void *dst, struct err *err)
{
	(void)err;
	product_row(st, dst);
	return 0;
}

int
store_product_get(struct store *s, const char *sku, struct product *p,
    struct err *err)
{
	static const char sql[] = "SELECT " PRODUCT_COLS
	    " FROM products WHERE sku = ?1";
	struct db_stmt *st = store_stmt(s, sql, err);

	if (st == NULL)
		return -1;
	store_bind_text_or_null(st, 1, sku);
	return store_step_row(s, st, product_row_copy, p, "product", err);
}

int
store_product_each(struct store *s, bool active_only, product_each_fn fn,
    void *ctx, struct err *err)
{
	static const char sql[] = "SELECT " PRODUCT_COLS
	    " FROM products WHERE ?1 = 0 OR active = 1 ORDER BY sku";
	struct db_stmt *st = store_stmt(s, sql, err);
	struct product p;
	int rc, stop = 0;

	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, active_only ? 1 : 0);
	while ((rc = db_step(st)) == DB_ROW) {
		product_row(st, &p);
		if ((stop = fn(ctx, &p)) != 0)
			break;
	}
	db_reset(st);
	if (stop == 0 && rc != DB_DONE)
		return store_fail(s, err, "product list");
	return 0;
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
	struct db_stmt *st;
	int rc;

	if (!valid_token(p->sku, strlen(p->sku), 1, PRODUCT_SKU_MAX,
	    "_.-"))
		return err_set(err, E_INPUT, "sku: 1-64 of [0-9A-Za-z_.-]");
	if (p->name[0] == '\0')
		return err_set(err, E_INPUT, "name: required");
	if (p->price <= 0 || p->price > PRODUCT_PRICE_MAX)
		return err_set(err, E_INPUT, "price: 1..%lld minor units",
		    PRODUCT_PRICE_MAX);
	if (!valid_currency(p->currency, strlen(p->currency)))
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
	db_bind_int64(st, 4, p->price);
	store_bind_text_or_null(st, 5, p->currency);
	store_bind_text_or_null(st, 6, p->image);
	db_bind_int64(st, 7, p->active ? 1 : 0);
	db_bind_int64(st, 8, now);
	rc = db_step(st);
	db_reset(st);
	if (rc != DB_DONE) {
		if (db_errclass(store_db(s)) == DB_EUNIQUE ||
		    db_errclass(store_db(s)) == DB_ECHECK ||
		    db_errclass(store_db(s)) == DB_ECONSTRAINT)
			err_set(err, E_INPUT, "product refused: %s",
			    db_errmsg(store_db(s)));
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
	struct db_stmt *st;

	if (store_begin(s, err) == -1)
		return -1;
	if ((st = store_stmt(s, sql, err)) == NULL)
		goto fail;
	store_bind_text_or_null(st, 1, sku);
	db_bind_int64(st, 2, active ? 1 : 0);
	db_bind_int64(st, 3, now);
	if (store_step_done(s, st, E_STORE, "product set active", err) == -1)
		goto fail;
	if (db_changes(store_db(s)) == 0) {
		err_set(err, E_NOTFOUND, "no product %.64s", sku);
		goto fail;
	}
	return store_commit(s, err);
fail:
	store_rollback(s);
	return -1;
}

