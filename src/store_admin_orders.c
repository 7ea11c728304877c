/*
 * store_admin_orders.c - the admin's reads of the order schema
 * (sql/003_orders.sql): the list with keyset paging, the detail, the
 * refundable amount and the new refund row, per-day stats (closed days
 * kept in admin_stats_days), the audit log listing, and dev-fill.
 *
 * What it does not do: decide (admin.c, order.c) or speak HTTP (web_*).
 * The list's SQL varies only by which filters are present and the sort:
 * the variants are built once from fixed fragments (never from input) so
 * each one is a static string with a stable address, prepared once per
 * connection (store_stmt), and SQLite can pick the index that fits
 * (state/openid/created/amount).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "store.h"
#include "store_admin.h"
#include "store_admin_orders.h"
#include "util.h"

/* --- orders: list ------------------------------------------------------- */

/* Variants: bit 0 state, bit 1 openid, bit 2 order_no, bit 3 cursor. */
#define LIST_VARIANTS (16 * SORT__COUNT)
#define LIST_SQL_MAX 1024

static char list_sql[LIST_VARIANTS][LIST_SQL_MAX];
static pthread_once_t list_once = PTHREAD_ONCE_INIT;

static void
list_sql_build(void)
{
	static const char *const key[SORT__COUNT] = {
		"created_at", "created_at", "amount", "amount"
	};
	static const char *const cmp[SORT__COUNT] = { "<", ">", "<", ">" };
	static const char *const dir[SORT__COUNT] = {
		"DESC", "ASC", "DESC", "ASC"
	};
	int v, so;

	for (so = 0; so < SORT__COUNT; so++)
		for (v = 0; v < 16; v++) {
			char cur[128] = "";

			if (v & 8)
				snprintf(cur, sizeof(cur), " AND (o.%s, o.id) "
				    "%s (:ck, :cid)", key[so], cmp[so]);
			snprintf(list_sql[so * 16 + v], LIST_SQL_MAX,
			    "SELECT o.id, o.order_no, o.openid, o.amount, "
			    "o.currency, o.subject, o.state, o.created_at, "
			    "coalesce(o.paid_at, 0), o.refunded_amount, "
			    "o.error_code, o.error_msg, (SELECT count(*) FROM "
			    "anomalies a WHERE a.order_id = o.id AND "
			    "a.resolved_at IS NULL) FROM orders o WHERE "
			    "o.created_at >= :from AND o.created_at < :to AND "
			    "o.amount >= :amin AND o.amount <= :amax%s%s%s%s "
			    "ORDER BY o.%s %s, o.id %s LIMIT :limit",
			    v & 1 ? " AND o.state = :state" : "",
			    v & 2 ? " AND o.openid = :openid" : "",
			    v & 4 ? " AND o.order_no = :no" : "",
			    cur, key[so], dir[so], dir[so]);
		}
}

void
store_admin_filter_init(struct store_admin_filter *f)
{
	memset(f, 0, sizeof(*f));
	f->from = 0;
	f->to = INT64_MAX;
	f->amount_min = 0;
	f->amount_max = INT64_MAX;
	f->sort = SORT_CREATED_DESC;
	f->limit = 50;
}

static void
bind_named_i64(struct db_stmt *st, const char *name, int64_t v)
{
	int i = db_bind_index(st, name);

	if (i > 0)
		db_bind_int64(st, i, v);
}

static void
bind_named_s(struct db_stmt *st, const char *name, const char *v)
{
	int i = db_bind_index(st, name);

	if (i > 0)
		db_bind_text(st, i, v);
}

