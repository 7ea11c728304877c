/*
 * sim_inspect.c - what h5pay-sim saw and did, for tests and merchants:
 * GET /sim/api/transactions, /sim/api/refunds, /sim/api/notifications
 * (every attempt with the answer it got), /sim/api/oauth (exchange
 * counts by errcode, users), as JSON; GET /sim/ shows the same as one
 * HTML page, every value escaped, no script.
 */
#include <string.h>

#include <json-c/json.h>

#include "sim.h"
#include "store.h"

static int
list(struct resp *w, struct json_object *a)
{
	struct json_object *o;

	if (a == NULL)
		return -1;
	o = json_object_new_object();
	json_object_object_add(o, "items", a);
	resp_json(w, 200, o);
	return 0;
}

int
sim_inspect_txns(struct app *app, struct req *r, struct resp *w,
    struct err *err)
{
	return list(w, sim_txn_list(app->store, SIM_PAY, err));
}

int
sim_inspect_refunds(struct app *app, struct req *r, struct resp *w,
    struct err *err)
{
	return list(w, sim_txn_list(app->store, SIM_REFUND, err));
}

int
sim_inspect_notifs(struct app *app, struct req *r, struct resp *w,
    struct err *err)
{
	return list(w, sim_notif_list(app->store, err));
}

int
sim_inspect_oauth(struct app *app, struct req *r, struct resp *w,
    struct err *err)
{
	struct json_object *o, *u;

	if ((o = sim_oauth_stats(app->store, err)) == NULL)
		return -1;
	if ((u = sim_user_list(app->store, err)) == NULL) {
		json_object_put(o);
		return -1;
	}
	json_object_object_add(o, "users", u);
	resp_json(w, 200, o);
	return 0;
}

/* Append a value of any JSON type as escaped text. */
static void
cell(struct buf *b, struct json_object *v)
{
	buf_adds(b, "<td>");
	if (v == NULL)
		;
	else if (json_object_is_type(v, json_type_string))
		buf_add_html(b, json_object_get_string(v));
	else if (json_object_is_type(v, json_type_array))
		buf_printf(b, "%zu", json_object_array_length(v));
	else
		buf_add_html(b, json_object_to_json_string_ext(v,
		    JSON_C_TO_STRING_PLAIN));
	buf_adds(b, "</td>");
}

static void
table(struct buf *b, const char *title, struct json_object *a,
    const char *const *cols)
{
	size_t i, j;

	buf_adds(b, "<h2>");
	buf_add_html(b, title);
	buf_adds(b, "</h2>\n<table>\n<tr>");
	for (j = 0; cols[j]; j++) {
		buf_adds(b, "<th>");
		buf_add_html(b, cols[j]);
		buf_adds(b, "</th>");
	}
	buf_adds(b, "</tr>\n");
	for (i = 0; a && i < json_object_array_length(a); i++) {
		struct json_object *o = json_object_array_get_idx(a, i), *v;

		buf_adds(b, "<tr>");
		for (j = 0; cols[j]; j++) {
			v = NULL;
			json_object_object_get_ex(o, cols[j], &v);
			cell(b, v);
		}
		buf_adds(b, "</tr>\n");
	}
	buf_adds(b, "</table>\n");
}

int
sim_inspect_page(struct app *app, struct req *r, struct resp *w,
    struct err *err)
{
	static const char *const tcols[] = {"transactionId", "reference",
	    "amount", "currency", "resultCode", "errorCode", "subject",
	    "subOpenid", "refunded", "signType", NULL};
	static const char *const rcols[] = {"transactionId",
	    "originalTransactionId", "reference", "amount", "currency",
	    "resultCode", "errorCode", NULL};
	static const char *const ncols[] = {"id", "transactionId",
	    "transactionType", "url", "state", "attempts", "tries", NULL};
	struct json_object *t, *rf = NULL, *n = NULL, *oa = NULL, *v;
	struct buf b;
	size_t i;
	int rc = -1;

	if ((t = sim_txn_list(app->store, SIM_PAY, err)) == NULL ||
	    (rf = sim_txn_list(app->store, SIM_REFUND, err)) == NULL ||
	    (n = sim_notif_list(app->store, err)) == NULL ||
	    (oa = sim_oauth_stats(app->store, err)) == NULL)
		goto out;
	buf_init(&b, LIM_RESP_BODY);
	buf_adds(&b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta "
	    "charset=\"utf-8\"><title>h5pay-sim</title></head><body>\n"
	    "<h1>h5pay-sim</h1>\n");
	table(&b, "Payments", t, tcols);
	table(&b, "Refunds", rf, rcols);
	table(&b, "Notifications", n, ncols);
	buf_adds(&b, "<h2>Notification attempts</h2>\n<table>\n<tr><th>id"
	    "</th><th>attempt</th><th>status</th><th>error</th><th>answer"
	    "</th></tr>\n");
	for (i = 0; i < json_object_array_length(n); i++) {
		struct json_object *x = json_object_array_get_idx(n, i), *tr;
		size_t k;

		json_object_object_get_ex(x, "tries", &tr);
		json_object_object_get_ex(x, "id", &v);
		for (k = 0; tr && k < json_object_array_length(tr); k++) {
			struct json_object *a = json_object_array_get_idx(tr,
			    k), *f;

			buf_adds(&b, "<tr>");
			cell(&b, v);
			json_object_object_get_ex(a, "attempt", &f);
			cell(&b, f);
			json_object_object_get_ex(a, "status", &f);
			cell(&b, f);
			json_object_object_get_ex(a, "error", &f);
			cell(&b, f);
			json_object_object_get_ex(a, "body", &f);
			cell(&b, f);
			buf_adds(&b, "</tr>\n");
		}
	}
	buf_adds(&b, "</table>\n<h2>OAuth</h2>\n<p>");
	buf_add_html(&b, json_object_to_json_string_ext(oa,
	    JSON_C_TO_STRING_PLAIN));
	buf_adds(&b, "</p>\n</body></html>\n");
	w->status = 200;
	w->content_type = "text/html; charset=utf-8";
	resp_header(w, "Content-Security-Policy", "default-src 'none'; "
	    "base-uri 'none'; frame-ancestors 'none'");
	buf_reset(&w->body);
	buf_add(&w->body, b.data, b.len);
	buf_cleanup(&b);
	rc = 0;
out:
	json_object_put(t);
	json_object_put(rf);
	json_object_put(n);
	json_object_put(oa);
	return rc;
}
