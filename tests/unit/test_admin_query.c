/*
 * test_admin_query.c - keyset cursor, dates, filter parsing, CSV cells.
 */
#include <string.h>

#include "admin_query.h"
#include "kv.h"
#include "t.h"

static void
test_cursor(void)
{
	char c[ADMIN_CURSOR_MAX];
	int64_t k, id;
	struct err err;

	admin_cursor_encode(SORT_CREATED_DESC, 1732670000, 42, c, sizeof(c));
	T_EQ_STR(c, "cd.1732670000.42");
	T_EQ_INT(admin_cursor_decode(c, SORT_CREATED_DESC, &k, &id, &err), 0);
	T_EQ_INT(k, 1732670000);
	T_EQ_INT(id, 42);
	admin_cursor_encode(SORT_AMOUNT_ASC, 0, 7, c, sizeof(c));
	T_EQ_INT(admin_cursor_decode(c, SORT_AMOUNT_ASC, &k, &id, &err), 0);
	T_EQ_INT(k, 0);
	T_EQ_INT(id, 7);
	/* another sort's cursor is refused */
	T_EQ_INT(admin_cursor_decode(c, SORT_AMOUNT_DESC, &k, &id, &err), -1);
	T_EQ_INT(err.code, E_INPUT);
	T_EQ_INT(admin_cursor_decode("cd.1.0", SORT_CREATED_DESC, &k, &id,
	    &err), -1);
	T_EQ_INT(admin_cursor_decode("cd.-1.5", SORT_CREATED_DESC, &k, &id,
	    &err), -1);
	T_EQ_INT(admin_cursor_decode("cd.1.5.6", SORT_CREATED_DESC, &k, &id,
	    &err), -1);
	T_EQ_INT(admin_cursor_decode("cd.1", SORT_CREATED_DESC, &k, &id,
	    &err), -1);
	T_EQ_INT(admin_cursor_decode("cd..5", SORT_CREATED_DESC, &k, &id,
	    &err), -1);
	T_EQ_INT(admin_cursor_decode("cd.1 OR 1=1.5", SORT_CREATED_DESC, &k,
	    &id, &err), -1);
	T_EQ_INT(admin_cursor_decode("cd.99999999999999999999.5",
	    SORT_CREATED_DESC, &k, &id, &err), -1);
	T_EQ_INT(admin_cursor_decode("", SORT_CREATED_DESC, &k, &id, &err),
	    -1);
}

static void
test_dates(void)
{
	int64_t t;
	char d[11];

	T_EQ_INT(admin_date_parse("1970-01-01", &t), 0);
	T_EQ_INT(t, 0);
	T_EQ_INT(admin_date_parse("2026-11-27", &t), 0);
	T_EQ_INT(t, 1795737600);
	admin_date_format(t + 86399, d);
	T_EQ_STR(d, "2026-11-27");
	T_EQ_INT(admin_date_parse("2024-02-29", &t), 0);
	admin_date_format(t, d);
	T_EQ_STR(d, "2024-02-29");
	T_EQ_INT(admin_date_parse("2023-02-29", &t), -1);
	T_EQ_INT(admin_date_parse("2100-02-29", &t), -1);
	T_EQ_INT(admin_date_parse("2000-02-29", &t), 0);
	T_EQ_INT(admin_date_parse("2026-13-01", &t), -1);
	T_EQ_INT(admin_date_parse("2026-04-31", &t), -1);
	T_EQ_INT(admin_date_parse("2026-1-01", &t), -1);
	T_EQ_INT(admin_date_parse("2026-01-01x", &t), -1);
	T_EQ_INT(admin_date_parse("1969-12-31", &t), -1);
	T_EQ_INT(admin_date_parse("+026-01-01", &t), -1);
}