int
store_admin_orders_list(struct store *s, const struct store_admin_filter *f,
    int (*cb)(void *, const struct store_admin_order_row *, struct err *),
    void *ctx, struct err *err)
{
	struct store_admin_order_row row;
	struct db_stmt *st;
	int v = 0, rc, ret = 0;

	if ((unsigned)f->sort >= SORT__COUNT)
		return err_set(err, E_INPUT, "bad sort");
	pthread_once(&list_once, list_sql_build);
	v |= f->state ? 1 : 0;
	v |= f->openid ? 2 : 0;
	v |= f->order_no ? 4 : 0;
	v |= f->has_cursor ? 8 : 0;
	if ((st = store_stmt(s, list_sql[f->sort * 16 + v], err)) == NULL)
		return -1;
	bind_named_i64(st, ":from", f->from);
	bind_named_i64(st, ":to", f->to);
	bind_named_i64(st, ":amin", f->amount_min);
	bind_named_i64(st, ":amax", f->amount_max);
	bind_named_i64(st, ":limit", f->limit);
	if (f->state)
		bind_named_s(st, ":state", f->state);
	if (f->openid)
		bind_named_s(st, ":openid", f->openid);
	if (f->order_no)
		bind_named_s(st, ":no", f->order_no);
	if (f->has_cursor) {
		bind_named_i64(st, ":ck", f->cursor_key);
		bind_named_i64(st, ":cid", f->cursor_id);
	}
	while ((rc = db_step(st)) == DB_ROW) {
		row.id = db_col_int64(st, 0);
		row.order_no = store_col_text(st, 1);
		row.openid = store_col_text(st, 2);
		row.amount = db_col_int64(st, 3);
		row.currency = store_col_text(st, 4);
		row.subject = store_col_text(st, 5);
		row.state = store_col_text(st, 6);
		row.created_at = db_col_int64(st, 7);
		row.paid_at = db_col_int64(st, 8);
		row.refunded_amount = db_col_int64(st, 9);
		row.error_code = store_col_text(st, 10);
		row.error_msg = store_col_text(st, 11);
		row.open_anomalies = db_col_int64(st, 12);
		if (cb(ctx, &row, err) == -1) {
			ret = -1;
			break;
		}
	}
	if (ret == 0 && rc != DB_DONE)
		ret = store_fail(s, err, "admin_orders_list");
	db_reset(st);
	return ret;
}

/* --- orders: detail ----------------------------------------------------- */

/* A column name as a JSON key: snake_case -> camelCase ("refund_no" ->
 * "refundNo"), the key style of every admin answer. */
static const char *
col_key(const char *col, char *out, size_t n)
{
	size_t i = 0;
	bool up = false;

	for (; *col && i + 1 < n; col++) {
		if (*col == '_') {
			up = i > 0;
			continue;
		}
		out[i++] = up && *col >= 'a' && *col <= 'z' ?
		    (char)(*col - 'a' + 'A') : *col;
		up = false;
	}
	out[i] = '\0';
	return out;
}

/* Every row of st as a JSON object keyed by column name (camelCase), into
 * arr. */
static int
rows_json(struct store *s, struct db_stmt *st, struct json_object *arr,
    const char *what, struct err *err)
{
	int rc, i, n = db_col_count(st);
	char key[64];

	while ((rc = db_step(st)) == DB_ROW) {
		struct json_object *o = json_object_new_object();

		for (i = 0; i < n; i++) {
			struct json_object *v = NULL;

			const char *t;
			size_t len;

			switch (db_col_type(st, i)) {
			case DB_TINT:
				v = json_object_new_int64(
				    db_col_int64(st, i));
				break;
			case DB_TNULL:
				break;
			default:
				/* TEXT and BLOB (a raw notify body): as text;
				 * json-c escapes, the pages insert as text */
				t = db_col_blob(st, i, &len);
				v = json_object_new_string_len(t ? t : "",
				    (int)len);
				break;
			}
			json_object_object_add(o, col_key(
			    db_col_name(st, i), key, sizeof(key)), v);
		}
		json_object_array_add(arr, o);
	}
	db_reset(st);
	if (rc != DB_DONE)
		return store_fail(s, err, what);
	return 0;
}

int
store_admin_audit_list(struct store *s, int64_t before_id, int64_t limit,
    struct json_object **out, struct err *err)
{
	static const char sql[] = "SELECT id, at, admin, action, target, "
	    "detail, result, ip, request_id FROM admin_audit WHERE id < ?1 "
	    "ORDER BY id DESC LIMIT ?2";
	struct db_stmt *st = store_stmt(s, sql, err);
	struct json_object *arr;

	*out = NULL;
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, before_id > 0 ? before_id : INT64_MAX);
	db_bind_int64(st, 2, limit);
	arr = json_object_new_array();
	if (rows_json(s, st, arr, "admin_audit_list", err) == -1) {
		json_object_put(arr);
		return -1;
	}
	*out = arr;
	return 0;
}

