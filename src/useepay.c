/*
 * useepay.c - the UseePay v1 client (docs/protocol.md): build and sign
 * requests (§4 pay, §6 query, §7 refund), send them through struct httpc
 * (§2), verify every answer's signature over every received field before
 * reading anything from it (§3), parse answers and notifications (§5).
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
#include "util.h"
#include "valid.h"

/* Field limits (docs/protocol.md §2, §4). */
#define UP_MAX_MERCHANT_NO 16
#define UP_MAX_ORDER_NO 32		/* what we send (§4: WeChat's limit) */
#define UP_MAX_TXN_ID 64		/* what we accept back */
#define UP_MAX_APP_ID 128
#define UP_MAX_AMOUNT INT64_C(999999999999)	/* 12 digits */
#define UP_MAX_NOTIFY_URL 512
#define UP_MAX_ECHO 256
#define UP_MAX_RESERVED 256
#define UP_MAX_TERMINAL_TYPE 16
#define UP_MAX_SUBJECT 128
#define UP_MAX_OPENID 128
#define UP_MAX_REFERENCE 32
#define UP_MAX_RESULT_CODE 32
#define UP_MAX_TXN_TYPE 64		/* §2: documented up to 64 */
#define UP_MAX_ERROR_CODE 16		/* spec: 4; a longer one is kept */
#define UP_MAX_ERROR_MSG 256		/* longer: truncated */
#define UP_MAX_SIGN 1024
/* redirectParam (WeChat's JSAPI invocation parameters, passed through) */
#define UP_MAX_JS_APPID 64
#define UP_MAX_JS_TIMESTAMP 20
#define UP_MAX_JS_NONCE 64
#define UP_MAX_JS_PACKAGE 256
#define UP_MAX_JS_SIGNTYPE 16
#define UP_MAX_JS_PAYSIGN 2048

#define UP_VERSION "1.0"
#define UP_SUCCESS "0000"

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
 * building requests
 */

static bool
up_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
	    c == '\v' || c == '\f';
}

/* True if s[0..n) is well-formed UTF-8 without control characters. */
static bool
up_text_ok(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k, len;
	uint32_t cp;

	while (i < n) {
		unsigned char c = p[i];

		if (c < 0x80) {
			if (c < 0x20 || c == 0x7f)
				return false;
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			len = 2;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			len = 3;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			len = 4;
			cp = c & 0x07;
		} else
			return false;
		if (n - i < len)
			return false;
		for (k = 1; k < len; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 &&
		    cp <= 0xdfff))) || (len == 4 && (cp < 0x10000 ||
		    cp > 0x10ffff)))
			return false;
		i += len;
	}
	return true;
}

/*
 * A value we may send (§3): present, not empty, no white space at either
 * edge, text without control characters, at most max bytes.
 */
static int
up_check(const char *name, const char *v, size_t max, struct err *err)
{
	size_t n;

	if (v == NULL || (n = strlen(v)) == 0)
		return err_set(err, E_INPUT, "useepay: %s is empty", name);
	if (n > max)
		return err_set(err, E_INPUT, "useepay: %s is %zu bytes "
		    "(max %zu)", name, n, max);
	if (up_is_space(v[0]) || up_is_space(v[n - 1]))
		return err_set(err, E_INPUT, "useepay: %s has white space at "
		    "an edge", name);
	if (!up_text_ok(v, n))
		return err_set(err, E_INPUT, "useepay: %s is not clean UTF-8 "
		    "text", name);
	return 0;
}

/* Merchant order / refund numbers: 1..32 of [0-9A-Za-z] (§4). */
static int
up_check_id(const char *name, const char *v, struct err *err)
{
	if (v == NULL || !valid_order_no(v, strlen(v)))
		return err_set(err, E_INPUT, "useepay: %s must be 1..%d of "
		    "[0-9A-Za-z]", name, UP_MAX_ORDER_NO);
	return 0;
}

static int
up_check_currency(const char *v, struct err *err)
{
	if (v == NULL || !valid_currency(v, strlen(v)))
		return err_set(err, E_INPUT, "useepay: currency must be an "
		    "ISO 4217 code");
	return 0;
}

