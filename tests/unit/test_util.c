/*
 * test_util.c - parse_i64 (bounds, signs, junk), ct_equal, the buf
 * ceiling, and the small string helpers.
 */
#include "t.h"

#include "buf.h"
#include "util.h"

static int
p(const char *s, int64_t min, int64_t max, int64_t *out)
{
	return parse_i64(s, strlen(s), min, max, out);
}

static void
test_parse_i64_ok(void)
{
	int64_t v = -7;

	T_EQ_INT(p("0", 0, 10, &v), 0);
	T_EQ_INT(v, 0);
	T_EQ_INT(p("1000", 0, INT64_MAX, &v), 0);
	T_EQ_INT(v, 1000);
	T_EQ_INT(p("-42", -100, 100, &v), 0);
	T_EQ_INT(v, -42);
	T_EQ_INT(p("-0", -1, 1, &v), 0);
	T_EQ_INT(v, 0);
	T_EQ_INT(p("9223372036854775807", INT64_MIN, INT64_MAX, &v), 0);
	T_OK(v == INT64_MAX);
	T_EQ_INT(p("-9223372036854775808", INT64_MIN, INT64_MAX, &v), 0);
	T_OK(v == INT64_MIN);
	/* bounds are inclusive */
	T_EQ_INT(p("1", 1, 20, &v), 0);
	T_EQ_INT(p("20", 1, 20, &v), 0);
	T_EQ_INT(v, 20);
	/* only n bytes are read */
	T_EQ_INT(parse_i64("123junk", 3, 0, 1000, &v), 0);
	T_EQ_INT(v, 123);
	T_EQ_INT(parse_i64z("77", 0, 100, &v), 0);
	T_EQ_INT(v, 77);
	/* canonical spelling only (issue 12: a signed "08800") */
	T_EQ_INT(parse_i64_canon("8800", 0, 100000, &v), 0);
	T_EQ_INT(v, 8800);
	T_EQ_INT(parse_i64_canon("0", 0, 10, &v), 0);
	T_EQ_INT(v, 0);
	T_EQ_INT(parse_i64_canon("-5", -10, 10, &v), 0);
	T_EQ_INT(parse_i64_canon("08800", 0, 100000, &v), -1);
	T_EQ_INT(parse_i64_canon("00", 0, 100000, &v), -1);
	T_EQ_INT(parse_i64_canon("-0", -10, 10, &v), -1);
	T_EQ_INT(parse_i64_canon("-05", -10, 10, &v), -1);
	T_EQ_INT(parse_i64_canon("+1", 0, 10, &v), -1);
	T_EQ_INT(parse_i64_canon(" 1", 0, 10, &v), -1);
	T_EQ_INT(parse_i64_canon("", 0, 10, &v), -1);
	T_EQ_INT(parse_i64_canon(NULL, 0, 10, &v), -1);
	T_EQ_INT(v, -5);	/* untouched by the refusals */
}

static void
test_parse_i64_bad(void)
{
	static const char *junk[] = {
		"", " 1", "1 ", "+1", "1a", "a1", "0x10", "1.0", "1e3", "-",
		"--1", "- 1", "1,000", "\t1", "1\n", "１",
	};
	int64_t v = 5;
	size_t i;

	for (i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		int rc = p(junk[i], INT64_MIN, INT64_MAX, &v);

		if (rc != -1)
			fprintf(stderr, "  accepted: \"%s\"\n", junk[i]);
		T_EQ_INT(rc, -1);
	}
	/* out of range */
	T_EQ_INT(p("0", 1, 20, &v), -1);
	T_EQ_INT(p("21", 1, 20, &v), -1);
	T_EQ_INT(p("-5", -4, 4, &v), -1);
	/* a sign where none is allowed */
	T_EQ_INT(p("-1", 0, 100, &v), -1);
	T_EQ_INT(p("-0", 0, 100, &v), -1);
	/* overflow, both ways, and very long input */
	T_EQ_INT(p("9223372036854775808", INT64_MIN, INT64_MAX, &v), -1);
	T_EQ_INT(p("-9223372036854775809", INT64_MIN, INT64_MAX, &v), -1);
	T_EQ_INT(p("18446744073709551616", INT64_MIN, INT64_MAX, &v), -1);
	T_EQ_INT(p("99999999999999999999999", INT64_MIN, INT64_MAX, &v), -1);
	/* an embedded NUL is junk, not the end */
	T_EQ_INT(parse_i64("1\0002", 3, 0, 1000, &v), -1);
	T_EQ_INT(parse_i64z(NULL, 0, 10, &v), -1);
	/* failures leave *out alone */
	T_EQ_INT(v, 5);
}

static void
test_ct_equal(void)
{
	T_OK(ct_equal("abc", 3, "abc", 3));
	T_OK(ct_equal("", 0, "", 0));
	T_OK(!ct_equal("abc", 3, "abd", 3));
	T_OK(!ct_equal("abc", 3, "Abc", 3));
	T_OK(!ct_equal("abc", 3, "abcd", 4));
	T_OK(!ct_equal("abc", 3, "ab", 2));
	/* bytes after a NUL still count */
	T_OK(!ct_equal("a\0b", 3, "a\0c", 3));
	T_OK(ct_equal("a\0b", 3, "a\0b", 3));
}

