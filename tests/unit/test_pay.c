/*
 * test_pay.c - the pure parts of pay.c: the request rules (quantities
 * 1-99, skus, keys, duplicates, line count), the order number (format,
 * deterministic with an injected clock and random source, no modulo
 * bias path), the subject (128-byte cap on a UTF-8 boundary).
 */
#include "t.h"

#include "app.h"
#include "pay.h"

static struct pay_request
req1(const char *sku, int64_t qty, const char *key)
{
	struct pay_request rq;

	memset(&rq, 0, sizeof(rq));
	snprintf(rq.lines[0].sku, sizeof(rq.lines[0].sku), "%s", sku);
	rq.lines[0].qty = qty;
	rq.n = 1;
	snprintf(rq.key, sizeof(rq.key), "%s", key);
	return rq;
}

static void
test_request_check(void)
{
	struct pay_request rq;
	struct err err;
	size_t i;

	rq = req1("tea-01", 1, "0123456789abcdef");
	T_EQ_INT(pay_request_check(&rq, &err), 0);
	rq = req1("tea_01.x", 99, "Key_with-dash");
	T_EQ_INT(pay_request_check(&rq, &err), 0);
	/* quantities */
	rq = req1("tea-01", 0, "0123456789abcdef");
	T_EQ_INT(pay_request_check(&rq, &err), -1);
	T_EQ_INT(err.code, E_INPUT);
	rq = req1("tea-01", 100, "0123456789abcdef");
	T_EQ_INT(pay_request_check(&rq, &err), -1);
	rq = req1("tea-01", -1, "0123456789abcdef");
	T_EQ_INT(pay_request_check(&rq, &err), -1);
	rq = req1("tea-01", INT64_MAX, "0123456789abcdef");
	T_EQ_INT(pay_request_check(&rq, &err), -1);
	/* skus */
	rq = req1("", 1, "0123456789abcdef");
	T_EQ_INT(pay_request_check(&rq, &err), -1);
	rq = req1("a b", 1, "0123456789abcdef");
	T_EQ_INT(pay_request_check(&rq, &err), -1);
	rq = req1("../x", 1, "0123456789abcdef");
	T_EQ_INT(pay_request_check(&rq, &err), -1);
	rq = req1("茶", 1, "0123456789abcdef");
	T_EQ_INT(pay_request_check(&rq, &err), -1);
	/* keys */
	rq = req1("tea", 1, "short");
	T_EQ_INT(pay_request_check(&rq, &err), -1);
	rq = req1("tea", 1, "has space here!!");
	T_EQ_INT(pay_request_check(&rq, &err), -1);
	rq = req1("tea", 1, "");
	T_EQ_INT(pay_request_check(&rq, &err), -1);
	/* lines: none, a repeated sku, the maximum */
	rq = req1("tea", 1, "0123456789abcdef");
	rq.n = 0;
	T_EQ_INT(pay_request_check(&rq, &err), -1);
	rq = req1("tea", 1, "0123456789abcdef");
	rq.lines[1] = rq.lines[0];
	rq.n = 2;
	T_EQ_INT(pay_request_check(&rq, &err), -1);
	rq = req1("tea", 1, "0123456789abcdef");
	for (i = 0; i < PAY_MAX_LINES; i++) {
		snprintf(rq.lines[i].sku, sizeof(rq.lines[i].sku), "s%zu", i);
		rq.lines[i].qty = 1;
	}
	rq.n = PAY_MAX_LINES;
	T_EQ_INT(pay_request_check(&rq, &err), 0);
	rq.n = PAY_MAX_LINES + 1;
	T_EQ_INT(pay_request_check(&rq, &err), -1);
}

static int64_t
fixed_ms(void *ctx)
{
	(void)ctx;
	return 1764213000123LL;		/* 2025-11-27 03:10:00.123 UTC */
}

/* Bytes 0..255 cycling: 248..255 must be skipped (rejection sampling). */
static int
cycle_bytes(void *ctx, unsigned char *buf, size_t n)
{
	unsigned *next = ctx;
	size_t i;

	for (i = 0; i < n; i++)
		buf[i] = (unsigned char)((*next)++ & 0xff);
	return 0;
}

static void
test_order_no(void)
{
	unsigned next = 0;
	struct app app;
	struct err err;
	char no[33];
	size_t i;

	memset(&app, 0, sizeof(app));
	app.clock.now_ms = fixed_ms;
	app.rng.bytes = cycle_bytes;
	app.rng.ctx = &next;
	T_EQ_INT(pay_order_no_new(&app, no, &err), 0);
	T_EQ_INT(strlen(no), 30);
	T_EQ_STR(no, "H520251127031000" "0123456789ABCD");
	for (i = 0; i < strlen(no); i++)
		T_OK((no[i] >= '0' && no[i] <= '9') ||
		    (no[i] >= 'A' && no[i] <= 'Z') ||
		    (no[i] >= 'a' && no[i] <= 'z'));
	/* bytes >= 248 are never used */
	next = 240;
	T_EQ_INT(pay_order_no_new(&app, no, &err), 0);
	/* 240..247 -> 54..61 = "stuvwxyz", 248..255 skipped, then 0.. */
	T_EQ_STR(no + 16, "stuvwxyz" "012345");
}

static void
test_subject(void)
{
	const char *one[] = {"凤凰单丛 Phoenix tea"};
	const char *two[] = {"Tea", "Cup"};
	const char *edge[] = {"  "};
	int64_t q1[] = {1}, q2[] = {3}, q3[] = {1, 2};
	char long_name[301], out[129];
	const char *lng[1];
	size_t i, n;

	pay_subject(one, q1, 1, out);
	T_EQ_STR(out, "凤凰单丛 Phoenix tea");
	pay_subject(one, q2, 1, out);
	T_EQ_STR(out, "凤凰单丛 Phoenix tea ×3");
	pay_subject(two, q3, 2, out);
	T_EQ_STR(out, "Tea 等2件");
	pay_subject(edge, q1, 1, out);
	T_EQ_STR(out, "Order");
	{
		const char *padded[] = {"\t Tea cup  "};

		pay_subject(padded, q2, 1, out);
		T_EQ_STR(out, "Tea cup ×3");
	}
	/* 100 three-byte characters: cut at 128 bytes minus the tail, on a
	 * character boundary */
	for (i = 0; i < 100; i++)
		memcpy(long_name + 3 * i, "茶", 3);
	long_name[300] = '\0';
	lng[0] = long_name;
	pay_subject(lng, q3, 2, out);
	n = strlen(out);
	T_OK(n <= 128);
	T_OK(strcmp(out + n - strlen(" 等2件"), " 等2件") == 0);
	T_EQ_INT((n - strlen(" 等2件")) % 3, 0);
}

int
main(void)
{
	T_RUN(test_request_check);
	T_RUN(test_order_no);
	T_RUN(test_subject);
	return t_done();
}
