/*
 * test_api.c - the payments API's pure parts (api.c, valid.c,
 * sign.c): the create body's shapes and caps, origin matching for
 * return URLs, scopes, Idempotency-Key shapes, the return-URL signature
 * (HMAC-SHA256 against RFC 4231 and as the docs tell merchants to check
 * it), and the state a payment without an order shows.
 */
#include <json-c/json.h>

#include "api.h"
#include "app.h"
#include "buf.h"
#include "keys.h"
#include "sign.h"
#include "t.h"
#include "valid.h"

static int
parse(const char *text, struct api_pay_req *rq, struct err *err)
{
	struct json_object *o = json_tokener_parse(text);
	int rc;

	if (o == NULL)
		return -2;
	rc = api_pay_req_from_json(o, rq, err);
	json_object_put(o);
	return rc;
}

#define OK_BODY "\"amount\":2500,\"currency\":\"HKD\",\"subject\":\"Mug\"," \
	"\"reference\":\"ord-1:a.b_c\",\"returnUrl\":\"https://m.example/r\""

static void
test_body_ok_and_defaults(void)
{
	struct api_pay_req rq;
	struct err err;

	T_EQ_INT(parse("{" OK_BODY "}", &rq, &err), 0);
	T_EQ_INT(rq.amount, 2500);
	T_EQ_STR(rq.currency, "HKD");
	T_EQ_STR(rq.reference, "ord-1:a.b_c");
	T_EQ_STR(rq.return_url, "https://m.example/r");
	T_EQ_INT(rq.expires_in, 0);
	T_EQ_STR(rq.metadata, "{}");
	T_EQ_INT(parse("{" OK_BODY ",\"expiresIn\":86400,\"metadata\":"
	    "{\"b\":\"2\",\"a\":\"1\"}}", &rq, &err), 0);
	T_EQ_INT(rq.expires_in, 86400);
	T_EQ_STR(rq.metadata, "{\"b\":\"2\",\"a\":\"1\"}");	/* as given */
}

static void
test_body_refused(void)
{
	static const char *const bad[] = {
		"[]", "{}",
		"{\"amount\":0,\"currency\":\"HKD\",\"subject\":\"M\","
		    "\"reference\":\"r\",\"returnUrl\":\"https://m.example\"}",
		"{\"amount\":1.0,\"currency\":\"HKD\",\"subject\":\"M\","
		    "\"reference\":\"r\",\"returnUrl\":\"https://m.example\"}",
		"{\"amount\":true,\"currency\":\"HKD\",\"subject\":\"M\","
		    "\"reference\":\"r\",\"returnUrl\":\"https://m.example\"}",
		"{\"amount\":1000000000000,\"currency\":\"HKD\",\"subject\":"
		    "\"M\",\"reference\":\"r\",\"returnUrl\":\"https://m.e\"}",
		"{" OK_BODY ",\"amount2\":1}",
		"{" OK_BODY ",\"expiresIn\":59}",
		"{" OK_BODY ",\"expiresIn\":\"600\"}",
		"{" OK_BODY ",\"metadata\":null}",
		"{" OK_BODY ",\"metadata\":{\"a\":1}}",
		"{" OK_BODY ",\"metadata\":{\"a b\":\"1\"}}",
		"{" OK_BODY ",\"metadata\":{\"\":\"1\"}}",
	};
	struct api_pay_req rq;
	struct err err;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err_clear(&err);
		T_EQ_INT(parse(bad[i], &rq, &err), -1);
		T_EQ_INT(err.code, E_INPUT);
	}
}