/* buf_printf prints into the room there is, and grows for a longer text;
 * buf_add_int writes what %lld does */
static void
test_buf_printf_grows(void)
{
	static const long long v[] = {0, 7, -7, 10, 99, 100, 123456789,
	    -1000000, INT64_MAX, INT64_MIN};
	struct buf b, want;
	char big[3000], num[32];
	size_t i;

	buf_init(&b, 1 << 20);
	buf_init(&want, 1 << 20);
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	for (i = 0; i < 200; i++) {
		T_EQ_INT(buf_printf(&b, "[%zu:%s]", i, i % 50 == 0 ? big :
		    "ab"), 0);
		buf_addc(&want, '[');
		snprintf(num, sizeof(num), "%zu", i);
		buf_adds(&want, num);
		buf_addc(&want, ':');
		buf_adds(&want, i % 50 == 0 ? big : "ab");
		buf_addc(&want, ']');
	}
	T_EQ_INT(b.len, want.len);
	T_EQ_INT(strlen(buf_str(&b)), b.len);
	T_EQ_STR(buf_str(&b), buf_str(&want));
	buf_reset(&b);
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		buf_reset(&b);
		T_EQ_INT(buf_add_int(&b, v[i]), 0);
		snprintf(num, sizeof(num), "%lld", v[i]);
		T_EQ_STR(buf_str(&b), num);
	}
	buf_cleanup(&b);
	buf_cleanup(&want);
	/* past the ceiling: refused whole */
	buf_init(&b, 3);
	T_EQ_INT(buf_add_int(&b, 123), 0);
	T_EQ_INT(buf_add_int(&b, 4), -1);
	T_EQ_STR(buf_str(&b), "123");
	buf_cleanup(&b);
}

static void
test_buf_cap(void)
{
	struct buf b;
	char *s;

	buf_init(&b, 8);
	T_EQ_STR(buf_str(&b), "");
	T_EQ_INT(buf_adds(&b, "12345678"), 0);
	T_EQ_INT(b.len, 8);
	/* one byte past the ceiling: refused, content unchanged */
	T_EQ_INT(buf_addc(&b, 'x'), -1);
	T_EQ_INT(b.len, 8);
	T_EQ_STR(buf_str(&b), "12345678");
	T_EQ_INT(buf_printf(&b, "%d", 1), -1);
	T_EQ_STR(buf_str(&b), "12345678");
	buf_reset(&b);
	T_EQ_INT(b.len, 0);
	T_EQ_STR(buf_str(&b), "");
	T_EQ_INT(buf_printf(&b, "%s-%d", "ab", 12345), 0);	/* 8 bytes */
	T_EQ_STR(buf_str(&b), "ab-12345");
	buf_reset(&b);
	/* 9 bytes */
	T_EQ_INT(buf_printf(&b, "%s-%d", "ab", 123456), -1);
	T_EQ_INT(b.len, 0);
	/* it was printed into the room the buffer has, then refused */
	T_EQ_STR(buf_str(&b), "");
	/* a hostile length is refused before any allocation */
	T_EQ_INT(buf_add(&b, "x", SIZE_MAX), -1);
	T_EQ_INT(buf_add(&b, "x", SIZE_MAX - 1), -1);
	buf_cleanup(&b);

	/* content may hold NUL bytes; len is authoritative */
	buf_init(&b, 16);
	T_EQ_INT(buf_add(&b, "a\0b", 3), 0);
	T_EQ_INT(b.len, 3);
	T_OK(b.data[3] == '\0');
	s = buf_detach(&b);
	T_OK(memcmp(s, "a\0b", 4) == 0);
	T_EQ_INT(b.len, 0);
	T_EQ_STR(buf_str(&b), "");
	free(s);
	s = buf_detach(&b);	/* empty: still a string to free */
	T_EQ_STR(s, "");
	free(s);
	buf_cleanup(&b);
}

static void
test_strings(void)
{
	char d[4], hex[7];

	T_EQ_INT(str_lcpy(d, "abcdef", sizeof(d)), 6);
	T_EQ_STR(d, "abc");
	T_EQ_INT(str_lcpy(d, "ab", sizeof(d)), 2);
	T_EQ_STR(d, "ab");
	hex_encode((const unsigned char *)"\x00\xab\xff", 3, hex);
	T_EQ_STR(hex, "00abff");
	T_OK(str_is_alnum("ORD2024abc", 10));
	T_OK(!str_is_alnum("", 0));
	T_OK(!str_is_alnum("ORD-1", 5));
	T_OK(!str_is_alnum("a b", 3));
	{
		char w[4] = "xyz";

		mem_wipe(w, sizeof(w));
		T_OK(memcmp(w, "\0\0\0\0", 4) == 0);
	}
}

int
main(void)
{
	T_RUN(test_parse_i64_ok);
	T_RUN(test_parse_i64_bad);
	T_RUN(test_ct_equal);
	T_RUN(test_buf_cap);
	T_RUN(test_buf_printf_grows);
	T_RUN(test_strings);
	return t_done();
}
