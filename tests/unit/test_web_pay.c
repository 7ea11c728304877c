/*
 * test_web_pay.c - POST /pay at the handler level, table-driven: the
 * buyer's body and headers, what the fake UseePay answers (signed JSON,
 * a refusal, a timeout, a forged answer), and what the buyer gets back:
 * status, error code, the order's state, how many provider calls were
 * made and what was sent (the amount is always the catalog's). Runs the
 * real route table (guards included), web_pay.c, pay.c, order_query.c,
 * useepay.c and order.c on a temp SQLite file.
 */
#include "fixture.h"

#define COOKIE "__Host-h5s=" FX_SESSION
#define JSON "application/json"
#define REDIRECT "{\"appId\":\"" FX_APPID "\",\"timeStamp\":\"1800000000\"," \
	"\"noceStr\":\"n0nce\",\"package\":\"prepay_id=wx42\"," \
	"\"signType\":\"RSA\",\"paySign\":\"c2lnbmF0dXJl\"}"

enum answer {
	A_NONE,			/* no provider call expected */
	A_OK,			/* accepted with redirectParam */
	A_REFUSED,		/* signed errorCode 1001 */
	A_TIMEOUT,		/* transport timeout, then the query too */
	A_FORGED		/* signed with another key, then a timeout */
};

struct pay_case {
	const char *name;
	const char *body;
	const char *cookie;		/* NULL: no session */
	const char *site;		/* Sec-Fetch-Site or NULL */
	enum answer answer;
	/* expected */
	int status;
	const char *error;		/* JSON "error", or NULL */
	const char *state;		/* the order's state, or NULL */
	int calls;			/* provider calls in this case */
};

static const struct pay_case cases[] = {
	{"no session: 401 with a login URL", "{}", NULL, NULL, A_NONE, 401,
	    "login_required", NULL, 0},
	{"cross-site: 403 before anything", "{\"items\":[{\"sku\":\"tea\","
	    "\"qty\":1}],\"idempotencyKey\":\"key00000001\"}", COOKIE,
	    "cross-site", A_NONE, 403, "forbidden", NULL, 0},
	{"not JSON: 400", "items=1", COOKIE, NULL, A_NONE, 400, NULL, NULL,
	    0},
	{"qty 1.5: 400", "{\"items\":[{\"sku\":\"tea\",\"qty\":1.5}],"
	    "\"idempotencyKey\":\"key00000002\"}", COOKIE, NULL, A_NONE, 400,
	    "bad_input", NULL, 0},
	{"qty as a string: 400", "{\"items\":[{\"sku\":\"tea\",\"qty\":\"1\"}],"
	    "\"idempotencyKey\":\"key00000002\"}", COOKIE, NULL, A_NONE, 400,
	    "bad_input", NULL, 0},
	{"unknown sku: 400", "{\"items\":[{\"sku\":\"nope\",\"qty\":1}],"
	    "\"idempotencyKey\":\"key00000003\"}", COOKIE, NULL, A_NONE, 400,
	    "bad_input", NULL, 0},
	{"short key: 400", "{\"items\":[{\"sku\":\"tea\",\"qty\":1}],"
	    "\"idempotencyKey\":\"k\"}", COOKIE, NULL, A_NONE, 400,
	    "bad_input", NULL, 0},
	{"accepted: 200 with the invocation parameters, PENDING",
	    "{\"items\":[{\"sku\":\"tea\",\"qty\":2,\"price\":1}],"
	    "\"amount\":1,\"idempotencyKey\":\"key00000010\"}", COOKIE,
	    "same-origin", A_OK, 200, NULL, "PENDING", 1},
	{"the same key again: the same order, no second create",
	    "{\"items\":[{\"sku\":\"tea\",\"qty\":2}],"
	    "\"idempotencyKey\":\"key00000010\"}", COOKIE, NULL, A_NONE, 200,
	    NULL, "PENDING", 0},
	{"refused by the provider: 502, FAILED", "{\"items\":[{\"sku\":\"tea\","
	    "\"qty\":1}],\"idempotencyKey\":\"key00000011\"}", COOKIE, NULL,
	    A_REFUSED, 502, "payment_refused", "FAILED", 1},
	{"timeout: 504, UNKNOWN, queried once, never re-created",
	    "{\"items\":[{\"sku\":\"tea\",\"qty\":1}],"
	    "\"idempotencyKey\":\"key00000012\"}", COOKIE, NULL, A_TIMEOUT, 504,
	    "payment_unknown", "UNKNOWN", 2},
	{"forged answer: 504, UNKNOWN (nothing in it trusted)",
	    "{\"items\":[{\"sku\":\"tea\",\"qty\":1}],"
	    "\"idempotencyKey\":\"key00000013\"}", COOKIE, NULL, A_FORGED, 504,
	    "payment_unknown", "UNKNOWN", 2},
};

