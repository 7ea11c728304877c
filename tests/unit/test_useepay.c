/*
 * test_useepay.c - the UseePay client against a fake httpc (curl's
 * tests/data style): each case says what the fake replies and what the
 * client must send or conclude. Exact request bytes come from the
 * independent signing vectors (tests/vectors/useepay_sign_vectors.json) or
 * were computed outside this code base. Replies are signed with the real
 * sign functions: MD5 with the shared key, RSA with the provider's test key.
 */
#include <json-c/json.h>

#include "app.h"
#include "cfg.h"
#include "fake_httpc.h"
#include "form.h"
#include "keys.h"
#include "req.h"
#include "sign.h"
#include "t.h"
#include "useepay.h"

#define MD5_KEY "TESTKEY0123456789"
#define MERCHANT "500000000007362"
#define ORDER "ORD20240101000001"
#define OPENID "oAbCdEfGhIjKlMnOpQrStUvWxYz0"
#define FORM_CT "application/x-www-form-urlencoded"

static struct cfg tcfg;
static struct keys kmd5, krsa;
static sign_key *provider_priv;

static int64_t
fixed_now(void *ctx)
{
	(void)ctx;
	return INT64_C(1700000000000);
}

static int
fixed_rng(void *ctx, unsigned char *b, size_t n)
{
	(void)ctx;
	memset(b, 0x42, n);
	return 0;
}

static void
setup(void)
{
	struct err err;

	memset(&tcfg, 0, sizeof(tcfg));
	tcfg.useepay_base_url = "https://gw.test";
	tcfg.useepay_merchant_no = MERCHANT;
	tcfg.useepay_app_id = "www.example.com";
	tcfg.useepay_sign_type = SIGN_MD5;
	tcfg.useepay_currency = "HKD";
	tcfg.useepay_expiration_min = 20;
	tcfg.useepay_notify_url = "https://shop.example.com/useepay/notify";
	tcfg.wechat_appid = "wx1234567890abcdef";
	tcfg.http_max_response_bytes = 262144;

	memset(&kmd5, 0, sizeof(kmd5));
	kmd5.sign_type = SIGN_MD5;
	kmd5.md5_key = MD5_KEY;
	memset(&krsa, 0, sizeof(krsa));
	krsa.sign_type = SIGN_RSA;
	krsa.merchant_priv = sign_key_load_private(
	    t_data("vectors/merchant_test_key.pem"), &err);
	krsa.provider_pub = sign_key_load_public(
	    t_data("vectors/provider_test_pub.pem"), &err);
	provider_priv = sign_key_load_private(
	    t_data("vectors/provider_test_key.pem"), &err);
	if (!krsa.merchant_priv || !krsa.provider_pub || !provider_priv) {
		fprintf(stderr, "cannot load test keys: %s\n", err.msg);
		exit(1);
	}
}

static void
teardown(void)
{
	sign_key_free(krsa.merchant_priv);
	sign_key_free(krsa.provider_pub);
	sign_key_free(provider_priv);
}

static void
app_make(struct app *a, const struct cfg *c, struct fake_httpc *f)
{
	memset(a, 0, sizeof(*a));
	a->cfg = c;
	a->keys = c->useepay_sign_type == SIGN_RSA ? &krsa : &kmd5;
	a->httpc = &f->base;
	a->clock.now_ms = fixed_now;
	a->rng.bytes = fixed_rng;
}

/* A form body from the vectors with its blank optional fields removed
 * (we never send them; they are not signed either, so the vector's
 * signature stays valid). Caller frees. */
static char *
vector_body(const char *name)
{
	struct json_object *root, *vs, *v, *x;
	char *out = NULL, *p;
	size_t i;

	root = json_object_from_file(t_data(
	    "vectors/useepay_sign_vectors.json"));
	if (root == NULL || !json_object_object_get_ex(root, "vectors", &vs))
		goto out;
	for (i = 0; i < json_object_array_length(vs); i++) {
		v = json_object_array_get_idx(vs, i);
		if (!json_object_object_get_ex(v, "name", &x) ||
		    strcmp(json_object_get_string(x), name) != 0)
			continue;
		json_object_object_get_ex(v, "formBody", &x);
		out = xstrdup(json_object_get_string(x));
		if ((p = strstr(out, "&echoParam=&")) != NULL)
			memmove(p, p + 11, strlen(p + 11) + 1);
		if ((p = strstr(out, "&reserved=+++")) != NULL)
			memmove(p, p + 13, strlen(p + 13) + 1);
	}
out:
	json_object_put(root);
	return out;
}

/* ---------------------------------------------------------------------
 * replies the fake sends
 */

#define REDIRECT_NOCE "{\"appId\":\"wx1234567890abcdef\",\"timeStamp\":" \
	"\"1700000000\",\"noceStr\":\"n0nce5tr\",\"package\":\"prepay_id=" \
	"wx27000000abcdef\",\"signType\":\"RSA\",\"paySign\":\"c2ln+bmF/0==\"}"
#define REDIRECT_NONCE "{\"appId\":\"wx1234567890abcdef\",\"timeStamp\":" \
	"1700000001,\"nonceStr\":\"Nonce2\",\"package\":\"prepay_id=" \
	"wx27000000abcdef\",\"signType\":\"RSA\",\"paySign\":\"c2ln\"}"
#define REDIRECT_NO_PAYSIGN "{\"appId\":\"wx1234567890abcdef\"," \
	"\"timeStamp\":\"1700000000\",\"noceStr\":\"n\",\"package\":\"p\"," \
	"\"signType\":\"RSA\"}"
#define TXN_INFO(id, amount, rc) "{\"transactionId\":\"" id "\"," \
	"\"reference\":\"1012401011200000001\",\"transactionType\":\"pay\"," \
	"\"amount\":" amount ",\"currency\":\"HKD\",\"resultCode\":\"" rc \
	"\",\"errorCode\":\"0000\",\"errorMsg\":\"Approved\"}"

#define PAY_OK_COMMON "resultCode", "received", "errorCode", "0000", \
	"errorMsg", "Approved or completed successfully", "reference", \
	"1012401011200000001", "transactionType", "pay", "transactionId", \
	ORDER, "merchantNo", MERCHANT, "amount", "1000", "currency", "HKD"

enum call { C_PAY, C_QUERY, C_REFUND };

#define L(...) ((const char *const[]){__VA_ARGS__, NULL})

struct reply_case {
	const char *name;
	enum call call;
	bool rsa;			/* RSA config; fake signs with RSA */
	bool wrong_key;			/* RSA reply signed by the wrong key */
	enum err_code fail;		/* replay a transport error */
	long status;			/* 0: 200 */
	const char *const *fields;	/* signed by the fake */
	const char *const *after;	/* set after signing (tampering) */
	const char *raw;		/* a raw body instead of fields */
	size_t pad;			/* extra signed field of this size */
	int rc;
	enum err_code err;
	enum useepay_outcome outcome;
	const char *const *want;	/* name, value pairs of the result */
};

