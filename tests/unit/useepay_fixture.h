/*
 * useepay_fixture.h - the UseePay client's test fixture, shared by
 * test_useepay.c (requests and answers) and test_useepay_msg.c
 * (notifications, vectors, keys): a hand-made config with MD5 and RSA
 * keys (the shared test keys), a fixed clock and random source, an app on
 * a fake httpc, and the signing vectors. Static: one per test program.
 */
#ifndef H5PAY_USEEPAY_FIXTURE_H
#define H5PAY_USEEPAY_FIXTURE_H

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

static inline int64_t
fixed_now(void *ctx)
{
	(void)ctx;
	return INT64_C(1700000000000);
}

static inline int
fixed_rng(void *ctx, unsigned char *b, size_t n)
{
	(void)ctx;
	memset(b, 0x42, n);
	return 0;
}

static inline void
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

static inline void
teardown(void)
{
	sign_key_free(krsa.merchant_priv);
	sign_key_free(krsa.provider_pub);
	sign_key_free(provider_priv);
}

static inline void
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
static inline char *
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

static inline const char *
s_or_null(const char *s)
{
	return s ? s : "(null)";
}

static const struct useepay_pay_req pay_req = {
	.order_no = ORDER, .amount = 1000, .currency = "HKD",
	.subject = "Test order", .openid = OPENID, .expiration_min = 20,
};
static const struct useepay_refund_req refund_req = {
	.refund_no = "RF20240101000001", .order_no = ORDER, .amount = 500,
	.currency = "HKD",
};

#endif