/* Add an optional field: omitted when NULL or empty, never "0" (§3). */
static int
up_add_optional(struct kvlist *l, const char *name, const char *v,
    size_t max, struct err *err)
{
	if (v == NULL || v[0] == '\0')
		return 0;
	if (strcmp(v, "0") == 0)
		return err_set(err, E_INPUT, "useepay: %s must not be \"0\"",
		    name);
	if (up_check(name, v, max, err) == -1)
		return -1;
	kvlist_adds(l, name, v);
	return 0;
}

static void
up_add_i64(struct kvlist *l, const char *name, int64_t v)
{
	char s[32];
	int n = snprintf(s, sizeof(s), "%" PRId64, v);

	kvlist_add(l, name, strlen(name), s, (size_t)n);
}

static const char *
up_sign_type_name(enum sign_type t)
{
	return t == SIGN_RSA ? "RSA" : "MD5";
}

/* The fields every request starts with (§2). */
static int
up_add_common(const struct cfg *c, struct kvlist *l, const char *type,
    struct err *err)
{
	if (up_check("merchantNo", c->useepay_merchant_no, UP_MAX_MERCHANT_NO,
	    err) == -1)
		return -1;
	kvlist_adds(l, "transactionType", type);
	kvlist_adds(l, "version", UP_VERSION);
	kvlist_adds(l, "merchantNo", c->useepay_merchant_no);
	return 0;
}

/* Append signType and sign over everything in l (§3). */
static int
up_sign_append(const struct cfg *c, const struct keys *k, struct kvlist *l,
    struct err *err)
{
	struct buf sig;
	int rc = -1;

	buf_init(&sig, UP_MAX_SIGN);
	if (k == NULL || k->sign_type != c->useepay_sign_type) {
		err_set(err, E_INTERNAL, "useepay: keys do not match the "
		    "configured sign type");
		goto out;
	}
	kvlist_adds(l, "signType", up_sign_type_name(c->useepay_sign_type));
	if (c->useepay_sign_type == SIGN_MD5)
		rc = sign_md5(l, k->md5_key, &sig, err);
	else
		rc = sign_rsa(l, k->merchant_priv, &sig, err);
	if (rc == -1)
		goto out;
	kvlist_add(l, "sign", 4, buf_str(&sig), sig.len);
	rc = 0;
out:
	buf_cleanup(&sig);
	return rc;
}

/* JSON text of an object of (key, string) pairs, in order, no spaces,
 * '/' unescaped. Caller frees. */