static const struct reply_case reply_cases[] = {
	{"pay ok, noceStr", C_PAY, false, false, E_OK, 0,
	    L(PAY_OK_COMMON, "redirectParam", REDIRECT_NOCE), NULL, NULL, 0,
	    0, E_OK, UP_OK,
	    L("status", "received", "reference", "1012401011200000001",
		"jsapi.appId", "wx1234567890abcdef", "jsapi.timeStamp",
		"1700000000", "jsapi.nonceStr", "n0nce5tr", "jsapi.package",
		"prepay_id=wx27000000abcdef", "jsapi.signType", "RSA",
		"jsapi.paySign", "c2ln+bmF/0==")},
	{"pay ok, nonceStr, numeric timeStamp", C_PAY, false, false, E_OK, 0,
	    L(PAY_OK_COMMON, "redirectParam", REDIRECT_NONCE), NULL, NULL, 0,
	    0, E_OK, UP_OK,
	    L("jsapi.nonceStr", "Nonce2", "jsapi.timeStamp", "1700000001",
		"jsapi.paySign", "c2ln")},
	{"pay ok, unknown extra field is signed and verifies", C_PAY, false,
	    false, E_OK, 0, L(PAY_OK_COMMON, "redirectParam", REDIRECT_NOCE,
		"riskLevel", "low", "reserved", ""), NULL, NULL, 0,
	    0, E_OK, UP_OK, L("jsapi.nonceStr", "n0nce5tr")},
	{"pay ok, RSA", C_PAY, true, false, E_OK, 0,
	    L(PAY_OK_COMMON, "redirectParam", REDIRECT_NOCE), NULL, NULL, 0,
	    0, E_OK, UP_OK,
	    L("jsapi.package", "prepay_id=wx27000000abcdef", "errorCode",
		"0000")},
	{"pay refused by the provider", C_PAY, false, false, E_OK, 0,
	    L("resultCode", "failed", "errorCode", "1001", "errorMsg",
		"Merchant does not exist", "transactionId", ORDER), NULL, NULL,
	    0, 0, E_OK, UP_FAILED,
	    L("status", "failed", "errorCode", "1001", "errorMsg",
		"Merchant does not exist", "jsapi.nonceStr", "(null)")},
	{"pay error code with redirectParam is a failure", C_PAY, false,
	    false, E_OK, 0, L("errorCode", "1001", "errorMsg", "Bad merchant",
		"redirectParam", REDIRECT_NOCE), NULL, NULL, 0, 0, E_OK,
	    UP_FAILED, L("errorCode", "1001", "status", "none",
		"jsapi.paySign", "(null)")},
	{"pay 0000 without redirectParam is a failure", C_PAY, false, false,
	    E_OK, 0, L(PAY_OK_COMMON), NULL, NULL, 0, 0, E_OK, UP_FAILED,
	    L("errorCode", "0000")},
	{"pay 0000 but resultCode failed", C_PAY, false, false, E_OK, 0,
	    L("resultCode", "failed", "errorCode", "0000", "redirectParam",
		REDIRECT_NOCE), NULL, NULL, 0, 0, E_OK, UP_FAILED,
	    L("status", "failed")},
	{"pay long errorMsg is capped", C_PAY, false, false, E_OK, 0,
	    L("resultCode", "failed", "errorCode", "9999", "errorMsg",
		"0123456789012345678901234567890123456789012345678901234567"
		"8901234567890123456789012345678901234567890123456789012345"
		"6789012345678901234567890123456789012345678901234567890123"
		"4567890123456789012345678901234567890123456789012345678901"
		"23456789012345678901234567890123456789"), NULL, NULL, 0,
	    0, E_OK, UP_FAILED, L("errorMsgLen", "256")},
	{"pay tampered field", C_PAY, false, false, E_OK, 0,
	    L(PAY_OK_COMMON, "redirectParam", REDIRECT_NOCE),
	    L("errorMsg", "Approved!"), NULL, 0, -1,
	    E_UPSTREAM_SIG, UP_OK, NULL},
	{"pay unsigned extra field", C_PAY, false, false, E_OK, 0,
	    L(PAY_OK_COMMON, "redirectParam", REDIRECT_NOCE),
	    L("riskLevel", "low"), NULL, 0, -1, E_UPSTREAM_SIG, UP_OK, NULL},
	{"pay missing sign", C_PAY, false, false, E_OK, 0,
	    L(PAY_OK_COMMON, "redirectParam", REDIRECT_NOCE),
	    L("sign", ""), NULL, 0, -1, E_UPSTREAM_SIG, UP_OK, NULL},
	{"pay answer signType RSA under MD5", C_PAY, false, false, E_OK, 0,
	    L(PAY_OK_COMMON, "redirectParam", REDIRECT_NOCE, "signType",
		"RSA"), NULL, NULL, 0, -1, E_UPSTREAM_SIG, UP_OK, NULL},
	{"pay RSA answer signed by another key", C_PAY, true, true, E_OK, 0,
	    L(PAY_OK_COMMON, "redirectParam", REDIRECT_NOCE), NULL, NULL, 0,
	    -1, E_UPSTREAM_SIG, UP_OK, NULL},
	/* issue 10 item 3: refused unsigned = a configuration error, known */
	{"pay unsigned error answer", C_PAY, false, false, E_OK, 0, NULL,
	    NULL, "{\"errorCode\":\"1002\",\"errorMsg\":\"sign error\"}", 0,
	    0, E_OK, UP_REFUSED, L("errorCode", "1002", "errorMsg",
		"sign error")},
	{"pay unsigned refusal with resultCode failed, HTTP 400", C_PAY,
	    false, false, E_OK, 400, NULL, NULL, "{\"resultCode\":\"failed\","
	    "\"errorCode\":\"1004\",\"errorMsg\":\"merchant not found\"}", 0,
	    0, E_OK, UP_REFUSED, L("errorCode", "1004")},
	{"pay HTTP 403 page", C_PAY, false, false, E_OK, 403, NULL, NULL,
	    "<html>Forbidden</html>", 0, 0, E_OK, UP_REFUSED,
	    L("errorCode", "HTTP403")},
	{"pay unsigned error answer with HTTP 502: unknown", C_PAY, false,
	    false, E_OK, 502, NULL, NULL, "{\"errorCode\":\"9999\"}", 0, -1,
	    E_UPSTREAM, UP_OK, NULL},
	{"pay unsigned success-looking answer: not a refusal", C_PAY, false,
	    false, E_OK, 0, NULL, NULL, "{\"errorCode\":\"0000\","
	    "\"resultCode\":\"pending\"}", 0, -1, E_UPSTREAM_SIG, UP_OK, NULL},
	{"pay unsigned pending with an error code: not a refusal", C_PAY,
	    false, false, E_OK, 0, NULL, NULL, "{\"errorCode\":\"1002\","
	    "\"resultCode\":\"pending\"}", 0, -1, E_UPSTREAM_SIG, UP_OK, NULL},
	{"query unsigned refusal", C_QUERY, false, false, E_OK, 0, NULL, NULL,
	    "{\"errorCode\":\"1003\",\"errorMsg\":\"bad sign\"}", 0, 0, E_OK,
	    UP_REFUSED, L("errorCode", "1003", "found", "no")},
	{"refund unsigned refusal", C_REFUND, false, false, E_OK, 0, NULL,
	    NULL, "{\"errorCode\":\"1003\"}", 0, 0, E_OK, UP_REFUSED,
	    L("errorCode", "1003", "status", "failed")},
	{"pay malformed JSON", C_PAY, false, false, E_OK, 0, NULL, NULL,
	    "{\"resultCode\":\"received\",", 0, -1, E_UPSTREAM, UP_OK, NULL},
	{"pay JSON not an object", C_PAY, false, false, E_OK, 0, NULL, NULL,
	    "[\"resultCode\"]", 0, -1, E_UPSTREAM, UP_OK, NULL},
	/* non-string members decode (their JSON text is signed, §3): an
	 * unsigned answer holding them gets as far as the signature */
	{"pay non-string value, unsigned", C_PAY, false, false, E_OK, 0, NULL,
	    NULL, "{\"errorCode\":\"0000\",\"amount\":1000}", 0, -1,
	    E_UPSTREAM_SIG,
	    UP_OK, NULL},
	{"pay nested object value, unsigned", C_PAY, false, false, E_OK, 0,
	    NULL, NULL, "{\"errorCode\":\"0000\",\"redirectParam\":{\"a\":"
	    "\"b\"}}", 0, -1, E_UPSTREAM_SIG, UP_OK, NULL},
	{"pay repeated key", C_PAY, false, false, E_OK, 0, NULL, NULL,
	    "{\"errorCode\":\"0000\",\"errorCode\":\"0001\"}", 0, -1,
	    E_UPSTREAM, UP_OK, NULL},
	{"pay nested too deep", C_PAY, false, false, E_OK, 0, NULL, NULL,
	    "{\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1"
	    "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
	    0, -1, E_UPSTREAM, UP_OK, NULL},
	{"pay bytes after the JSON", C_PAY, false, false, E_OK, 0, NULL, NULL,
	    "{\"errorCode\":\"0000\"} x", 0, -1, E_UPSTREAM, UP_OK, NULL},
	{"pay empty body", C_PAY, false, false, E_OK, 0, NULL, NULL, "", 0,
	    -1, E_UPSTREAM, UP_OK, NULL},
	{"pay HTTP 500", C_PAY, false, false, E_OK, 500,
	    L(PAY_OK_COMMON, "redirectParam", REDIRECT_NOCE), NULL, NULL, 0,
	    -1, E_UPSTREAM, UP_OK, NULL},
	{"pay answer over the size cap", C_PAY, false, false, E_OK, 0,
	    L(PAY_OK_COMMON, "redirectParam", REDIRECT_NOCE), NULL, NULL,
	    300000, -1, E_TOOBIG, UP_OK, NULL},
	{"pay transport says too big", C_PAY, false, false, E_TOOBIG, 0, NULL,
	    NULL, NULL, 0, -1, E_TOOBIG, UP_OK, NULL},
	{"pay timeout", C_PAY, false, false, E_UNKNOWN, 0, NULL, NULL, NULL,
	    0, -1, E_UNKNOWN, UP_OK, NULL},
	{"pay not delivered", C_PAY, false, false, E_UPSTREAM, 0, NULL, NULL,
	    NULL, 0, -1, E_UPSTREAM, UP_OK, NULL},
	{"pay answer about another order", C_PAY, false, false, E_OK, 0,
	    L(PAY_OK_COMMON, "redirectParam", REDIRECT_NOCE),
	    NULL, NULL, 0, -1, E_UPSTREAM, UP_OK, NULL},
	{"pay answer with another amount", C_PAY, false, false, E_OK, 0,
	    L("resultCode", "received", "errorCode", "0000", "amount", "1",
		"redirectParam", REDIRECT_NOCE), NULL, NULL, 0, -1, E_UPSTREAM,
	    UP_OK, NULL},
	{"pay redirectParam not JSON", C_PAY, false, false, E_OK, 0,
	    L(PAY_OK_COMMON, "redirectParam", "prepay_id=x"), NULL, NULL, 0,
	    -1, E_UPSTREAM, UP_OK, NULL},
	{"pay redirectParam without paySign", C_PAY, false, false, E_OK, 0,
	    L(PAY_OK_COMMON, "redirectParam", REDIRECT_NO_PAYSIGN), NULL, NULL,
	    0, -1, E_UPSTREAM, UP_OK, NULL},
	{"pay reference over its spec length", C_PAY, false, false, E_OK, 0,
	    L("resultCode", "received", "errorCode", "0000", "reference",
		"012345678901234567890123456789012", "redirectParam",
		REDIRECT_NOCE), NULL, NULL, 0, -1, E_UPSTREAM, UP_OK, NULL},

	{"query found, inner resultCode is the status", C_QUERY, false, false,
	    E_OK, 0, L("resultCode", "succeed", "errorCode", "0000",
		"errorMsg", "Approved", "merchantNo", MERCHANT,
		"transactionInfo", TXN_INFO(ORDER, "\"1000\"", "pending")),
	    NULL, NULL, 0, 0, E_OK, UP_OK,
	    L("found", "yes", "txn.status", "pending", "txn.resultCode",
		"pending", "txn.amount", "1000", "txn.currency", "HKD",
		"txn.reference", "1012401011200000001", "txn.transactionType",
		"pay", "txn.transactionId", ORDER)},
	{"query found, numeric amount, RSA", C_QUERY, true, false, E_OK, 0,
	    L("resultCode", "succeed", "errorCode", "0000", "transactionInfo",
		TXN_INFO(ORDER, "1000", "succeed")), NULL, NULL, 0, 0, E_OK,
	    UP_OK, L("found", "yes", "txn.status", "succeed", "txn.amount",
		"1000")},
	{"query 0000 without transactionInfo", C_QUERY, false, false, E_OK, 0,
	    L("resultCode", "succeed", "errorCode", "0000"), NULL, NULL, 0, 0,
	    E_OK, UP_OK, L("found", "no", "txn.amount", "-1")},
	{"query not found", C_QUERY, false, false, E_OK, 0,
	    L("resultCode", "failed", "errorCode", "2002", "errorMsg",
		"Transaction not found"), NULL, NULL, 0, 0, E_OK, UP_FAILED,
	    L("found", "no", "errorCode", "2002", "errorMsg",
		"Transaction not found")},
	{"query answers about another order", C_QUERY, false, false, E_OK, 0,
	    L("resultCode", "succeed", "errorCode", "0000", "transactionInfo",
		TXN_INFO("ORD20240101000009", "\"1000\"", "succeed")), NULL,
	    NULL, 0, -1, E_UPSTREAM, UP_OK, NULL},
	{"query transactionInfo malformed", C_QUERY, false, false, E_OK, 0,
	    L("resultCode", "succeed", "errorCode", "0000", "transactionInfo",
		"{\"transactionId\":"), NULL, NULL, 0, -1, E_UPSTREAM, UP_OK,
	    NULL},
	{"query tampered transactionInfo", C_QUERY, false, false, E_OK, 0,
	    L("resultCode", "succeed", "errorCode", "0000", "transactionInfo",
		TXN_INFO(ORDER, "\"1000\"", "pending")),
	    L("transactionInfo", TXN_INFO(ORDER, "\"1000\"", "succeed")),
	    NULL, 0, -1, E_UPSTREAM_SIG, UP_OK, NULL},
	{"query timeout", C_QUERY, false, false, E_UNKNOWN, 0, NULL, NULL,
	    NULL, 0, -1, E_UNKNOWN, UP_OK, NULL},

	{"refund accepted", C_REFUND, false, false, E_OK, 0,
	    L("resultCode", "pending", "errorCode", "0000", "errorMsg",
		"Accepted", "reference", "2012401011200000001",
		"transactionId", "RF20240101000001", "originalTransactionId",
		ORDER, "amount", "500", "currency", "HKD"), NULL, NULL, 0,
	    0, E_OK, UP_OK,
	    L("status", "pending", "reference", "2012401011200000001")},
	{"refund accepted, RSA", C_REFUND, true, false, E_OK, 0,
	    L("resultCode", "pending", "errorCode", "0000", "reference",
		"2012401011200000001"), NULL, NULL, 0, 0, E_OK, UP_OK,
	    L("status", "pending")},
	{"refund refused", C_REFUND, false, false, E_OK, 0,
	    L("resultCode", "failed", "errorCode", "5001", "errorMsg",
		"Refund amount exceeds"), NULL, NULL, 0, 0, E_OK, UP_FAILED,
	    L("status", "failed", "errorCode", "5001", "errorMsg",
		"Refund amount exceeds")},
	{"refund error code with resultCode pending", C_REFUND, false, false,
	    E_OK, 0, L("resultCode", "pending", "errorCode", "5002",
		"errorMsg", "Busy"), NULL, NULL, 0, 0, E_OK, UP_FAILED,
	    L("errorCode", "5002")},
	{"refund answer about another refund", C_REFUND, false, false, E_OK,
	    0, L("resultCode", "pending", "errorCode", "0000",
		"transactionId", "RF20240101000002"), NULL, NULL, 0, -1,
	    E_UPSTREAM, UP_OK, NULL},
	{"refund timeout", C_REFUND, false, false, E_UNKNOWN, 0, NULL, NULL,
	    NULL, 0, -1, E_UNKNOWN, UP_OK, NULL},
};

