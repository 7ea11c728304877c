/*
 * test_useepay.c - the UseePay client's requests and answers against a
 * fake httpc (curl's tests/data style): each case says what the fake
 * replies and what the client must send or conclude. Exact request bytes
 * come from the independent signing vectors (tests/vectors/) or were
 * computed outside this code base. Replies are signed with the real sign
 * functions: MD5 with the shared key, RSA with the provider's test key.
 * Notifications, response vectors and keys: test_useepay_msg.c.
 */
#include "useepay_fixture.h"

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
	teardown();
	return t_done();
}
