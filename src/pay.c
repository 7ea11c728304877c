/*
 * pay.c - the buyer's payment: cart -> order priced from the catalog ->
 * UseePay JSAPI transaction (docs/protocol.md §4) -> invocation parameters
 * for WeixinJSBridge (docs/protocol.md §W2); and the order status with
 * provider queries (§6) while it is open.
 *
 * Invariants:
 *   - the amount is the catalog's: nothing the client sends about prices,
 *     amounts or currencies is read;
 *   - one (openid, idempotency key) is one order, whatever the number of
 *     taps, retries or concurrent requests (UNIQUE in SQL; a request that
 *     loses the race waits for the winner's outcome);
 *   - the provider is called once per order; after an unknown outcome we
 *     only query (never a second create);
 *   - no transaction is held across a provider call; every change of an
 *     existing order goes through order_apply().
 * What it does not do: HTTP (web_pay.c, web_orders.c), SQL
 * (store_catalog.c), the provider protocol (useepay.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "app.h"
#include "cfg.h"
#include "log.h"
#include "order.h"
#include "order_query.h"
#include "pay.h"
#include "store.h"
#include "store_order.h"
#include "useepay.h"
#include "util.h"
#include "valid.h"

/* How long a request that lost the race for a key waits for the
 * winner's provider call, beyond the configured HTTP timeouts. */
#define PAY_WAIT_EXTRA_MS 3000
#define PAY_WAIT_STEP_MS 100

int
pay_request_check(const struct pay_request *rq, struct err *err)
{
	size_t i, j;

	if (!valid_token(rq->key, strlen(rq->key), PAY_KEY_MIN, PAY_KEY_MAX,
	    "_-"))
		return err_set(err, E_INPUT, "idempotencyKey: %d-%d of "
		    "[0-9A-Za-z_-]", PAY_KEY_MIN, PAY_KEY_MAX);
	if (rq->n == 0 || rq->n > PAY_MAX_LINES)
		return err_set(err, E_INPUT, "items: 1-%d lines",
		    PAY_MAX_LINES);
	for (i = 0; i < rq->n; i++) {
		const struct pay_line *l = &rq->lines[i];

		if (!valid_token(l->sku, strlen(l->sku), 1, PRODUCT_SKU_MAX,
		    "_.-"))
			return err_set(err, E_INPUT, "items[%zu].sku: "
			    "malformed", i);
		if (l->qty < 1 || l->qty > PAY_QTY_MAX)
			return err_set(err, E_INPUT, "items[%zu].qty: 1-%d",
			    i, PAY_QTY_MAX);
		for (j = 0; j < i; j++)
			if (strcmp(rq->lines[j].sku, l->sku) == 0)
				return err_set(err, E_INPUT, "items[%zu]: "
				    "sku repeated", i);
	}
	return 0;
}

int
pay_request_from_json(const struct json_object *root,
    struct pay_request *rq, struct err *err)
{
	struct json_object *items, *key, *it, *sku, *qty;
	size_t i, n;

	memset(rq, 0, sizeof(*rq));
	if (!json_object_object_get_ex(root, "idempotencyKey", &key) ||
	    !json_object_is_type(key, json_type_string) ||
	    json_object_get_string_len(key) > PAY_KEY_MAX ||
	    strlen(json_object_get_string(key)) !=
	    (size_t)json_object_get_string_len(key))
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
		    json_object_get_string_len(sku) > PRODUCT_SKU_MAX ||
		    strlen(json_object_get_string(sku)) !=
		    (size_t)json_object_get_string_len(sku))
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

int
pay_order_no_new(struct app *app, char out[33], struct err *err)
{
	static const char alnum[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz";
	unsigned char rnd[64];
	time_t t = (time_t)app_now_s(app);
	struct tm tm;
	size_t n, i;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, 33, "H5%Y%m%d%H%M%S", &tm) != 16)
		return err_set(err, E_INTERNAL, "order number: time");
	n = 16;
	while (n < 30) {
		if (app_random(app, rnd, sizeof(rnd)) == -1)
			return err_set(err, E_INTERNAL, "order number: random");
		/* rejection sampling: 248 = 4 * 62, no modulo bias */
		for (i = 0; i < sizeof(rnd) && n < 30; i++)
			if (rnd[i] < 248)
				out[n++] = alnum[rnd[i] % 62];
	}
	out[30] = '\0';
	return 0;
}