static char *
up_json_text(const char *const *kv, size_t npairs)
{
	struct json_object *o = json_object_new_object();
	char *s;
	size_t i;

	if (o == NULL)
		abort();
	for (i = 0; i < npairs; i++)
		json_object_object_add(o, kv[2 * i],
		    json_object_new_string(kv[2 * i + 1]));
	s = xstrdup(json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return s;
}

/* An IPv4 or IPv6 address in text form (userInfo.ip). */
static bool
up_ip_ok(const char *s)
{
	unsigned char a[sizeof(struct in6_addr)];

	return s != NULL && s[0] != '\0' && strlen(s) < INET6_ADDRSTRLEN &&
	    (inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1);
}

int
useepay_pay_build(const struct cfg *c, const struct keys *k,
    const struct useepay_pay_req *rq, struct kvlist *l, struct err *err)
{
	const char *payer[6], *order[2], *user[2];
	char *payer_json = NULL, *order_json = NULL, *user_json = NULL;
	size_t n;
	int rc = -1;

	/* §4: validate everything before the first field goes in */
	if (up_check_id("transactionId", rq->order_no, err) == -1 ||
	    up_check_currency(rq->currency, err) == -1 ||
	    up_check("appId", c->useepay_app_id, UP_MAX_APP_ID, err) == -1 ||
	    up_check("notifyUrl", c->useepay_notify_url, UP_MAX_NOTIFY_URL,
		err) == -1 ||
	    up_check("sub_appid", c->wechat_appid, 64, err) == -1)
		goto out;
	if (rq->amount <= 0 || rq->amount > UP_MAX_AMOUNT) {
		err_set(err, E_INPUT, "useepay: amount %" PRId64 " out of "
		    "range", rq->amount);
		goto out;
	}
	if (rq->expiration_min < 1 || rq->expiration_min > 20) {
		err_set(err, E_INPUT, "useepay: transactionExpirationTime %d "
		    "not in 1..20", rq->expiration_min);
		goto out;
	}
	if (!valid_openid(rq->openid, rq->openid ? strlen(rq->openid) : 0)) {
		err_set(err, E_INPUT, "useepay: openid is not an openid");
		goto out;
	}
	/* The subject travels inside JSON: only its presence, length and
	 * cleanliness matter, edges are not form-field edges. */
	n = rq->subject ? strlen(rq->subject) : 0;
	if (n == 0 || n > UP_MAX_SUBJECT || !up_text_ok(rq->subject, n)) {
		err_set(err, E_INPUT, "useepay: subject must be 1..%d bytes of "
		    "clean UTF-8 text", UP_MAX_SUBJECT);
		goto out;
	}
	while (n > 0 && up_is_space(rq->subject[n - 1]))
		n--;
	if (n == 0) {
		err_set(err, E_INPUT, "useepay: subject is blank");
		goto out;
	}

	payer[0] = "paymentMethod";
	payer[1] = "wechat_jsapi";
	payer[2] = "sub_appid";
	payer[3] = c->wechat_appid;
	payer[4] = "sub_openid";
	payer[5] = rq->openid;
	order[0] = "subject";
	order[1] = rq->subject;
	payer_json = up_json_text(payer, 3);
	order_json = up_json_text(order, 1);
	/* issue 10: userInfo.ip, the buyer's address as nginx saw it, when
	 * it is one (a risk-control field UseePay lists; [unknown] whether
	 * JSAPI requires it, so it can be turned off) */
	if (c->useepay_send_user_info && up_ip_ok(rq->buyer_ip)) {
		user[0] = "ip";
		user[1] = rq->buyer_ip;
		user_json = up_json_text(user, 1);
	}

	if (up_add_common(c, l, "pay", err) == -1)
		goto out;
	kvlist_adds(l, "transactionId", rq->order_no);
	up_add_i64(l, "transactionExpirationTime", rq->expiration_min);
	kvlist_adds(l, "appId", c->useepay_app_id);
	up_add_i64(l, "amount", rq->amount);
	kvlist_adds(l, "currency", rq->currency);
	kvlist_adds(l, "notifyUrl", c->useepay_notify_url);
	if (up_add_optional(l, "echoParam", rq->echo, UP_MAX_ECHO, err) == -1)
		goto out;
	kvlist_adds(l, "payerInfo", payer_json);
	kvlist_adds(l, "orderInfo", order_json);
	if (user_json != NULL)
		kvlist_adds(l, "userInfo", user_json);
	if (up_add_optional(l, "terminalType", c->useepay_terminal_type,
	    UP_MAX_TERMINAL_TYPE, err) == -1 ||
	    up_add_optional(l, "reserved", rq->reserved, UP_MAX_RESERVED,
	    err) == -1)
		goto out;
	rc = up_sign_append(c, k, l, err);
out:
	free(payer_json);
	free(order_json);
	free(user_json);
	return rc;
}

int
useepay_query_build(const struct cfg *c, const struct keys *k,
    const char *order_no, struct kvlist *l, struct err *err)
{
	/* §6: by our transactionId (the only id we always have) */
	if (up_check_id("transactionId", order_no, err) == -1 ||
	    up_add_common(c, l, "query", err) == -1)
		return -1;
	kvlist_adds(l, "transactionId", order_no);
	return up_sign_append(c, k, l, err);
}

int
useepay_refund_build(const struct cfg *c, const struct keys *k,
    const struct useepay_refund_req *rq, struct kvlist *l, struct err *err)
{
	/* §7 */
	if (up_check_id("transactionId", rq->refund_no, err) == -1 ||
	    up_check_id("originalTransactionId", rq->order_no, err) == -1 ||
	    up_check_currency(rq->currency, err) == -1 ||
	    up_check("notifyUrl", c->useepay_notify_url, UP_MAX_NOTIFY_URL,
		err) == -1)
		return -1;
	if (rq->amount <= 0 || rq->amount > UP_MAX_AMOUNT)
		return err_set(err, E_INPUT, "useepay: refund amount %" PRId64
		    " out of range", rq->amount);
	if (up_add_common(c, l, "refund", err) == -1)
		return -1;
	kvlist_adds(l, "transactionId", rq->refund_no);
	kvlist_adds(l, "originalTransactionId", rq->order_no);
	up_add_i64(l, "amount", rq->amount);
	kvlist_adds(l, "currency", rq->currency);
	kvlist_adds(l, "notifyUrl", c->useepay_notify_url);
	if (up_add_optional(l, "echoParam", rq->echo, UP_MAX_ECHO, err) == -1 ||
	    up_add_optional(l, "reserved", rq->reserved, UP_MAX_RESERVED,
	    err) == -1)
		return -1;
	return up_sign_append(c, k, l, err);
}

/* ---------------------------------------------------------------------
 * decoding answers
 */

/* Fields that hold an identifier, code, amount or currency (§2, §4, §5):
 * never '&' or '=' (useepay_fold_check). */
static const char *const up_token_fields[] = {
	"merchantNo", "transactionId", "originalTransactionId", "reference",
	"transactionType", "amount", "currency", "resultCode", "errorCode",
	"signType", "version",
};

static bool
up_is_token_field(const struct kv *e)
{
	size_t i;

	for (i = 0; i < sizeof(up_token_fields) / sizeof(up_token_fields[0]);
	    i++)
		if (strcmp(e->key, up_token_fields[i]) == 0)
			return true;
	return false;
}

/* The other fields the spec defines for answers and notifications. */
static const char *const up_text_fields[] = {
	"errorMsg", "echoParam", "reserved", "transactionInfo",
	"redirectParam",
};

static bool
up_is_spec_field(const char *k, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(up_token_fields) / sizeof(up_token_fields[0]);
	    i++)
		if (strlen(up_token_fields[i]) == n &&
		    memcmp(up_token_fields[i], k, n) == 0)
			return true;
	for (i = 0; i < sizeof(up_text_fields) / sizeof(up_text_fields[0]);
	    i++)
		if (strlen(up_text_fields[i]) == n &&
		    memcmp(up_text_fields[i], k, n) == 0)
			return true;
	return n == 4 && memcmp(k, "sign", 4) == 0;
}

