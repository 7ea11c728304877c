/*
 * web_admin_orders.c - the admin's order endpoints (all R_ADMIN):
 *	GET  /admin/api/orders			list: filters, sort, keyset
 *	GET  /admin/api/orders.csv		the filtered list, streamed CSV
 *		(amounts in currency units, times in merchant_timezone with
 *		their offset; ?bom=1: a UTF-8 BOM first, for Excel)
 *	GET  /admin/api/orders/{no}		detail (items, timeline, ...)
 *	POST /admin/api/orders/{no}/query	(R_CSRF) provider query now
 *	POST /admin/api/orders/{no}/refund	(R_CSRF) full/partial refund
 *	GET  /admin/api/stats?from=&to=		per day figures (days of
 *		merchant_timezone)
 *
 * Handlers parse, call one domain function and render: "query now" is
 * order_query_apply() (order_query.c) then refund_query_open() for the
 * refunds in flight, a refund is refund_create() (refund.c). What it does
 * not do: SQL (store_admin*.c), provider calls or state decisions. Every
 * action is audited (who, what, result). Buyer openids leave masked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "admin.h"
#include "admin_query.h"
#include "cfg.h"
#include "log.h"
#include "order.h"
#include "order_query.h"
#include "refund.h"
#include "store.h"
#include "store_admin.h"
#include "store_admin_orders.h"
#include "store_order.h"
#include "tz.h"
#include "useepay.h"
#include "util.h"
#include "valid.h"
#include "web.h"
#include "web_guard.h"

#define CSV_CHUNK 500
#define CSV_FLUSH (64 * 1024)

static struct json_object *
jstr(const char *s)
{
	return s && *s ? json_object_new_string(s) : NULL;
}

/* --- list ----------------------------------------------------------------- */

struct list_ctx {
	struct json_object *arr;
	int64_t want, got;
	enum store_admin_sort sort;
	int64_t last_key, last_id;
};

static int
list_row(void *vctx, const struct store_admin_order_row *row,
    struct err *err)
{
	struct list_ctx *c = vctx;
	struct json_object *o;
	char m[32];

	(void)err;
	if (c->got++ >= c->want)
		return 0;	/* the extra row only says "there is more" */
	o = json_object_new_object();
	json_object_object_add(o, "orderNo", jstr(row->order_no));
	json_object_object_add(o, "openid", json_object_new_string(
	    log_mask(row->openid, m, sizeof(m))));
	json_object_object_add(o, "amount", json_object_new_int64(row->amount));
	json_object_object_add(o, "currency", jstr(row->currency));
	json_object_object_add(o, "subject", jstr(row->subject));
	json_object_object_add(o, "state", jstr(row->state));
	json_object_object_add(o, "createdAt",
	    json_object_new_int64(row->created_at));
	json_object_object_add(o, "paidAt", row->paid_at ?
	    json_object_new_int64(row->paid_at) : NULL);
	json_object_object_add(o, "refundedAmount",
	    json_object_new_int64(row->refunded_amount));
	json_object_object_add(o, "errorCode", jstr(row->error_code));
	json_object_object_add(o, "errorMsg", jstr(row->error_msg));
	json_object_object_add(o, "anomalies",
	    json_object_new_int64(row->open_anomalies));
	json_object_array_add(c->arr, o);
	c->last_key = c->sort == SORT_AMOUNT_DESC || c->sort ==
	    SORT_AMOUNT_ASC ? row->amount : row->created_at;
	c->last_id = row->id;
	return 0;
}

int
web_admin_orders_list(struct app *app, struct req *r, struct resp *w,
    struct err *err)
{
	struct store_admin_filter f;
	struct list_ctx c;
	struct json_object *o;
	char cur[ADMIN_CURSOR_MAX + 8];

	if (admin_filter_parse(&r->query, &f, err) == -1)
		return -1;
	memset(&c, 0, sizeof(c));
	c.want = f.limit;
	c.sort = f.sort;
	f.limit++;
	c.arr = json_object_new_array();
	if (store_admin_orders_list(app->store, &f, list_row, &c, err) == -1) {
		json_object_put(c.arr);
		return -1;
	}
	o = json_object_new_object();
	json_object_object_add(o, "orders", c.arr);
	if (c.got > c.want) {
		admin_cursor_encode(f.sort, c.last_key, c.last_id, cur,
		    sizeof(cur));
		json_object_object_add(o, "next", json_object_new_string(cur));
	} else
		json_object_object_add(o, "next", NULL);
	resp_json(w, 200, o);
	return 0;
}

/* --- CSV ------------------------------------------------------------------ */

