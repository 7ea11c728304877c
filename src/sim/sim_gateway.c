/*
 * sim_gateway.c - POST /api: the UseePay v1 gateway (docs/protocol.md
 * §2-§4, §6, §7) for transactionType pay (JSAPI), query and refund.
 *
 * Strict on purpose: the signature is verified over every received field
 * before anything else is trusted; then every field is checked against
 * the spec's table (required, length, format), undocumented fields and
 * blank or space-padded values are refused, a transactionId is never
 * reused. Refusals are signed JSON answers with resultCode=failed and one
 * of the sim's error codes (UseePay does not publish its table; see
 * docs/simulator.md). Answers are JSON objects whose values are strings.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "log.h"
#include "sim.h"
#include "store.h"
#include "util.h"
#include "valid.h"

/* The sim's error codes (docs/simulator.md). */
#define EC_OK "0000"
#define EC_MISSING "1001"
#define EC_INVALID "1002"
#define EC_SIGN "1003"
#define EC_MERCHANT "1004"
#define EC_DUPLICATE "1005"
#define EC_NOTFOUND "1006"
#define EC_REFUND_AMOUNT "1007"
#define EC_NOT_REFUNDABLE "1008"
#define EC_CURRENCY "1009"
#define EC_UNKNOWN_FIELD "1010"
#define EC_TYPE "1011"
#define EC_SYSTEM "9999"

struct gw {
	struct app *app;
	struct sim *sim;
	struct req *r;
	struct resp *w;
	struct kvlist in;		/* the decoded request */
	struct kvlist out;		/* the answer's fields */
	const char *sign_type;		/* NULL: answer unsigned */
	const char *raw_keys[3];	/* members sent as raw JSON text */
	struct sim_faults f;		/* snapshot at the request's start */
	char msg[256];			/* errorMsg of a refusal */
};

struct field_rule {
	const char *name;
	size_t max;
	bool required;
};

static const struct field_rule common_rules[] = {
	{"version", 5, true}, {"merchantNo", 16, true},
	{"transactionType", 16, true}, {"signType", 3, true},
	{"sign", 1024, true}, {"echoParam", 256, false},
	{"reserved", 256, false},
};

static const struct field_rule pay_rules[] = {
	{"transactionId", 64, true}, {"transactionExpirationTime", 6, false},
	{"appId", 128, true}, {"amount", 12, true}, {"currency", 3, true},
	{"notifyUrl", 512, true}, {"payerInfo", 1024, true},
	{"orderInfo", 1024, true},
	/* listed by UseePay for other methods; h5pay sends them (issue 10) */
	{"userInfo", 1024, false}, {"terminalType", 16, false},
};

static const struct field_rule query_rules[] = {
	{"transactionId", 64, false}, {"reference", 32, false},
};

static const struct field_rule refund_rules[] = {
	{"transactionId", 64, true}, {"originalTransactionId", 64, true},
	{"amount", 12, true}, {"currency", 3, true},
	{"notifyUrl", 512, false},
};

#define NRULES(a) (sizeof(a) / sizeof(a[0]))

static const struct field_rule *
rule_find(const struct field_rule *r, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(r[i].name, name) == 0)
			return &r[i];
	return NULL;
}

/* ---- the answer ------------------------------------------------------ */

static void
out_add(struct gw *g, const char *k, const char *v)
{
	if (v && *v)
		kvlist_adds(&g->out, k, v);
}

static bool
gw_is_raw(const struct gw *g, const char *key)
{
	size_t i;

	for (i = 0; i < 3 && g->raw_keys[i]; i++)
		if (strcmp(g->raw_keys[i], key) == 0)
			return true;
	return false;
}

