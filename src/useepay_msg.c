/*
 * useepay_msg.c - what UseePay sends us (docs/protocol.md §2, §3, §5, §6):
 * the field-boundary (fold) rule, signature verification over every
 * received field with the configured keys (and a rotation's second key),
 * synchronous answers decoded and verified, notifications decoded and
 * verified, and the readers of verified fields. Pure: no I/O.
 *
 * Invariants: nothing is read from a message before its signature
 * verified; every parsed value is bounded (identifiers by their spec
 * length: over it the message is malformed; errorCode/errorMsg are
 * diagnostics and only capped, so an odd code never turns a known answer
 * into an unknown one).
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

/*
 * Copy field `key` of l into *dst: NULL when absent or empty. -1 with
 * `bad` when the value breaks its kind or length.
 */
int
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
int
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

bool
up_is_success(const struct kvlist *l)
{
	const char *ec = kvlist_get(l, "errorCode");

	return ec != NULL && strcmp(ec, UP_SUCCESS) == 0;
}

/* The outer result fields every answer has (§2). */
int
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
int
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
