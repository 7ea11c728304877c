/*
 * metrics.c - the shared counters and histograms, and their Prometheus
 * text exposition (names and units per Prometheus conventions: seconds,
 * bytes, _total for counters).
 *
 * What it does not do: read the database (store_metrics.c gives the
 * gauges), serve HTTP (web_metrics.c), or allocate on a hook.
 * Invariants: the region is mapped once, before the first fork, and never
 * unmapped; every label value is from a fixed list or the route table, so
 * no request can add a series; hooks only do relaxed atomic adds on it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "metrics.h"
#include "util.h"

#define M_ROUTES 128		/* route slots; the last: none matched */
#define M_NB 13			/* finite latency buckets */
#define M_BATCH_NB 7		/* finite batch-size buckets */

static const char *const lat_le[M_NB] = {"0.001", "0.0025", "0.005",
    "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10"};
static const int64_t lat_le_us[M_NB] = {1000, 2500, 5000, 10000, 25000,
    50000, 100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000};
static const int batch_le[M_BATCH_NB] = {1, 2, 4, 8, 16, 32, 64};

/* statuses with their own label; anything else is "other" (the last) */
static const int statuses[] = {200, 201, 204, 301, 302, 303, 304, 400,
    401, 403, 404, 405, 409, 413, 429, 500, 502, 503, 504};
#define M_NSTATUS ((int)(sizeof(statuses) / sizeof(statuses[0])) + 1)

static const char *const ops[] = {"pay", "query", "refund", "oauth_token",
    "other"};
#define M_OPS ((int)(sizeof(ops) / sizeof(ops[0])))

static const char *const notify_names[MN__N] = {"applied", "noop",
    "duplicate", "anomaly", "ignored", "refused", "error"};
static const char *const refusal_names[MR__N] = {"signature", "merchant",
    "malformed", "too_big"};
static const char *const provider_names[MP__N] = {"useepay", "wechat"};
static const char *const outcome_names[MO__N] = {"ok", "unknown", "error"};
static const char *const pool_names[METRICS_POOL__N] = {"web", "notify",
    "tasks"};

struct hist {
	uint64_t count, sum_us, b[M_NB];
};

struct metrics_shm {
	uint64_t start_time;
	struct hist http[M_ROUTES][M_NSTATUS];
	uint64_t notify[MN__N];
	uint64_t refused[MR__N];
	uint64_t batch_count, batch_sum, batch_b[M_BATCH_NB];
	struct hist commit;
	struct hist provider[MP__N][M_OPS][MO__N];
	uint64_t rec_passes, rec_failed, rec_queried, rec_changed;
	uint64_t rec_errors, rec_last_pass, rec_last_ok;
	uint64_t restarts[METRICS_POOL__N];
};

static struct metrics_shm *m;

#define ADD(field, n) __atomic_fetch_add(&(field), (uint64_t)(n), \
	__ATOMIC_RELAXED)
#define GET(field) __atomic_load_n(&(field), __ATOMIC_RELAXED)