/* Sign fields (+ pad) as the provider would and serialise them as JSON;
 * then apply `after` without re-signing. */
static void
reply_build(const struct reply_case *rc, struct buf *out)
{
	struct kvlist l;
	struct buf sig;
	struct json_object *o;
	struct err err;
	const char *const *p;
	char *pad = NULL;
	size_t i;

	kvlist_init(&l);
	buf_init(&sig, 4096);
	for (p = rc->fields; *p; p += 2)
		kvlist_adds(&l, p[0], p[1]);
	if (rc->pad) {
		pad = xmalloc(rc->pad + 1);
		memset(pad, 'x', rc->pad);
		pad[rc->pad] = '\0';
		kvlist_adds(&l, "pad", pad);
	}
	if (kvlist_find(&l, "signType") == NULL)
		kvlist_adds(&l, "signType", rc->rsa ? "RSA" : "MD5");
	if (!rc->rsa)
		T_OK(sign_md5(&l, MD5_KEY, &sig, &err) == 0);
	else
		T_OK(sign_rsa(&l, rc->wrong_key ? krsa.merchant_priv :
		    provider_priv, &sig, &err) == 0);
	kvlist_adds(&l, "sign", buf_str(&sig));
	o = json_object_new_object();
	for (i = 0; i < l.n; i++)
		json_object_object_add(o, l.v[i].key,
		    json_object_new_string_len(l.v[i].val, (int)l.v[i].vlen));
	for (p = rc->after; p && *p; p += 2)
		json_object_object_add(o, p[0], json_object_new_string(p[1]));
	buf_adds(out, json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	free(pad);
	buf_cleanup(&sig);
	kvlist_cleanup(&l);
}

static const char *
s_or_null(const char *s)
{
	return s ? s : "(null)";
}

static const char *
txn_get(const struct useepay_txn *t, const char *n)
{
	static char num[32];

	if (strcmp(n, "status") == 0)
		return useepay_status_name(t->status);
	if (strcmp(n, "resultCode") == 0)
		return s_or_null(t->result_code);
	if (strcmp(n, "amount") == 0) {
		snprintf(num, sizeof(num), "%" PRId64, t->amount);
		return num;
	}
	if (strcmp(n, "currency") == 0)
		return s_or_null(t->currency);
	if (strcmp(n, "reference") == 0)
		return s_or_null(t->reference);
	if (strcmp(n, "transactionType") == 0)
		return s_or_null(t->transaction_type);
	if (strcmp(n, "transactionId") == 0)
		return s_or_null(t->transaction_id);
	if (strcmp(n, "originalTransactionId") == 0)
		return s_or_null(t->original_transaction_id);
	if (strcmp(n, "errorCode") == 0)
		return s_or_null(t->error_code);
	if (strcmp(n, "errorMsg") == 0)
		return s_or_null(t->error_msg);
	if (strcmp(n, "echo") == 0)
		return s_or_null(t->echo);
	return "(no such name)";
}

/* The value named n of a call's result, as text. */
static const char *
res_get(enum call c, const void *res, const char *n)
{
	static char num[32];
	const struct useepay_pay_res *pr = res;
	const struct useepay_query_res *qr = res;
	const struct useepay_refund_res *rr = res;

	if (c == C_PAY) {
		if (strcmp(n, "status") == 0)
			return useepay_status_name(pr->status);
		if (strcmp(n, "reference") == 0)
			return s_or_null(pr->reference);
		if (strcmp(n, "errorCode") == 0)
			return s_or_null(pr->error_code);
		if (strcmp(n, "errorMsg") == 0)
			return s_or_null(pr->error_msg);
		if (strcmp(n, "errorMsgLen") == 0) {
			snprintf(num, sizeof(num), "%zu", pr->error_msg ?
			    strlen(pr->error_msg) : 0);
			return num;
		}
		if (strcmp(n, "jsapi.appId") == 0)
			return s_or_null(pr->jsapi.app_id);
		if (strcmp(n, "jsapi.timeStamp") == 0)
			return s_or_null(pr->jsapi.time_stamp);
		if (strcmp(n, "jsapi.nonceStr") == 0)
			return s_or_null(pr->jsapi.nonce_str);
		if (strcmp(n, "jsapi.package") == 0)
			return s_or_null(pr->jsapi.package);
		if (strcmp(n, "jsapi.signType") == 0)
			return s_or_null(pr->jsapi.sign_type);
		if (strcmp(n, "jsapi.paySign") == 0)
			return s_or_null(pr->jsapi.pay_sign);
	} else if (c == C_QUERY) {
		if (strcmp(n, "found") == 0)
			return qr->found ? "yes" : "no";
		if (strcmp(n, "errorCode") == 0)
			return s_or_null(qr->error_code);
		if (strcmp(n, "errorMsg") == 0)
			return s_or_null(qr->error_msg);
		if (strncmp(n, "txn.", 4) == 0)
			return txn_get(&qr->txn, n + 4);
	} else {
		if (strcmp(n, "status") == 0)
			return useepay_status_name(rr->status);
		if (strcmp(n, "reference") == 0)
			return s_or_null(rr->reference);
		if (strcmp(n, "errorCode") == 0)
			return s_or_null(rr->error_code);
		if (strcmp(n, "errorMsg") == 0)
			return s_or_null(rr->error_msg);
	}
	return "(no such name)";
}

static const struct useepay_pay_req pay_req = {
	.order_no = ORDER, .amount = 1000, .currency = "HKD",
	.subject = "Test order", .openid = OPENID, .expiration_min = 20,
};
static const struct useepay_refund_req refund_req = {
	.refund_no = "RF20240101000001", .order_no = ORDER, .amount = 500,
	.currency = "HKD",
};

static void
test_reply_cases(void)
{
	size_t i;

	for (i = 0; i < sizeof(reply_cases) / sizeof(reply_cases[0]); i++) {
		const struct reply_case *rc = &reply_cases[i];
		struct useepay_pay_res pr;
		struct useepay_query_res qr;
		struct useepay_refund_res rr;
		struct fake_httpc f;
		struct cfg c = tcfg;
		struct app a;
		struct err err;
		const char *const *w;
		const void *res;
		int ret, outcome, before = t_fail;
		struct buf body;

		c.useepay_sign_type = rc->rsa ? SIGN_RSA : SIGN_MD5;
		fake_httpc_init(&f);
		app_make(&a, &c, &f);
		buf_init(&body, 1 << 20);
		if (rc->raw)
			buf_adds(&body, rc->raw);
		else if (rc->fields)
			reply_build(rc, &body);
		fake_httpc_reply(&f, rc->status ? rc->status : 200, body.data,
		    body.len);
		if (rc->fail != E_OK)
			fake_httpc_fail(&f, rc->fail);
		err_clear(&err);
		memset(&pr, 0, sizeof(pr));
		memset(&qr, 0, sizeof(qr));
		memset(&rr, 0, sizeof(rr));
		if (rc->call == C_PAY) {
			struct useepay_pay_req rq = pay_req;

			if (strstr(rc->name, "another order"))
				rq.order_no = "ORD20240101000002";
			ret = useepay_pay(&a, &rq, &pr, &err);
			outcome = (int)pr.outcome;
			res = &pr;
		} else if (rc->call == C_QUERY) {
			ret = useepay_query(&a, ORDER, &qr, &err);
			outcome = (int)qr.outcome;
			res = &qr;
		} else {
			ret = useepay_refund(&a, &refund_req, &rr, &err);
			outcome = (int)rr.outcome;
			res = &rr;
		}
		T_EQ_INT(f.calls, 1);
		T_EQ_INT(ret, rc->rc);
		if (rc->rc == -1)
			T_EQ_INT(err.code, rc->err);
		else
			T_EQ_INT(outcome, rc->outcome);
		for (w = rc->want; w && *w; w += 2)
			T_EQ_STR(res_get(rc->call, res, w[0]), w[1]);
		if (t_fail != before)
			fprintf(stderr, "  in case \"%s\" (err %d: %s)\n",
			    rc->name, (int)err.code, err.msg);
		useepay_pay_res_cleanup(&pr);
		useepay_query_res_cleanup(&qr);
		useepay_refund_res_cleanup(&rr);
		buf_cleanup(&body);
		fake_httpc_cleanup(&f);
	}
}

/* ---------------------------------------------------------------------
 * exact request bytes
 */

struct request_case {
	const char *name;
	enum call call;
	bool rsa;
	const char *base_url;
	const struct useepay_pay_req *pay;
	const char *vector;		/* expected body from the vectors */
	const char *body;		/* or literally */
};

static const struct useepay_pay_req pay_unicode = {
	.order_no = "ORD20240101000002", .amount = 1000, .currency = "HKD",
	.subject = "测试商品 A&B=C", .openid = OPENID, .expiration_min = 20,
	.echo = "",
};
static const struct useepay_pay_req pay_echo = {
	.order_no = "ORD20240101000003", .amount = 1999, .currency = "HKD",
	.subject = "Tea \"Oolong\" 1/2 kg", .openid = OPENID,
	.expiration_min = 15, .echo = "cart=7 & more/ok",
};

static const struct request_case request_cases[] = {
	{"pay MD5 (vector)", C_PAY, false, NULL, &pay_req,
	    "jsapi-pay-request-md5", NULL},
	{"pay MD5 (literal)", C_PAY, false, "https://gw.test/", &pay_req,
	    NULL,
	    "transactionType=pay&version=1.0&merchantNo=500000000007362"
	    "&transactionId=ORD20240101000001&transactionExpirationTime=20"
	    "&appId=www.example.com&amount=1000&currency=HKD&notifyUrl="
	    "https%3A%2F%2Fshop.example.com%2Fuseepay%2Fnotify&payerInfo="
	    "%7B%22paymentMethod%22%3A%22wechat_jsapi%22%2C%22sub_appid%22"
	    "%3A%22wx1234567890abcdef%22%2C%22sub_openid%22%3A%22"
	    "oAbCdEfGhIjKlMnOpQrStUvWxYz0%22%7D&orderInfo=%7B%22subject%22"
	    "%3A%22Test+order%22%7D&signType=MD5"
	    "&sign=4c47da3f47af4e80b233d6e87ed3860c"},
	{"pay MD5 unicode subject, empty echo omitted (vector)", C_PAY, false,
	    NULL, &pay_unicode, "jsapi-pay-request-md5-unicode-and-blank",
	    NULL},
	{"pay MD5 with echoParam and JSON escapes", C_PAY, false, NULL,
	    &pay_echo, NULL,
	    "transactionType=pay&version=1.0&merchantNo=500000000007362"
	    "&transactionId=ORD20240101000003&transactionExpirationTime=15"
	    "&appId=www.example.com&amount=1999&currency=HKD&notifyUrl="
	    "https%3A%2F%2Fshop.example.com%2Fuseepay%2Fnotify&echoParam="
	    "cart%3D7+%26+more%2Fok&payerInfo=%7B%22paymentMethod%22%3A%22"
	    "wechat_jsapi%22%2C%22sub_appid%22%3A%22wx1234567890abcdef%22%2C"
	    "%22sub_openid%22%3A%22oAbCdEfGhIjKlMnOpQrStUvWxYz0%22%7D"
	    "&orderInfo=%7B%22subject%22%3A%22Tea+%5C%22Oolong%5C%22+1%2F2+kg"
	    "%22%7D&signType=MD5&sign=9390ac4a622740fce785e816203b18a8"},
	{"pay RSA (vector)", C_PAY, true, NULL, &pay_req,
	    "jsapi-pay-request-rsa", NULL},
	{"pay RSA unicode (vector)", C_PAY, true, NULL, &pay_unicode,
	    "jsapi-pay-request-rsa-unicode-and-blank", NULL},
	{"query MD5", C_QUERY, false, NULL, NULL, NULL,
	    "transactionType=query&version=1.0&merchantNo=500000000007362"
	    "&transactionId=ORD20240101000001&signType=MD5"
	    "&sign=f02790fcf91369cf6b61bfda2cb89085"},
	{"refund MD5", C_REFUND, false, NULL, NULL, NULL,
	    "transactionType=refund&version=1.0&merchantNo=500000000007362"
	    "&transactionId=RF20240101000001&originalTransactionId="
	    "ORD20240101000001&amount=500&currency=HKD&notifyUrl=https%3A%2F"
	    "%2Fshop.example.com%2Fuseepay%2Fnotify&signType=MD5"
	    "&sign=bec87dfbb201a06954ef35b254db77e5"},
};

static void
test_request_bytes(void)
{
	size_t i;

	for (i = 0; i < sizeof(request_cases) / sizeof(request_cases[0]);
	    i++) {
		const struct request_case *rc = &request_cases[i];
		struct useepay_pay_res pr;
		struct useepay_query_res qr;
		struct useepay_refund_res rr;
		struct fake_httpc f;
		struct cfg c = tcfg;
		struct app a;
		struct err err;
		char *want;
		int before = t_fail;

		c.useepay_sign_type = rc->rsa ? SIGN_RSA : SIGN_MD5;
		if (rc->base_url)
			c.useepay_base_url = (char *)(uintptr_t)rc->base_url;
		fake_httpc_init(&f);
		fake_httpc_fail(&f, E_UNKNOWN);	/* the reply is not the point */
		app_make(&a, &c, &f);
		if (rc->call == C_PAY)
			useepay_pay(&a, rc->pay, &pr, &err);
		else if (rc->call == C_QUERY)
			useepay_query(&a, ORDER, &qr, &err);
		else
			useepay_refund(&a, &refund_req, &rr, &err);
		want = rc->vector ? vector_body(rc->vector) : xstrdup(rc->body);
		T_OK(want != NULL);
		T_EQ_INT(f.calls, 1);
		T_EQ_STR(f.method, "POST");
		T_EQ_STR(f.url, "https://gw.test/api");
		T_EQ_STR(f.content_type, FORM_CT);
		T_EQ_STR(buf_str(&f.body), want);
		T_EQ_INT(f.body.len, want ? strlen(want) : 0);
		if (t_fail != before)
			fprintf(stderr, "  in case \"%s\"\n", rc->name);
		free(want);
		fake_httpc_cleanup(&f);
	}
}

/* What we must not send: refused before anything goes out. */
static void
test_request_refused(void)
{
	static const struct {
		const char *what;
		struct useepay_pay_req rq;
	} bad[] = {
		{"order no with a dash", {"ORD-1", 1000, "HKD", "s", OPENID, 20,
		    NULL, NULL, NULL}},
		{"order no of 33", {"ORD012345678901234567890123456789", 1000,
		    "HKD", "s", OPENID, 20, NULL, NULL, NULL}},
		{"empty order no", {"", 1000, "HKD", "s", OPENID, 20,
		    NULL, NULL, NULL}},
		{"amount 0", {ORDER, 0, "HKD", "s", OPENID, 20,
		    NULL, NULL, NULL}},
		{"negative amount", {ORDER, -5, "HKD", "s", OPENID, 20,
		    NULL, NULL, NULL}},
		{"amount of 13 digits", {ORDER, INT64_C(1000000000000), "HKD",
		    "s", OPENID, 20, NULL, NULL, NULL}},
		{"lower-case currency", {ORDER, 1000, "hkd", "s", OPENID, 20,
		    NULL, NULL, NULL}},
		{"empty subject", {ORDER, 1000, "HKD", "", OPENID, 20,
		    NULL, NULL, NULL}},
		{"blank subject", {ORDER, 1000, "HKD", "   ", OPENID, 20,
		    NULL, NULL, NULL}},
		{"subject with a newline", {ORDER, 1000, "HKD", "a\nb", OPENID,
		    20, NULL, NULL, NULL}},
		{"subject not UTF-8", {ORDER, 1000, "HKD", "a\xff", OPENID, 20,
		    NULL, NULL, NULL}},
		{"no openid", {ORDER, 1000, "HKD", "s", NULL, 20,
		    NULL, NULL, NULL}},
		{"openid with a space", {ORDER, 1000, "HKD", "s", "oAb Cd", 20,
		    NULL, NULL, NULL}},
		{"expiration 0", {ORDER, 1000, "HKD", "s", OPENID, 0,
		    NULL, NULL, NULL}},
		{"expiration 21", {ORDER, 1000, "HKD", "s", OPENID, 21,
		    NULL, NULL, NULL}},
		{"echo \"0\"", {ORDER, 1000, "HKD", "s", OPENID, 20, "0",
		    NULL, NULL}},
		{"echo with an edge space", {ORDER, 1000, "HKD", "s", OPENID, 20,
		    "x ", NULL, NULL}},
		{"blank echo", {ORDER, 1000, "HKD", "s", OPENID, 20, "  ",
		    NULL, NULL}},
	};
	struct useepay_refund_req rf;
	struct useepay_refund_res rr;
	struct useepay_pay_res pr;
	struct useepay_query_res qr;
	struct fake_httpc f;
	struct app a;
	struct err err;
	size_t i;

	fake_httpc_init(&f);
	app_make(&a, &tcfg, &f);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int before = t_fail;

		err_clear(&err);
		T_EQ_INT(useepay_pay(&a, &bad[i].rq, &pr, &err), -1);
		T_EQ_INT(err.code, E_INPUT);
		if (t_fail != before)
			fprintf(stderr, "  in case \"%s\"\n", bad[i].what);
	}
	T_EQ_INT(useepay_query(&a, "ORD 1", &qr, &err), -1);
	T_EQ_INT(err.code, E_INPUT);
	rf = refund_req;
	rf.amount = 0;
	T_EQ_INT(useepay_refund(&a, &rf, &rr, &err), -1);
	T_EQ_INT(err.code, E_INPUT);
	rf = refund_req;
	rf.refund_no = "RF_1";
	T_EQ_INT(useepay_refund(&a, &rf, &rr, &err), -1);
	T_EQ_INT(err.code, E_INPUT);
	T_EQ_INT(f.calls, 0);
	fake_httpc_cleanup(&f);
}