/* Length of the longest prefix of s, at most max bytes, that ends on a
 * UTF-8 character boundary. */
static size_t
utf8_cut(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n <= max)
		return n;
	n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return n;
}

void
pay_subject(const char *const *names, const int64_t *qty, size_t n,
    char out[129])
{
	const char *name;
	char tail[48];
	size_t room, k, len;

	tail[0] = '\0';
	if (n > 1)
		(void)snprintf(tail, sizeof(tail), " 等%zu件", n);
	else if (n == 1 && qty[0] > 1)
		(void)snprintf(tail, sizeof(tail), " ×%lld",
		    (long long)qty[0]);
	room = 128 - strlen(tail);
	name = n > 0 ? names[0] : "";
	while (*name == ' ' || *name == '\t')
		name++;
	k = utf8_cut(name, room);
	memcpy(out, name, k);
	out[k] = '\0';
	/* no white space at the edges (docs/protocol.md §3: never sent) */
	len = strlen(out);
	while (len > 0 && (out[len - 1] == ' ' || out[len - 1] == '\t'))
		out[--len] = '\0';
	if (len == 0)
		str_lcpy(out, "Order", 129);
	len = strlen(out);
	memcpy(out + len, tail, strlen(tail) + 1);
}

/* The six invocation parameters as one JSON text (caller frees). */
static char *
jsapi_text(const struct useepay_jsapi *j)
{
	struct json_object *o = json_object_new_object();
	char *s;

	json_object_object_add(o, "appId", json_object_new_string(j->app_id));
	json_object_object_add(o, "timeStamp",
	    json_object_new_string(j->time_stamp));
	json_object_object_add(o, "nonceStr",
	    json_object_new_string(j->nonce_str));
	json_object_object_add(o, "package",
	    json_object_new_string(j->package));
	json_object_object_add(o, "signType",
	    json_object_new_string(j->sign_type));
	json_object_object_add(o, "paySign",
	    json_object_new_string(j->pay_sign));
	s = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return s;
}

static bool
jsapi_complete(const struct useepay_jsapi *j)
{
	return j->app_id && *j->app_id && j->time_stamp && *j->time_stamp &&
	    j->nonce_str && *j->nonce_str && j->package && *j->package &&
	    j->sign_type && *j->sign_type && j->pay_sign && *j->pay_sign;
}

/*
 * Query the provider about an open order if its status-query slot is free
 * (last check at or before not_after) and apply the answer
 * (order_query_apply, source "query"); *v says what came of it. 0 also
 * when the slot was taken or the provider did not answer usably (logged);
 * -1 only for a database failure.
 */
static int
pay_query(struct app *app, const struct buyer_order *o, int64_t not_after,
    enum order_query_verdict *v, struct err *err)
{
	struct order_query_req rq = {
		.source = OSRC_QUERY,
		.flags = OQ_CLAIM,
		.claim_not_after = not_after,
	};
	struct order_query_res res;

	if (order_query_apply(app, o->order_no, &rq, &res, err) == -1)
		return -1;
	*v = res.verdict;
	if (res.verdict == OQ_NO_ANSWER)
		log_warn("pay", "query_fail", "order=%s code=%s msg=\"%s\"",
		    o->order_no, err_name(res.why.code), res.why.msg);
	else if (res.verdict != OQ_STATUS && res.verdict != OQ_NOT_ASKED)
		log_info("pay", "query_nothing", "order=%s verdict=%s",
		    o->order_no, order_query_verdict_name(res.verdict));
	return 0;
}

static bool
state_is(const struct buyer_order *o, const char *s)
{
	return strcmp(o->state, s) == 0;
}

/*
 * What an order means for /pay. v: what a query just said about it. An
 * open order the provider verifiably does not have was never created
 * there: that attempt failed (the reconciler closes the order later).
 */