int
metrics_init(void)
{
	void *p;

	if (m != NULL)
		return 0;
	p = mmap(NULL, sizeof(*m), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	m = p;
	m->start_time = (uint64_t)now_s();
	return 0;
}

bool
metrics_enabled(void)
{
	return m != NULL;
}

int64_t
metrics_now_us(void)
{
	return mono_us();
}

static void
hist_add(struct hist *h, int64_t us)
{
	int i;

	if (us < 0)
		us = 0;
	ADD(h->count, 1);
	ADD(h->sum_us, us);
	for (i = 0; i < M_NB; i++)
		if (us <= lat_le_us[i]) {
			ADD(h->b[i], 1);
			break;
		}
}

static int
status_index(int status)
{
	int i;

	for (i = 0; i < M_NSTATUS - 1; i++)
		if (statuses[i] == status)
			return i;
	return M_NSTATUS - 1;
}

void
metrics_http(int route, int status, int64_t us)
{
	if (m == NULL)
		return;
	if (route < 0 || route >= M_ROUTES - 1)
		route = M_ROUTES - 1;
	hist_add(&m->http[route][status_index(status)], us);
}

void
metrics_notify(enum metrics_notify o)
{
	if (m != NULL && (int)o >= 0 && o < MN__N)
		ADD(m->notify[o], 1);
}

void
metrics_notify_refused(enum metrics_refusal r)
{
	if (m == NULL || (int)r < 0 || r >= MR__N)
		return;
	ADD(m->refused[r], 1);
	ADD(m->notify[MN_REFUSED], 1);
}

void
metrics_notify_batch(int n, int64_t us)
{
	int i;

	if (m == NULL)
		return;
	ADD(m->batch_count, 1);
	ADD(m->batch_sum, n);
	for (i = 0; i < M_BATCH_NB; i++)
		if (n <= batch_le[i]) {
			ADD(m->batch_b[i], 1);
			break;
		}
	hist_add(&m->commit, us);
}

void
metrics_provider(enum metrics_provider p, const char *op,
    enum metrics_outcome o, int64_t us)
{
	int i;

	if (m == NULL || (int)p < 0 || p >= MP__N || (int)o < 0 ||
	    o >= MO__N)
		return;
	for (i = 0; i < M_OPS - 1; i++)
		if (op != NULL && strcmp(op, ops[i]) == 0)
			break;
	hist_add(&m->provider[p][i][o], us);
}

void
metrics_reconcile_pass(int64_t now, int queried, int changed, int errors,
    bool ok)
{
	if (m == NULL)
		return;
	ADD(m->rec_passes, 1);
	if (!ok)
		ADD(m->rec_failed, 1);
	ADD(m->rec_queried, queried > 0 ? queried : 0);
	ADD(m->rec_changed, changed > 0 ? changed : 0);
	ADD(m->rec_errors, errors > 0 ? errors : 0);
	__atomic_store_n(&m->rec_last_pass, (uint64_t)now, __ATOMIC_RELAXED);
	if (ok)
		__atomic_store_n(&m->rec_last_ok, (uint64_t)now,
		    __ATOMIC_RELAXED);
}

void
metrics_worker_restart(enum metrics_pool p)
{
	if (m != NULL && (int)p >= 0 && p < METRICS_POOL__N)
		ADD(m->restarts[p], 1);
}

/* ---- rendering --------------------------------------------------------- */

/* set when an append passed the buffer's cap (the output is cut) */
static __thread int render_fail;

static void out(struct buf *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
out(struct buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (buf_vprintf(b, fmt, ap) == -1)
		render_fail = 1;
	va_end(ap);
}

static void
head(struct buf *b, const char *name, const char *type, const char *help)
{
	out(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A latency histogram's lines; labels is "" or `k="v",...` (no braces). */
static void
hist_lines(struct buf *b, const char *name, const char *labels,
    const struct hist *h)
{
	const char *sep = labels[0] ? "," : "";
	uint64_t cum = 0, count = GET(h->count);
	int i;

	for (i = 0; i < M_NB; i++) {
		cum += GET(h->b[i]);
		out(b, "%s_bucket{%s%sle=\"%s\"} %llu\n", name, labels,
		    sep, lat_le[i], (unsigned long long)cum);
	}
	/* increments of count and buckets race: +Inf is the count */
	if (cum > count)
		count = cum;
	out(b, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, sep,
	    (unsigned long long)count);
	out(b, "%s_sum%s%s%s %.6f\n", name, labels[0] ? "{" : "",
	    labels, labels[0] ? "}" : "", (double)GET(h->sum_us) / 1e6);
	out(b, "%s_count%s%s%s %llu\n", name, labels[0] ? "{" : "",
	    labels, labels[0] ? "}" : "", (unsigned long long)count);
}

static void
route_labels(char *out, size_t n, const struct metrics_route *table,
    size_t nr, int r, int s)
{
	char st[16];

	if (s == M_NSTATUS - 1)
		str_lcpy(st, "other", sizeof(st));
	else
		snprintf(st, sizeof(st), "%d", statuses[s]);
	if (r == M_ROUTES - 1 || (size_t)r >= nr)
		snprintf(out, n, "method=\"other\",route=\"unmatched\","
		    "status=\"%s\"", st);
	else
		snprintf(out, n, "method=\"%s\",route=\"%s\",status=\"%s\"",
		    table[r].method, table[r].path, st);
}

static void
render_http(struct buf *b, const struct metrics_route *table, size_t nr)
{
	char labels[256];
	int r, s;

	head(b, "h5pay_http_requests_total", "counter",
	    "Requests answered, by route and status.");
	for (r = 0; r < M_ROUTES; r++)
		for (s = 0; s < M_NSTATUS; s++) {
			uint64_t c = GET(m->http[r][s].count);

			if (c == 0)
				continue;
			route_labels(labels, sizeof(labels), table, nr, r, s);
			out(b, "h5pay_http_requests_total{%s} %llu\n",
			    labels, (unsigned long long)c);
		}
	head(b, "h5pay_http_request_duration_seconds", "histogram",
	    "Time from reading a request to its answer being sent.");
	for (r = 0; r < M_ROUTES; r++)
		for (s = 0; s < M_NSTATUS; s++) {
			if (GET(m->http[r][s].count) == 0)
				continue;
			route_labels(labels, sizeof(labels), table, nr, r, s);
			hist_lines(b, "h5pay_http_request_duration_seconds",
			    labels, &m->http[r][s]);
		}
}

static void
render_notify(struct buf *b)
{
	uint64_t cum = 0;
	int i;

	head(b, "h5pay_notify_total", "counter", "UseePay notifications by "
	    "outcome (refused: not verified, nothing stored; error: not "
	    "stored, answered 5xx).");
	for (i = 0; i < MN__N; i++)
		out(b, "h5pay_notify_total{outcome=\"%s\"} %llu\n",
		    notify_names[i], (unsigned long long)GET(m->notify[i]));
	head(b, "h5pay_notify_refused_total", "counter",
	    "Refused notifications by reason.");
	for (i = 0; i < MR__N; i++)
		out(b, "h5pay_notify_refused_total{reason=\"%s\"} "
		    "%llu\n", refusal_names[i],
		    (unsigned long long)GET(m->refused[i]));
	head(b, "h5pay_notify_batch_size", "histogram",
	    "Notifications per group-commit transaction.");
	for (i = 0; i < M_BATCH_NB; i++) {
		cum += GET(m->batch_b[i]);
		out(b, "h5pay_notify_batch_size_bucket{le=\"%d\"} "
		    "%llu\n", batch_le[i], (unsigned long long)cum);
	}
	if (GET(m->batch_count) > cum)
		cum = GET(m->batch_count);
	out(b, "h5pay_notify_batch_size_bucket{le=\"+Inf\"} %llu\n"
	    "h5pay_notify_batch_size_sum %llu\n"
	    "h5pay_notify_batch_size_count %llu\n", (unsigned long long)cum,
	    (unsigned long long)GET(m->batch_sum), (unsigned long long)cum);
	head(b, "h5pay_notify_commit_duration_seconds", "histogram",
	    "Group-commit transactions, from the write lock to the durable "
	    "commit.");
	hist_lines(b, "h5pay_notify_commit_duration_seconds", "", &m->commit);
}

static void
render_provider(struct buf *b)
{
	/* the calls that exist: UseePay pay/query/refund, WeChat's token */
	static const struct {
		int p, op;
	} calls[] = {{MP_USEEPAY, 0}, {MP_USEEPAY, 1}, {MP_USEEPAY, 2},
	    {MP_WECHAT, 3}};
	char labels[128];
	size_t c;
	int o;

	head(b, "h5pay_provider_requests_total", "counter", "Calls to "
	    "UseePay and WeChat by operation and outcome (unknown: timeout "
	    "or cut after sending).");
	for (c = 0; c < sizeof(calls) / sizeof(calls[0]); c++)
		for (o = 0; o < MO__N; o++)
			out(b, "h5pay_provider_requests_total{provider="
			    "\"%s\",op=\"%s\",outcome=\"%s\"} %llu\n",
			    provider_names[calls[c].p], ops[calls[c].op],
			    outcome_names[o], (unsigned long long)GET(
			    m->provider[calls[c].p][calls[c].op][o].count));
	head(b, "h5pay_provider_request_duration_seconds", "histogram",
	    "Duration of calls to UseePay and WeChat.");
	for (c = 0; c < sizeof(calls) / sizeof(calls[0]); c++)
		for (o = 0; o < MO__N; o++) {
			snprintf(labels, sizeof(labels), "provider=\"%s\","
			    "op=\"%s\",outcome=\"%s\"",
			    provider_names[calls[c].p], ops[calls[c].op],
			    outcome_names[o]);
			hist_lines(b, "h5pay_provider_request_duration_seconds",
			    labels, &m->provider[calls[c].p][calls[c].op][o]);
		}
}

static void
gauge(struct buf *b, const char *name, const char *help, int64_t v)
{
	head(b, name, "gauge", help);
	out(b, "%s %lld\n", name, (long long)v);
}

static void
counter(struct buf *b, const char *name, const char *help, uint64_t v)
{
	head(b, name, "counter", help);
	out(b, "%s %llu\n", name, (unsigned long long)v);
}

static void
render_db(struct buf *b, const struct metrics_db *db)
{
	static const char *const st[3] = {"CREATED", "PENDING", "UNKNOWN"};
	int i;

	gauge(b, "h5pay_db_up", "1 when the database answered this scrape.",
	    db != NULL);
	if (db == NULL)
		return;
	head(b, "h5pay_orders_open", "gauge",
	    "Orders not yet final, by state.");
	for (i = 0; i < 3; i++)
		out(b, "h5pay_orders_open{state=\"%s\"} %lld\n", st[i],
		    (long long)db->orders_open[i]);
	gauge(b, "h5pay_reconcile_due_orders", "Open orders whose next "
	    "provider query is due (the reconciler's queue).",
	    db->reconcile_due);
	gauge(b, "h5pay_orders_open_oldest_age_seconds", "Age of the oldest "
	    "open order (0: none).", db->oldest_open_age);
	gauge(b, "h5pay_orders_unknown_oldest_age_seconds", "Age of the "
	    "oldest order whose creation outcome is unknown (0: none).",
	    db->oldest_unknown_age);
	head(b, "h5pay_refunds_open", "gauge",
	    "Refunds not yet final, by state.");
	for (i = 0; i < 3; i++)
		out(b, "h5pay_refunds_open{state=\"%s\"} %lld\n", st[i],
		    (long long)db->refunds_open[i]);
	gauge(b, "h5pay_refunds_unknown_oldest_age_seconds", "Age of the "
	    "oldest refund whose outcome is unknown (0: none).",
	    db->oldest_unknown_refund_age);
	gauge(b, "h5pay_anomalies_open", "Anomalies not yet resolved.",
	    db->anomalies_open);
	gauge(b, "h5pay_outbox_backlog", "Merchant events not yet delivered.",
	    db->outbox_backlog);
	gauge(b, "h5pay_outbox_oldest_age_seconds", "Age of the oldest "
	    "undelivered merchant event.", db->outbox_oldest_age);
	gauge(b, "h5pay_outbox_failed", "Merchant events given up after "
	    "three days (resend them: h5pay events resend).",
	    db->outbox_failed);
	gauge(b, "h5pay_sqlite_db_bytes", "Size of the database file.",
	    db->db_bytes);
	gauge(b, "h5pay_sqlite_wal_bytes", "Size of the database's WAL file.",
	    db->wal_bytes);
}

int
metrics_render(struct buf *b, const struct metrics_route *table, size_t n,
    const struct metrics_db *db)
{
	int i;

	render_fail = 0;
	if (m == NULL)
		return buf_adds(b, "# h5pay metrics are off\n");
	gauge(b, "h5pay_start_time_seconds", "When h5payd started (Unix "
	    "time).", (int64_t)m->start_time);
	render_http(b, table, n);
	render_notify(b);
	render_provider(b);
	counter(b, "h5pay_reconcile_passes_total", "Reconciler passes.",
	    GET(m->rec_passes));
	counter(b, "h5pay_reconcile_failed_passes_total", "Reconciler passes "
	    "that hit a database error.", GET(m->rec_failed));
	counter(b, "h5pay_reconcile_queries_total", "Provider queries made "
	    "by the reconciler.", GET(m->rec_queried));
	counter(b, "h5pay_reconcile_changes_total", "Orders the reconciler "
	    "changed.", GET(m->rec_changed));
	counter(b, "h5pay_reconcile_query_errors_total", "Reconciler queries "
	    "without a verified answer.", GET(m->rec_errors));
	gauge(b, "h5pay_reconcile_last_pass_timestamp_seconds", "When the "
	    "last reconciler pass ended (Unix time; 0: none yet).",
	    (int64_t)GET(m->rec_last_pass));
	gauge(b, "h5pay_reconcile_last_success_timestamp_seconds", "When the "
	    "last reconciler pass without a database error ended.",
	    (int64_t)GET(m->rec_last_ok));
	head(b, "h5pay_worker_restarts_total", "counter",
	    "Workers that died and were replaced, by pool.");
	for (i = 0; i < METRICS_POOL__N; i++)
		out(b, "h5pay_worker_restarts_total{pool=\"%s\"} %llu\n",
		    pool_names[i], (unsigned long long)GET(m->restarts[i]));
	render_db(b, db);
	return render_fail ? -1 : 0;
}