/* Sign (unless unsigned), apply the answer faults, write the JSON. */
static void
gw_send(struct gw *g)
{
	struct json_object *o = json_object_new_object();
	struct err err;
	const char *s;
	size_t i;

	if (g->sign_type && strcmp(g->f.profile, "wrong_key") == 0) {
		/* a valid signature, but not with UseePay's key */
		struct buf sig;

		buf_init(&sig, 4096);
		kvlist_adds(&g->out, "signType", g->sign_type);
		if ((strcmp(g->sign_type, "MD5") == 0 ? sign_md5(&g->out,
		    "NOT-THE-MERCHANT-KEY", &sig, &err) : sign_rsa(&g->out,
		    g->sim->wechat_priv, &sig, &err)) == 0)
			kvlist_add(&g->out, "sign", 4, sig.data, sig.len);
		buf_cleanup(&sig);
	} else if (g->sign_type && sim_sign(g->sim, &g->out, g->sign_type,
	    &err) == -1)
		log_error("sim", "sign_fail", "msg=\"%s\"", err.msg);
	if (strcmp(g->f.profile, "bad_clock") == 0) {
		char date[64];
		time_t t = (time_t)(app_now_ms(g->app) / 1000) - 7200;
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
		resp_header(g->w, "Date", date);
	}
	for (i = 0; i < g->out.n; i++) {
		struct kv *e = &g->out.v[i];

		if (strcmp(e->key, "sign") == 0 && sim_fault_take(g->sim,
		    &g->sim->faults.bad_sign_count) && e->vlen > 4) {
			/* a valid-looking but wrong signature */
			e->val[1] = e->val[1] == 'A' ? 'B' : 'A';
			e->val[2] = e->val[2] == '0' ? '1' : '0';
		}
		if (gw_is_raw(g, e->key)) {
			/* profile "nested": the signed value is this text */
			struct json_object *raw = json_object_new_object();

			json_object_set_serializer(raw,
			    json_object_userdata_to_json_string,
			    xstrndup(e->val, e->vlen),
			    json_object_free_userdata);
			json_object_object_add(o, e->key, raw);
			continue;
		}
		json_object_object_add(o, e->key,
		    json_object_new_string_len(e->val, (int)e->vlen));
	}
	if (sim_fault_take(g->sim, &g->sim->faults.malformed_count)) {
		s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
		g->w->status = 200;
		g->w->content_type = "application/json";
		buf_reset(&g->w->body);
		buf_add(&g->w->body, s, strlen(s) / 2);
		json_object_put(o);
		return;
	}
	resp_json(g->w, 200, o);
}

/* A refusal: resultCode=failed, errorCode, errorMsg, echoes; sent at
 * once. Always returns -1 (the request is answered). */