static enum pay_result
pay_result_of(struct app *app, const struct buyer_order *o,
    enum order_query_verdict v)
{
	if (state_is(o, "PENDING") && o->jsapi != NULL &&
	    app_now_s(app) < o->expires_at)
		return PAY_READY;
	if (state_is(o, "CREATED") || state_is(o, "UNKNOWN"))
		return v == OQ_ABSENT ? PAY_REFUSED : PAY_UNKNOWN;
	if (state_is(o, "FAILED") && o->jsapi == NULL)
		return PAY_REFUSED;
	return PAY_NOT_PAYABLE;
}

static void
sleep_ms(int64_t ms)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1)
		;
}

/*
 * The order of (openid, key) already exists: wait while another request
 * is inside its provider call (CREATED), resolve an unknown outcome by a
 * query, then say what it is.
 */
int
pay_existing(struct app *app, const char *openid, const char *key,
    enum pay_result *res, struct buyer_order *o, struct err *err)
{
	int64_t deadline = mono_ms() + app->cfg->http_connect_timeout_ms +
	    app->cfg->useepay_pay_timeout_ms + PAY_WAIT_EXTRA_MS;
	enum order_query_verdict v = OQ_NOT_ASKED;

	for (;;) {
		if (store_buyer_order_by_key(app->store, openid, key, o,
		    err) == -1)
			return -1;
		if (!state_is(o, "CREATED") || mono_ms() >= deadline)
			break;
		buyer_order_cleanup(o);
		sleep_ms(PAY_WAIT_STEP_MS);
	}
	if (state_is(o, "CREATED") || state_is(o, "UNKNOWN")) {
		/* a crashed or timed-out create: ask, at most once per
		 * status interval */
		if (pay_query(app, o, app_now_s(app) -
		    app->cfg->status_query_interval_sec, &v, err) == -1)
			goto fail;
		buyer_order_cleanup(o);
		if (store_buyer_order_by_key(app->store, openid, key, o,
		    err) == -1)
			return -1;
	}
	*res = pay_result_of(app, o, v);
	return 0;
fail:
	buyer_order_cleanup(o);
	return -1;
}

/* Price the lines from the catalog into items/names; *amount the sum. */
static int
pay_price(struct app *app, const struct pay_request *rq,
    struct buyer_item *items, int64_t *amount, struct err *err)
{
	struct product p;
	size_t i;

	*amount = 0;
	for (i = 0; i < rq->n; i++) {
		if (store_product_get(app->store, rq->lines[i].sku, &p,
		    err) == -1) {
			if (err->code == E_NOTFOUND)
				return err_set(err, E_INPUT, "items[%zu]: "
				    "unknown sku", i);
			return -1;
		}
		if (!p.active)
			return err_set(err, E_INPUT, "items[%zu]: sku not "
			    "for sale", i);
		if (strcmp(p.currency, app->cfg->useepay_currency) != 0)
			return err_set(err, E_INPUT, "items[%zu]: currency "
			    "%s is not the shop's %s", i, p.currency,
			    app->cfg->useepay_currency);
		memset(&items[i], 0, sizeof(items[i]));
		str_lcpy(items[i].sku, p.sku, sizeof(items[i].sku));
		str_lcpy(items[i].name, p.name, sizeof(items[i].name));
		items[i].unit_price = p.price;
		items[i].qty = rq->lines[i].qty;
		/* price <= 999999999999 and qty <= 99: no overflow */
		items[i].line_amount = p.price * rq->lines[i].qty;
		*amount += items[i].line_amount;
		if (*amount > PRODUCT_PRICE_MAX)
			return err_set(err, E_INPUT, "amount too large");
	}
	return 0;
}

