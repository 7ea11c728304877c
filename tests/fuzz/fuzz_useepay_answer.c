/*
 * fuzz_useepay_answer.c - libFuzzer: hostile UseePay answers and
 * notifications through useepay.c.
 *
 * The first input byte picks the call (pay / query / refund); the rest is
 * the answer body the fake httpc replays. Each input runs twice: as sent
 * (decoding and signature checking: must never be trusted), and, when it is
 * a JSON object, re-signed with the test MD5 key so the fuzzer also reaches
 * everything after verification (redirectParam, transactionInfo, bounds,
 * cross-checks). The whole input also goes through useepay_notify_parse.
 * Nothing may crash, leak or read out of bounds; an unsigned input must
 * never come out as a known outcome.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "../unit/fake_httpc.h"
#include "app.h"
#include "cfg.h"
#include "keys.h"
#include "sign.h"
#include "useepay.h"

#define FUZZ_KEY "TESTKEY0123456789"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int64_t
fuzz_now(void *ctx)
{
	(void)ctx;
	return INT64_C(1700000000000);
}

static int
fuzz_rng(void *ctx, unsigned char *b, size_t n)
{
	(void)ctx;
	memset(b, 7, n);
	return 0;
}

/* Run one call against the replayed body; returns the call's result, or 1
 * for UP_REFUSED (an unsigned refusal: known to be refused, issue 10, but
 * never a verified outcome). */
static int
fuzz_call(struct app *a, struct fake_httpc *f, int which, const char *body,
    size_t len)
{
	static const struct useepay_pay_req pay = {
		.order_no = "ORD20240101000001", .amount = 1000,
		.currency = "HKD", .subject = "Test order",
		.openid = "oAbCdEfGhIjKlMnOpQrStUvWxYz0", .expiration_min = 20,
	};
	static const struct useepay_refund_req refund = {
		.refund_no = "RF20240101000001",
		.order_no = "ORD20240101000001", .amount = 500,
		.currency = "HKD",
	};
	struct useepay_pay_res pr;
	struct useepay_query_res qr;
	struct useepay_refund_res rr;
	struct err err;
	int rc;

	fake_httpc_reply(f, 200, body, len);
	switch (which % 3) {
	case 0:
		rc = useepay_pay(a, &pay, &pr, &err);
		if (rc == 0 && pr.outcome == UP_REFUSED)
			rc = 1;
		useepay_pay_res_cleanup(&pr);
		break;
	case 1:
		rc = useepay_query(a, "ORD20240101000001", &qr, &err);
		if (rc == 0 && qr.outcome == UP_REFUSED)
			rc = 1;
		useepay_query_res_cleanup(&qr);
		break;
	default:
		rc = useepay_refund(a, &refund, &rr, &err);
		if (rc == 0 && rr.outcome == UP_REFUSED)
			rc = 1;
		useepay_refund_res_cleanup(&rr);
		break;
	}
	return rc;
}

/* When body is a JSON object, the same object with every string field
 * re-signed (sign/signType replaced). Caller frees; NULL otherwise. */
static char *
fuzz_resign(const char *body, size_t len)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o, *out = NULL;
	struct json_object_iterator it, end;
	struct kvlist l;
	struct buf sig;
	struct err err;
	char *res = NULL;
	size_t i;

	kvlist_init(&l);
	buf_init(&sig, 64);
	o = json_tokener_parse_ex(tok, body, (int)len);
	if (o == NULL || !json_object_is_type(o, json_type_object))
		goto out;
	it = json_object_iter_begin(o);
	end = json_object_iter_end(o);
	for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
		const char *k = json_object_iter_peek_name(&it);
		struct json_object *v = json_object_iter_peek_value(&it);

		if (strcmp(k, "sign") == 0 || strcmp(k, "signType") == 0 ||
		    !json_object_is_type(v, json_type_string))
			continue;
		kvlist_add(&l, k, strlen(k), json_object_get_string(v),
		    (size_t)json_object_get_string_len(v));
	}
	kvlist_adds(&l, "signType", "MD5");
	if (sign_md5(&l, FUZZ_KEY, &sig, &err) == -1)
		goto out;
	kvlist_adds(&l, "sign", buf_str(&sig));
	out = json_object_new_object();
	for (i = 0; i < l.n; i++)
		json_object_object_add(out, l.v[i].key,
		    json_object_new_string_len(l.v[i].val, (int)l.v[i].vlen));
	res = xstrdup(json_object_to_json_string_ext(out,
	    JSON_C_TO_STRING_PLAIN));
out:
	json_object_put(out);
	json_object_put(o);
	json_tokener_free(tok);
	buf_cleanup(&sig);
	kvlist_cleanup(&l);
	return res;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cfg c;
	static struct keys k;
	struct fake_httpc f;
	struct app a;
	struct kvlist fields;
	struct useepay_txn txn;
	struct err err;
	const char *body = (const char *)data + 1;
	size_t len = size ? size - 1 : 0;
	char *resigned;

	if (size == 0 || size > (1 << 16))
		return 0;
	c.useepay_base_url = "https://gw.test";
	c.useepay_merchant_no = "500000000007362";
	c.useepay_app_id = "www.example.com";
	c.useepay_sign_type = SIGN_MD5;
	c.useepay_currency = "HKD";
	c.useepay_notify_url = "https://shop.example.com/notify";
	c.wechat_appid = "wx1234567890abcdef";
	c.http_max_response_bytes = 1 << 17;
	k.sign_type = SIGN_MD5;
	k.md5_key = FUZZ_KEY;

	fake_httpc_init(&f);
	memset(&a, 0, sizeof(a));
	a.cfg = &c;
	a.keys = &k;
	a.httpc = &f.base;
	a.clock.now_ms = fuzz_now;
	a.rng.bytes = fuzz_rng;

	/* as sent: without a sign field nothing may come out as a verified
	 * outcome (an unsigned refusal is UP_REFUSED, rc 1) */
	if (fuzz_call(&a, &f, data[0], body, len) == 0 &&
	    memmem(body, len, "sign", 4) == NULL)
		abort();
	if ((resigned = fuzz_resign(body, len)) != NULL) {
		(void)fuzz_call(&a, &f, data[0], resigned, strlen(resigned));
		free(resigned);
	}

	kvlist_init(&fields);
	(void)useepay_notify_parse(&c, &k, (const char *)data, size, &fields,
	    &txn, &err);
	useepay_txn_cleanup(&txn);
	kvlist_cleanup(&fields);
	fake_httpc_cleanup(&f);
	return 0;
}
