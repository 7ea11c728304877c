/*
 * useepay.c - the UseePay v1 client's calls (docs/protocol.md): pay (§4),
 * query (§6) and refund (§7) through struct httpc (§2), each answer
 * verified over every received field before anything is read from it
 * (§3). Requests are built in useepay_build.c; answers and notifications
 * are verified and read in useepay_msg.c.
 *
 * What it does not do: decide what an outcome means for an order (order.c),
 * store anything, retry. A pay is never re-sent here: after E_UNKNOWN the
 * caller must query (§4).
 *
 * Invariants:
 *   - the bytes signed are the bytes sent: payerInfo/orderInfo JSON text is
 *     built once, signed, then form-encoded;
 *   - no field is sent empty, with white space at an edge, or as "0" when
 *     optional (§3);
 *   - nothing from an answer is used before its signature verified; the
 *     transaction id (and merchant, amount, currency when present) must be
 *     the one asked about;
 *   - every parsed value is bounded: identifiers by their spec length
 *     (over it the answer is malformed); errorCode/errorMsg are
 *     diagnostics and are only capped, so an odd code never turns a known
 *     answer into an unknown one.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "app.h"
#include "cfg.h"
#include "form.h"
#include "httpc.h"
#include "keys.h"
#include "lim.h"
#include "log.h"
#include "metrics.h"
#include "sign.h"
#include "useepay.h"
#include "useepay_int.h"
#include "util.h"
#include "valid.h"

/* ---------------------------------------------------------------------
 * statuses (§5, §8)
 */

static const char *const up_status_names[] = {
	[UPS_NONE] = "none",
	[UPS_RECEIVED] = "received",
	[UPS_PENDING] = "pending",
	[UPS_SUCCEED] = "succeed",
	[UPS_FAILED] = "failed",
	[UPS_CLOSED] = "closed",
	[UPS_CANCELLED] = "cancelled",
	[UPS_OTHER] = "other",
};

enum useepay_status
useepay_status_parse(const char *s)
{
	int i;

	if (s == NULL || s[0] == '\0')
		return UPS_NONE;
	for (i = UPS_RECEIVED; i <= UPS_CANCELLED; i++)
		if (strcmp(s, up_status_names[i]) == 0)
			return (enum useepay_status)i;
	return UPS_OTHER;
}

const char *
useepay_status_name(enum useepay_status st)
{
	if ((int)st < 0 || st > UPS_OTHER)
		return "other";
	return up_status_names[st];
}

/* A status after which the attempt cannot succeed any more. */
static bool
up_status_refused(enum useepay_status st)
{
	return st == UPS_FAILED || st == UPS_CLOSED || st == UPS_CANCELLED;
}

/* ---------------------------------------------------------------------
 * the calls
 */

/* Each call its own total timeout (issue 10, docs/going-live.md). */
static int64_t
up_call_timeout(const struct cfg *c, const char *type)
{
	if (type != NULL && strcmp(type, "pay") == 0)
		return c->useepay_pay_timeout_ms;
	if (type != NULL && strcmp(type, "refund") == 0)
		return c->useepay_refund_timeout_ms;
	return c->useepay_query_timeout_ms;
}

/*
 * Issue 10 item 3: UseePay refuses a wrong merchant number or key with an
 * unsigned answer [inferred from its error pages; no signature can be made
 * without knowing who we are], and a gateway in front of it answers an IP
 * that is not allow-listed with 401/403. Both say the request was refused
 * before anything was created: a merchant configuration error, not an
 * unknown outcome. True for HTTP 401/403, or for an answer (HTTP 200/400)
 * that is a JSON object without a sign whose errorCode is not 0000 and
 * whose resultCode (if any) is "failed"; then *reply gets errorCode and
 * errorMsg only (unverified: diagnostics, never a transaction's outcome).
 * HTTP 5xx and everything else stay unknown.
 */
