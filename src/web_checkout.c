/*
 * web_checkout.c - hosted checkout's JSON, for the static page
 * nginx/html/shop/pay.html?id=PAYMENT (docs/integration.md):
 *   GET  /api/checkout/{id}      no session: the payment id (random, 32
 *        alphanumerics) is the credential. The summary (subject, amount,
 *        currency, state, the return URL's host) and the signed return
 *        URL for the state it is in. An open order is queried at UseePay
 *        at most every status_query_interval_sec, as the shop's poll.
 *   POST /api/checkout/{id}/pay  buyer session, same origin: the order of
 *        the payment (made on the first tap) and the WeChat invocation
 *        parameters, answered like POST /pay.
 */
#include <string.h>

#include <json-c/json.h>

#include "api.h"
#include "app.h"
#include "log.h"
#include "session.h"
#include "valid.h"
#include "web.h"

static bool
state_final(const char *s)
{
	return strcmp(s, "PAID") == 0 || strcmp(s, "PARTIALLY_REFUNDED") == 0 ||
	    strcmp(s, "REFUNDED") == 0 || strcmp(s, "FAILED") == 0 ||
	    strcmp(s, "CLOSED") == 0;
}

/* The tail "ID" or "ID/pay": *id borrowed copy, *pay for the latter. */
static int
tail_id(const char *tail, char id[64], bool *pay, struct err *err)
{
	const char *sl = strchr(tail, '/');
	size_t n = sl ? (size_t)(sl - tail) : strlen(tail);

	*pay = sl != NULL && strcmp(sl, "/pay") == 0;
	if (n == 0 || n >= 64 || (sl != NULL && !*pay))
		return err_set(err, E_NOTFOUND, "path");
	memcpy(id, tail, n);
	id[n] = '\0';
	return 0;
}

int
web_checkout_get(struct app *app, struct req *r, struct resp *w,
    struct err *err)
{
	struct json_object *j;
	struct api_payment p;
	const char *state, *host;
	struct buf ret;
	char id[64];
	size_t on;
	bool pay;

	if (tail_id(r->path_tail, id, &pay, err) == -1 || pay)
		return err_set(err, E_NOTFOUND, "path");
	if (api_checkout_get(app, id, &p, err) == -1)
		return -1;
	buf_init(&ret, 2048);
	if (api_return_url(app, &p, &ret, err) == -1) {
		buf_cleanup(&ret);
		return -1;
	}
	state = api_payment_state(app, &p);
	/* the host the buyer goes back to, for the page to name */
	on = valid_origin_len(p.return_url, strlen(p.return_url), true);
	host = strstr(p.return_url, "://");
	host = host && on > (size_t)(host + 3 - p.return_url) ? host + 3 :
	    p.return_url + on;	/* on 0 (never stored): "" */
	j = json_object_new_object();
	json_object_object_add(j, "id", json_object_new_string(p.payment_id));
	json_object_object_add(j, "subject", json_object_new_string(p.subject));
	json_object_object_add(j, "amount", json_object_new_int64(p.amount));
	json_object_object_add(j, "currency",
	    json_object_new_string(p.currency));
	json_object_object_add(j, "state", json_object_new_string(state));
	json_object_object_add(j, "final",
	    json_object_new_boolean(state_final(state)));
	json_object_object_add(j, "status",
	    json_object_new_string(api_return_status(app, &p)));
	json_object_object_add(j, "expiresAt",
	    json_object_new_int64(p.expires_at));
	json_object_object_add(j, "returnHost", json_object_new_string_len(
	    host, (int)(p.return_url + on - host)));
	json_object_object_add(j, "returnUrl",
	    json_object_new_string(buf_str(&ret)));
	buf_cleanup(&ret);
	resp_json(w, 200, j);
	resp_header(w, "Cache-Control", "no-store");
	return 0;
}


int
web_checkout_pay(struct app *app, struct req *r, struct resp *w,
    struct err *err)
{
	enum pay_result res = PAY_UNKNOWN;
	struct buyer_order o;
	char id[64];
	bool pay;
	int rc = -1;

	if (r->buyer == NULL)
		return err_set(err, E_AUTH, "no session");
	if (tail_id(r->path_tail, id, &pay, err) == -1 || !pay)
		return err_set(err, E_NOTFOUND, "path");
	if (api_checkout_pay(app, id, r->buyer->openid, r->buyer->appid,
	    r->client_ip ? r->client_ip : "", &res, &o, err) == -1) {
		if (err->code != E_CONFLICT)
			return -1;
		log_info("checkout", "not_payable", "payment=%s msg=\"%s\"",
		    id, err->msg);
		web_pay_fail(w, r, 409, "payment_not_payable", "This "
		    "payment can no longer be paid here. / 该订单已无法支付。",
		    NULL);
		return 0;
	}
	if (web_pay_answer(w, r, res, &o, err) == -1)
		goto out;
	rc = 0;
out:
	buyer_order_cleanup(&o);
	return rc;
}
