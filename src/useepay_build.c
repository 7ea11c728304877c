/*
 * useepay_build.c - UseePay requests (docs/protocol.md §2-§4, §6, §7):
 * every field checked against what we may send, the signed field list in
 * send order, "sign" last. Pure: no I/O.
 *
 * Invariants: the bytes signed are the bytes sent (payerInfo/orderInfo
 * JSON text is built once, signed, then form-encoded); no field is sent
 * empty, with white space at an edge, or as "0" when optional (§3).
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

const char *
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

/* h5pay doctor's self-test notification: a type UseePay never sends,
 * signed with our own key (useepay_notify_parse). */
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
