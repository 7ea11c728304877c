/*
 * web_catalog.c - GET /api/products: the active products, for the shop's
 * pages. Public (no session): the catalog is what the shop shows anyone.
 * Prices are integers in minor units of the product's currency; the
 * pages format them. Nothing here is trusted back by /pay. The answer
 * also names the shop for its pages: "shop": {name, logo, timeZone,
 * currency} from the config (shop_name, shop_logo_url,
 * merchant_timezone, useepay_currency).
 */
#include <json-c/json.h>

#include "app.h"
#include "cfg.h"
#include "store_catalog.h"
#include "web.h"

static int
catalog_add(void *ctx, const struct product *p)
{
	struct json_object *a = ctx, *o = json_object_new_object();

	json_object_object_add(o, "sku", json_object_new_string(p->sku));
	json_object_object_add(o, "name", json_object_new_string(p->name));
	json_object_object_add(o, "description",
	    json_object_new_string(p->description));
	json_object_object_add(o, "price", json_object_new_int64(p->price));
	json_object_object_add(o, "currency",
	    json_object_new_string(p->currency));
	json_object_object_add(o, "image", json_object_new_string(p->image));
	json_object_array_add(a, o);
	return 0;
}

static struct json_object *
shop_json(const struct cfg *c)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "name", json_object_new_string(c->shop_name));
	json_object_object_add(o, "logo",
	    json_object_new_string(c->shop_logo_url));
	json_object_object_add(o, "timeZone",
	    json_object_new_string(c->merchant_timezone));
	json_object_object_add(o, "currency",
	    json_object_new_string(c->useepay_currency));
	return o;
}

int
web_products_get(struct app *app, struct req *r, struct resp *w,
    struct err *err)
{
	struct json_object *root, *list = json_object_new_array();

	(void)r;
	if (store_product_each(app->store, true, catalog_add, list,
	    err) == -1) {
		json_object_put(list);
		return -1;
	}
	root = json_object_new_object();
	json_object_object_add(root, "products", list);
	json_object_object_add(root, "shop", shop_json(app->cfg));
	resp_json(w, 200, root);
	resp_header(w, "Cache-Control", "no-cache");
	return 0;
}