/* ---------------------------------------------------------------------
 * notifications (§5)
 */

static char *
vector_form_raw(const char *name)
{
	struct json_object *root, *vs, *v, *x;
	char *out = NULL;
	size_t i;

	root = json_object_from_file(t_data(
	    "vectors/useepay_sign_vectors.json"));
	if (root == NULL || !json_object_object_get_ex(root, "vectors", &vs))
		goto out;
	for (i = 0; i < json_object_array_length(vs); i++) {
		v = json_object_array_get_idx(vs, i);
		if (json_object_object_get_ex(v, "name", &x) &&
		    strcmp(json_object_get_string(x), name) == 0 &&
		    json_object_object_get_ex(v, "formBody", &x))
			out = xstrdup(json_object_get_string(x));
	}
out:
	json_object_put(root);
	return out;
}

/* Replace the first `from` in s by `to` (same or shorter length). */
static void
str_subst(char *s, const char *from, const char *to)
{
	char *p = strstr(s, from);
	size_t fl = strlen(from), tl = strlen(to);

	if (p == NULL || tl > fl) {
		T_OK(!"substitution target missing");
		return;
	}
	memcpy(p, to, tl);
	memmove(p + tl, p + fl, strlen(p + fl) + 1);
}

struct notify_case {
	const char *name;
	const char *vector;
	bool rsa;			/* configured sign type */
	const char *merchant;		/* configured; NULL = MERCHANT */
	const char *from, *to;		/* edit of the body */
	int rc;
	enum err_code err;
};