struct csv_ctx {
	struct app *app;
	struct store_admin_filter f;
	char *state, *order_no, *openid;	/* owned copies */
	struct buf out;
	int (*write)(void *, const char *, size_t);
	void *wctx;
	int64_t rows, last_key, last_id;
	int64_t page_rows;
	bool bom;		/* ?bom=1: a UTF-8 BOM first (for Excel) */
};

static void
csv_free(void *vctx)
{
	struct csv_ctx *c = vctx;

	if (c == NULL)
		return;
	free(c->state);
	free(c->order_no);
	free(c->openid);
	buf_cleanup(&c->out);
	free(c);
}

static int
csv_flush(struct csv_ctx *c, struct err *err)
{
	if (c->out.len && c->write(c->wctx, c->out.data, c->out.len) == -1)
		return err_set(err, E_INTERNAL, "client went away");
	buf_reset(&c->out);
	return 0;
}

static int
csv_int(struct buf *b, int64_t v)
{
	return buf_printf(b, "%lld", (long long)v);
}

/* ISO 4217 minor-unit exponent (2 unless listed). */
static int
minor_exp(const char *cur)
{
	static const char zero[] = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF "
	    "UGX UYI VND VUV XAF XOF XPF";
	static const char three[] = "BHD IQD JOD KWD LYD OMR TND";

	if (strlen(cur) != 3)
		return 2;
	if (strstr(zero, cur) != NULL)
		return 0;
	if (strstr(three, cur) != NULL)
		return 3;
	return 2;
}

/* A decimal amount in the currency's units: 25600 HKD -> "256.00". */
static int
csv_money(struct buf *b, int64_t v, const char *cur)
{
	int e = minor_exp(cur);
	int64_t p = e == 0 ? 1 : e == 3 ? 1000 : 100;
	const char *sign = v < 0 ? "-" : "";
	uint64_t a = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

	if (e == 0)
		return buf_printf(b, "%s%llu", sign, (unsigned long long)a);
	return buf_printf(b, "%s%llu.%0*llu", sign,
	    (unsigned long long)(a / (uint64_t)p), e,
	    (unsigned long long)(a % (uint64_t)p));
}

/* Local time in merchant_timezone with its offset:
 * "2026-12-02T07:16:05+08:00" (ISO 8601). */
static int
csv_time(struct buf *b, int64_t t)
{
	int64_t off, l, ao;
	char d[11];

	if (t == 0)
		return 0;
	off = tz_offset(t);
	l = t + off;
	ao = off < 0 ? -off : off;
	admin_date_format(l, d);
	return buf_printf(b, "%sT%02lld:%02lld:%02lld%c%02lld:%02lld", d,
	    (long long)(l % 86400 / 3600), (long long)(l % 3600 / 60),
	    (long long)(l % 60), off < 0 ? '-' : '+',
	    (long long)(ao / 3600), (long long)(ao % 3600 / 60));
}

static int
csv_row(void *vctx, const struct store_admin_order_row *row, struct err *err)
{
	struct csv_ctx *c = vctx;
	struct buf *b = &c->out;
	char m[32];

	if (admin_csv_cell(b, row->order_no) == -1 || buf_addc(b, ',') == -1 ||
	    csv_time(b, row->created_at) == -1 || buf_addc(b, ',') == -1 ||
	    admin_csv_cell(b, row->state) == -1 || buf_addc(b, ',') == -1 ||
	    csv_money(b, row->amount, row->currency) == -1 ||
	    buf_addc(b, ',') == -1 ||
	    admin_csv_cell(b, row->currency) == -1 || buf_addc(b, ',') == -1 ||
	    csv_money(b, row->refunded_amount, row->currency) == -1 ||
	    buf_addc(b, ',') == -1 ||
	    admin_csv_cell(b, row->subject) == -1 || buf_addc(b, ',') == -1 ||
	    admin_csv_cell(b, log_mask(row->openid, m, sizeof(m))) == -1 ||
	    buf_addc(b, ',') == -1 ||
	    csv_time(b, row->paid_at) == -1 || buf_addc(b, ',') == -1 ||
	    admin_csv_cell(b, row->error_code) == -1 ||
	    buf_addc(b, ',') == -1 ||
	    admin_csv_cell(b, row->error_msg) == -1 ||
	    buf_addc(b, ',') == -1 || csv_int(b, row->open_anomalies) == -1 ||
	    buf_adds(b, "\r\n") == -1)
		return err_set(err, E_TOOBIG, "csv row");
	c->rows++;
	c->page_rows++;
	c->last_key = c->f.sort == SORT_AMOUNT_DESC || c->f.sort ==
	    SORT_AMOUNT_ASC ? row->amount : row->created_at;
	c->last_id = row->id;
	if (b->len >= CSV_FLUSH)
		return csv_flush(c, err);
	return 0;
}

