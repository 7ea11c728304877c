/*
 * web_pay.c - POST /pay (buyer session required): parse
 * {"items":[{"sku":"...","qty":N}],"idempotencyKey":"..."} strictly, let
 * pay_create() do the rest, answer
 * {"orderNo","amount","currency","expiresAt","jsapi":{...}} with the
 * provider's six invocation parameters passed through unchanged
 * (docs/protocol.md §W2).
 *
 * Parsing: quantities must be JSON integers (1.5, "1", true are refused);
 * any other member (price, amount, currency, ...) is ignored, never read.
 * Failures keep a stable JSON shape: {"error","message","orderNo"?}.
 */
#include <string.h>

#include <json-c/json.h>

#include "app.h"
#include "log.h"
#include "pay.h"
#include "session.h"
#include "util.h"
#include "web.h"

void
web_pay_fail(struct resp *w, const struct req *r, int status,
    const char *code, const char *message, const struct buyer_order *o)
{
	struct json_object *j = json_object_new_object();

	json_object_object_add(j, "error", json_object_new_string(code));
	json_object_object_add(j, "message", json_object_new_string(message));
	if (o != NULL) {
		json_object_object_add(j, "orderNo",
		    json_object_new_string(o->order_no));
		json_object_object_add(j, "state",
		    json_object_new_string(o->state));
	}
	json_object_object_add(j, "requestId",
	    json_object_new_string(r->request_id ? r->request_id : "-"));
	resp_json(w, status, j);
	resp_header(w, "Cache-Control", "no-store");
}

int
web_pay_answer(struct resp *w, const struct req *r, enum pay_result res,
    const struct buyer_order *o, struct err *err)
{
	struct json_object *jsapi, *j;

	switch (res) {
	case PAY_READY:
		jsapi = o->jsapi ? json_tokener_parse(o->jsapi) : NULL;
		if (jsapi == NULL ||
		    !json_object_is_type(jsapi, json_type_object)) {
			json_object_put(jsapi);
			return err_set(err, E_INTERNAL, "order %s: stored "
			    "jsapi", o->order_no);
		}
		j = json_object_new_object();
		json_object_object_add(j, "orderNo",
		    json_object_new_string(o->order_no));
		json_object_object_add(j, "amount",
		    json_object_new_int64(o->amount));
		json_object_object_add(j, "currency",
		    json_object_new_string(o->currency));
		json_object_object_add(j, "expiresAt",
		    json_object_new_int64(o->expires_at));
		json_object_object_add(j, "jsapi", jsapi);
		resp_json(w, 200, j);
		resp_header(w, "Cache-Control", "no-store");
		break;
	case PAY_REFUSED:
		web_pay_fail(w, r, 502, "payment_refused", "The payment could "
		    "not be started. Please try again later. / "
		    "支付下单失败，请稍后重试。", o);
		break;
	case PAY_UNKNOWN:
		web_pay_fail(w, r, 504, "payment_unknown", "The payment "
		    "provider did not answer in time. Please try again. / "
		    "支付服务暂时无响应，请重试。", o);
		break;
	case PAY_NOT_PAYABLE:
		web_pay_fail(w, r, 409, "order_not_payable", "This order can "
		    "no longer be paid. / 该订单已无法支付。", o);
		break;
	}
	return 0;
}

int
web_pay_post(struct app *app, struct req *r, struct resp *w,
    struct err *err)
{
	struct json_object *root;
	struct pay_request rq;
	struct buyer_order o;
	enum pay_result res = PAY_UNKNOWN;
	int rc = -1;

	if (r->buyer == NULL)
		return err_set(err, E_AUTH, "no session");
	if ((root = req_json(r, err)) == NULL)
		return -1;
	if (pay_request_from_json(root, &rq, err) == -1 ||
	    pay_request_check(&rq, err) == -1) {
		json_object_put(root);
		web_pay_fail(w, r, 400, "bad_input", err->msg, NULL);
		log_info("pay", "bad_input", "msg=\"%s\"", err->msg);
		return 0;
	}
	json_object_put(root);
	/* userInfo.ip (issue 10): the buyer's address as nginx saw it */
	str_lcpy(rq.client_ip, r->client_ip ? r->client_ip : "",
	    sizeof(rq.client_ip));
	if (pay_create(app, r->buyer->openid, r->buyer->appid, &rq, &res,
	    &o, err) == -1) {
		if (err->code == E_INPUT) {
			web_pay_fail(w, r, 400, "bad_input", err->msg, NULL);
			log_info("pay", "bad_input", "msg=\"%s\"", err->msg);
			return 0;
		}
		if (err->code == E_RATE) {	/* the open-order cap */
			web_pay_fail(w, r, 429, "too_many_open_orders",
			    "Too many unpaid orders: pay one or wait until "
			    "they expire before starting another.", NULL);
			log_info("pay", "open_order_cap", "msg=\"%s\"",
			    err->msg);
			return 0;
		}
		return -1;
	}
	if (web_pay_answer(w, r, res, &o, err) == -1)
		goto out;
	rc = 0;
out:
	buyer_order_cleanup(&o);
	return rc;
}