static int
detail_part(struct store *s, const char *sql, int64_t id,
    struct json_object *root, const char *name, struct err *err)
{
	struct json_object *arr = json_object_new_array();
	struct db_stmt *st = store_stmt(s, sql, err);

	json_object_object_add(root, name, arr);
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, id);
	return rows_json(s, st, arr, name, err);
}

int
store_admin_order_detail(struct store *s, int64_t order_id,
    struct json_object **out, struct err *err)
{
	static const char sql_order[] = "SELECT id, order_no, openid, "
	    "amount, currency, subject, state, provider_ref, expires_at, "
	    "paid_at, error_code, error_msg, refunded_amount, created_at, "
	    "updated_at, last_query_at, check_attempts FROM orders WHERE "
	    "id = ?1";
	static const char sql_items[] = "SELECT sku, name, unit_price, qty, "
	    "line_amount FROM order_items WHERE order_id = ?1 ORDER BY id";
	static const char sql_events[] = "SELECT id, source, old_state, "
	    "new_state, result_code, error_code, error_msg, msg_sha256, "
	    "notification_id, refund_id, amount, actor, created_at FROM "
	    "order_events WHERE order_id = ?1 ORDER BY id";
	static const char sql_notif[] = "SELECT n.id, n.received_at, "
	    "n.verified, n.transaction_type, n.transaction_id, n.result_code, "
	    "n.outcome, n.duplicate_of, n.body_sha256, coalesce(n.body, "
	    "(SELECT f.body FROM notifications f WHERE f.id = "
	    "n.duplicate_of)) AS body FROM notifications n WHERE n.order_id = "
	    "?1 ORDER BY n.id";
	/* gave_up: no longer queried (refund.h REFUND_GAVE_UP = INT64_MAX) */
	static const char sql_refunds[] = "SELECT id, refund_no, amount, "
	    "currency, state, provider_ref, reason, admin, error_code, "
	    "error_msg, created_at, updated_at, next_check_at = "
	    "9223372036854775807 AS gave_up FROM refunds WHERE order_id = "
	    "?1 ORDER BY id";
	static const char sql_anom[] = "SELECT id, kind, source, detail, "
	    "notification_id, refund_id, created_at, resolved_at, resolved_by "
	    "FROM anomalies WHERE order_id = ?1 ORDER BY id";
	struct json_object *root = json_object_new_object();
	struct json_object *arr = json_object_new_array();
	struct db_stmt *st;
	int64_t id;

	*out = NULL;
	if ((st = store_stmt(s, sql_order, err)) == NULL)
		goto fail;
	db_bind_int64(st, 1, order_id);
	if (rows_json(s, st, arr, "order", err) == -1)
		goto fail;
	if (json_object_array_length(arr) != 1) {
		err_set(err, E_NOTFOUND, "no order %lld", (long long)order_id);
		goto fail;
	}
	json_object_object_add(root, "order",
	    json_object_get(json_object_array_get_idx(arr, 0)));
	id = order_id;
	if (detail_part(s, sql_items, id, root, "items", err) == -1 ||
	    detail_part(s, sql_events, id, root, "events", err) == -1 ||
	    detail_part(s, sql_notif, id, root, "notifications", err) == -1 ||
	    detail_part(s, sql_refunds, id, root, "refunds", err) == -1 ||
	    detail_part(s, sql_anom, id, root, "anomalies", err) == -1)
		goto fail;
	json_object_put(arr);
	*out = root;
	return 0;
fail:
	json_object_put(arr);
	json_object_put(root);
	return -1;
}

/* --- stats ---------------------------------------------------------------- */

#define STATS_MAX_DAYS 366

struct day {
	int64_t orders, paid_count, paid_amount, refund_count, refund_amount;
};

/* Run sql (bound ?1 from, ?2 to, ?3 currency, ?4 the zone's offset)
 * whose rows are (day, count, amount) and put them into days[] (index:
 * days since base) as figure `which` (0 orders, 1 paid, 2 refunds). */