/* True if v[0..n) holds "&NAME=" with NAME a field of the spec: what a
 * fold that swallowed one of the fields we read looks like. */
static bool
up_has_folded_field(const char *v, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		if (v[i] != '&')
			continue;
		for (j = i + 1; j < n && v[j] != '=' && v[j] != '&'; j++)
			;
		if (j < n && v[j] == '=' && up_is_spec_field(v + i + 1,
		    j - i - 1))
			return true;
	}
	return false;
}

int
useepay_fold_check(const struct kvlist *l, bool notify, struct err *err)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		const struct kv *e = &l->v[i];

		if (strcmp(e->key, "sign") == 0)
			continue;	/* not in the signed string */
		if (up_is_token_field(e)) {
			if (memchr(e->val, '&', e->vlen) != NULL ||
			    memchr(e->val, '=', e->vlen) != NULL)
				return err_set(err, E_SIG, "useepay: %s holds "
				    "'&' or '=' (a folded field)", e->key);
		} else if (notify && up_has_folded_field(e->val, e->vlen))
			return err_set(err, E_SIG, "useepay: %.64s holds "
			    "\"&<field>=\" (a folded field)", e->key);
	}
	return 0;
}

/* True when we hold a key to verify messages of signType st. */
static bool
up_can_verify(const struct keys *k, const char *st)
{
	if (st == NULL)
		return false;
	if (strcmp(st, "MD5") == 0)
		return k->md5_key != NULL || k->md5_key_next != NULL;
	if (strcmp(st, "RSA") == 0)
		return k->provider_pub != NULL || k->provider_pub_next != NULL;
	return false;
}

