/*
 * admin_query.c - the admin list's pure helpers: filter parsing, keyset
 * cursor, dates, CSV cells (contract in admin_query.h).
 *
 * What it does not do: I/O. Invariants: every argument is validated by
 * charset and range before it reaches SQL (as bound parameters); CSV cells
 * can never start a formula.
 */
#include <stdio.h>
#include <string.h>

#include "admin_query.h"
#include "order_state.h"
#include "tz.h"
#include "util.h"
#include "valid.h"

static const char *const sort_codes[SORT__COUNT] = { "cd", "ca", "ad", "aa" };
static const char *const sort_names[SORT__COUNT] = {
	"created_desc", "created_asc", "amount_desc", "amount_asc"
};

void
admin_cursor_encode(enum store_admin_sort so, int64_t key, int64_t id,
    char *out, size_t outsz)
{
	snprintf(out, outsz, "%s.%lld.%lld", sort_codes[so], (long long)key,
	    (long long)id);
}

int
admin_cursor_decode(const char *s, enum store_admin_sort so, int64_t *key,
    int64_t *id, struct err *err)
{
	const char *d1, *d2;

	if (s == NULL || strlen(s) > ADMIN_CURSOR_MAX ||
	    strncmp(s, sort_codes[so], 2) != 0 || s[2] != '.')
		return err_set(err, E_INPUT, "cursor: malformed or of another "
		    "sort");
	d1 = s + 2;
	if ((d2 = strchr(d1 + 1, '.')) == NULL ||
	    parse_i64(d1 + 1, (size_t)(d2 - d1 - 1), 0, INT64_MAX, key) ==
	    -1 || parse_i64z(d2 + 1, 1, INT64_MAX, id) == -1)
		return err_set(err, E_INPUT, "cursor: malformed");
	return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t
days_from_civil(int64_t y, int64_t m, int64_t d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int
admin_date_parse(const char *s, int64_t *out)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
		30, 31 };
	int64_t y, m, d, dim;

	if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	if (parse_i64(s, 4, 1970, 9999, &y) == -1 ||
	    parse_i64(s + 5, 2, 1, 12, &m) == -1 ||
	    parse_i64(s + 8, 2, 1, 31, &d) == -1)
		return -1;
	dim = mdays[m - 1];
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		dim = 29;
	if (d > dim)
		return -1;
	*out = days_from_civil(y, m, d) * 86400;
	return 0;
}

void
admin_date_format(int64_t t, char out[11])
{
	char tmp[64];
	int64_t z = (t >= 0 ? t : t - 86399) / 86400 + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int64_t d = doy - (153 * mp + 2) / 5 + 1;
	int64_t m = mp + (mp < 10 ? 3 : -9);
	int64_t y = yoe + era * 400 + (m <= 2);

	snprintf(tmp, sizeof(tmp), "%04lld-%02lld-%02lld",
	    (long long)(y % 10000), (long long)m, (long long)d);
	str_lcpy(out, tmp, 11);
}

int
admin_sort_parse(const char *s, enum store_admin_sort *so)
{
	int i;

	for (i = 0; s && i < SORT__COUNT; i++)
		if (strcmp(s, sort_names[i]) == 0) {
			*so = (enum store_admin_sort)i;
			return 0;
		}
	return -1;
}

static bool
alnum_max(const char *s, size_t max)
{
	return valid_token(s, strlen(s), 1, max, "");
}

/* Empty arguments mean "not given" (a form's blank field). */
static const char *
arg(const struct kvlist *q, const char *name)
{
	const char *v = kvlist_get(q, name);

	return v && *v ? v : NULL;
}

int
admin_filter_parse(const struct kvlist *q, struct store_admin_filter *f,
    struct err *err)
{
	enum order_state os;
	const char *v;
	int64_t t;

