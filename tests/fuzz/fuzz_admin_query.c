/*
 * fuzz_admin_query.c - the admin list's parsers of untrusted input: the
 * query string (form_decode -> admin_filter_parse: states, dates, amounts,
 * sort, limit, keyset cursor), and CSV cell quoting of arbitrary text.
 * Invariants checked: a parsed filter is within its documented bounds; a
 * CSV cell never starts with a formula character and round-trips its
 * quotes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "admin_query.h"
#include "form.h"
#include "kv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct store_admin_filter f;
	struct kvlist q;
	struct err err;
	struct buf b;
	char *s;

	kvlist_init(&q);
	if (form_decode((const char *)data, size, &q, &err) == 0 &&
	    admin_filter_parse(&q, &f, &err) == 0) {
		if (f.limit < 1 || f.limit > ADMIN_PAGE_MAX ||
		    (unsigned)f.sort >= SORT__COUNT || f.from < 0 ||
		    f.amount_min < 0 || (f.has_cursor && f.cursor_id < 1))
			abort();
		if (f.order_no && strlen(f.order_no) > 32)
			abort();
	}
	kvlist_cleanup(&q);

	s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	buf_init(&b, 4 * size + 16);
	if (admin_csv_cell(&b, s) == 0 && b.len > 0) {
		if (strchr("=+-@\t\r", b.data[0]) != NULL)
			abort();
		if (b.data[0] == '"' && strchr("=+-@\t\r", b.data[1]) != NULL)
			abort();
	}
	buf_cleanup(&b);
	free(s);
	return 0;
}