static bool
up_unsigned_refusal(const struct httpc_resp *rs, struct kvlist *reply)
{
	struct kvlist raw;
	struct err e;
	const char *ec = NULL, *em = NULL, *sig, *res;
	char code[24];
	bool yes = false;

	kvlist_init(&raw);
	if ((rs->status == 200 || rs->status == 400 || rs->status == 401 ||
	    rs->status == 403) && useepay_json_fields(rs->body.data ?
	    rs->body.data : "", rs->body.len, "answer", &raw, &e) == 0) {
		sig = kvlist_get(&raw, "sign");
		res = kvlist_get(&raw, "resultCode");
		ec = kvlist_get(&raw, "errorCode");
		em = kvlist_get(&raw, "errorMsg");
		yes = (sig == NULL || sig[0] == '\0') && ec != NULL &&
		    ec[0] != '\0' && strcmp(ec, UP_SUCCESS) != 0 &&
		    (res == NULL || strcmp(res, "failed") == 0);
	}
	if (!yes && (rs->status == 401 || rs->status == 403))
		yes = true;
	if (yes) {
		if (ec == NULL || ec[0] == '\0') {
			snprintf(code, sizeof(code), "HTTP%ld", rs->status);
			ec = code;
		}
		kvlist_adds(reply, "errorCode", ec);
		if (em != NULL && em[0] != '\0')
			kvlist_adds(reply, "errorMsg", em);
	}
	kvlist_cleanup(&raw);
	return yes;
}

/*
 * POST the signed fields to {base}/api (§2) and decode + verify the
 * answer into *reply. Errors per useepay.h; an unsigned refusal
 * (up_unsigned_refusal) is 0 with *refused set and only errorCode and
 * errorMsg in *reply.
 */
static int
up_call(struct app *a, const struct kvlist *fields, struct kvlist *reply,
    bool *refused, struct err *err)
{
	const struct cfg *c = a->cfg;
	struct httpc_req rq;
	struct httpc_resp rs;
	struct buf body, url;
	size_t blen = strlen(c->useepay_base_url);
	int64_t us0 = 0;
	bool sent = false;
	int rc = -1;

	*refused = false;
	buf_init(&body, LIM_USEEPAY_REQUEST);
	buf_init(&url, 2048);
	httpc_resp_init(&rs, (size_t)c->http_max_response_bytes);
	if (a->httpc == NULL) {
		err_set(err, E_INTERNAL, "useepay: no HTTP client");
		goto out;
	}
	if (form_encode(&body, fields) == -1) {
		err_set(err, E_INPUT, "useepay: request over %d bytes",
		    LIM_USEEPAY_REQUEST);
		goto out;
	}
	if (buf_printf(&url, "%s%s", c->useepay_base_url, blen > 0 &&
	    c->useepay_base_url[blen - 1] == '/' ? "api" : "/api") == -1) {
		err_set(err, E_INPUT, "useepay: base URL too long");
		goto out;
	}
	memset(&rq, 0, sizeof(rq));
	rq.method = "POST";
	rq.url = buf_str(&url);
	rq.content_type = "application/x-www-form-urlencoded";
	rq.body = buf_str(&body);
	rq.body_len = body.len;
	rq.timeout_ms = (long)up_call_timeout(c, kvlist_get(fields,
	    "transactionType"));
	us0 = metrics_now_us();
	sent = true;
	if (httpc_send(a->httpc, &rq, &rs, err) == -1)
		goto out;
	if (up_unsigned_refusal(&rs, reply)) {
		*refused = true;
		log_error("useepay", "refused_unsigned", "type=%s http=%ld "
		    "code=%.16s msg=\"%.128s\" hint=\"merchant configuration: "
		    "merchant number, key or IP allow-list (h5pay doctor)\"",
		    kvlist_get(fields, "transactionType"), rs.status,
		    kvlist_get(reply, "errorCode"), kvlist_get(reply,
		    "errorMsg") ? kvlist_get(reply, "errorMsg") : "");
		rc = 0;
		goto out;
	}
	if (rs.status != 200) {
		err_set(err, E_UPSTREAM, "useepay: HTTP %ld", rs.status);
		goto out;
	}
	if (useepay_response_decode(c, a->keys, buf_str(&rs.body), rs.body.len,
	    reply, err) == -1) {
		if (err->code == E_UPSTREAM_SIG)
			log_warn("useepay", "verify_fail", "type=%s msg=\"%s\"",
			    kvlist_get(fields, "transactionType"), err->msg);
		goto out;
	}
	rc = 0;
out:
	if (sent)
		metrics_provider(MP_USEEPAY, kvlist_get(fields,
		    "transactionType"), rc == 0 && !*refused ? MO_OK :
		    rc == -1 && err->code == E_UNKNOWN ? MO_UNKNOWN :
		    MO_ERROR, metrics_now_us() - us0);
	httpc_resp_cleanup(&rs);
	buf_cleanup(&url);
	buf_cleanup(&body);
	return rc;
}