/* One field of an otherwise good body replaced: refused with E_INPUT. */
static void
test_field_shapes(void)
{
	static const char *const refs[] = {"", "a b", "a/b", "é", "a\\u0000b",
	    ("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxx")};
	static const char *const subjects[] = {"", " lead", "trail ",
	    "a\\nb", "a\\u007fb", "a\\u0000b"};
	static const char *const urls[] = {"", "https://m.example/a b",
	    "https://m.example/#x", "https://m.example\\\\@evil/"};
	struct api_pay_req rq;
	struct err err;
	char b[1024];
	size_t i;

	for (i = 0; i < sizeof(refs) / sizeof(refs[0]); i++) {
		snprintf(b, sizeof(b), "{\"amount\":1,\"currency\":\"HKD\","
		    "\"subject\":\"M\",\"reference\":\"%s\",\"returnUrl\":"
		    "\"https://m.example\"}", refs[i]);
		T_EQ_INT(parse(b, &rq, &err), -1);
	}
	for (i = 0; i < sizeof(subjects) / sizeof(subjects[0]); i++) {
		snprintf(b, sizeof(b), "{\"amount\":1,\"currency\":\"HKD\","
		    "\"subject\":\"%s\",\"reference\":\"r\",\"returnUrl\":"
		    "\"https://m.example\"}", subjects[i]);
		T_EQ_INT(parse(b, &rq, &err), -1);
	}
	for (i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		snprintf(b, sizeof(b), "{\"amount\":1,\"currency\":\"HKD\","
		    "\"subject\":\"M\",\"reference\":\"r\",\"returnUrl\":"
		    "\"%s\"}", urls[i]);
		T_EQ_INT(parse(b, &rq, &err), -1);
	}
	/* UTF-8 subjects are fine, at 128 bytes exactly too */
	T_EQ_INT(parse("{\"amount\":1,\"currency\":\"HKD\",\"subject\":"
	    "\"凤凰单丛 ×2\",\"reference\":\"r\",\"returnUrl\":"
	    "\"https://m.example\"}", &rq, &err), 0);
	{
		char x[130];

		memset(x, 'x', 128);
		x[128] = '\0';
		snprintf(b, sizeof(b), "{\"amount\":1,\"currency\":\"HKD\","
		    "\"subject\":\"%s\",\"reference\":\"r\",\"returnUrl\":"
		    "\"https://m.example\"}", x);
		T_EQ_INT(parse(b, &rq, &err), 0);
		T_EQ_INT(strlen(rq.subject), 128);
		x[128] = 'x';
		x[129] = '\0';
		snprintf(b, sizeof(b), "{\"amount\":1,\"currency\":\"HKD\","
		    "\"subject\":\"%s\",\"reference\":\"r\",\"returnUrl\":"
		    "\"https://m.example\"}", x);
		T_EQ_INT(parse(b, &rq, &err), -1);
	}
}

static void
test_metadata_caps(void)
{
	struct api_pay_req rq;
	struct err err;
	struct buf b;
	int i;

	/* 20 keys fine, 21 too many */
	buf_init(&b, 1 << 16);
	buf_adds(&b, "{" OK_BODY ",\"metadata\":{");
	for (i = 0; i < 21; i++)
		buf_printf(&b, "%s\"k%d\":\"v\"", i ? "," : "", i);
	buf_adds(&b, "}}");
	err_clear(&err);
	T_EQ_INT(parse(buf_str(&b), &rq, &err), -1);
	T_EQ_INT(err.code, E_TOOBIG);
	buf_reset(&b);
	buf_adds(&b, "{" OK_BODY ",\"metadata\":{");
	for (i = 0; i < 20; i++)
		buf_printf(&b, "%s\"k%d\":\"v\"", i ? "," : "", i);
	buf_adds(&b, "}}");
	T_EQ_INT(parse(buf_str(&b), &rq, &err), 0);
	/* a value of 500 bytes fine, 501 too big */
	buf_reset(&b);
	buf_adds(&b, "{" OK_BODY ",\"metadata\":{\"k\":\"");
	for (i = 0; i < 500; i++)
		buf_addc(&b, 'v');
	buf_adds(&b, "\"}}");
	T_EQ_INT(parse(buf_str(&b), &rq, &err), 0);
	buf_reset(&b);
	buf_adds(&b, "{" OK_BODY ",\"metadata\":{\"k\":\"");
	for (i = 0; i < 501; i++)
		buf_addc(&b, 'v');
	buf_adds(&b, "\"}}");
	T_EQ_INT(parse(buf_str(&b), &rq, &err), -1);
	T_EQ_INT(err.code, E_TOOBIG);
	/* 9 x 450 bytes: each value fine, the whole over 4096 */
	buf_reset(&b);
	buf_adds(&b, "{" OK_BODY ",\"metadata\":{");
	for (i = 0; i < 10; i++) {
		int j;

		buf_printf(&b, "%s\"k%d\":\"", i ? "," : "", i);
		for (j = 0; j < 450; j++)
			buf_addc(&b, 'v');
		buf_addc(&b, '"');
	}
	buf_adds(&b, "}}");
	T_EQ_INT(parse(buf_str(&b), &rq, &err), -1);
	T_EQ_INT(err.code, E_TOOBIG);
	buf_cleanup(&b);
}