static void
test_filter(void)
{
	struct kvlist q;
	struct store_admin_filter f;
	struct err err;

	kvlist_init(&q);
	T_EQ_INT(admin_filter_parse(&q, &f, &err), 0);
	T_OK(f.state == NULL && f.order_no == NULL && f.openid == NULL);
	T_EQ_INT(f.limit, 50);
	T_EQ_INT(f.sort, SORT_CREATED_DESC);
	kvlist_adds(&q, "state", "PAID");
	kvlist_adds(&q, "from", "2026-11-01");
	kvlist_adds(&q, "to", "2026-11-01");
	kvlist_adds(&q, "min", "100");
	kvlist_adds(&q, "max", "");
	kvlist_adds(&q, "sort", "amount_asc");
	kvlist_adds(&q, "limit", "200");
	kvlist_adds(&q, "cursor", "aa.150.9");
	T_EQ_INT(admin_filter_parse(&q, &f, &err), 0);
	T_EQ_STR(f.state, "PAID");
	T_EQ_INT(f.to - f.from, 86400);
	T_EQ_INT(f.amount_min, 100);
	T_OK(f.amount_max > 999999999999);
	T_EQ_INT(f.sort, SORT_AMOUNT_ASC);
	T_OK(f.has_cursor);
	T_EQ_INT(f.cursor_key, 150);
	kvlist_cleanup(&q);

#define BAD(k, v)                                                             \
	do {                                                                  \
		kvlist_init(&q);                                              \
		kvlist_adds(&q, k, v);                                        \
		T_EQ_INT(admin_filter_parse(&q, &f, &err), -1);               \
		T_EQ_INT(err.code, E_INPUT);                                  \
		kvlist_cleanup(&q);                                           \
	} while (0)
	BAD("state", "paid' OR 1=1");
	BAD("state", "BOGUS");
	BAD("from", "yesterday");
	BAD("order_no", "A-1");
	BAD("order_no", "012345678901234567890123456789012");
	BAD("openid", "o<script>");
	BAD("min", "-1");
	BAD("max", "1.5");
	BAD("limit", "0");
	BAD("limit", "201");
	BAD("sort", "id");
	BAD("cursor", "ca.1.1");	/* created_asc cursor, default sort */
#undef BAD
}

static void
csv1(const char *in, const char *want)
{
	struct buf b;

	buf_init(&b, 4096);
	T_EQ_INT(admin_csv_cell(&b, in), 0);
	T_EQ_STR(buf_str(&b), want);
	buf_cleanup(&b);
}

static void
test_csv(void)
{
	struct buf b;

	csv1("plain", "plain");
	csv1("", "");
	csv1("a,b", "\"a,b\"");
	csv1("say \"hi\"", "\"say \"\"hi\"\"\"");
	csv1("two\nlines", "\"two\nlines\"");
	csv1("cr\rx", "\"cr\rx\"");
	/* formula injection: neutralised with a leading quote, as text */
	csv1("=cmd|' /C calc'!A0", "\"'=cmd|' /C calc'!A0\"");
	csv1("=1|=2", "\"'=1|'=2\"");
	csv1("+1+1", "\"'+1+1\"");
	csv1("-2+3", "\"'-2+3\"");
	csv1("@SUM(A1)", "\"'@SUM(A1)\"");
	csv1("\tx", "\"'\tx\"");
	csv1("\rx", "\"'\rx\"");
	csv1("<script>alert(1)</script>", "<script>alert(1)</script>");
	csv1("a=b", "a=b");
	/* issue 12 item 9: leading white space, line breaks, full-width
	 * forms, ';' and '|' (OWASP's rule in full) */
	csv1(" =1+1", "\"' =1+1\"");
	/* ... and after the TAB / LF, where a TAB-splitting or line-based
	 * reader starts the next cell */
	csv1("  \t@x", "\"'  \t'@x\"");
	csv1("\n=1+1", "\"'\n'=1+1\"");
	csv1("\xef\xbc\x9d" "1+1", "\"'\xef\xbc\x9d" "1+1\"");	/* ＝ */
	csv1("\xef\xbc\x8b" "1", "\"'\xef\xbc\x8b" "1\"");	/* ＋ */
	csv1("\xe3\x80\x80=1", "\"'\xe3\x80\x80=1\"");	/* U+3000 */
	csv1("\xc2\xa0-1", "\"'\xc2\xa0-1\"");		/* NBSP */
	csv1(";cmd", "\"';cmd\"");
	csv1("|cmd", "\"'|cmd\"");
	csv1("\xef\xbd\x9c" "x", "\"'\xef\xbd\x9c" "x\"");	/* ｜ */
	/* separators inside a cell: quoted, and a cell a reader splitting
	 * there would see starts as text */
	csv1("tea;=1+1", "\"tea;'=1+1\"");
	csv1("a,b;c", "\"a,b;c\"");
	csv1("x, -1", "\"x,' -1\"");
	csv1("l1\n@x", "\"l1\n'@x\"");
	csv1("tea|x", "\"tea|x\"");
	csv1("a\tb", "\"a\tb\"");
	/* not a trigger: text, full-width letters, a space before text */
	csv1(" tea", " tea");
	csv1("\xef\xbc\xa1", "\xef\xbc\xa1");			/* Ａ */
	csv1("\xe6\x9c\x88\xe9\xa5\xbc", "\xe6\x9c\x88\xe9\xa5\xbc");
	/* the ceiling: nothing half-written */
	buf_init(&b, 8);
	T_EQ_INT(admin_csv_cell(&b, "abc"), 0);
	T_EQ_INT(admin_csv_cell(&b, "\"quoted\""), -1);
	T_EQ_STR(buf_str(&b), "abc");
	buf_cleanup(&b);
}

int
main(void)
{
	T_RUN(test_cursor);
	T_RUN(test_dates);
	T_RUN(test_filter);
	T_RUN(test_csv);
	return t_done();
}
