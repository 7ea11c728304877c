/*
 * test_form.c - form_decode/form_encode: strict escapes, '+', empty names,
 * empty pairs, the field cap, and encode/decode round trips.
 */
#include "t.h"

#include "form.h"
#include "util.h"

/* Decode s; returns the rc and leaves the fields in *l (caller cleans). */
static int
dec(const char *s, struct kvlist *l, struct err *err)
{
	kvlist_init(l);
	err_clear(err);
	return form_decode(s, strlen(s), l, err);
}

static void
test_basic(void)
{
	struct kvlist l;
	struct err err;

	T_EQ_INT(dec("a=1&b=two&c=", &l, &err), 0);
	T_EQ_INT(l.n, 3);
	T_EQ_STR(kvlist_get(&l, "a"), "1");
	T_EQ_STR(kvlist_get(&l, "b"), "two");
	T_EQ_STR(kvlist_get(&l, "c"), "");
	/* order is kept */
	T_EQ_STR(l.v[0].key, "a");
	T_EQ_STR(l.v[2].key, "c");
	kvlist_cleanup(&l);

	/* no '=': a name with an empty value; only the first '=' splits */
	T_EQ_INT(dec("flag&k=v=w", &l, &err), 0);
	T_EQ_INT(l.n, 2);
	T_EQ_STR(kvlist_get(&l, "flag"), "");
	T_EQ_STR(kvlist_get(&l, "k"), "v=w");
	kvlist_cleanup(&l);

	T_EQ_INT(dec("", &l, &err), 0);
	T_EQ_INT(l.n, 0);
	kvlist_cleanup(&l);
}

static void
test_plus_and_escapes(void)
{
	struct kvlist l;
	struct err err;
	const struct kv *e;

	T_EQ_INT(dec("s=a+b&p=%2B&t=%2b%2F&u=%E6%B5%8B+%26%3D", &l, &err), 0);
	T_EQ_STR(kvlist_get(&l, "s"), "a b");
	T_EQ_STR(kvlist_get(&l, "p"), "+");
	T_EQ_STR(kvlist_get(&l, "t"), "+/");
	T_EQ_STR(kvlist_get(&l, "u"), "\xe6\xb5\x8b &=");
	kvlist_cleanup(&l);

	/* escapes in names too; '+' in a name is a space */
	T_EQ_INT(dec("a%5Fb=1&c+d=2", &l, &err), 0);
	T_EQ_STR(kvlist_get(&l, "a_b"), "1");
	T_EQ_STR(kvlist_get(&l, "c d"), "2");
	kvlist_cleanup(&l);

	/* %00 is a NUL byte inside the value: vlen is authoritative */
	T_EQ_INT(dec("n=a%00b", &l, &err), 0);
	e = kvlist_find(&l, "n");
	T_OK(e != NULL);
	if (e) {
		T_EQ_INT(e->vlen, 3);
		T_OK(memcmp(e->val, "a\0b", 3) == 0);
	}
	kvlist_cleanup(&l);
}

static void
test_bad_percent(void)
{
	static const char *bad[] = {
		"a=%", "a=%4", "a=%G1", "a=%1G", "a=1%", "a=%%41", "%=1",
		"a%2=1", "a=%-1", "a=% 1", "a=b&c=%zz&d=e",
	};
	struct kvlist l;
	struct err err;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = dec(bad[i], &l, &err);

		if (rc != -1)
			fprintf(stderr, "  accepted: %s\n", bad[i]);
		T_EQ_INT(rc, -1);
		T_EQ_INT(err.code, E_INPUT);
		kvlist_cleanup(&l);
	}
}