/*
 * Verify l's signature (§3) with the keys for its own signType: the
 * configured type's key, its _next (rotation), and the other type's key
 * only while one is configured (a switch MD5 <-> RSA; keys.h). `sig` when
 * it does not verify with any (E_UPSTREAM_SIG for an answer, E_SIG for a
 * notification: the directions map to different HTTP statuses); any other
 * failure is reported as `bad` (E_UPSTREAM for an answer, E_INPUT for a
 * notification).
 */
static int
up_verify(const struct cfg *c, const struct keys *k, const struct kvlist *l,
    enum err_code sig, enum err_code bad, struct err *err)
{
	const char *st = kvlist_get(l, "signType");
	struct err e2;
	int rc = -1;

	if (k == NULL || k->sign_type != c->useepay_sign_type)
		return err_set(err, E_INTERNAL, "useepay: keys do not match "
		    "the configured sign type");
	if (st == NULL || kvlist_count(l, "signType") != 1)
		return err_set(err, sig, "useepay: no single signType");
	if (!up_can_verify(k, st))
		return err_set(err, sig, "useepay: signType %.8s is not "
		    "accepted (no key for it)", st);
	if (strcmp(st, "MD5") == 0) {
		if (k->md5_key != NULL)
			rc = sign_verify_md5(l, k->md5_key, err);
		if (rc == -1 && k->md5_key_next != NULL && (k->md5_key ==
		    NULL || err->code == E_SIG))
			rc = sign_verify_md5(l, k->md5_key_next,
			    k->md5_key ? &e2 : err);
	} else {
		if (k->provider_pub != NULL)
			rc = sign_verify_rsa(l, k->provider_pub, err);
		if (rc == -1 && k->provider_pub_next != NULL &&
		    (k->provider_pub == NULL || err->code == E_SIG))
			rc = sign_verify_rsa(l, k->provider_pub_next,
			    k->provider_pub ? &e2 : err);
	}
	if (rc == -1 && err->code == E_SIG)
		err->code = sig;
	else if (rc == -1 && err->code != E_INTERNAL)
		err->code = bad;
	return rc;
}

