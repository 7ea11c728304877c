/*
 * web_catalog.c - GET /api/products: the active products, for the shop's
 * pages. Public (no session): the catalog is what the shop shows anyone.
 * Prices are integers in minor units of the product's currency; the
 * pages format them. Nothing here is trusted back by /pay.
 */
#include <json-c/json.h>

#include "app.h"
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
	resp_json(w, 200, root);
	resp_header(w, "Cache-Control", "no-cache");
	return 0;
}