	store_admin_filter_init(f);
	if ((v = arg(q, "state")) != NULL) {
		if (order_state_parse(v, &os) == -1)
			return err_set(err, E_INPUT, "state: unknown");
		f->state = order_state_name(os);
	}
	if ((v = arg(q, "from")) != NULL) {
		if (admin_date_parse(v, &t) == -1)
			return err_set(err, E_INPUT, "from: YYYY-MM-DD");
		f->from = t - tz_offset(t);	/* merchant_timezone's day */
	}
	if ((v = arg(q, "to")) != NULL) {
		if (admin_date_parse(v, &t) == -1)
			return err_set(err, E_INPUT, "to: YYYY-MM-DD");
		t += 86400;		/* inclusive day */
		f->to = t - tz_offset(t);
	}
	if ((v = arg(q, "order_no")) != NULL) {
		if (!alnum_max(v, 32))
			return err_set(err, E_INPUT, "order_no: 1..32 "
			    "[0-9A-Za-z]");
		f->order_no = v;
	}
	if ((v = arg(q, "openid")) != NULL) {
		if (!valid_openid(v, strlen(v)))
			return err_set(err, E_INPUT, "openid: malformed");
		f->openid = v;
	}
	if ((v = arg(q, "min")) != NULL &&
	    parse_i64z(v, 0, 999999999999, &f->amount_min) == -1)
		return err_set(err, E_INPUT, "min: minor units");
	if ((v = arg(q, "max")) != NULL &&
	    parse_i64z(v, 0, 999999999999, &f->amount_max) == -1)
		return err_set(err, E_INPUT, "max: minor units");
	if ((v = arg(q, "sort")) != NULL && admin_sort_parse(v, &f->sort) == -1)
		return err_set(err, E_INPUT, "sort: unknown");
	if ((v = arg(q, "limit")) != NULL &&
	    parse_i64z(v, 1, ADMIN_PAGE_MAX, &f->limit) == -1)
		return err_set(err, E_INPUT, "limit: 1..%d", ADMIN_PAGE_MAX);
	if ((v = arg(q, "cursor")) != NULL) {
		if (admin_cursor_decode(v, f->sort, &f->cursor_key,
		    &f->cursor_id, err) == -1)
			return -1;
		f->has_cursor = true;
	}
	return 0;
}

/*
 * The code point at *p (valid UTF-8 or one byte), advancing *p. Invalid
 * bytes come back as themselves (>= 0x80), which no rule below matches.
 */
static uint32_t
csv_next(const unsigned char **p)
{
	const unsigned char *s = *p;
	uint32_t c = s[0];

	if (c >= 0xc2 && c <= 0xdf && (s[1] & 0xc0) == 0x80) {
		*p += 2;
		return ((c & 0x1f) << 6) | (s[1] & 0x3f);
	}
	if (c >= 0xe0 && c <= 0xef && (s[1] & 0xc0) == 0x80 &&
	    (s[2] & 0xc0) == 0x80) {
		*p += 3;
		return ((c & 0x0f) << 12) | ((uint32_t)(s[1] & 0x3f) << 6) |
		    (s[2] & 0x3f);
	}
	*p += 1;
	return c;
}

/* White space a spreadsheet may skip before a formula (ASCII and the
 * Unicode spaces, the BOM included). */
static bool
csv_space(uint32_t c)
{
	return c == ' ' || (c >= 0x09 && c <= 0x0d) || c == 0xa0 ||
	    c == 0x1680 || (c >= 0x2000 && c <= 0x200b) || c == 0x2028 ||
	    c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000 ||
	    c == 0xfeff;
}

/* A character that starts a formula or a DDE/separator trick, in ASCII
 * or its full-width form (U+FF01..U+FF5E mirror U+0021..U+007E). */
static bool
csv_trigger(uint32_t c)
{
	if (c >= 0xff01 && c <= 0xff5e)
		c = c - 0xff01 + 0x21;
	return c == '=' || c == '+' || c == '-' || c == '@' || c == ';' ||
	    c == '|';
}

/* A byte after which some reader starts a new cell (its separator or
 * a line break). */
static bool
csv_sep(char c)
{
	return c == ',' || c == ';' || c == '|' || c == '\t' || c == '\r' ||
	    c == '\n';
}

/*
 * True when a cell starting at p (the cell's start, or just after a
 * separator inside it) would run as a formula: its first character after
 * any white space is a trigger. At the cell's very start a TAB, CR or LF
 * counts too (OWASP).
 */
static bool
csv_formula_at(const char *p, bool start)
{
	const unsigned char *u = (const unsigned char *)p;
	uint32_t c;

	if (start && (*u == '\t' || *u == '\r' || *u == '\n'))
		return true;
	while (*u) {
		c = csv_next(&u);
		if (!csv_space(c))
			return csv_trigger(c);
	}
	return false;
}

int
admin_csv_cell(struct buf *out, const char *s)
{
	/* ';' '|' TAB quoted too, and a "'" wherever a reader splitting on
	 * one of them (a locale's separator, a naive line split) would
	 * start a cell with a formula inside this one */
	bool quote = strpbrk(s, "\",;|\t\r\n") != NULL;
	bool formula = csv_formula_at(s, true);
	size_t mark = out->len;
	const char *p;

	if (quote || formula) {
		if (buf_addc(out, '"') == -1)
			goto fail;
		if (formula && buf_addc(out, '\'') == -1)
			goto fail;
		for (p = s; *p; p++) {
			if ((*p == '"' && buf_addc(out, '"') == -1) ||
			    buf_addc(out, *p) == -1)
				goto fail;
			if (csv_sep(*p) && csv_formula_at(p + 1, false) &&
			    buf_addc(out, '\'') == -1)
				goto fail;
		}
		if (buf_addc(out, '"') == -1)
			goto fail;
		return 0;
	}
	if (buf_adds(out, s) == -1)
		goto fail;
	return 0;
fail:
	out->len = mark;
	if (out->data)
		out->data[mark] = '\0';
	return -1;
}