/* The stream: pages of CSV_CHUNK rows by keyset, so no read transaction
 * is held for the whole export. */
static int
csv_stream(void *vctx, int (*write)(void *, const char *, size_t),
    void *wctx)
{
	struct csv_ctx *c = vctx;
	struct err err;

	c->write = write;
	c->wctx = wctx;
	if (c->bom)
		buf_adds(&c->out, "\xEF\xBB\xBF");
	buf_adds(&c->out, "order_no,created_at,state,amount,currency,"
	    "refunded_amount,subject,openid,paid_at,error_code,error_msg,"
	    "anomalies\r\n");
	c->f.limit = CSV_CHUNK;
	for (;;) {
		c->page_rows = 0;
		if (store_admin_orders_list(c->app->store, &c->f, csv_row, c,
		    &err) == -1)
			goto fail;
		if (c->page_rows < CSV_CHUNK)
			break;
		c->f.has_cursor = true;
		c->f.cursor_key = c->last_key;
		c->f.cursor_id = c->last_id;
	}
	if (csv_flush(c, &err) == -1)
		goto fail;
	log_info("admin", "csv_done", "rows=%lld", (long long)c->rows);
	return 0;
fail:
	log_error("admin", "csv_fail", "rows=%lld msg=\"%s\"",
	    (long long)c->rows, err.msg);
	return -1;
}

int
web_admin_orders_csv(struct app *app, struct req *r, struct resp *w,
    struct err *err)
{
	struct csv_ctx *c;

	if (r->admin == NULL)
		return err_set(err, E_AUTH, "no admin session");
	c = xcalloc(1, sizeof(*c));
	if (admin_filter_parse(&r->query, &c->f, err) == -1) {
		free(c);
		return -1;
	}
	/* the stream outlives nothing, but own what it reads anyway */
	if (c->f.state)
		c->f.state = c->state = xstrdup(c->f.state);
	if (c->f.order_no)
		c->f.order_no = c->order_no = xstrdup(c->f.order_no);
	if (c->f.openid)
		c->f.openid = c->openid = xstrdup(c->f.openid);
	c->app = app;
	c->bom = req_query(r, "bom") != NULL && strcmp(req_query(r, "bom"),
	    "1") == 0;
	buf_init(&c->out, 4 * CSV_FLUSH);
	web_audit(app, r, "export_csv", "", ADMIN_OK,
	    "%s", req_param(r, "QUERY_STRING") ? req_param(r,
	    "QUERY_STRING") : "");
	w->status = 200;
	w->content_type = "text/csv; charset=utf-8";
	resp_header(w, "Content-Disposition",
	    "attachment; filename=\"orders.csv\"");
	w->stream.fn = csv_stream;
	w->stream.ctx = c;
	w->stream.free = csv_free;
	return 0;
}

/* --- detail --------------------------------------------------------------- */

int
web_admin_order_get(struct app *app, struct req *r, struct resp *w,
    struct err *err)
{
	struct json_object *root, *ord, *v;
	const char *no = r->path_tail;
	int64_t refundable, in_flight;
	struct order o;
	char m[32];

	if (!valid_order_no(no, strlen(no)))
		return err_set(err, E_NOTFOUND, "bad order number");
	if (store_order_get(app->store, no, &o, err) == -1 ||
	    refund_refundable(app, &o, &refundable, &in_flight, err) == -1 ||
	    store_admin_order_detail(app->store, o.id, &root, err) == -1)
		return -1;
	ord = json_object_object_get(root, "order");
	if (json_object_object_get_ex(ord, "openid", &v))
		json_object_object_add(ord, "openid", json_object_new_string(
		    log_mask(json_object_get_string(v), m, sizeof(m))));
	json_object_object_add(root, "refundable",
	    json_object_new_int64(refundable));
	json_object_object_add(root, "refundInFlight",
	    json_object_new_int64(in_flight));
	resp_json(w, 200, root);
	return 0;
}

/* --- actions -------------------------------------------------------------- */

/* The answer to an action: what order_apply() did. Caller puts. */
static struct json_object *
outcome_obj(const struct order_outcome *oc, const char *refund_no,
    const char *refund_state)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "changed",
	    json_object_new_boolean(oc->changed));
	json_object_object_add(o, "oldState",
	    jstr(order_state_name(oc->old_state)));
	json_object_object_add(o, "newState",
	    jstr(order_state_name(oc->new_state)));
	json_object_object_add(o, "anomaly", oc->anomaly == OAN_NONE ? NULL :
	    jstr(order_anomaly_name(oc->anomaly)));
	if (refund_no) {
		json_object_object_add(o, "refundNo", jstr(refund_no));
		json_object_object_add(o, "refundState", jstr(refund_state));
	}
	return o;
}