/* The provider's answer for a case. A reply may leave transactionId,
 * amount and currency out (the client checks them only when present). */
static void
script(enum answer a)
{
	fx_provider_reset();
	switch (a) {
	case A_NONE:
		break;
	case A_OK:
		fx_provider_answer(NULL, "resultCode", "pending", "errorCode",
		    "0000", "errorMsg", "Success", "transactionType", "pay",
		    "merchantNo", FX_MERCHANT, "reference", "UPREF1",
		    "signType", "MD5", "redirectParam", REDIRECT, NULL);
		break;
	case A_REFUSED:
		fx_provider_answer(NULL, "resultCode", "failed", "errorCode",
		    "1001", "errorMsg", "Merchant does not exist",
		    "transactionType", "pay", "signType", "MD5", NULL);
		break;
	case A_TIMEOUT:
		fx_provider_fail(E_UNKNOWN);
		fx_provider_fail(E_UNKNOWN);
		break;
	case A_FORGED:
		fx_provider_answer("ANOTHER-KEY", "resultCode", "pending",
		    "errorCode", "0000", "transactionType", "pay", "signType",
		    "MD5", "redirectParam", REDIRECT, NULL);
		fx_provider_fail(E_UNKNOWN);
		break;
	}
}

static void
test_pay_cases(void)
{
	char first_no[64] = "";
	size_t i;

	fx_init(POOL_WEB);
	fx_exec("INSERT INTO products (sku, name, price, currency, created_at,"
	    " updated_at) VALUES ('tea', 'Jasmine tea', 1200, 'HKD', 1, 1)");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct pay_case *c = &cases[i];

		script(c->answer);
		fx_call("POST", "/pay", JSON, c->body, strlen(c->body),
		    "HTTP_COOKIE", c->cookie ? c->cookie : "",
		    "HTTP_SEC_FETCH_SITE", c->site ? c->site : "same-origin",
		    NULL);
		if (fx.w.status != c->status)
			fprintf(stderr, "case: %s: status %d %s\n", c->name,
			    fx.w.status, fx_body());
		T_EQ_INT(fx.w.status, c->status);
		if (c->error)
			T_EQ_STR(fx_json("error"), c->error);
		T_EQ_INT(fx.calls, c->calls);
		if (c->state)
			T_EQ_STR(fx_q_text("SELECT state FROM orders WHERE "
			    "order_no = ?", fx_json("orderNo")), c->state);
		if (c->answer == A_OK) {
			/* the catalog's price x qty, whatever the body said;
			 * the buyer's openid; the parameters passed through */
			T_EQ_STR(kvlist_get(&fx.last, "amount"), "2400");
			T_EQ_STR(kvlist_get(&fx.last, "currency"), "HKD");
			T_OK(kvlist_get(&fx.last, "payerInfo") != NULL &&
			    strstr(kvlist_get(&fx.last, "payerInfo"),
			    FX_OPENID) != NULL);
			T_OK(strstr(fx_body(),
			    "\"package\":\"prepay_id=wx42\"") != NULL);
			T_OK(strstr(fx_body(), "\"nonceStr\":\"n0nce\"") !=
			    NULL);
			str_lcpy(first_no, fx_json("orderNo"), sizeof(first_no));
		}
		if (i > 0 && cases[i - 1].answer == A_OK) {
			/* the retried key answered with the first order */
			T_EQ_STR(fx_json("orderNo"), first_no);
		}
	}
	T_EQ_INT(fx_q_int("SELECT count(*) FROM orders", NULL), 4);
	T_EQ_INT(fx_q_int("SELECT amount FROM orders WHERE order_no = ?",
	    first_no), 2400);
	fx_cleanup();
}

int
main(void)
{
	T_RUN(test_pay_cases);
	return t_done();
}