static void
test_origins(void)
{
	const char *o = "https://m.example https://shop.example:8443";

	T_EQ_INT(valid_origin_len("https://m.example", 17, false), 17);
	T_EQ_INT(valid_origin_len("https://m.example:1/x", 21, false), 19);
	T_EQ_INT(valid_origin_len("http://m.example", 16, false), 0);
	T_EQ_INT(valid_origin_len("http://m.example", 16, true), 16);
	T_EQ_INT(valid_origin_len("https://m.example:0", 19, false), 0);
	T_EQ_INT(valid_origin_len("https://m.example:65536", 23, false), 0);
	T_EQ_INT(valid_origin_len("https://m.example:", 18, false), 0);
	T_EQ_INT(valid_origin_len("https://", 8, false), 0);
	T_EQ_INT(valid_origin_len("https://.m", 10, false), 0);
	T_EQ_INT(valid_origin_len("https://u@m.example", 19, false), 0);
	T_EQ_INT(valid_origin_len("https://m.example#", 18, false), 0);

	T_OK(api_origin_allowed(o, "https://m.example", false));
	T_OK(api_origin_allowed(o, "https://m.example/", false));
	T_OK(api_origin_allowed(o, "https://M.Example/back?x=1", false));
	T_OK(api_origin_allowed(o, "https://m.example?x=1", false));
	T_OK(api_origin_allowed(o, "https://shop.example:8443/x", false));
	T_OK(!api_origin_allowed(o, "https://shop.example/x", false));
	T_OK(!api_origin_allowed(o, "https://shop.example:843/x", false));
	T_OK(!api_origin_allowed(o, "https://m.example:443/x", false));
	T_OK(!api_origin_allowed(o, "https://m.example.evil/x", false));
	T_OK(!api_origin_allowed(o, "https://m.exampl/x", false));
	T_OK(!api_origin_allowed(o, "https://m.example@evil/x", false));
	T_OK(!api_origin_allowed(o, "http://m.example/x", true));
	T_OK(!api_origin_allowed(o, "//m.example/x", false));
	T_OK(!api_origin_allowed(o, "javascript:alert(1)", false));
	T_OK(!api_origin_allowed(NULL, "https://m.example/", false));
	T_OK(!api_origin_allowed("", "https://m.example/", false));
	T_OK(api_origin_allowed("http://127.0.0.1:9", "http://127.0.0.1:9/r",
	    true));
}

static void
test_scopes_and_keys(void)
{
	struct err err;
	unsigned m;

	T_EQ_INT(api_scopes_parse(API_SCOPES_ALL, &m, &err), 0);
	T_EQ_INT(m, API_PAYMENTS_WRITE | API_PAYMENTS_READ |
	    API_REFUNDS_WRITE);
	T_EQ_INT(api_scopes_parse("payments:read", &m, &err), 0);
	T_EQ_INT(m, API_PAYMENTS_READ);
	T_EQ_INT(api_scopes_parse("", &m, &err), -1);
	T_EQ_INT(api_scopes_parse("payments:read,", &m, &err), -1);
	T_EQ_INT(api_scopes_parse("payments:read,payments:read", &m, &err),
	    -1);
	T_EQ_INT(api_scopes_parse("payments:*", &m, &err), -1);
	T_EQ_INT(api_scopes_parse(",payments:read", &m, &err), -1);
	T_OK(api_idem_key_valid("a"));
	T_OK(api_idem_key_valid("order-1:refund.2_x"));
	T_OK(!api_idem_key_valid(""));
	T_OK(!api_idem_key_valid(NULL));
	T_OK(!api_idem_key_valid("a b"));
	T_OK(!api_idem_key_valid("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxx"));
}