static const struct notify_case notify_cases[] = {
	{"MD5 valid", "pay-notify-md5", false, NULL, NULL, NULL, 0, E_OK},
	{"RSA valid", "pay-notify-rsa", true, NULL, NULL, NULL, 0, E_OK},
	{"RSA, '+' in sign sent raw (decodes to space)", "pay-notify-rsa",
	    true, NULL, "%2B", "+", 0, E_OK},
	{"MD5 notify under RSA config", "pay-notify-md5", true, NULL, NULL,
	    NULL, -1, E_SIG},
	{"RSA notify under MD5 config", "pay-notify-rsa", false, NULL, NULL,
	    NULL, -1, E_SIG},
	{"wrong merchantNo", "pay-notify-md5", false, "500000000000001", NULL,
	    NULL, -1, E_SIG},
	{"tampered amount", "pay-notify-md5", false, NULL, "amount=1000",
	    "amount=1", -1, E_SIG},
	{"tampered resultCode, RSA", "pay-notify-rsa", true, NULL,
	    "resultCode=succeed", "resultCode=failed", -1, E_SIG},
	{"missing sign", "pay-notify-md5", false, NULL,
	    "&sign=d7db5ef6fdf94d46572b2686b6cbd662", "", -1, E_SIG},
	{"empty sign", "pay-notify-md5", false, NULL,
	    "sign=d7db5ef6fdf94d46572b2686b6cbd662", "sign=", -1, E_SIG},
	{"missing signType", "pay-notify-md5", false, NULL, "&signType=MD5",
	    "", -1, E_SIG},
	{"duplicated field", "pay-notify-md5", false, NULL, "version=1.0&",
	    "amount=1&", -1, E_INPUT},
	{"malformed form", "pay-notify-md5", false, NULL, "version=1.0",
	    "version=%z", -1, E_INPUT},
};