/* Store the order and its items (CREATED) in one transaction. */
static int
pay_store_new(struct app *app, const char *openid, const char *appid,
    const struct pay_request *rq, char order_no[33], struct err *err)
{
	struct buyer_item items[PAY_MAX_LINES];
	const char *names[PAY_MAX_LINES];
	int64_t qty[PAY_MAX_LINES];
	struct store_order_new no;
	char subject[129];
	int64_t now = app_now_s(app), amount, id;
	size_t i;

	if (pay_order_no_new(app, order_no, err) == -1)
		return -1;
	if (store_begin(app->store, err) == -1)
		return -1;
	/* a cap on orders one buyer can hold open (issue 12), checked under
	 * the write lock so parallel requests cannot all pass it */
	if (store_buyer_open_orders(app->store, openid, now, &id, err) == -1)
		goto fail;
	if (id >= app->cfg->pay_max_open_orders_per_buyer) {
		err_set(err, E_RATE, "%lld unpaid orders open (at most %lld)",
		    (long long)id,
		    (long long)app->cfg->pay_max_open_orders_per_buyer);
		goto fail;
	}
	if (pay_price(app, rq, items, &amount, err) == -1)
		goto fail;
	for (i = 0; i < rq->n; i++) {
		names[i] = items[i].name;
		qty[i] = items[i].qty;
	}
	pay_subject(names, qty, rq->n, subject);
	memset(&no, 0, sizeof(no));
	no.order_no = order_no;
	no.openid = openid;
	no.appid = appid;
	no.amount = amount;
	no.currency = app->cfg->useepay_currency;
	no.subject = subject;
	no.idempotency_key = rq->key;
	no.now = now;
	no.expires_at = now + app->cfg->useepay_expiration_min * 60;
	no.next_check_at = order_next_check(now, 0, now);
	if (store_order_create(app->store, &no, &id, err) == -1)
		goto fail;
	for (i = 0; i < rq->n; i++)
		if (store_order_item_add(app->store, id, &items[i],
		    err) == -1)
			goto fail;
	return store_commit(app->store, err);
fail:
	store_rollback(app->store);
	return -1;
}

int
pay_create(struct app *app, const char *openid, const char *appid,
    const struct pay_request *rq, enum pay_result *res, struct buyer_order *o,
    struct err *err)
{
	char order_no[33];
	int rc;

	memset(o, 0, sizeof(*o));
	if (pay_request_check(rq, err) == -1)
		return -1;
	rc = store_buyer_order_by_key(app->store, openid, rq->key, o, err);
	if (rc == 0) {
		buyer_order_cleanup(o);
		return pay_existing(app, openid, rq->key, res, o, err);
	}
	if (err->code != E_NOTFOUND)
		return -1;
	if (pay_store_new(app, openid, appid, rq, order_no, err) == -1) {
		if (err->code == E_CONFLICT)	/* a concurrent twin won */
			return pay_existing(app, openid, rq->key, res, o,
			    err);
		return -1;
	}
	return pay_submit(app, order_no, openid, rq->client_ip, res, o, err);
}

int
pay_submit(struct app *app, const char *order_no, const char *openid,
    const char *client_ip, enum pay_result *res, struct buyer_order *o,
    struct err *err)
{
	struct useepay_pay_res pr;
	struct useepay_pay_req preq;
	enum order_query_verdict v = OQ_NOT_ASKED;
	struct order_input in;
	struct order_outcome applied;
	struct buyer_order cur;
	struct err pe;
	char *jsapi = NULL;
	int64_t left;
	int rc;

	memset(o, 0, sizeof(*o));
	if (store_buyer_order_get(app->store, order_no, &cur, err) == -1)
		return -1;
	/* the provider's expiry: what is left of the order's, in minutes
	 * (a catalog order has exactly useepay_expiration_min) */
	left = (cur.expires_at - app_now_s(app) + 59) / 60;
	if (left > app->cfg->useepay_expiration_min)
		left = app->cfg->useepay_expiration_min;
	if (left < 1)
		left = 1;