/*
 * The order's refunds still in flight, queried and applied
 * (refund_query_open; an UNKNOWN one is resolved here), each audited; their
 * outcomes into arr.
 */
static int
query_refunds(struct app *app, struct req *r, const char *no,
    int64_t order_id, struct json_object *arr, struct err *err)
{
	char nos[REFUND_QUERY_OPEN_MAX][33];
	struct refund_query_res rq[REFUND_QUERY_OPEN_MAX];
	size_t n, i;

	if (refund_query_open(app, order_id, OSRC_ADMIN, r->admin->username,
	    nos, rq, &n, err) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		struct json_object *x = json_object_new_object();
		bool found = rq[i].verdict == OQ_STATUS;

		json_object_object_add(x, "refundNo", jstr(nos[i]));
		json_object_object_add(x, "found",
		    json_object_new_boolean(found));
		json_object_array_add(arr, x);
		if (!found) {
			web_audit(app, r, "query_refund", no, ADMIN_FAILED,
			    "%s %s", nos[i], rq[i].verdict == OQ_OTHER ?
			    "not a refund" : "no answer");
			continue;
		}
		json_object_object_add(x, "status",
		    jstr(useepay_status_name(rq[i].status)));
		web_audit(app, r, "query_refund", no, ADMIN_OK,
		    "%s status=%s %s -> %s", nos[i],
		    useepay_status_name(rq[i].status),
		    order_state_name(rq[i].oc.old_state),
		    order_state_name(rq[i].oc.new_state));
	}
	return 0;
}

static int
action_query(struct app *app, struct req *r, struct resp *w, const char *no,
    struct err *err)
{
	struct order_query_req rq = {
		.source = OSRC_ADMIN,
		.actor = r->admin->username,
	};
	struct order_query_res q;
	struct json_object *res, *refunds;
	struct order o;

	if (order_query_apply(app, no, &rq, &q, err) == -1) {
		if (err->code != E_NOTFOUND)
			web_audit(app, r, "query", no, ADMIN_FAILED,
			    "apply: %s", err_name(err->code));
		return -1;
	}
	if (q.verdict == OQ_NO_ANSWER) {
		web_audit(app, r, "query", no, ADMIN_FAILED, "%s",
		    err_name(q.why.code));
		*err = q.why;
		return -1;
	}
	if (q.verdict == OQ_REFUSED) {
		web_audit(app, r, "query", no, ADMIN_FAILED,
		    "provider error %.64s", q.error_code);
		return err_set(err, E_UPSTREAM, "query refused: %.64s",
		    q.error_code);
	}
	web_audit(app, r, "query", no, ADMIN_OK, "found=%d %s -> %s%s%s",
	    q.verdict == OQ_STATUS ? 1 : 0, order_state_name(q.oc.old_state),
	    order_state_name(q.oc.new_state), q.oc.anomaly ? " anomaly=" : "",
	    q.oc.anomaly ? order_anomaly_name(q.oc.anomaly) : "");
	refunds = json_object_new_array();
	if (query_refunds(app, r, no, q.oc.order_id, refunds, err) == -1 ||
	    store_order_get(app->store, no, &o, err) == -1) {
		json_object_put(refunds);
		return -1;
	}
	q.oc.new_state = o.state;	/* after the refunds too */
	res = outcome_obj(&q.oc, NULL, NULL);
	json_object_object_add(res, "refunds", refunds);
	resp_json(w, 200, res);
	return 0;
}

static int
action_refund(struct app *app, struct req *r, struct resp *w, const char *no,
    struct err *err)
{
	struct admin_who who = {
		.admin = r->admin->username,
		.ip = r->client_ip,
		.request_id = r->request_id,
	};
	struct json_object *in, *v, *res;
	struct refund_create_res rr;
	const char *reason = "";
	int64_t amount = 0;
	int rc = -1;

