/*
 * admin_query.h - pure helpers of the admin's order list: the filter from
 * the query string, the keyset cursor, dates, CSV cells. No I/O (unit
 * tested in tests/unit/test_admin_query.c).
 *
 * Cursor: "<sort>.<key>.<id>" with sort one of cd ca ad aa (created/amount,
 * desc/asc): the (sort key, id) of the last row of a page; the next page
 * is the rows strictly after it in that order. A cursor of another sort is
 * refused, not reinterpreted.
 */
#ifndef H5PAY_ADMIN_QUERY_H
#define H5PAY_ADMIN_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "kv.h"
#include "store_admin_orders.h"

#define ADMIN_CURSOR_MAX 48
#define ADMIN_PAGE_MAX 200

/* Encode into out (>= ADMIN_CURSOR_MAX). */
void admin_cursor_encode(enum store_admin_sort, int64_t key, int64_t id,
    char *out, size_t outsz);
/* Decode s for sort: 0 with key/id, or -1 with E_INPUT. */
int admin_cursor_decode(const char *s, enum store_admin_sort, int64_t *key,
    int64_t *id, struct err *);

/* "YYYY-MM-DD" (a valid calendar date, years 1970..9999) -> unix seconds
 * of its UTC midnight. 0 or -1. */
int admin_date_parse(const char *s, int64_t *out);
/* Unix seconds -> "YYYY-MM-DD" (UTC) into out[11]. */
void admin_date_format(int64_t t, char out[11]);

/* Sort name (created_desc, created_asc, amount_desc, amount_asc). */
int admin_sort_parse(const char *s, enum store_admin_sort *);

/*
 * The list filter from query arguments: state, from, to (dates of the
 * local zone, merchant_timezone (tz.c); to inclusive), order_no, openid, min, max (minor units), sort, limit
 * (1..ADMIN_PAGE_MAX), cursor. Unknown arguments are ignored; a malformed
 * one is E_INPUT naming it. Strings in f borrow from q.
 */
int admin_filter_parse(const struct kvlist *q, struct store_admin_filter *f,
    struct err *);

/*
 * Append one CSV cell (RFC 4180): quoted when it holds '"', ',', ';',
 * '|', TAB, CR or LF (quotes doubled); OWASP's CSV-injection rule: a cell
 * starting with TAB, CR or LF, or whose first character after any white
 * space (ASCII or Unicode, e.g. U+3000) is = + - @ ; | or the full-width
 * form of one (＝ ＋ － ＠ ； ｜), gets a leading "'" so a spreadsheet
 * shows it as text instead of running a formula; so does the text after
 * each , ; | TAB CR LF inside the cell that would start such a cell for a
 * reader splitting there ("tea;=1" -> "tea;'=1"). -1 when out's ceiling
 * is hit.
 */
int admin_csv_cell(struct buf *out, const char *s);

#endif