static int
stats_fill(struct store *s, const char *sql, int64_t from, int64_t to,
    int64_t off, const char *cur, struct day *days, int64_t ndays,
    int64_t base, int which, struct err *err)
{
	struct db_stmt *st = store_stmt(s, sql, err);
	int rc;

	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, from);
	db_bind_int64(st, 2, to);
	store_bind_text_or_empty(st, 3, cur);
	db_bind_int64(st, 4, off);
	while ((rc = db_step(st)) == DB_ROW) {
		int64_t d = (db_col_int64(st, 0) - base) / 86400;
		int64_t c = db_col_int64(st, 1);
		int64_t a = db_col_int64(st, 2);

		if (d < 0 || d >= ndays)
			continue;
		if (which == 0)
			days[d].orders = c;
		else if (which == 1) {
			days[d].paid_count = c;
			days[d].paid_amount = a;
		} else {
			days[d].refund_count = c;
			days[d].refund_amount = a;
		}
	}
	db_reset(st);
	if (rc != DB_DONE)
		return store_fail(s, err, "admin_stats");
	return 0;
}

/* Cached figures of [from, to), days of UTC offset off, into
 * days[]/have[]. */
static int
stats_cached(struct store *s, int64_t from, int64_t to, int64_t off,
    const char *cur, struct day *days, bool *have, int64_t n,
    struct err *err)
{
	static const char sql[] = "SELECT day, orders, paid_count, "
	    "paid_amount, refund_count, refund_amount FROM admin_stats_days "
	    "WHERE currency = ?1 AND utc_offset = ?4 AND day >= ?2 AND "
	    "day < ?3";
	struct db_stmt *st = store_stmt(s, sql, err);
	int rc;

	if (st == NULL)
		return -1;
	store_bind_text_or_empty(st, 1, cur);
	db_bind_int64(st, 2, from);
	db_bind_int64(st, 3, to);
	db_bind_int64(st, 4, off);
	while ((rc = db_step(st)) == DB_ROW) {
		int64_t d = (db_col_int64(st, 0) - from) / 86400;

		if (d < 0 || d >= n)
			continue;
		days[d].orders = db_col_int64(st, 1);
		days[d].paid_count = db_col_int64(st, 2);
		days[d].paid_amount = db_col_int64(st, 3);
		days[d].refund_count = db_col_int64(st, 4);
		days[d].refund_amount = db_col_int64(st, 5);
		have[d] = true;
	}
	db_reset(st);
	if (rc != DB_DONE)
		return store_fail(s, err, "admin_stats_cached");
	return 0;
}

/* Keep the computed figures of closed days [lo, hi) (indexes), days of
 * UTC offset off. Best effort: the cache is an optimisation, a failure is
 * only logged. */
static void
stats_keep(struct store *s, int64_t from, int64_t off, const char *cur,
    const struct day *days, const bool *have, int64_t lo, int64_t hi,
    int64_t now)
{
	static const char sql[] = "INSERT INTO admin_stats_days "
	    "(day, utc_offset, currency, orders, paid_count, paid_amount, "
	    "refund_count, refund_amount, computed_at) VALUES (?1, ?9, ?2, "
	    "?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (day, utc_offset, currency) "
	    "DO UPDATE SET "
	    "orders = excluded.orders, paid_count = excluded.paid_count, "
	    "paid_amount = excluded.paid_amount, "
	    "refund_count = excluded.refund_count, "
	    "refund_amount = excluded.refund_amount, "
	    "computed_at = excluded.computed_at";
	struct db_stmt *st;
	struct err err;
	int64_t i;

	if (lo >= hi || store_begin(s, &err) == -1)
		return;
	for (i = lo; i < hi; i++) {
		if (have[i])
			continue;
		if ((st = store_stmt(s, sql, &err)) == NULL)
			goto fail;
		db_bind_int64(st, 1, from + i * 86400);
		store_bind_text_or_empty(st, 2, cur);
		db_bind_int64(st, 3, days[i].orders);
		db_bind_int64(st, 4, days[i].paid_count);
		db_bind_int64(st, 5, days[i].paid_amount);
		db_bind_int64(st, 6, days[i].refund_count);
		db_bind_int64(st, 7, days[i].refund_amount);
		db_bind_int64(st, 8, now);
		db_bind_int64(st, 9, off);
		if (store_step_done(s, st, E_CONFLICT, "admin_stats_keep",
		    &err) == -1)
			goto fail;
	}
	store_commit(s, &err);
	return;
fail:
	store_rollback(s);
}