static void
test_hmac_rfc4231(void)
{
	char out[65];

	/* RFC 4231, test case 2 */
	sign_hmac_sha256_hex("Jefe", 4, "what do ya want for nothing?", 28,
	    out);
	T_EQ_STR(out, "5bdcc146bf60754e6a042426089575c7"
	    "5a003f089d2739839dec58b964ec3843");
}

#define SET(dst, lit) snprintf(dst, sizeof(dst), "%s", lit)

static int64_t
fixed_ms(void *ctx)
{
	return *(int64_t *)ctx;
}

static void
test_return_url_and_state(void)
{
	int64_t now = 1780000000000LL;
	struct keys k;
	struct app app;
	struct api_payment p;
	struct buf u;
	struct err err;
	char sig[65];

	memset(&k, 0, sizeof(k));
	memset(&app, 0, sizeof(app));
	memset(&p, 0, sizeof(p));
	app.clock.now_ms = fixed_ms;
	app.clock.ctx = &now;
	app.keys = &k;
	SET(p.payment_id, "pay_0123456789abcdefABCDEF0123456789");
	SET(p.return_url, "https://m.example/done?o=1");
	p.expires_at = now / 1000 + 10;
	T_EQ_STR(api_payment_state(&app, &p), "CREATED");
	T_EQ_STR(api_return_status(&app, &p), "open");
	buf_init(&u, 2048);
	T_EQ_INT(api_return_url(&app, &p, &u, &err), -1);   /* no key */
	k.api_return_secret = "0123456789abcdef0123456789abcdef";
	T_EQ_INT(api_return_url(&app, &p, &u, &err), 0);
	sign_hmac_sha256_hex(k.api_return_secret, 32,
	    "payment_id=pay_0123456789abcdefABCDEF0123456789&status=open",
	    59, sig);
	{
		char want[512];

		snprintf(want, sizeof(want), "https://m.example/done?o=1&"
		    "payment_id=pay_0123456789abcdefABCDEF0123456789&"
		    "status=open&sig=%s", sig);
		T_EQ_STR(buf_str(&u), want);
	}
	/* expired or cancelled without an order: CLOSED, "closed" */
	now += 10000;
	T_EQ_STR(api_payment_state(&app, &p), "CLOSED");
	T_EQ_STR(api_return_status(&app, &p), "closed");
	now -= 10000;
	p.cancelled_at = 1;
	T_EQ_STR(api_payment_state(&app, &p), "CLOSED");
	/* with an order: its state */
	p.order_id = 7;
	SET(p.order_state, "PARTIALLY_REFUNDED");
	T_EQ_STR(api_return_status(&app, &p), "paid");
	SET(p.order_state, "FAILED");
	T_EQ_STR(api_return_status(&app, &p), "failed");
	SET(p.order_state, "PENDING");
	T_EQ_STR(api_return_status(&app, &p), "open");
	/* a return URL without a query gets '?' */
	SET(p.return_url, "https://m.example");
	buf_reset(&u);
	T_EQ_INT(api_return_url(&app, &p, &u, &err), 0);
	T_OK(strncmp(buf_str(&u), "https://m.example?payment_id=pay_", 33) ==
	    0);
	buf_cleanup(&u);
}

int
main(void)
{
	T_RUN(test_body_ok_and_defaults);
	T_RUN(test_body_refused);
	T_RUN(test_field_shapes);
	T_RUN(test_metadata_caps);
	T_RUN(test_origins);
	T_RUN(test_scopes_and_keys);
	T_RUN(test_hmac_rfc4231);
	T_RUN(test_return_url_and_state);
	return t_done();
}