int
useepay_response_decode(const struct cfg *c, const struct keys *k,
    const char *body, size_t len, struct kvlist *out, struct err *err)
{
	struct err tmp;

	if (err == NULL)
		err = &tmp;
	if (useepay_json_fields(body, len, "answer", out, err) == -1 ||
	    up_verify(c, k, out, E_UPSTREAM_SIG, E_UPSTREAM, err) == -1)
		return -1;
	if (useepay_fold_check(out, false, err) == -1) {
		err->code = E_UPSTREAM_SIG;	/* an answer: not inbound */
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------------
 * reading verified fields
 */

enum up_kind {
	UP_ID,		/* printable ASCII, no space: over max is malformed */
	UP_TEXT,	/* any text: over max is malformed */
	UP_DIAG,	/* diagnostics: over max is truncated */
};

/*
 * Copy field `key` of l into *dst: NULL when absent or empty. -1 with
 * `bad` when the value breaks its kind or length.
 */
static int
up_take(const struct kvlist *l, const char *key, enum up_kind kind,
    size_t max, enum err_code bad, char **dst, struct err *err)
{
	const struct kv *f = kvlist_find(l, key);
	size_t i, n;

	*dst = NULL;
	if (f == NULL || f->vlen == 0)
		return 0;
	n = f->vlen;
	if (kind == UP_ID) {
		for (i = 0; i < n; i++)
			if (f->val[i] <= ' ' || f->val[i] > '~')
				return err_set(err, bad, "useepay: %s is not "
				    "an identifier", key);
	}
	if (n > max) {
		if (kind != UP_DIAG)
			return err_set(err, bad, "useepay: %s is %zu bytes "
			    "(max %zu)", key, n, max);
		/* cut on a UTF-8 character boundary */
		n = max;
		while (n > 0 && ((unsigned char)f->val[n] & 0xc0) == 0x80)
			n--;
	}
	*dst = xstrndup(f->val, n);
	return 0;
}

/* When l carries `key`, it must equal want (an answer about something
 * else is malformed). */
static int
up_expect(const struct kvlist *l, const char *key, const char *want,
    enum err_code bad, struct err *err)
{
	const struct kv *f = kvlist_find(l, key);

	if (f == NULL || f->vlen == 0)
		return 0;
	if (f->vlen != strlen(want) || memcmp(f->val, want, f->vlen) != 0)
		return err_set(err, bad, "useepay: answer's %s is not ours",
		    key);
	return 0;
}

static bool
up_is_success(const struct kvlist *l)
{
	const char *ec = kvlist_get(l, "errorCode");

	return ec != NULL && strcmp(ec, UP_SUCCESS) == 0;
}

/* The outer result fields every answer has (§2). */
static int
up_take_result(const struct kvlist *l, char **result_code,
    char **error_code, char **error_msg, char **reference, struct err *err)
{
	if (result_code != NULL && up_take(l, "resultCode", UP_ID,
	    UP_MAX_RESULT_CODE, E_UPSTREAM, result_code, err) == -1)
		return -1;
	if (up_take(l, "errorCode", UP_DIAG, UP_MAX_ERROR_CODE, E_UPSTREAM,
	    error_code, err) == -1 ||
	    up_take(l, "errorMsg", UP_DIAG, UP_MAX_ERROR_MSG, E_UPSTREAM,
	    error_msg, err) == -1)
		return -1;
	if (reference != NULL && up_take(l, "reference", UP_ID,
	    UP_MAX_REFERENCE, E_UPSTREAM, reference, err) == -1)
		return -1;
	return 0;
}

void
useepay_txn_cleanup(struct useepay_txn *t)
{
	if (t == NULL)
		return;
	free(t->result_code);
	free(t->transaction_type);
	free(t->transaction_id);
	free(t->original_transaction_id);
	free(t->reference);
	free(t->currency);
	free(t->error_code);
	free(t->error_msg);
	free(t->echo);
	memset(t, 0, sizeof(*t));
	t->amount = -1;
}

/* A transaction from query's transactionInfo or a notification (§5, §6). */
static int
up_txn_fill(const struct kvlist *l, enum err_code bad, struct useepay_txn *t,
    struct err *err)
{
	const char *amount;

	if (up_take(l, "resultCode", UP_ID, UP_MAX_RESULT_CODE, bad,
	    &t->result_code, err) == -1 ||
	    up_take(l, "transactionType", UP_ID, UP_MAX_TXN_TYPE, bad,
	    &t->transaction_type, err) == -1 ||
	    up_take(l, "transactionId", UP_ID, UP_MAX_TXN_ID, bad,
	    &t->transaction_id, err) == -1 ||
	    up_take(l, "originalTransactionId", UP_ID, UP_MAX_TXN_ID, bad,
	    &t->original_transaction_id, err) == -1 ||
	    up_take(l, "reference", UP_ID, UP_MAX_REFERENCE, bad,
	    &t->reference, err) == -1 ||
	    up_take(l, "currency", UP_ID, 3, bad, &t->currency, err) == -1 ||
	    up_take(l, "errorCode", UP_DIAG, UP_MAX_ERROR_CODE, bad,
	    &t->error_code, err) == -1 ||
	    up_take(l, "errorMsg", UP_DIAG, UP_MAX_ERROR_MSG, bad,
	    &t->error_msg, err) == -1 ||
	    up_take(l, "echoParam", UP_TEXT, UP_MAX_ECHO, bad, &t->echo,
	    err) == -1)
		return -1;
	t->status = useepay_status_parse(t->result_code);
	amount = kvlist_get(l, "amount");
	if (amount != NULL && parse_i64_canon(amount, 0, UP_MAX_AMOUNT,
	    &t->amount) == -1)
		/* "08800" or "+8800": not how UseePay writes a number */
		return err_set(err, bad, "useepay: amount is not a canonical "
		    "integer");
	if (amount == NULL)
		t->amount = -1;
	if (t->transaction_id == NULL)
		return err_set(err, bad, "useepay: transaction without "
		    "transactionId");
	return 0;
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
	    up_expect(&reply, "currency", rq->currency, E_UPSTREAM, err) == -1 ||
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
	    up_expect(&reply, "currency", rq->currency, E_UPSTREAM, err) == -1 ||
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

/* ---------------------------------------------------------------------
 * notifications (§5)
 */

/* The self-test's signature: the configured type, our own key. */
static int
up_selftest_verify(const struct cfg *c, const struct keys *k,
    const struct kvlist *l, struct err *err)
{
	int rc;

	if (k == NULL || k->sign_type != c->useepay_sign_type)
		return err_set(err, E_INTERNAL, "useepay: keys do not match "
		    "the configured sign type");
	if (c->useepay_sign_type == SIGN_MD5)
		rc = k->md5_key ? sign_verify_md5(l, k->md5_key, err) :
		    err_set(err, E_SIG, "useepay: no MD5 key");
	else
		rc = sign_verify_rsa(l, k->merchant_priv, err);
	if (rc == -1 && err->code != E_SIG && err->code != E_INTERNAL)
		err->code = E_INPUT;
	return rc;
}

int
useepay_selftest_build(const struct cfg *c, const struct keys *k,
    const char *id, struct kvlist *l, struct err *err)
{
	if (up_check_id("transactionId", id, err) == -1 ||
	    up_add_common(c, l, USEEPAY_SELFTEST_TYPE, err) == -1)
		return -1;
	kvlist_adds(l, "transactionId", id);
	kvlist_adds(l, "errorMsg", "h5pay doctor self-test; changes no order");
	return up_sign_append(c, k, l, err);
}

int
useepay_notify_parse(const struct cfg *c, const struct keys *k,
    const char *body, size_t len, struct kvlist *fields,
    struct useepay_txn *txn, struct err *err)
{
	const char *st, *mno, *tt;
	struct err tmp;

	if (err == NULL)
		err = &tmp;
	memset(txn, 0, sizeof(*txn));
	txn->amount = -1;
	if (len > LIM_NOTIFY_BODY)
		return err_set(err, E_TOOBIG, "useepay: notify body %zu bytes",
		    len);
	if (form_decode(body, len, fields, err) == -1)
		return -1;
	/* h5pay doctor's self-test: signed with OUR key (we do not hold
	 * UseePay's private key); an unknown type, so it changes no order */
	tt = kvlist_get(fields, "transactionType");
	if (tt != NULL && strcmp(tt, USEEPAY_SELFTEST_TYPE) == 0 &&
	    kvlist_count(fields, "transactionType") == 1) {
		if (up_selftest_verify(c, k, fields, err) == -1)
			return -1;
		goto verified;
	}
	/* a sign type we hold a key for: the configured one (another type
	 * only during a configured switch, keys.h) */
	st = kvlist_get(fields, "signType");
	if (st == NULL || kvlist_count(fields, "signType") != 1 ||
	    k == NULL || !up_can_verify(k, st))
		return err_set(err, E_SIG, "useepay: notify signType is not "
		    "%s", up_sign_type_name(c->useepay_sign_type));
	if (up_verify(c, k, fields, E_SIG, E_INPUT, err) == -1)
		return -1;
verified:
	if (useepay_fold_check(fields, true, err) == -1)
		return -1;
	mno = kvlist_get(fields, "merchantNo");
	if (mno == NULL || strcmp(mno, c->useepay_merchant_no) != 0)
		return err_set(err, E_SIG, "useepay: notify for another "
		    "merchantNo");
	if (up_txn_fill(fields, E_INPUT, txn, err) == -1) {
		useepay_txn_cleanup(txn);
		return -1;
	}
	return 0;
}
