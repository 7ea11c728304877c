/*
 * web_orders.c - the buyer's orders (session required):
 *   GET /api/orders/{orderNo}  one order; another buyer's is a 404, like a
 *                              missing one; while open, pay_status() asks
 *                              UseePay (rate-limited per order)
 *   GET /api/orders            the buyer's 50 newest orders, each with
 *                              its items (sku, name, qty, amounts)
 * Provider messages are not shown to buyers (only the error code).
 */
#include <stdbool.h>

#include <json-c/json.h>

#include "app.h"
#include "pay.h"
#include "session.h"
#include "web.h"

#define ORDERS_LIST_MAX 50

static struct json_object *
order_json(const struct buyer_order *o)
{
	struct json_object *j = json_object_new_object();

	json_object_object_add(j, "orderNo",
	    json_object_new_string(o->order_no));
	json_object_object_add(j, "state", json_object_new_string(o->state));
	json_object_object_add(j, "amount", json_object_new_int64(o->amount));
	json_object_object_add(j, "currency",
	    json_object_new_string(o->currency));
	json_object_object_add(j, "subject",
	    json_object_new_string(o->subject));
	json_object_object_add(j, "createdAt",
	    json_object_new_int64(o->created_at));
	json_object_object_add(j, "expiresAt",
	    json_object_new_int64(o->expires_at));
	if (o->paid_at > 0)
		json_object_object_add(j, "paidAt",
		    json_object_new_int64(o->paid_at));
	json_object_object_add(j, "refundedAmount",
	    json_object_new_int64(o->refunded_amount));
	if (o->error_code[0] != '\0')
		json_object_object_add(j, "errorCode",
		    json_object_new_string(o->error_code));
	return j;
}

static int
item_add(void *ctx, const struct buyer_item *it)
{
	struct json_object *a = ctx, *j = json_object_new_object();

	json_object_object_add(j, "sku", json_object_new_string(it->sku));
	json_object_object_add(j, "name", json_object_new_string(it->name));
	json_object_object_add(j, "unitPrice",
	    json_object_new_int64(it->unit_price));
	json_object_object_add(j, "qty", json_object_new_int64(it->qty));
	json_object_object_add(j, "lineAmount",
	    json_object_new_int64(it->line_amount));
	json_object_array_add(a, j);
	return 0;
}

int
web_order_get(struct app *app, struct req *r, struct resp *w,
    struct err *err)
{
	struct json_object *j, *items;
	struct buyer_order o;

	if (r->buyer == NULL)
		return err_set(err, E_AUTH, "no session");
	if (pay_status(app, r->buyer->openid, r->path_tail, &o, err) == -1)
		return -1;
	items = json_object_new_array();
	if (store_buyer_items_each(app->store, o.id, item_add, items,
	    err) == -1) {
		json_object_put(items);
		buyer_order_cleanup(&o);
		return -1;
	}
	j = order_json(&o);
	json_object_object_add(j, "items", items);
	buyer_order_cleanup(&o);
	resp_json(w, 200, j);
	resp_header(w, "Cache-Control", "no-store");
	return 0;
}

struct orders_ctx {
	struct store *store;
	struct json_object *list;
	struct err *err;
	bool failed;
};

/* One order of the list with its items; a store error stops the list. */
static int
order_add(void *ctx, const struct buyer_order *o)
{
	struct orders_ctx *c = ctx;
	struct json_object *j, *items = json_object_new_array();

	if (store_buyer_items_each(c->store, o->id, item_add, items,
	    c->err) == -1) {
		json_object_put(items);
		c->failed = true;
		return -1;
	}
	j = order_json(o);
	json_object_object_add(j, "items", items);
	json_object_array_add(c->list, j);
	return 0;
}

int
web_orders_list(struct app *app, struct req *r, struct resp *w,
    struct err *err)
{
	struct json_object *j, *list;
	struct orders_ctx c;

	if (r->buyer == NULL)
		return err_set(err, E_AUTH, "no session");
	list = json_object_new_array();
	c.store = app->store;
	c.list = list;
	c.err = err;
	c.failed = false;
	if (store_buyer_orders_each(app->store, r->buyer->openid,
	    ORDERS_LIST_MAX, order_add, &c, err) == -1 ||
	    c.failed) {
		json_object_put(list);
		return -1;
	}
	j = json_object_new_object();
	json_object_object_add(j, "orders", list);
	resp_json(w, 200, j);
	resp_header(w, "Cache-Control", "no-store");
	return 0;
}