	memset(&preq, 0, sizeof(preq));
	preq.order_no = cur.order_no;
	preq.amount = cur.amount;
	preq.currency = cur.currency;
	preq.subject = cur.subject;
	preq.openid = openid;
	preq.expiration_min = (int)left;
	preq.buyer_ip = client_ip;
	memset(&in, 0, sizeof(in));
	in.source = OSRC_PAY;
	in.amount = -1;
	err_clear(&pe);
	rc = useepay_pay(app, &preq, &pr, &pe);
	if (rc == 0 && pr.outcome == UP_OK && jsapi_complete(&pr.jsapi)) {
		jsapi = jsapi_text(&pr.jsapi);
		in.kind = OIN_CREATE_OK;
		in.jsapi = jsapi;
		in.reference = pr.reference;
		in.result_code = pr.result_code;
		in.status = pr.status;
	} else if (rc == 0 && pr.outcome == UP_REFUSED) {
		/* issue 10 item 3: refused unsigned: nothing was created, a
		 * merchant configuration error (useepay.c logged the alert);
		 * FAILED with the reason and an anomaly, never UNKNOWN */
		in.kind = OIN_CREATE_FAILED;
		in.refused_unsigned = true;
		in.error_code = pr.error_code ? pr.error_code : "REFUSED";
		in.error_msg = pr.error_msg ? pr.error_msg :
		    "refused unsigned (merchant configuration)";
	} else if (rc == 0 && pr.outcome == UP_FAILED) {
		in.kind = OIN_CREATE_FAILED;
		in.result_code = pr.result_code;
		in.error_code = pr.error_code;
		in.error_msg = pr.error_msg;
		in.reference = pr.reference;
		log_warn("pay", "refused", "order=%s code=%.8s msg=\"%.128s\"",
		    cur.order_no, pr.error_code ? pr.error_code : "-",
		    pr.error_msg ? pr.error_msg : "");
	} else if (rc == -1 && (pe.code == E_INPUT ||
	    pe.code == E_INTERNAL)) {
		/* refused before sending: nothing exists at the provider */
		in.kind = OIN_CREATE_FAILED;
		in.error_code = "LOCAL";
		in.error_msg = "request not sent";
		log_error("pay", "build_fail", "order=%s msg=\"%s\"",
		    cur.order_no, pe.msg);
	} else {
		/* timeout, transport, bad signature, garbage, or an OK
		 * without parameters: the provider may hold a transaction */
		in.kind = OIN_CREATE_UNKNOWN;
		in.error_code = "UNKNOWN";
		in.error_msg = rc == -1 ? err_name(pe.code) :
		    "answer without invocation parameters";
		log_warn("pay", "unknown", "order=%s code=%s msg=\"%s\"",
		    cur.order_no, rc == -1 ? err_name(pe.code) : "-",
		    rc == -1 ? pe.msg : "no redirectParam");
	}
	rc = order_apply_tx(app, cur.order_no, &in, &applied, err);
	if (in.kind == OIN_CREATE_UNKNOWN && rc == 0)
		rc = pay_query(app, &cur, app_now_s(app), &v, err);
	free(jsapi);
	useepay_pay_res_cleanup(&pr);	/* zeroed by useepay_pay */
	buyer_order_cleanup(&cur);
	if (rc == -1)
		return -1;
	if (store_buyer_order_get(app->store, order_no, o, err) == -1)
		return -1;
	*res = pay_result_of(app, o, v);
	log_info("pay", "create", "order=%s state=%s amount=%lld",
	    o->order_no, o->state, (long long)o->amount);
	return 0;
}

int
pay_status(struct app *app, const char *openid, const char *order_no,
    struct buyer_order *o, struct err *err)
{
	int64_t now = app_now_s(app);
	int64_t iv = app->cfg->status_query_interval_sec;
	int64_t last;

	memset(o, 0, sizeof(*o));
	if (!valid_order_no(order_no, strlen(order_no)))
		return err_set(err, E_NOTFOUND, "malformed order number");
	if (store_buyer_order_get(app->store, order_no, o, err) == -1)
		return -1;
	if (strcmp(o->openid, openid) != 0) {
		buyer_order_cleanup(o);
		return err_set(err, E_NOTFOUND, "order of another buyer");
	}
	last = o->last_query_at ? o->last_query_at : o->created_at;
	if ((state_is(o, "PENDING") || state_is(o, "UNKNOWN") ||
	    state_is(o, "CREATED")) && now - last >= iv) {
		enum order_query_verdict v;

		if (pay_query(app, o, now - iv, &v, err) == -1) {
			log_error("pay", "status_apply_fail", "order=%s "
			    "msg=\"%s\"", o->order_no, err->msg);
			err_clear(err);
		}
		buyer_order_cleanup(o);
		if (store_buyer_order_get(app->store, order_no, o, err) == -1)
			return -1;
	}
	return 0;
}