static void
test_notify_cases(void)
{
	size_t i;

	for (i = 0; i < sizeof(notify_cases) / sizeof(notify_cases[0]); i++) {
		const struct notify_case *nc = &notify_cases[i];
		struct useepay_txn txn;
		struct kvlist fields;
		struct cfg c = tcfg;
		struct err err;
		char *body = vector_form_raw(nc->vector);
		int rc, before = t_fail;

		T_OK(body != NULL);
		if (body == NULL)
			continue;
		if (nc->from)
			str_subst(body, nc->from, nc->to);
		c.useepay_sign_type = nc->rsa ? SIGN_RSA : SIGN_MD5;
		if (nc->merchant)
			c.useepay_merchant_no = (char *)(uintptr_t)nc->merchant;
		kvlist_init(&fields);
		err_clear(&err);
		rc = useepay_notify_parse(&c, nc->rsa ? &krsa : &kmd5, body,
		    strlen(body), &fields, &txn, &err);
		T_EQ_INT(rc, nc->rc);
		if (nc->rc == -1)
			T_EQ_INT(err.code, nc->err);
		else {
			T_EQ_INT(txn.status, UPS_SUCCEED);
			T_EQ_STR(txn.result_code, "succeed");
			T_EQ_STR(txn.transaction_type, "pay");
			T_EQ_STR(txn.transaction_id, ORDER);
			T_EQ_STR(txn.reference, "1012401011200000001");
			T_EQ_INT(txn.amount, 1000);
			T_EQ_STR(txn.currency, "HKD");
			T_EQ_STR(txn.error_code, "0000");
			T_EQ_STR(txn.error_msg,
			    "Approved or completed successfully");
			T_OK(txn.original_transaction_id == NULL);
			T_OK(txn.echo == NULL);
		}
		/* the decoded fields are kept either way */
		if (nc->err != E_INPUT)
			T_EQ_STR(kvlist_get(&fields, "transactionId"), ORDER);
		if (t_fail != before)
			fprintf(stderr, "  in case \"%s\" (err %d: %s)\n",
			    nc->name, (int)err.code, err.msg);
		useepay_txn_cleanup(&txn);
		kvlist_cleanup(&fields);
		free(body);
	}
}

static void
test_notify_oversize(void)
{
	struct useepay_txn txn;
	struct kvlist fields;
	struct err err;
	size_t n = LIM_NOTIFY_BODY + 1;
	char *body = xmalloc(n);

	memset(body, 'a', n);
	kvlist_init(&fields);
	T_EQ_INT(useepay_notify_parse(&tcfg, &kmd5, body, n, &fields, &txn,
	    &err), -1);
	T_EQ_INT(err.code, E_TOOBIG);
	T_EQ_INT(fields.n, 0);
	useepay_txn_cleanup(&txn);
	kvlist_cleanup(&fields);
	free(body);
}

/* A refund notify signed here (refund fields, echo, an unknown field). */
static void
test_notify_refund(void)
{
	struct useepay_txn txn;
	struct kvlist l, fields;
	struct buf sig, body;
	struct err err;

	kvlist_init(&l);
	kvlist_init(&fields);
	buf_init(&sig, 64);
	buf_init(&body, 4096);
	kvlist_adds(&l, "version", "1.0");
	kvlist_adds(&l, "merchantNo", MERCHANT);
	kvlist_adds(&l, "transactionId", "RF20240101000001");
	kvlist_adds(&l, "originalTransactionId", ORDER);
	kvlist_adds(&l, "reference", "2012401011200000001");
	kvlist_adds(&l, "transactionType", "refund");
	kvlist_adds(&l, "amount", "500");
	kvlist_adds(&l, "currency", "HKD");
	kvlist_adds(&l, "resultCode", "succeed");
	kvlist_adds(&l, "errorCode", "0000");
	kvlist_adds(&l, "echoParam", "r=1 & x");
	kvlist_adds(&l, "newField", "later addition");
	kvlist_adds(&l, "reserved", " ");
	kvlist_adds(&l, "signType", "MD5");
	T_OK(sign_md5(&l, MD5_KEY, &sig, &err) == 0);
	kvlist_adds(&l, "sign", buf_str(&sig));
	T_OK(form_encode(&body, &l) == 0);
	T_EQ_INT(useepay_notify_parse(&tcfg, &kmd5, body.data, body.len,
	    &fields, &txn, &err), 0);
	T_EQ_STR(txn.transaction_type, "refund");
	T_EQ_STR(txn.transaction_id, "RF20240101000001");
	T_EQ_STR(txn.original_transaction_id, ORDER);
	T_EQ_INT(txn.amount, 500);
	T_EQ_INT(txn.status, UPS_SUCCEED);
	T_EQ_STR(txn.echo, "r=1 & x");
	T_OK(txn.error_msg == NULL);
	T_EQ_INT(fields.n, l.n);
	useepay_txn_cleanup(&txn);
	kvlist_cleanup(&fields);
	kvlist_cleanup(&l);
	buf_cleanup(&sig);
	buf_cleanup(&body);
}

/* A kind=response vector: its answerBody decodes into exactly its params
 * (nested members as their JSON text, null absent), whose canonical string
 * is the vector's; the answer verifies and a changed byte inside a nested
 * member does not; the query built on it finds the paid transaction. */
static void
check_response_vector(struct json_object *v)
{
	struct json_object *x, *params;
	const char *name, *body, *type, *sts;
	struct kvlist l;
	struct buf canon;
	struct cfg c = tcfg;
	struct keys *k;
	struct err err;
	struct fake_httpc f;
	struct app a;
	struct useepay_query_res qr;
	char *bad, *p;
	size_t np = 0;
	int before = t_fail;

	json_object_object_get_ex(v, "name", &x);
	name = json_object_get_string(x);
	json_object_object_get_ex(v, "answerBody", &x);
	body = json_object_get_string(x);
	json_object_object_get_ex(v, "signType", &x);
	type = json_object_get_string(x);
	json_object_object_get_ex(v, "stringToSign", &x);
	sts = json_object_get_string(x);
	T_OK(json_object_object_get_ex(v, "params", &params));
	c.useepay_sign_type = strcmp(type, "RSA") == 0 ? SIGN_RSA : SIGN_MD5;
	k = c.useepay_sign_type == SIGN_RSA ? &krsa : &kmd5;

	kvlist_init(&l);
	err_clear(&err);
	T_EQ_INT(useepay_response_decode(&c, k, body, strlen(body), &l, &err),
	    0);
	{
		json_object_object_foreach(params, key, val)
		{
			const struct kv *e = kvlist_find(&l, key);

			np++;
			T_OK(e != NULL);
			if (e != NULL)
				T_EQ_STR(e->val, json_object_get_string(val));
		}
	}
	T_EQ_INT(l.n, np);
	buf_init(&canon, 1 << 20);
	T_EQ_INT(sign_canonical(&l, c.useepay_sign_type == SIGN_MD5 ? MD5_KEY :
	    NULL, &canon, &err), 0);
	T_EQ_STR(buf_str(&canon), sts);
	buf_cleanup(&canon);
	kvlist_cleanup(&l);

	/* one byte inside the nested member changed: not what was signed */
	bad = xstrdup(body);
	p = strstr(bad, "HKD\\\"") ? strstr(bad, "HKD\\\"") : strstr(bad,
	    "\"settleCurrency\":\"HKD\"");
	T_OK(p != NULL);
	if (p != NULL) {
		p = strstr(p, "HKD");
		p[0] = 'X';
		kvlist_init(&l);
		T_EQ_INT(useepay_response_decode(&c, k, bad, strlen(bad), &l,
		    &err), -1);
		T_EQ_INT(err.code, E_UPSTREAM_SIG);
		kvlist_cleanup(&l);
	}
	free(bad);
	/* white space inside a nested member is part of what was signed */
	if ((p = strstr(body, "\"settlement\": [ ")) != NULL) {
		bad = xstrdup(body);
		p = bad + (p - body);
		memmove(p + 13, p + 14, strlen(p + 14) + 1);
		kvlist_init(&l);
		T_EQ_INT(useepay_response_decode(&c, k, bad, strlen(bad), &l,
		    &err), -1);
		T_EQ_INT(err.code, E_UPSTREAM_SIG);
		kvlist_cleanup(&l);
		free(bad);
	}

	/* item 1: the query answer with `settlement` confirms the payment */
	fake_httpc_init(&f);
	app_make(&a, &c, &f);
	fake_httpc_reply(&f, 200, body, strlen(body));
	T_EQ_INT(useepay_query(&a, ORDER, &qr, &err), 0);
	T_EQ_INT(qr.outcome, UP_OK);
	T_OK(qr.found);
	T_EQ_INT(qr.txn.status, UPS_SUCCEED);
	T_EQ_INT(qr.txn.amount, 1000);
	T_EQ_STR(s_or_null(qr.txn.currency), "HKD");
	T_EQ_STR(s_or_null(qr.txn.reference), "1012401011200000001");
	useepay_query_res_cleanup(&qr);
	fake_httpc_cleanup(&f);
	if (t_fail != before)
		fprintf(stderr, "  in vector \"%s\"\n", name);
}

