/*
 * web_pay.c - POST /pay (buyer session required): parse
 * {"items":[{"sku":"...","qty":N}],"idempotencyKey":"..."} strictly, let
 * pay_create() do the rest, answer
 * {"orderNo","amount","currency","expiresAt","jsapi":{...}} with the
 * provider's six invocation parameters passed through unchanged
 * (wechat.md §2).
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

static int
pay_parse(struct json_object *root, struct pay_request *rq, struct err *err)
{
	struct json_object *items, *key, *it, *sku, *qty;
	size_t i, n;

	memset(rq, 0, sizeof(*rq));
	if (!json_object_object_get_ex(root, "idempotencyKey", &key) ||
	    !json_object_is_type(key, json_type_string) ||
	    json_object_get_string_len(key) > PAY_KEY_MAX)
		return err_set(err, E_INPUT, "idempotencyKey: a string of "
		    "%d-%d characters", PAY_KEY_MIN, PAY_KEY_MAX);
	str_lcpy(rq->key, json_object_get_string(key), sizeof(rq->key));
	if (!json_object_object_get_ex(root, "items", &items) ||
	    !json_object_is_type(items, json_type_array))
		return err_set(err, E_INPUT, "items: an array");
	n = json_object_array_length(items);
	if (n == 0 || n > PAY_MAX_LINES)
		return err_set(err, E_INPUT, "items: 1-%d lines",
		    PAY_MAX_LINES);
	for (i = 0; i < n; i++) {
		it = json_object_array_get_idx(items, i);
		if (!json_object_is_type(it, json_type_object) ||
		    !json_object_object_get_ex(it, "sku", &sku) ||
		    !json_object_is_type(sku, json_type_string) ||
		    json_object_get_string_len(sku) > PRODUCT_SKU_MAX)
			return err_set(err, E_INPUT, "items[%zu].sku: a "
			    "string", i);
		if (!json_object_object_get_ex(it, "qty", &qty) ||
		    !json_object_is_type(qty, json_type_int))
			return err_set(err, E_INPUT, "items[%zu].qty: an "
			    "integer 1-%d", i, PAY_QTY_MAX);
		str_lcpy(rq->lines[i].sku, json_object_get_string(sku),
		    sizeof(rq->lines[i].sku));
		rq->lines[i].qty = json_object_get_int64(qty);
	}
	rq->n = n;
	return 0;
}

static void
pay_fail(struct resp *w, const struct req *r, int status, const char *code,
    const char *message, const struct buyer_order *o)
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
}

int
web_pay_post(struct app *app, struct req *r, struct resp *w,
    struct err *err)
{
	struct json_object *root, *jsapi, *j;
	struct pay_request rq;
	struct buyer_order o;
	enum pay_result res = PAY_UNKNOWN;
	int rc = -1;

	if (r->session == NULL)
		return err_set(err, E_AUTH, "no session");
	if ((root = req_json(r, err)) == NULL)
		return -1;
	if (pay_parse(root, &rq, err) == -1 ||
	    pay_request_check(&rq, err) == -1) {
		json_object_put(root);
		pay_fail(w, r, 400, "bad_input", err->msg, NULL);
		log_info("pay", "bad_input", "msg=\"%s\"", err->msg);
		return 0;
	}
	json_object_put(root);
	if (pay_create(app, r->session->openid, r->session->appid, &rq, &res,
	    &o, err) == -1) {
		if (err->code == E_INPUT) {
			pay_fail(w, r, 400, "bad_input", err->msg, NULL);
			log_info("pay", "bad_input", "msg=\"%s\"", err->msg);
			return 0;
		}
		return -1;
	}
	switch (res) {
	case PAY_READY:
		jsapi = o.jsapi ? json_tokener_parse(o.jsapi) : NULL;
		if (jsapi == NULL ||
		    !json_object_is_type(jsapi, json_type_object)) {
			json_object_put(jsapi);
			err_set(err, E_INTERNAL, "order %s: stored jsapi",
			    o.order_no);
			goto out;
		}
		j = json_object_new_object();
		json_object_object_add(j, "orderNo",
		    json_object_new_string(o.order_no));
		json_object_object_add(j, "amount",
		    json_object_new_int64(o.amount));
		json_object_object_add(j, "currency",
		    json_object_new_string(o.currency));
		json_object_object_add(j, "expiresAt",
		    json_object_new_int64(o.expires_at));
		json_object_object_add(j, "jsapi", jsapi);
		resp_json(w, 200, j);
		break;
	case PAY_REFUSED:
		pay_fail(w, r, 502, "payment_refused", "The payment could not "
		    "be started. Please try again later. / 支付下单失败，请稍后"
		    "重试。", &o);
		break;
	case PAY_UNKNOWN:
		pay_fail(w, r, 504, "payment_unknown", "The payment provider "
		    "did not answer in time. Please try again. / 支付服务暂时"
		    "无响应，请重试。", &o);
		break;
	case PAY_NOT_PAYABLE:
		pay_fail(w, r, 409, "order_not_payable", "This order can no "
		    "longer be paid. / 该订单已无法支付。", &o);
		break;
	}
	resp_header(w, "Cache-Control", "no-store");
	rc = 0;
out:
	buyer_order_cleanup(&o);
	return rc;
}