static int
up_jsapi_parse(const char *text, struct useepay_jsapi *js, struct err *err)
{
	struct kvlist r;
	int rc = -1;

	kvlist_init(&r);
	if (useepay_json_fields(text, strlen(text), "redirectParam",
	    &r, err) == -1)
		goto out;
	if (up_take(&r, "appId", UP_ID, UP_MAX_JS_APPID, E_UPSTREAM,
	    &js->app_id, err) == -1 ||
	    up_take(&r, "timeStamp", UP_ID, UP_MAX_JS_TIMESTAMP, E_UPSTREAM,
	    &js->time_stamp, err) == -1 ||
	    up_take(&r, "package", UP_ID, UP_MAX_JS_PACKAGE, E_UPSTREAM,
	    &js->package, err) == -1 ||
	    up_take(&r, "signType", UP_ID, UP_MAX_JS_SIGNTYPE, E_UPSTREAM,
	    &js->sign_type, err) == -1 ||
	    up_take(&r, "paySign", UP_ID, UP_MAX_JS_PAYSIGN, E_UPSTREAM,
	    &js->pay_sign, err) == -1)
		goto out;
	/* the docs spell it noceStr; accept either, hand out nonceStr */
	if (up_take(&r, kvlist_find(&r, "nonceStr") ? "nonceStr" : "noceStr",
	    UP_ID, UP_MAX_JS_NONCE, E_UPSTREAM, &js->nonce_str, err) == -1)
		goto out;
	if (!js->app_id || !js->time_stamp || !js->nonce_str ||
	    !js->package || !js->sign_type || !js->pay_sign) {
		err_set(err, E_UPSTREAM, "useepay: redirectParam lacks a "
		    "JSAPI parameter");
		goto out;
	}
	rc = 0;
out:
	kvlist_cleanup(&r);
	return rc;
}

void
useepay_pay_res_cleanup(struct useepay_pay_res *r)
{
	if (r == NULL)
		return;
	free(r->result_code);
	free(r->error_code);
	free(r->error_msg);
	free(r->reference);
	free(r->jsapi.app_id);
	free(r->jsapi.time_stamp);
	free(r->jsapi.nonce_str);
	free(r->jsapi.package);
	free(r->jsapi.sign_type);
	free(r->jsapi.pay_sign);
	memset(r, 0, sizeof(*r));
}

int
useepay_pay(struct app *a, const struct useepay_pay_req *rq,
    struct useepay_pay_res *res, struct err *err)
{
	struct kvlist fields, reply;
	const char *rp;
	struct err tmp;
	char amount[32];
	bool refused = false;
	int rc = -1;

	if (err == NULL)
		err = &tmp;
	memset(res, 0, sizeof(*res));
	kvlist_init(&fields);
	kvlist_init(&reply);
	if (useepay_pay_build(a->cfg, a->keys, rq, &fields, err) == -1 ||
	    up_call(a, &fields, &reply, &refused, err) == -1)
		goto out;
	if (refused) {
		if (up_take_result(&reply, NULL, &res->error_code,
		    &res->error_msg, NULL, err) == -1)
			goto out;
		res->outcome = UP_REFUSED;
		rc = 0;
		goto out;
	}
	/* §4: verified; now about our order? */
	snprintf(amount, sizeof(amount), "%" PRId64, rq->amount);
	if (up_expect(&reply, "transactionId", rq->order_no, E_UPSTREAM,
	    err) == -1 ||
	    up_expect(&reply, "merchantNo", a->cfg->useepay_merchant_no,
	    E_UPSTREAM, err) == -1 ||
	    up_expect(&reply, "amount", amount, E_UPSTREAM, err) == -1 ||
	    up_expect(&reply, "currency", rq->currency, E_UPSTREAM,
	    err) == -1 ||
	    up_take_result(&reply, &res->result_code, &res->error_code,
	    &res->error_msg, &res->reference, err) == -1)
		goto out;
	res->status = useepay_status_parse(res->result_code);
	rp = kvlist_get(&reply, "redirectParam");
	if (up_is_success(&reply) && rp != NULL && rp[0] != '\0' &&
	    !up_status_refused(res->status)) {
		if (up_jsapi_parse(rp, &res->jsapi, err) == -1)
			goto out;
		res->outcome = UP_OK;
	} else
		res->outcome = UP_FAILED;
	rc = 0;
out:
	if (rc == -1)
		useepay_pay_res_cleanup(res);
	kvlist_cleanup(&fields);
	kvlist_cleanup(&reply);
	return rc;
}

void
useepay_query_res_cleanup(struct useepay_query_res *r)
{
	if (r == NULL)
		return;
	free(r->error_code);
	free(r->error_msg);
	useepay_txn_cleanup(&r->txn);
	memset(r, 0, sizeof(*r));
	r->txn.amount = -1;
}