static void
test_response_vectors(void)
{
	struct json_object *root, *vs, *v, *x;
	size_t i, seen = 0;

	root = json_object_from_file(t_data(
	    "vectors/useepay_sign_vectors.json"));
	T_OK(root != NULL && json_object_object_get_ex(root, "vectors", &vs));
	if (root == NULL)
		return;
	for (i = 0; i < json_object_array_length(vs); i++) {
		v = json_object_array_get_idx(vs, i);
		if (!json_object_object_get_ex(v, "kind", &x) ||
		    strcmp(json_object_get_string(x), "response") != 0)
			continue;
		check_response_vector(v);
		seen++;
	}
	T_OK(seen >= 2);
	json_object_put(root);
}

/* json members: each kind of value, null, caps. */
static void
test_json_fields(void)
{
	static const char big_pre[] = "{\"a\":\"";
	static const char mixed[] = "{ \"s\" : \"x\\u00e9\" , \"n\": -1.5e3,"
	    "\"t\":true,\"z\":null,\"o\":{\"k\":[1, {\"q\":\"]}\"}]},"
	    "\"e\":{} }";
	struct kvlist l;
	struct err err;
	struct buf b;
	size_t i;

	kvlist_init(&l);
	T_EQ_INT(useepay_json_fields(mixed, strlen(mixed), "t", &l, &err), 0);
	T_EQ_INT(l.n, 5);
	T_EQ_STR(s_or_null(kvlist_get(&l, "s")), "x\xc3\xa9");
	T_EQ_STR(s_or_null(kvlist_get(&l, "n")), "-1.5e3");
	T_EQ_STR(s_or_null(kvlist_get(&l, "t")), "true");
	T_OK(kvlist_get(&l, "z") == NULL);
	T_EQ_STR(s_or_null(kvlist_get(&l, "o")), "{\"k\":[1, {\"q\":\"]}\"}]}");
	T_EQ_STR(s_or_null(kvlist_get(&l, "e")), "{}");
	kvlist_cleanup(&l);

	/* one nested member over LIM_UP_JSON_VALUE */
	buf_init(&b, 1 << 20);
	buf_adds(&b, "{\"a\":[\"");
	for (i = 0; i < LIM_UP_JSON_VALUE; i++)
		buf_addc(&b, 'x');
	buf_adds(&b, "\"]}");
	kvlist_init(&l);
	T_EQ_INT(useepay_json_fields(b.data, b.len, "t", &l, &err), -1);
	T_EQ_INT(err.code, E_UPSTREAM);
	kvlist_cleanup(&l);
	/* the same size as a string is fine (the answer cap bounds it) */
	buf_reset(&b);
	buf_adds(&b, big_pre);
	for (i = 0; i < LIM_UP_JSON_VALUE; i++)
		buf_addc(&b, 'x');
	buf_adds(&b, "\"}");
	kvlist_init(&l);
	T_EQ_INT(useepay_json_fields(b.data, b.len, "t", &l, &err), 0);
	kvlist_cleanup(&l);
	buf_cleanup(&b);
}

/* The fold attack (security): a genuine notification's errorCode and
 * errorMsg sent as ONE errorCode value signs the same canonical string;
 * it must be refused, and so must any token field holding '&' or '='. */
static void
test_notify_fold(void)
{
	static const char *const genuine[] = {
		"version", "1.0", "merchantNo", MERCHANT,
		"transactionId", ORDER, "reference", "1012401011200000001",
		"transactionType", "pay", "amount", "1000", "currency", "HKD",
		"resultCode", "succeed", "errorCode", "0000",
		"errorMsg", "Success", NULL,
	};
	struct kvlist l, fields;
	struct useepay_txn txn;
	struct buf sig, body;
	struct err err;
	const char *const *p;
	int pass;

	for (pass = 0; pass < 4; pass++) {
		kvlist_init(&l);
		for (p = genuine; *p; p += 2) {
			/* pass 1: errorCode=0000&errorMsg=Success folded into
			 * errorCode; pass 2: errorMsg swallowing merchantNo */
			if ((pass == 1 && strcmp(p[0], "errorMsg") == 0) ||
			    (pass == 2 && strcmp(p[0], "merchantNo") == 0))
				continue;
			if (pass == 1 && strcmp(p[0], "errorCode") == 0) {
				kvlist_adds(&l, "errorCode",
				    "0000&errorMsg=Success");
				continue;
			}
			if (pass == 2 && strcmp(p[0], "errorMsg") == 0) {
				kvlist_adds(&l, "errorMsg", "Success&"
				    "merchantNo=" MERCHANT);
				continue;
			}
			if (pass == 3 && strcmp(p[0], "errorMsg") == 0) {
				kvlist_adds(&l, "errorMsg", "A & B, x=1&y=2");
				kvlist_adds(&l, "echoParam", "e&c=h o+");
				continue;
			}
			kvlist_adds(&l, p[0], p[1]);
		}
		kvlist_adds(&l, "signType", "MD5");
		buf_init(&sig, 64);
		T_EQ_INT(sign_md5(&l, MD5_KEY, &sig, &err), 0);
		kvlist_adds(&l, "sign", buf_str(&sig));
		buf_init(&body, 8192);
		T_EQ_INT(form_encode(&body, &l), 0);
		kvlist_init(&fields);
		err_clear(&err);
		if (pass == 0 || pass == 3) {
			T_EQ_INT(useepay_notify_parse(&tcfg, &kmd5, body.data,
			    body.len, &fields, &txn, &err), 0);
			useepay_txn_cleanup(&txn);
		} else {
			T_EQ_INT(useepay_notify_parse(&tcfg, &kmd5, body.data,
			    body.len, &fields, &txn, &err), -1);
			T_EQ_INT(err.code, E_SIG);
			T_OK(strstr(err.msg, "folded") != NULL);
		}
		kvlist_cleanup(&fields);
		buf_cleanup(&body);
		buf_cleanup(&sig);
		kvlist_cleanup(&l);
	}
}

/* Rotation (issue 10): a notification signed with the second MD5 key, or
 * with UseePay's second public key, verifies; with a key we do not hold it
 * does not; MD5 is accepted under RSA only while an MD5 key is loaded. */
static void
test_key_rotation(void)
{
	char *md5 = vector_form_raw("pay-notify-md5");
	char *rsa = vector_form_raw("pay-notify-rsa");
	struct keys k;
	struct cfg c = tcfg;
	struct kvlist fields;
	struct useepay_txn txn;
	struct err err;
	int i;

	T_OK(md5 != NULL && rsa != NULL);
	if (md5 == NULL || rsa == NULL)
		goto out;
	for (i = 0; i < 7; i++) {
		const char *body = i < 3 ? md5 : rsa;
		int want = 0, before = t_fail;

		k = i < 3 ? kmd5 : krsa;
		c.useepay_sign_type = k.sign_type;
		switch (i) {
		case 0:		/* the old key is the next one: verifies */
			k.md5_key = "NEWKEY0000000000";
			k.md5_key_next = MD5_KEY;
			break;
		case 1:		/* neither key: refused */
			k.md5_key = "NEWKEY0000000000";
			k.md5_key_next = "OTHER";
			want = -1;
			break;
		case 2:		/* MD5 while RSA is configured, key kept */
			k = krsa;
			c.useepay_sign_type = SIGN_RSA;
			k.md5_key = MD5_KEY;
			break;
		case 3:		/* UseePay's second public key */
			k.provider_pub = sign_key_load_public(t_data(
			    "vectors/rsa1024_pub.pem"), &err);
			k.provider_pub_next = krsa.provider_pub;
			break;
		case 4:		/* no key of UseePay's: refused */
			k.provider_pub_next = NULL;
			k.provider_pub = sign_key_load_public(t_data(
			    "vectors/rsa1024_pub.pem"), &err);
			want = -1;
			break;
		case 5:		/* RSA while MD5 is configured, pub kept */
			k = kmd5;
			c.useepay_sign_type = SIGN_MD5;
			k.provider_pub = krsa.provider_pub;
			break;
		case 6:		/* MD5 configured, no public key: refused */
			k = kmd5;
			c.useepay_sign_type = SIGN_MD5;
			want = -1;
			break;
		}
		kvlist_init(&fields);
		err_clear(&err);
		T_EQ_INT(useepay_notify_parse(&c, &k, body, strlen(body),
		    &fields, &txn, &err), want);
		if (want == -1)
			T_EQ_INT(err.code, E_SIG);
		else
			T_EQ_STR(s_or_null(txn.transaction_id), ORDER);
		if (t_fail != before)
			fprintf(stderr, "  in rotation case %d: %s\n", i,
			    err.msg);
		useepay_txn_cleanup(&txn);
		kvlist_cleanup(&fields);
		if (i == 3 || i == 4)
			sign_key_free(k.provider_pub);
	}
out:
	free(md5);
	free(rsa);
}