static void
test_empty_names_and_pairs(void)
{
	struct kvlist l;
	struct err err;

	T_EQ_INT(dec("=1", &l, &err), -1);
	T_EQ_INT(err.code, E_INPUT);
	kvlist_cleanup(&l);
	T_EQ_INT(dec("a=1&=2", &l, &err), -1);
	T_EQ_INT(err.code, E_INPUT);
	kvlist_cleanup(&l);
	T_EQ_INT(dec("a=1&=", &l, &err), -1);
	kvlist_cleanup(&l);

	/* empty pairs are skipped: "&&", leading and trailing '&' */
	T_EQ_INT(dec("&a=1&&b=2&", &l, &err), 0);
	T_EQ_INT(l.n, 2);
	T_EQ_STR(kvlist_get(&l, "a"), "1");
	T_EQ_STR(kvlist_get(&l, "b"), "2");
	kvlist_cleanup(&l);
	T_EQ_INT(dec("&&&", &l, &err), 0);
	T_EQ_INT(l.n, 0);
	kvlist_cleanup(&l);

	/* repeated names are all kept (callers refuse them) */
	T_EQ_INT(dec("a=1&a=2", &l, &err), 0);
	T_EQ_INT(kvlist_count(&l, "a"), 2);
	kvlist_cleanup(&l);
}

static void
test_field_cap(void)
{
	struct kvlist l;
	struct buf b;
	struct err err;
	int i;

	buf_init(&b, 1 << 16);
	for (i = 0; i < LIM_FORM_FIELDS; i++)
		buf_printf(&b, "%sk%d=%d", i ? "&" : "", i, i);
	T_EQ_INT(dec(buf_str(&b), &l, &err), 0);
	T_EQ_INT(l.n, LIM_FORM_FIELDS);
	kvlist_cleanup(&l);

	/* empty pairs do not count towards the cap */
	buf_adds(&b, "&&&&");
	T_EQ_INT(dec(buf_str(&b), &l, &err), 0);
	kvlist_cleanup(&l);

	buf_adds(&b, "&one=more");
	T_EQ_INT(dec(buf_str(&b), &l, &err), -1);
	T_EQ_INT(err.code, E_TOOBIG);
	kvlist_cleanup(&l);
	buf_cleanup(&b);
}

static void
test_encode(void)
{
	struct kvlist l, back;
	struct buf b;
	struct err err;
	size_t i;

	buf_init(&b, 1024);
	T_EQ_INT(form_encode_component(&b, "aZ09-_.~ +&=%/\xe6", 15), 0);
	T_EQ_STR(buf_str(&b), "aZ09-_.~+%2B%26%3D%25%2F%E6");
	buf_reset(&b);

	kvlist_init(&l);
	kvlist_adds(&l, "payerInfo", "{\"a\":\"b c\"}");
	kvlist_adds(&l, "e", "");
	kvlist_add(&l, "n", 1, "x\0y", 3);
	T_EQ_INT(form_encode(&b, &l), 0);
	T_EQ_STR(buf_str(&b), "payerInfo=%7B%22a%22%3A%22b+c%22%7D&e=&n=x%00y");
	kvlist_init(&back);
	T_EQ_INT(form_decode(b.data, b.len, &back, &err), 0);
	T_EQ_INT(back.n, l.n);
	for (i = 0; i < l.n && i < back.n; i++) {
		T_EQ_STR(back.v[i].key, l.v[i].key);
		T_EQ_INT(back.v[i].vlen, l.v[i].vlen);
		T_OK(memcmp(back.v[i].val, l.v[i].val, l.v[i].vlen) == 0);
	}
	kvlist_cleanup(&back);
	buf_cleanup(&b);

	/* the buf's ceiling is honoured */
	buf_init(&b, 10);
	T_EQ_INT(form_encode(&b, &l), -1);
	T_OK(b.len <= 10);
	buf_cleanup(&b);
	buf_init(&b, 2);
	T_EQ_INT(form_encode_component(&b, "&", 1), -1);
	T_EQ_INT(b.len, 0);
	buf_cleanup(&b);
	kvlist_cleanup(&l);
}

int
main(void)
{
	T_RUN(test_basic);
	T_RUN(test_plus_and_escapes);
	T_RUN(test_bad_percent);
	T_RUN(test_empty_names_and_pairs);
	T_RUN(test_field_cap);
	T_RUN(test_encode);
	return t_done();
}