static int
gw_refuse(struct gw *g, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
gw_refuse(struct gw *g, const char *code, const char *fmt, ...)
{
	va_list ap;
	const char *tt = kvlist_get(&g->in, "transactionType");
	const char *tid = kvlist_get(&g->in, "transactionId");

	va_start(ap, fmt);
	vsnprintf(g->msg, sizeof(g->msg), fmt, ap);
	va_end(ap);
	kvlist_cleanup(&g->out);
	kvlist_init(&g->out);
	if (tt && strlen(tt) <= 16)
		out_add(g, "transactionType", tt);
	if (tid && strlen(tid) <= 64)
		out_add(g, "transactionId", tid);
	out_add(g, "merchantNo", g->sim->cfg.merchant_no);
	out_add(g, "resultCode", "failed");
	out_add(g, "errorCode", code);
	out_add(g, "errorMsg", g->msg);
	log_info("sim", "api_refused", "type=%s code=%s msg=\"%s\"",
	    tt && strlen(tt) <= 16 ? tt : "-", code, g->msg);
	gw_send(g);
	return -1;
}

/* ---- field checks ---------------------------------------------------- */

static bool
is_digits(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static bool
has_edge_space(const char *s, size_t n)
{
	return n && (isspace((unsigned char)s[0]) ||
	    isspace((unsigned char)s[n - 1]));
}

/* Every field known for this type, within its length, not blank. */
static int
gw_check_fields(struct gw *g, const struct field_rule *rules, size_t n)
{
	size_t i;

	for (i = 0; i < g->in.n; i++) {
		const struct kv *e = &g->in.v[i];
		const struct field_rule *r;

		r = rule_find(common_rules, NRULES(common_rules), e->key);
		if (r == NULL)
			r = rule_find(rules, n, e->key);
		if (r == NULL)
			return gw_refuse(g, EC_UNKNOWN_FIELD, "field %.64s is "
			    "not accepted for this transactionType", e->key);
		if (e->vlen == 0 || has_edge_space(e->val, e->vlen))
			return gw_refuse(g, EC_INVALID, "field %s is blank or "
			    "has leading/trailing white space", e->key);
		if (memchr(e->val, '\0', e->vlen))
			return gw_refuse(g, EC_INVALID, "field %s holds a NUL "
			    "byte", e->key);
		if (e->vlen > r->max)
			return gw_refuse(g, EC_INVALID, "field %s is longer "
			    "than %zu", e->key, r->max);
	}
	for (i = 0; i < n; i++)
		if (rules[i].required && !kvlist_get(&g->in, rules[i].name))
			return gw_refuse(g, EC_MISSING, "field %s is required",
			    rules[i].name);
	return 0;
}

/* amount: digits only, no leading zero, > 0, at most 12 digits. */
static int
gw_amount(struct gw *g, int64_t *out)
{
	const char *a = kvlist_get(&g->in, "amount");

	if (!is_digits(a) || a[0] == '0' || strlen(a) > 12 ||
	    parse_i64z(a, 1, 999999999999LL, out) == -1)
		return gw_refuse(g, EC_INVALID, "amount must be a positive "
		    "integer of at most 12 digits (minor units)");
	return 0;
}

static int
gw_currency(struct gw *g)
{
	const char *c = kvlist_get(&g->in, "currency");
	const char *list = g->sim->cfg.currencies, *p;
	size_t i;

	for (i = 0; i < 3; i++)
		if (c[i] < 'A' || c[i] > 'Z')
			return gw_refuse(g, EC_INVALID, "currency must be an "
			    "ISO 4217 code");
	if (c[3] != '\0')
		return gw_refuse(g, EC_INVALID, "currency must be an ISO 4217 "
		    "code");
	for (p = list; (p = strstr(p, c)) != NULL; p += 3)
		if ((p == list || p[-1] == ',' || p[-1] == ' ') &&
		    (p[3] == '\0' || p[3] == ',' || p[3] == ' '))
			return 0;
	return gw_refuse(g, EC_INVALID, "currency %s is not enabled for this "
	    "merchant", c);
}

/* An absolute https URL with a host, no spaces, no fragment. */
static int
gw_notify_url(struct gw *g, const char *u)
{
	const char *h = u + 8;
	size_t i;

	if (strncmp(u, "https://", 8) != 0 || *h == '\0' || *h == '/' ||
	    *h == ':' || *h == '?')
		return gw_refuse(g, EC_INVALID, "notifyUrl must be an absolute "
		    "https URL");
	for (i = 0; u[i]; i++)
		if ((unsigned char)u[i] <= 0x20 ||
		    (unsigned char)u[i] >= 0x7f ||
		    u[i] == '#' || u[i] == '"' || u[i] == '<' || u[i] == '>' ||
		    u[i] == '\\')
			return gw_refuse(g, EC_INVALID, "notifyUrl has an "
			    "invalid character");
	return 0;
}

/* ---- pay (§4) --------------------------------------------------------- */

static int
gw_redirect_param(struct gw *g, struct sim_txn *t, struct buf *out,
    struct err *err)
{
	struct json_object *o;
	struct buf msg, sig;
	int rc = -1;

	buf_init(&msg, 1024);
	buf_init(&sig, 1024);
	buf_printf(&msg, "%s\n%s\n%s\nprepay_id=%s\n", g->sim->cfg.wechat_appid,
	    t->time_stamp, t->nonce, t->prepay_id);
	if (sign_rsa_bytes(g->sim->wechat_priv, msg.data, msg.len, &sig,
	    err) == -1)
		goto out;
	o = json_object_new_object();
	json_object_object_add(o, "appId",
	    json_object_new_string(g->sim->cfg.wechat_appid));
	json_object_object_add(o, "timeStamp",
	    json_object_new_string(t->time_stamp));
	/* the docs' spelling (docs/protocol.md §4) */
	json_object_object_add(o, "noceStr", json_object_new_string(t->nonce));
	buf_reset(&msg);
	buf_printf(&msg, "prepay_id=%s", t->prepay_id);
	json_object_object_add(o, "package", json_object_new_string(
	    buf_str(&msg)));
	json_object_object_add(o, "signType", json_object_new_string("RSA"));
	json_object_object_add(o, "paySign", json_object_new_string(
	    buf_str(&sig)));
	buf_adds(out, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	rc = 0;
out:
	buf_cleanup(&msg);
	buf_cleanup(&sig);
	return rc;
}

/*
 * The three transaction types: 0 when g->out holds the answer to send
 * (the caller applies the answer faults), -1 when the request was refused
 * and answered already.
 */
static int
gw_pay(struct gw *g)
{
	struct sim_txn t;
	struct json_object *payer = NULL, *order = NULL;
	const char *v, *pm, *appid, *openid, *subject;
	struct buf rp;
	struct err err;
	int64_t amount, exp = 20, now = app_now_ms(g->app);
	char amount_s[24], user_ip[46] = "";
	int rc = -1;

	buf_init(&rp, 8192);
	if (gw_check_fields(g, pay_rules, NRULES(pay_rules)) == -1)
		goto out;
	memset(&t, 0, sizeof(t));
	v = kvlist_get(&g->in, "transactionId");
	if (!valid_token(v, strlen(v), 0, SIZE_MAX, "_-")) {
		gw_refuse(g, EC_INVALID, "transactionId may hold only "
		    "[0-9A-Za-z_-]");
		goto out;
	}
	str_lcpy(t.transaction_id, v, sizeof(t.transaction_id));
	if ((v = kvlist_get(&g->in, "transactionExpirationTime")) &&
	    parse_i64z(v, 1, 20, &exp) == -1) {
		gw_refuse(g, EC_INVALID, "transactionExpirationTime must be "
		    "1..20 (minutes)");
		goto out;
	}
	v = kvlist_get(&g->in, "appId");
	if (strstr(v, "://") || strchr(v, '/')) {
		gw_refuse(g, EC_INVALID, "appId is the registered domain, "
		    "without scheme or path");
		goto out;
	}
	if (g->sim->cfg.shop_app_id && strcmp(v, g->sim->cfg.shop_app_id)) {
		gw_refuse(g, EC_INVALID, "appId is not the domain registered "
		    "for this merchant");
		goto out;
	}
	str_lcpy(t.app_id, v, sizeof(t.app_id));
	if (gw_amount(g, &amount) == -1 || gw_currency(g) == -1 ||
	    gw_notify_url(g, kvlist_get(&g->in, "notifyUrl")) == -1)
		goto out;
	if ((payer = sim_json_object(kvlist_get(&g->in, "payerInfo"))) == NULL) {
		gw_refuse(g, EC_INVALID, "payerInfo must be a JSON object");
		goto out;
	}
	pm = sim_json_str(payer, "paymentMethod", 64);
	appid = sim_json_str(payer, "sub_appid", 32);
	openid = sim_json_str(payer, "sub_openid", 128);
	if (pm == NULL || strcmp(pm, "wechat_jsapi") != 0) {
		gw_refuse(g, EC_INVALID, "payerInfo.paymentMethod must be "
		    "wechat_jsapi");
		goto out;
	}
	if (appid == NULL || strcmp(appid, g->sim->cfg.wechat_appid) != 0) {
		gw_refuse(g, EC_INVALID, "payerInfo.sub_appid is missing or "
		    "not the Official Account bound to this merchant");
		goto out;
	}
	if (openid == NULL || !valid_token(openid, strlen(openid), 0,
	    SIZE_MAX, "_-")) {
		gw_refuse(g, EC_INVALID, "payerInfo.sub_openid is missing or "
		    "not an openid ([0-9A-Za-z_-])");
		goto out;
	}
	if ((v = kvlist_get(&g->in, "userInfo")) != NULL) {
		struct json_object *ui = sim_json_object(v);
		const char *ip = ui ? sim_json_str(ui, "ip", 45) : NULL;

		str_lcpy(user_ip, ip ? ip : "", sizeof(user_ip));
		json_object_put(ui);
		if (ip == NULL) {
			gw_refuse(g, EC_INVALID, "userInfo must be a JSON "
			    "object with an ip");
			goto out;
		}
	}
	if ((order = sim_json_object(kvlist_get(&g->in, "orderInfo"))) == NULL ||
	    (subject = sim_json_str(order, "subject", 128)) == NULL) {
		gw_refuse(g, EC_INVALID, "orderInfo must be a JSON object with "
		    "a subject of 1..128 bytes");
		goto out;
	}

	t.kind = SIM_PAY;
	str_lcpy(t.merchant_no, g->sim->cfg.merchant_no, sizeof(t.merchant_no));
	t.amount = amount;
	str_lcpy(t.currency, kvlist_get(&g->in, "currency"),
	    sizeof(t.currency));
	str_lcpy(t.status, "pending", sizeof(t.status));
	str_lcpy(t.sign_type, g->sign_type, sizeof(t.sign_type));
	str_lcpy(t.notify_url, kvlist_get(&g->in, "notifyUrl"),
	    sizeof(t.notify_url));
	v = kvlist_get(&g->in, "echoParam");
	str_lcpy(t.echo, v ? v : "", sizeof(t.echo));
	v = kvlist_get(&g->in, "reserved");
	str_lcpy(t.reserved, v ? v : "", sizeof(t.reserved));
	str_lcpy(t.subject, subject, sizeof(t.subject));
	str_lcpy(t.openid, openid, sizeof(t.openid));
	str_lcpy(t.sub_appid, appid, sizeof(t.sub_appid));
	snprintf(t.time_stamp, sizeof(t.time_stamp), "%lld",
	    (long long)(now / 1000));
	if (sim_new_id(g->app, "SIM", t.reference, sizeof(t.reference)) ==
	    -1 || sim_new_id(g->app, "wx", t.prepay_id, sizeof(t.prepay_id)) ==
	    -1 || sim_random_hex(g->app, 16, t.nonce) == -1) {
		gw_refuse(g, EC_SYSTEM, "system busy");
		goto out;
	}
	t.created_ms = t.updated_ms = now;
	t.expires_ms = now + exp * 60000;
	if (gw_redirect_param(g, &t, &rp, &err) == -1) {
		log_error("sim", "pay_sign", "msg=\"%s\"", err.msg);
		gw_refuse(g, EC_SYSTEM, "system busy");
		goto out;
	}
	if (store_begin(g->app->store, &err) == -1 ||
	    sim_txn_insert(g->app->store, &t, &err) == -1 ||
	    store_commit(g->app->store, &err) == -1) {
		store_rollback(g->app->store);
		if (err.code == E_CONFLICT)
			gw_refuse(g, EC_DUPLICATE, "transactionId already "
			    "used");
		else
			gw_refuse(g, EC_SYSTEM, "system busy");
		goto out;
	}
	v = kvlist_get(&g->in, "terminalType");
	log_info("sim", "pay_created", "txn=%s amount=%lld currency=%s "
	    "user_ip=%s terminal=%s reserved=%s", t.transaction_id,
	    (long long)t.amount, t.currency, user_ip[0] ? user_ip : "-",
	    v ? v : "-", t.reserved[0] ? "yes" : "no");
	snprintf(amount_s, sizeof(amount_s), "%lld", (long long)amount);
	out_add(g, "merchantNo", t.merchant_no);
	out_add(g, "transactionType", "pay");
	out_add(g, "transactionId", t.transaction_id);
	out_add(g, "reference", t.reference);
	out_add(g, "amount", amount_s);
	out_add(g, "currency", t.currency);
	out_add(g, "resultCode", "pending");
	out_add(g, "errorCode", EC_OK);
	out_add(g, "errorMsg", "Success");
	out_add(g, "echoParam", t.echo);
	out_add(g, "redirectParam", buf_str(&rp));
	rc = 0;		/* answered by the caller, after the faults */
out:
	json_object_put(payer);
	json_object_put(order);
	buf_cleanup(&rp);
	return rc;
}

/* ---- query (§6) -------------------------------------------------------- */

static void
txn_info(struct sim_txn *t, const char *profile, struct buf *out)
{
	struct json_object *o = json_object_new_object();
	bool shaped = profile[0] != '\0';
	char amount[24];

	snprintf(amount, sizeof(amount), "%lld", (long long)t->amount);
	json_object_object_add(o, "transactionId",
	    json_object_new_string(t->transaction_id));
	if (t->kind == SIM_REFUND)
		json_object_object_add(o, "originalTransactionId",
		    json_object_new_string(t->original_id));
	json_object_object_add(o, "reference",
	    json_object_new_string(t->reference));
	json_object_object_add(o, "transactionType", json_object_new_string(
	    t->kind == SIM_PAY ? "pay" : "refund"));
	/* profiles: the amount as a JSON number, as UseePay may send it */
	json_object_object_add(o, "amount", shaped ?
	    json_object_new_int64(t->amount) : json_object_new_string(amount));
	json_object_object_add(o, "currency",
	    json_object_new_string(t->currency));
	json_object_object_add(o, "resultCode",
	    json_object_new_string(t->status));
	if (shaped) {
		/* UseePay documents a settlement list here; and booleans,
		 * decimals and nested objects may come with it */
		struct json_object *a = json_object_new_array();
		struct json_object *s = json_object_new_object();
		char major[32];

		snprintf(major, sizeof(major), "%lld.%02lld",
		    (long long)(t->amount / 100), (long long)(t->amount % 100));
		json_object_object_add(s, "settleAmount",
		    json_object_new_string(major));
		json_object_object_add(s, "settleCurrency",
		    json_object_new_string(t->currency));
		json_object_object_add(s, "fee",
		    json_object_new_double_s(0.35, "0.35"));
		json_object_object_add(s, "settled",
		    json_object_new_boolean(strcmp(t->status, "succeed") == 0));
		json_object_array_add(a, s);
		json_object_object_add(o, "settlement", a);
		json_object_object_add(o, "captured",
		    json_object_new_boolean(strcmp(t->status, "succeed") == 0));
		json_object_object_add(o, "extension", NULL);
	}
	json_object_object_add(o, "errorCode",
	    json_object_new_string(t->error_code));
	json_object_object_add(o, "errorMsg",
	    json_object_new_string(t->error_msg));
	if (t->echo[0])
		json_object_object_add(o, "echoParam",
		    json_object_new_string(t->echo));
	if (t->reserved[0])
		json_object_object_add(o, "reserved",
		    json_object_new_string(t->reserved));
	buf_adds(out, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

static int
gw_query(struct gw *g)
{
	const char *tid = kvlist_get(&g->in, "transactionId");
	const char *ref = kvlist_get(&g->in, "reference");
	struct sim_txn t;
	struct err err;
	struct buf info;
	int rc;

	if (gw_check_fields(g, query_rules, NRULES(query_rules)) == -1)
		return -1;
	if (tid == NULL && ref == NULL)
		return gw_refuse(g, EC_MISSING, "transactionId or reference "
		    "is required");
	if (tid)
		rc = sim_txn_get(g->app->store, g->sim->cfg.merchant_no, tid,
		    &t, &err);
	else
		rc = sim_txn_get_ref(g->app->store, ref, &t, &err);
	if (rc == 0 && tid && ref && strcmp(t.reference, ref) != 0)
		return gw_refuse(g, EC_NOTFOUND, "reference does not match "
		    "transactionId");
	if (rc == -1 && err.code == E_NOTFOUND)
		return gw_refuse(g, EC_NOTFOUND, "transaction not found");
	if (rc == -1 || strcmp(t.merchant_no, g->sim->cfg.merchant_no) != 0)
		return gw_refuse(g, rc == -1 ? EC_SYSTEM : EC_NOTFOUND,
		    rc == -1 ? "system busy" : "transaction not found");
	/* an unpaid order past its time is closed, even before the
	 * notifier's next pass */
	if (t.kind == SIM_PAY && strcmp(t.status, "pending") == 0 &&
	    t.expires_ms <= app_now_ms(g->app)) {
		if (sim_txn_finish(g->app, t.id, "pending", "closed", "3300",
		    "Transaction is expired", NULL, &err) == 0)
			sim_txn_get_id(g->app->store, t.id, &t, &err);
	}
	buf_init(&info, 8192);
	txn_info(&t, g->f.profile, &info);
	if (strcmp(g->f.profile, "nested") == 0) {
		/* transactionInfo as an object, a non-string member beside */
		g->raw_keys[0] = "transactionInfo";
		g->raw_keys[1] = "liveMode";
		out_add(g, "liveMode", "false");
	}
	out_add(g, "merchantNo", t.merchant_no);
	out_add(g, "transactionType", "query");
	out_add(g, "transactionId", tid);
	out_add(g, "reference", t.reference);
	out_add(g, "resultCode", "succeed");
	out_add(g, "errorCode", EC_OK);
	out_add(g, "errorMsg", "Success");
	out_add(g, "echoParam", kvlist_get(&g->in, "echoParam"));
	out_add(g, "transactionInfo", buf_str(&info));
	buf_cleanup(&info);
	return 0;
}

/* ---- refund (§7) -------------------------------------------------------- */

static int
gw_refund(struct gw *g, int64_t *notif_id)
{
	struct sim_txn orig, t;
	struct err err;
	int64_t amount, now = app_now_ms(g->app);
	const char *v, *url;
	char amount_s[24];
	const char *tid;

	if (gw_check_fields(g, refund_rules, NRULES(refund_rules)) == -1)
		return -1;
	tid = kvlist_get(&g->in, "transactionId");
	if (tid == NULL || !valid_token(tid, strlen(tid), 0, SIZE_MAX, "_-"))
		return gw_refuse(g, EC_INVALID, "transactionId may hold only "
		    "[0-9A-Za-z_-]");
	if (gw_amount(g, &amount) == -1 || gw_currency(g) == -1)
		return -1;
	url = kvlist_get(&g->in, "notifyUrl");
	if (url && gw_notify_url(g, url) == -1)
		return -1;
	if (store_begin(g->app->store, &err) == -1)
		return gw_refuse(g, EC_SYSTEM, "system busy");
	if (sim_txn_get(g->app->store, g->sim->cfg.merchant_no,
	    kvlist_get(&g->in, "originalTransactionId"), &orig, &err) == -1) {
		store_rollback(g->app->store);
		return gw_refuse(g, err.code == E_NOTFOUND ? EC_NOTFOUND :
		    EC_SYSTEM, "original transaction not found");
	}
	if (orig.kind != SIM_PAY || strcmp(orig.status, "succeed") != 0) {
		store_rollback(g->app->store);
		return gw_refuse(g, EC_NOT_REFUNDABLE, "original transaction "
		    "is %s, not a succeeded payment", orig.status);
	}
	if (strcmp(orig.currency, kvlist_get(&g->in, "currency")) != 0) {
		store_rollback(g->app->store);
		return gw_refuse(g, EC_CURRENCY, "currency differs from the "
		    "original transaction");
	}
	if (amount > orig.amount - orig.refunded) {
		store_rollback(g->app->store);
		return gw_refuse(g, EC_REFUND_AMOUNT, "amount exceeds the "
		    "refundable %lld", (long long)(orig.amount -
		    orig.refunded));
	}
	memset(&t, 0, sizeof(t));
	t.kind = SIM_REFUND;
	str_lcpy(t.merchant_no, orig.merchant_no, sizeof(t.merchant_no));
	str_lcpy(t.transaction_id, kvlist_get(&g->in, "transactionId"),
	    sizeof(t.transaction_id));
	str_lcpy(t.original_id, orig.transaction_id, sizeof(t.original_id));
	t.amount = amount;
	str_lcpy(t.currency, orig.currency, sizeof(t.currency));
	str_lcpy(t.status, "pending", sizeof(t.status));
	str_lcpy(t.sign_type, g->sign_type, sizeof(t.sign_type));
	str_lcpy(t.notify_url, url ? url : orig.notify_url,
	    sizeof(t.notify_url));
	v = kvlist_get(&g->in, "echoParam");
	str_lcpy(t.echo, v ? v : "", sizeof(t.echo));
	v = kvlist_get(&g->in, "reserved");
	str_lcpy(t.reserved, v ? v : "", sizeof(t.reserved));
	t.created_ms = t.updated_ms = now;
	if (sim_new_id(g->app, "SR", t.reference, sizeof(t.reference)) ==
	    -1) {
		store_rollback(g->app->store);
		return gw_refuse(g, EC_SYSTEM, "system busy");
	}
	if (sim_txn_insert(g->app->store, &t, &err) == -1 ||
	    sim_txn_add_refunded(g->app->store, orig.id, amount, &err) == -1 ||
	    store_commit(g->app->store, &err) == -1) {
		store_rollback(g->app->store);
		if (err.code == E_CONFLICT && strstr(err.msg, "reused"))
			return gw_refuse(g, EC_DUPLICATE, "transactionId "
			    "already used");
		return gw_refuse(g, EC_SYSTEM, "system busy");
	}
	log_info("sim", "refund_created", "txn=%s orig=%s amount=%lld",
	    t.transaction_id, t.original_id, (long long)amount);
	{
		struct sim_faults f;

		sim_faults_snapshot(g->sim, &f);
		if (f.notify_first) {
			bool fail = f.refund_fail;

			if (sim_txn_finish(g->app, t.id, "pending", fail ?
			    "failed" : "succeed", fail ? "5001" : EC_OK, fail ?
			    "Refund failed" : "Success", notif_id, &err) == -1)
				log_error("sim", "refund_finish", "msg=\"%s\"",
				    err.msg);
		}
	}
	snprintf(amount_s, sizeof(amount_s), "%lld", (long long)amount);
	out_add(g, "merchantNo", t.merchant_no);
	out_add(g, "transactionType", "refund");
	out_add(g, "transactionId", t.transaction_id);
	out_add(g, "originalTransactionId", t.original_id);
	out_add(g, "reference", t.reference);
	out_add(g, "amount", amount_s);
	out_add(g, "currency", t.currency);
	out_add(g, "resultCode", "pending");
	out_add(g, "errorCode", EC_OK);
	out_add(g, "errorMsg", "Success");
	out_add(g, "echoParam", t.echo);
	return 0;
}

/* ---- the handler -------------------------------------------------------- */

static void
gw_hang(struct sim *sim)
{
	struct sim_faults f;
	int64_t left;

	if (!sim_fault_take(sim, &sim->faults.hang_count))
		return;
	sim_faults_snapshot(sim, &f);
	log_info("sim", "fault_hang", "ms=%lld", (long long)f.hang_ms);
	for (left = f.hang_ms; left > 0 && !sim->stopping; left -= 50) {
		struct timespec ts = {0, 50 * 1000000L};

		nanosleep(&ts, NULL);
	}
}

int
sim_api_post(struct app *app, struct req *r, struct resp *w, struct err *err)
{
	struct gw g;
	const char *st, *tt, *mno;
	struct err verr;
	int64_t notif_id = 0;
	int rc = -1;
	size_t i;

	memset(&g, 0, sizeof(g));
	g.app = app;
	g.sim = sim_of(app);
	g.r = r;
	g.w = w;
	sim_faults_snapshot(g.sim, &g.f);
	kvlist_init(&g.in);
	kvlist_init(&g.out);
	if (req_form(r, &g.in, err) == -1) {
		gw_refuse(&g, EC_INVALID, "body must be a well-formed "
		    "application/x-www-form-urlencoded form");
		goto out;
	}
	for (i = 0; i < g.in.n; i++)
		if (kvlist_count(&g.in, g.in.v[i].key) > 1) {
			gw_refuse(&g, EC_INVALID, "field %.64s is given more "
			    "than once", g.in.v[i].key);
			goto out;
		}
	/* profiles: the gateway refuses before looking at anything */
	if (strcmp(g.f.profile, "unsigned_refusal") == 0 ||
	    strcmp(g.f.profile, "no_allowlist") == 0) {
		bool ip = g.f.profile[0] == 'n';
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "resultCode",
		    json_object_new_string("failed"));
		json_object_object_add(o, "errorCode", json_object_new_string(
		    ip ? "1012" : EC_SIGN));
		json_object_object_add(o, "errorMsg", json_object_new_string(
		    ip ? "IP is not in the allow-list" :
		    "signature verification failed"));
		resp_json(w, ip ? 403 : 200, o);
		log_info("sim", "api_refused", "profile=%s", g.f.profile);
		goto out;
	}
	/* the signature first: nothing else is trusted before it */
	st = kvlist_get(&g.in, "signType");
	if (st && ((strcmp(st, "MD5") == 0 && g.sim->md5_key) ||
	    (strcmp(st, "RSA") == 0 && g.sim->provider_priv)))
		g.sign_type = st;
	mno = kvlist_get(&g.in, "merchantNo");
	if (mno == NULL || strcmp(mno, g.sim->cfg.merchant_no) != 0) {
		gw_refuse(&g, mno ? EC_MERCHANT : EC_MISSING, mno ?
		    "merchant not found" : "field merchantNo is required");
		goto out;
	}
	if (sim_verify(g.sim, &g.in, &verr) == -1) {
		log_info("sim", "api_bad_sign", "msg=\"%s\"", verr.msg);
		gw_refuse(&g, EC_SIGN, "signature verification failed (%s)",
		    verr.msg);
		goto out;
	}
	if (strcmp(kvlist_get(&g.in, "version") ?
	    kvlist_get(&g.in, "version") : "", "1.0") != 0) {
		gw_refuse(&g, kvlist_get(&g.in, "version") ? EC_INVALID :
		    EC_MISSING, "version must be 1.0");
		goto out;
	}
	tt = kvlist_get(&g.in, "transactionType");
	if (tt == NULL)
		gw_refuse(&g, EC_MISSING, "field transactionType is required");
	else if (strcmp(tt, "pay") == 0)
		rc = gw_pay(&g);
	else if (strcmp(tt, "query") == 0)
		rc = gw_query(&g);
	else if (strcmp(tt, "refund") == 0)
		rc = gw_refund(&g, &notif_id);
	else
		gw_refuse(&g, EC_TYPE, "transactionType %.16s is not "
		    "supported", tt);
	if (rc == 0) {
		if (notif_id > 0) {
			struct sim_notif n;

			/* fault: the final notification overtakes the answer */
			if (sim_notif_get(app->store, notif_id, &n, &verr) ==
			    0) {
				sim_notif_deliver(app, &n, true);
				free(n.body);
			}
		}
		gw_hang(g.sim);
		gw_send(&g);
	}
out:
	kvlist_cleanup(&g.in);
	kvlist_cleanup(&g.out);
	return 0;
}