int
useepay_query(struct app *a, const char *order_no,
    struct useepay_query_res *res, struct err *err)
{
	struct kvlist fields, reply, info;
	const char *ti;
	struct err tmp;
	bool refused = false;
	int rc = -1;

	if (err == NULL)
		err = &tmp;
	memset(res, 0, sizeof(*res));
	res->txn.amount = -1;
	kvlist_init(&fields);
	kvlist_init(&reply);
	kvlist_init(&info);
	if (useepay_query_build(a->cfg, a->keys, order_no, &fields, err) ==
	    -1 || up_call(a, &fields, &reply, &refused, err) == -1)
		goto out;
	if (refused) {
		if (up_take_result(&reply, NULL, &res->error_code,
		    &res->error_msg, NULL, err) == -1)
			goto out;
		res->outcome = UP_REFUSED;
		rc = 0;
		goto out;
	}
	if (up_expect(&reply, "merchantNo", a->cfg->useepay_merchant_no,
	    E_UPSTREAM, err) == -1 ||
	    up_take_result(&reply, NULL, &res->error_code, &res->error_msg,
	    NULL, err) == -1)
		goto out;
	/* §6: the outer result is the query's; the transaction's status is
	 * transactionInfo.resultCode */
	if (!up_is_success(&reply)) {
		res->outcome = UP_FAILED;
		rc = 0;
		goto out;
	}
	res->outcome = UP_OK;
	ti = kvlist_get(&reply, "transactionInfo");
	if (ti != NULL && ti[0] != '\0') {
		if (useepay_json_fields(ti, strlen(ti), "transactionInfo",
		    &info, err) == -1 ||
		    up_txn_fill(&info, E_UPSTREAM, &res->txn, err) == -1)
			goto out;
		if (strcmp(res->txn.transaction_id, order_no) != 0) {
			err_set(err, E_UPSTREAM, "useepay: query answered "
			    "about another transaction");
			goto out;
		}
		res->found = true;
	}
	rc = 0;
out:
	if (rc == -1)
		useepay_query_res_cleanup(res);
	kvlist_cleanup(&fields);
	kvlist_cleanup(&reply);
	kvlist_cleanup(&info);
	return rc;
}

void
useepay_refund_res_cleanup(struct useepay_refund_res *r)
{
	if (r == NULL)
		return;
	free(r->result_code);
	free(r->error_code);
	free(r->error_msg);
	free(r->reference);
	memset(r, 0, sizeof(*r));
}

int
useepay_refund(struct app *a, const struct useepay_refund_req *rq,
    struct useepay_refund_res *res, struct err *err)
{
	struct kvlist fields, reply;
	struct err tmp;
	char amount[32];
	bool refused = false;
	int rc = -1;

	if (err == NULL)
		err = &tmp;
	memset(res, 0, sizeof(*res));
	kvlist_init(&fields);
	kvlist_init(&reply);
	if (useepay_refund_build(a->cfg, a->keys, rq, &fields, err) == -1 ||
	    up_call(a, &fields, &reply, &refused, err) == -1)
		goto out;
	if (refused) {
		if (up_take_result(&reply, NULL, &res->error_code,
		    &res->error_msg, NULL, err) == -1)
			goto out;
		res->outcome = UP_REFUSED;
		res->status = UPS_FAILED;
		rc = 0;
		goto out;
	}
	snprintf(amount, sizeof(amount), "%" PRId64, rq->amount);
	if (up_expect(&reply, "transactionId", rq->refund_no, E_UPSTREAM,
	    err) == -1 ||
	    up_expect(&reply, "originalTransactionId", rq->order_no,
	    E_UPSTREAM, err) == -1 ||
	    up_expect(&reply, "merchantNo", a->cfg->useepay_merchant_no,
	    E_UPSTREAM, err) == -1 ||
	    up_expect(&reply, "amount", amount, E_UPSTREAM, err) == -1 ||
	    up_expect(&reply, "currency", rq->currency, E_UPSTREAM,
	    err) == -1 ||
	    up_take_result(&reply, &res->result_code, &res->error_code,
	    &res->error_msg, &res->reference, err) == -1)
		goto out;
	/* §7: accepted = 0000 (resultCode pending); final result by notify */
	res->status = useepay_status_parse(res->result_code);
	res->outcome = up_is_success(&reply) &&
	    !up_status_refused(res->status) ? UP_OK : UP_FAILED;
	rc = 0;
out:
	if (rc == -1)
		useepay_refund_res_cleanup(res);
	kvlist_cleanup(&fields);
	kvlist_cleanup(&reply);
	return rc;
}
