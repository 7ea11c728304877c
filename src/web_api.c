/*
 * web_api.c - the payments API (docs/integration.md), server to server,
 * every route behind an API key (R_APIKEY, web_guard.c) and a scope:
 *   POST /api/v1/payments                       payments:write
 *   GET  /api/v1/payments?reference=REF         payments:read
 *   GET  /api/v1/payments/{id}                  payments:read
 *   POST /api/v1/payments/{id}/cancel           payments:write
 *   POST /api/v1/payments/{id}/refunds          refunds:write
 *   GET  /api/v1/payments/{id}/refunds/{rid}    payments:read
 * Each parses, calls one function of api.c and renders. Refusals (4xx)
 * carry api.c's message, which names the offending field; a 5xx is the
 * generic error of route_dispatch().
 */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "api.h"
#include "app.h"
#include "cfg.h"
#include "log.h"
#include "util.h"
#include "web.h"

/* A 4xx refusal with its message; -1 (the generic 5xx) otherwise. */
static int
api_fail(struct resp *w, const struct req *r, struct err *err)
{
	struct json_object *j;
	int st = err_http_status(err->code);

	if (st >= 500)
		return -1;
	j = json_object_new_object();
	json_object_object_add(j, "error",
	    json_object_new_string(err_name(err->code)));
	json_object_object_add(j, "message", json_object_new_string(err->msg));
	json_object_object_add(j, "requestId",
	    json_object_new_string(r->request_id ? r->request_id : "-"));
	resp_json(w, st, j);
	resp_header(w, "Cache-Control", "no-store");
	log_info("api", "refused", "path=%s status=%d msg=\"%s\"", r->path, st,
	    err->msg);
	return 0;
}

static int
api_scope(const struct req *r, unsigned scope, const char *name,
    struct err *err)
{
	if (r->apikey == NULL)
		return err_set(err, E_AUTH, "no api key");
	if (!(r->apikey->scopes & scope))
		return err_set(err, E_FORBIDDEN, "api key %s lacks scope %s",
		    r->apikey->key.name, name);
	return 0;
}

static void
add_str(struct json_object *j, const char *k, const char *v)
{
	json_object_object_add(j, k, json_object_new_string(v));
}

static void
add_int(struct json_object *j, const char *k, int64_t v)
{
	json_object_object_add(j, k, json_object_new_int64(v));
}

static void
payment_render(struct app *app, struct resp *w, int status,
    const struct api_payment *p)
{
	struct json_object *j = json_object_new_object(), *meta;
	const char *base = app->cfg->public_base_url;
	size_t bn = strlen(base);
	struct buf u;

	while (bn > 0 && base[bn - 1] == '/')
		bn--;
	buf_init(&u, 1024);
	(void)buf_printf(&u, "%.*s/shop/pay.html?id=%s", (int)bn, base,
	    p->payment_id);
	add_str(j, "id", p->payment_id);
	add_str(j, "reference", p->reference);
	add_str(j, "state", api_payment_state(app, p));
	add_int(j, "amount", p->amount);
	add_str(j, "currency", p->currency);
	add_str(j, "subject", p->subject);
	add_str(j, "returnUrl", p->return_url);
	meta = json_tokener_parse(p->metadata);
	json_object_object_add(j, "metadata", meta ? meta :
	    json_object_new_object());
	add_int(j, "createdAt", p->created_at);
	add_int(j, "expiresAt", p->expires_at);
	json_object_object_add(j, "cancelled",
	    json_object_new_boolean(p->cancelled_at != 0));
	json_object_object_add(j, "paidAt", p->paid_at ?
	    json_object_new_int64(p->paid_at) : NULL);
	add_int(j, "refundedAmount", p->refunded_amount);
	/* the order hosted checkout made (our transactionId at UseePay, the
	 * admin's order number), once the buyer tapped pay */
	json_object_object_add(j, "orderNo", p->order_id ?
	    json_object_new_string(p->order_no) : NULL);
	add_str(j, "checkoutUrl", buf_str(&u));
	buf_cleanup(&u);
	resp_json(w, status, j);
	resp_header(w, "Cache-Control", "no-store");
}

int
web_api_payment_create(struct app *app, struct req *r, struct resp *w,
    struct err *err)
{
	struct api_pay_req rq;
	struct api_payment p;
	struct json_object *root;
	bool created;
	int rc;

	if (api_scope(r, API_PAYMENTS_WRITE, "payments:write", err) == -1)
		return api_fail(w, r, err);
	if ((root = req_json(r, err)) == NULL)
		return api_fail(w, r, err);
	rc = api_pay_req_from_json(root, &rq, err);
	json_object_put(root);
	if (rc == -1 || api_payment_create(app, r->apikey, &rq,
	    req_param(r, "HTTP_IDEMPOTENCY_KEY"), &p, &created, err) == -1)
		return api_fail(w, r, err);
	payment_render(app, w, created ? 201 : 200, &p);
	return 0;
}

int
web_api_payment_find(struct app *app, struct req *r, struct resp *w,
    struct err *err)
{
	struct api_payment p;

	if (api_scope(r, API_PAYMENTS_READ, "payments:read", err) == -1 ||
	    api_payment_by_reference(app, req_query(r, "reference"), &p,
	    err) == -1)
		return api_fail(w, r, err);
	payment_render(app, w, 200, &p);
	return 0;
}