int
store_admin_stats(struct store *s, int64_t from, int64_t to, const char *cur,
    int64_t now, struct json_object **out, struct err *err)
{
	return store_admin_stats_tz(s, from, to, 0, cur, now, out, err);
}

/* A day of the zone: (t + off) - (t + off) % 86400 - off. */
#define DAY_OF(col) "(" col " + ?4) - (" col " + ?4) % 86400 - ?4"

int
store_admin_stats_tz(struct store *s, int64_t from, int64_t to, int64_t off,
    const char *cur, int64_t now, struct json_object **out, struct err *err)
{
	static const char sql_orders[] = "SELECT " DAY_OF("created_at")
	    " AS d, count(*), 0 FROM orders WHERE created_at >= ?1 AND "
	    "created_at < ?2 AND CAST(?3 AS TEXT) IS NOT NULL GROUP BY d";
	static const char sql_paid[] = "SELECT " DAY_OF("paid_at") " AS "
	    "d, count(*), sum(amount) FROM orders WHERE paid_at >= ?1 AND "
	    "paid_at < ?2 AND currency = ?3 GROUP BY d";
	static const char sql_refunds[] = "SELECT " DAY_OF("updated_at")
	    " AS d, count(*), sum(amount) FROM refunds WHERE state = "
	    "'SUCCEEDED' AND updated_at >= ?1 AND updated_at < ?2 AND "
	    "currency = ?3 GROUP BY d";
	struct day *days = NULL;
	struct json_object *arr;
	bool *have = NULL;
	int64_t n, i, lo, hi, closed;

	*out = NULL;
	if (off <= -86400 || off >= 86400 || (from + off) % 86400 ||
	    (to + off) % 86400 || to <= from)
		return err_set(err, E_INPUT, "stats range not whole days");
	n = (to - from) / 86400;
	if (n > STATS_MAX_DAYS)
		return err_set(err, E_INPUT, "stats range over %d days",
		    STATS_MAX_DAYS);
	days = xcalloc((size_t)n, sizeof(*days));
	have = xcalloc((size_t)n, sizeof(*have));
	/* the cache keeps each zone offset's days apart (sql/015) */
	if (stats_cached(s, from, to, off, cur, days, have, n, err) == -1)
		goto fail;
	for (lo = 0; lo < n && have[lo]; lo++)
		;
	for (hi = n; hi > lo && have[hi - 1]; hi--)
		;
	if (lo < hi) {
		int64_t a = from + lo * 86400, b = from + hi * 86400;

		/* one scan over the uncached span (cached days inside it
		 * get the same figures again) */
		if (stats_fill(s, sql_orders, a, b, off, cur, days, n, from,
		    0, err) == -1 ||
		    stats_fill(s, sql_paid, a, b, off, cur, days, n, from, 1,
		    err) == -1 ||
		    stats_fill(s, sql_refunds, a, b, off, cur, days, n, from,
		    2, err) == -1)
			goto fail;
		/* a day is closed an hour after its end: days [0, closed) */
		closed = now - 3600 >= from ? (now - 3600 - from) / 86400 : 0;
		stats_keep(s, from, off, cur, days, have, lo,
		    closed < hi ? closed : hi, now);
	}
	arr = json_object_new_array();
	for (i = 0; i < n; i++) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "day",
		    json_object_new_int64(from + i * 86400));
		json_object_object_add(o, "orders",
		    json_object_new_int64(days[i].orders));
		json_object_object_add(o, "paidCount",
		    json_object_new_int64(days[i].paid_count));
		json_object_object_add(o, "paidAmount",
		    json_object_new_int64(days[i].paid_amount));
		json_object_object_add(o, "refundCount",
		    json_object_new_int64(days[i].refund_count));
		json_object_object_add(o, "refundAmount",
		    json_object_new_int64(days[i].refund_amount));
		json_object_array_add(arr, o);
	}
	free(days);
	free(have);
	*out = arr;
	return 0;
fail:
	free(days);
	free(have);
	return -1;
}

/* --- dev-fill ------------------------------------------------------- */