	if ((in = req_json(r, err)) == NULL)
		return -1;
	if (!json_object_object_get_ex(in, "amount", &v) ||
	    !json_object_is_type(v, json_type_int) ||
	    (amount = json_object_get_int64(v)) <= 0) {
		err_set(err, E_INPUT, "amount: a positive integer (minor "
		    "units)");
		goto out;
	}
	if (json_object_object_get_ex(in, "reason", &v)) {
		if (!json_object_is_type(v, json_type_string)) {
			err_set(err, E_INPUT, "reason: text up to %d bytes",
			    REFUND_REASON_MAX);
			goto out;
		}
		reason = json_object_get_string(v);
	}
	if (refund_create(app, no, amount, reason, &who, &rr, err) == -1)
		goto out;
	res = outcome_obj(&rr.oc, rr.refund_no, refund_state_name(rr.state));
	if (rr.state == REFUND_FAILED) {
		json_object_object_add(res, "errorCode", jstr(rr.error_code));
		json_object_object_add(res, "errorMsg", jstr(rr.error_msg));
	}
	/* 202: accepted by us, the provider's answer unknown */
	resp_json(w, rr.state == REFUND_UNKNOWN ? 202 : 200, res);
	rc = 0;
out:
	json_object_put(in);
	return rc;
}

/* {"refundNo","note"}: the admin decides a given-up refund never left
 * (refund_release). */
static int
action_refund_release(struct app *app, struct req *r, struct resp *w,
    const char *no, struct err *err)
{
	struct admin_who who = {
		.admin = r->admin->username,
		.ip = r->client_ip,
		.request_id = r->request_id,
	};
	struct json_object *in, *v;
	struct order_outcome oc;
	const char *rno = NULL, *note = NULL;
	int rc = -1;

	if ((in = req_json(r, err)) == NULL)
		return -1;
	if (json_object_object_get_ex(in, "refundNo", &v) &&
	    json_object_is_type(v, json_type_string))
		rno = json_object_get_string(v);
	if (json_object_object_get_ex(in, "note", &v) &&
	    json_object_is_type(v, json_type_string))
		note = json_object_get_string(v);
	if (rno == NULL) {
		err_set(err, E_INPUT, "refundNo: the refund to release");
		goto out;
	}
	if (refund_release(app, no, rno, note, &who, &oc, err) == -1)
		goto out;
	resp_json(w, 200, outcome_obj(&oc, rno, "FAILED"));
	rc = 0;
out:
	json_object_put(in);
	return rc;
}

int
web_admin_order_post(struct app *app, struct req *r, struct resp *w,
    struct err *err)
{
	const char *tail = r->path_tail, *slash = strchr(tail, '/');
	char no[33];

	if (r->admin == NULL)
		return err_set(err, E_AUTH, "no admin session");
	if (slash == NULL || !valid_order_no(tail, (size_t)(slash - tail)))
		return err_set(err, E_NOTFOUND, "no such action");
	memcpy(no, tail, (size_t)(slash - tail));
	no[slash - tail] = '\0';
	if (strcmp(slash, "/query") == 0)
		return action_query(app, r, w, no, err);
	if (strcmp(slash, "/refund") == 0)
		return action_refund(app, r, w, no, err);
	if (strcmp(slash, "/refund-release") == 0)
		return action_refund_release(app, r, w, no, err);
	return err_set(err, E_NOTFOUND, "no such action");
}

/* --- stats ---------------------------------------------------------------- */

int
web_admin_stats(struct app *app, struct req *r, struct resp *w,
    struct err *err)
{
	struct json_object *days, *today, *o;
	const char *cur = app->cfg->useepay_currency;
	/* days of merchant_timezone, at today's offset for the whole range */
	int64_t now = app_now_s(app), off = tz_offset(now);
	int64_t d0 = (now + off) - (now + off) % 86400, t0 = d0 - off;
	int64_t from = d0 - 29 * 86400, to = d0 + 86400;
	const char *v;

	if ((v = req_query(r, "from")) != NULL && *v &&
	    admin_date_parse(v, &from) == -1)
		return err_set(err, E_INPUT, "from: YYYY-MM-DD");
	if ((v = req_query(r, "to")) != NULL && *v) {
		if (admin_date_parse(v, &to) == -1)
			return err_set(err, E_INPUT, "to: YYYY-MM-DD");
		to += 86400;
	}
	from -= off;
	to -= off;
	if (store_admin_stats_tz(app->store, from, to, off, cur, now, &days,
	    err) == -1)
		return -1;
	if (store_admin_stats_tz(app->store, t0, t0 + 86400, off, cur, now,
	    &today, err) == -1) {
		json_object_put(days);
		return -1;
	}
	o = json_object_new_object();
	json_object_object_add(o, "currency", jstr(cur));
	json_object_object_add(o, "from", json_object_new_int64(from));
	json_object_object_add(o, "to", json_object_new_int64(to));
	json_object_object_add(o, "days", days);
	json_object_object_add(o, "today",
	    json_object_get(json_object_array_get_idx(today, 0)));
	json_object_put(today);
	resp_json(w, 200, o);
	return 0;
}