/* Items 5 and 7: userInfo.ip, terminalType and reserved are sent (and
 * signed) when given; each call carries its own timeout. */
static void
test_optional_fields_and_timeouts(void)
{
	struct useepay_pay_req rq = pay_req;
	struct useepay_pay_res pr;
	struct useepay_query_res qr;
	struct useepay_refund_res rr;
	struct kvlist l, sent;
	struct cfg c = tcfg;
	struct fake_httpc f;
	struct app a;
	struct err err;

	c.useepay_send_user_info = true;
	c.useepay_terminal_type = "WAP";
	rq.buyer_ip = "203.0.113.7";
	rq.reserved = "r-1";
	kvlist_init(&l);
	T_EQ_INT(useepay_pay_build(&c, &kmd5, &rq, &l, &err), 0);
	T_EQ_STR(s_or_null(kvlist_get(&l, "userInfo")),
	    "{\"ip\":\"203.0.113.7\"}");
	T_EQ_STR(s_or_null(kvlist_get(&l, "terminalType")), "WAP");
	T_EQ_STR(s_or_null(kvlist_get(&l, "reserved")), "r-1");
	T_EQ_INT(sign_verify_md5(&l, MD5_KEY, &err), 0);
	kvlist_cleanup(&l);
	/* IPv6 is an address too; garbage or the switch off: no userInfo */
	rq.buyer_ip = "2001:db8::1";
	kvlist_init(&l);
	T_EQ_INT(useepay_pay_build(&c, &kmd5, &rq, &l, &err), 0);
	T_EQ_STR(s_or_null(kvlist_get(&l, "userInfo")),
	    "{\"ip\":\"2001:db8::1\"}");
	kvlist_cleanup(&l);
	rq.buyer_ip = "1.2.3.4\",\"x\":\"";
	kvlist_init(&l);
	T_EQ_INT(useepay_pay_build(&c, &kmd5, &rq, &l, &err), 0);
	T_OK(kvlist_get(&l, "userInfo") == NULL);
	kvlist_cleanup(&l);
	rq.buyer_ip = "203.0.113.7";
	c.useepay_send_user_info = false;
	c.useepay_terminal_type = NULL;
	rq.reserved = NULL;
	kvlist_init(&l);
	T_EQ_INT(useepay_pay_build(&c, &kmd5, &rq, &l, &err), 0);
	T_OK(kvlist_get(&l, "userInfo") == NULL);
	T_OK(kvlist_get(&l, "terminalType") == NULL);
	T_OK(kvlist_get(&l, "reserved") == NULL);
	kvlist_cleanup(&l);

	/* timeouts: one per call */
	c.useepay_pay_timeout_ms = 31000;
	c.useepay_query_timeout_ms = 9000;
	c.useepay_refund_timeout_ms = 27000;
	fake_httpc_init(&f);
	app_make(&a, &c, &f);
	fake_httpc_fail(&f, E_UNKNOWN);
	T_EQ_INT(useepay_pay(&a, &rq, &pr, &err), -1);
	T_EQ_INT(f.timeout_ms, 31000);
	T_EQ_INT(useepay_query(&a, ORDER, &qr, &err), -1);
	T_EQ_INT(f.timeout_ms, 9000);
	T_EQ_INT(useepay_refund(&a, &refund_req, &rr, &err), -1);
	T_EQ_INT(f.timeout_ms, 27000);
	/* the body sent is the one built (userInfo included when on) */
	c.useepay_send_user_info = true;
	T_EQ_INT(useepay_pay(&a, &rq, &pr, &err), -1);
	kvlist_init(&sent);
	T_EQ_INT(form_decode(f.body.data, f.body.len, &sent, &err), 0);
	T_EQ_STR(s_or_null(kvlist_get(&sent, "userInfo")),
	    "{\"ip\":\"203.0.113.7\"}");
	kvlist_cleanup(&sent);
	fake_httpc_cleanup(&f);
}

/* h5pay doctor's self-test notification: signed with our own key (MD5
 * key, or the merchant RSA key), parsed as a verified unknown type; one
 * signed with anything else is refused. */
static void
test_selftest_notification(void)
{
	int rsa;

	for (rsa = 0; rsa < 2; rsa++) {
		struct cfg c = tcfg;
		struct keys *k = rsa ? &krsa : &kmd5;
		struct kvlist l, fields;
		struct useepay_txn txn;
		struct buf body;
		struct err err;

		c.useepay_sign_type = rsa ? SIGN_RSA : SIGN_MD5;
		kvlist_init(&l);
		T_EQ_INT(useepay_selftest_build(&c, k, "DOCTOR0011", &l, &err),
		    0);
		buf_init(&body, 8192);
		T_EQ_INT(form_encode(&body, &l), 0);
		kvlist_init(&fields);
		T_EQ_INT(useepay_notify_parse(&c, k, body.data, body.len,
		    &fields, &txn, &err), 0);
		T_EQ_STR(s_or_null(txn.transaction_type),
		    USEEPAY_SELFTEST_TYPE);
		T_EQ_STR(s_or_null(txn.transaction_id), "DOCTOR0011");
		useepay_txn_cleanup(&txn);
		kvlist_cleanup(&fields);
		/* UseePay's key is not ours: a self-test signed with it
		 * (RSA) or with another MD5 key is refused */
		buf_reset(&body);
		kvlist_cleanup(&l);
		kvlist_init(&l);
		{
			struct keys other = *k;

			other.md5_key = "SOMEONE-ELSE";
			other.merchant_priv = provider_priv;
			T_EQ_INT(useepay_selftest_build(&c, &other,
			    "DOCTOR0012", &l, &err), 0);
		}
		T_EQ_INT(form_encode(&body, &l), 0);
		kvlist_init(&fields);
		T_EQ_INT(useepay_notify_parse(&c, k, body.data, body.len,
		    &fields, &txn, &err), -1);
		T_EQ_INT(err.code, E_SIG);
		kvlist_cleanup(&fields);
		buf_cleanup(&body);
		kvlist_cleanup(&l);
	}
}

static void
test_status_names(void)
{
	T_EQ_INT(useepay_status_parse(NULL), UPS_NONE);
	T_EQ_INT(useepay_status_parse(""), UPS_NONE);
	T_EQ_INT(useepay_status_parse("received"), UPS_RECEIVED);
	T_EQ_INT(useepay_status_parse("pending"), UPS_PENDING);
	T_EQ_INT(useepay_status_parse("succeed"), UPS_SUCCEED);
	T_EQ_INT(useepay_status_parse("failed"), UPS_FAILED);
	T_EQ_INT(useepay_status_parse("closed"), UPS_CLOSED);
	T_EQ_INT(useepay_status_parse("cancelled"), UPS_CANCELLED);
	T_EQ_INT(useepay_status_parse("Succeed"), UPS_OTHER);
	T_EQ_INT(useepay_status_parse("refunded"), UPS_OTHER);
	T_EQ_STR(useepay_status_name(UPS_SUCCEED), "succeed");
	T_EQ_STR(useepay_status_name(UPS_NONE), "none");
	T_EQ_STR(useepay_status_name(UPS_OTHER), "other");
}

int
main(void)
{
	setup();
	T_RUN(test_status_names);
	T_RUN(test_request_bytes);
	T_RUN(test_request_refused);
	T_RUN(test_reply_cases);
	T_RUN(test_notify_cases);
	T_RUN(test_notify_oversize);
	T_RUN(test_notify_refund);
	T_RUN(test_response_vectors);
	T_RUN(test_json_fields);
	T_RUN(test_notify_fold);
	T_RUN(test_key_rotation);
	T_RUN(test_optional_fields_and_timeouts);
	T_RUN(test_selftest_notification);
	teardown();
	return t_done();
}