/* Split the tail "ID[/WHAT[/SUB]]" into its parts (empty when absent);
 * -1 with E_NOTFOUND when it is longer or has more parts. */
static int
tail_split(const char *tail, char id[64], char what[16], char sub[64],
    struct err *err)
{
	char *parts[3] = {id, what, sub};
	size_t caps[3] = {64, 16, 64}, i = 0, n = 0;
	const char *p;

	id[0] = what[0] = sub[0] = '\0';
	for (p = tail; *p; p++) {
		if (*p == '/') {
			if (++i == 3)
				return err_set(err, E_NOTFOUND, "path");
			n = 0;
			continue;
		}
		if (n + 1 >= caps[i])
			return err_set(err, E_NOTFOUND, "path");
		parts[i][n++] = *p;
		parts[i][n] = '\0';
	}
	return 0;
}

static void
refund_render(struct resp *w, int status, const char *payment_id,
    const struct api_refund_view *v)
{
	struct json_object *j = json_object_new_object();

	add_str(j, "id", v->refund_no);
	add_str(j, "paymentId", payment_id);
	add_str(j, "state", refund_state_name(v->state));
	add_int(j, "amount", v->amount);
	add_str(j, "currency", v->currency);
	resp_json(w, status, j);
	resp_header(w, "Cache-Control", "no-store");
}

int
web_api_payment_get(struct app *app, struct req *r, struct resp *w,
    struct err *err)
{
	char id[64], what[16], sub[64];
	struct api_refund_view v;
	struct api_payment p;

	if (api_scope(r, API_PAYMENTS_READ, "payments:read", err) == -1 ||
	    tail_split(r->path_tail, id, what, sub, err) == -1)
		return api_fail(w, r, err);
	if (what[0] == '\0' && sub[0] == '\0') {
		if (api_payment_get(app, id, &p, err) == -1)
			return api_fail(w, r, err);
		payment_render(app, w, 200, &p);
		return 0;
	}
	if (strcmp(what, "refunds") != 0 || sub[0] == '\0') {
		err_set(err, E_NOTFOUND, "path");
		return api_fail(w, r, err);
	}
	if (api_refund_get(app, id, sub, &v, err) == -1)
		return api_fail(w, r, err);
	refund_render(w, 200, id, &v);
	return 0;
}

/* POST .../refunds: {"amount": N, "reason"?: "..."} */
static int
refund_post(struct app *app, struct req *r, struct resp *w, const char *id,
    struct err *err)
{
	struct admin_who who;
	struct api_refund_view v;
	struct json_object *root, *a, *rs;
	char actor[API_KEY_NAME_MAX + 5], reason[REFUND_REASON_MAX + 1];
	int64_t amount;

	if (api_scope(r, API_REFUNDS_WRITE, "refunds:write", err) == -1)
		return api_fail(w, r, err);
	if ((root = req_json(r, err)) == NULL)
		return api_fail(w, r, err);
	reason[0] = '\0';
	if (!json_object_is_type(root, json_type_object) ||
	    !json_object_object_get_ex(root, "amount", &a) ||
	    !json_object_is_type(a, json_type_int) ||
	    (amount = json_object_get_int64(a)) < 1 ||
	    amount > 999999999999LL) {
		json_object_put(root);
		err_set(err, E_INPUT, "amount: an integer 1-999999999999");
		return api_fail(w, r, err);
	}
	if (json_object_object_get_ex(root, "reason", &rs)) {
		if (!json_object_is_type(rs, json_type_string) ||
		    json_object_get_string_len(rs) > REFUND_REASON_MAX) {
			json_object_put(root);
			err_set(err, E_INPUT, "reason: a string of at most %d "
			    "bytes", REFUND_REASON_MAX);
			return api_fail(w, r, err);
		}
		str_lcpy(reason, json_object_get_string(rs), sizeof(reason));
	}
	json_object_put(root);
	(void)snprintf(actor, sizeof(actor), "api:%s", r->apikey->key.name);
	who.admin = actor;
	who.ip = r->client_ip;
	who.request_id = r->request_id;
	if (api_refund_create(app, r->apikey, id, amount, reason,
	    req_param(r, "HTTP_IDEMPOTENCY_KEY"), &who, &v, err) == -1)
		return api_fail(w, r, err);
	refund_render(w, 200, id, &v);
	return 0;
}

int
web_api_payment_post(struct app *app, struct req *r, struct resp *w,
    struct err *err)
{
	char id[64], what[16], sub[64];
	struct api_payment p;

	if (tail_split(r->path_tail, id, what, sub, err) == -1)
		return api_fail(w, r, err);
	if (sub[0] == '\0' && strcmp(what, "refunds") == 0)
		return refund_post(app, r, w, id, err);
	if (sub[0] != '\0' || strcmp(what, "cancel") != 0) {
		err_set(err, E_NOTFOUND, "path");
		return api_fail(w, r, err);
	}
	if (api_scope(r, API_PAYMENTS_WRITE, "payments:write", err) == -1 ||
	    api_payment_cancel(app, r->apikey, id, &p, err) == -1)
		return api_fail(w, r, err);
	payment_render(app, w, 200, &p);
	return 0;
}
