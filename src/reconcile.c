/*
 * reconcile.c - the reconciler: UseePay resends a notification at most 8
 * times over ~2.5 h (docs/protocol.md §5), so orders still open are queried
 * (§6) on a back-off schedule (order_next_check: +1, +2, +5, +10, +20 min,
 * then hourly) through order_query_apply(), which applies the answer through
 * order_apply() like any other source and, past expiry, closes an order the
 * provider verifiably did not take money for (the rule is in order_query.c).
 * Refunds in flight are queried on the same back-off (from their creation,
 * first no sooner than REFUND_FIRST_CHECK_SEC) through refund_query_apply(),
 * which applies a verified refund answer through order_apply() and moves
 * the refund's schedule on.
 * What it does not do: hold a transaction across the provider call.
 */
#include <string.h>

#include "anomaly.h"
#include "app.h"
#include "cfg.h"
#include "log.h"
#include "metrics.h"
#include "order.h"
#include "order_query.h"
#include "reconcile.h"
#include "refund.h"
#include "store.h"
#include "store_order.h"
#include "store_refund.h"
#include "task.h"

#define BATCH 64

/* Query one due order and apply the answer (order_query_apply with
 * OQ_CLOSE | OQ_SCHEDULE); *dbfail on a store failure. */
static void
reconcile_one(struct app *app, const struct order *o,
    struct reconcile_stats *stats, struct err *dberr, int *dbfail)
{
	struct order_query_req rq = {
		.source = OSRC_RECONCILER,
		.flags = OQ_CLOSE | OQ_SCHEDULE,
	};
	struct order_query_res res;

	stats->due++;
	if (order_query_apply(app, o->order_no, &rq, &res, dberr) == -1) {
		if (dberr->code == E_NOTFOUND)
			return;		/* deleted meanwhile */
		stats->errors++;
		*dbfail = 1;
		log_error("reconcile", "store_fail", "order=%s msg=\"%s\"",
		    o->order_no, dberr->msg);
		return;
	}
	if (res.verdict == OQ_NO_ANSWER) {
		stats->errors++;
		log_warn("reconcile", "query_fail", "order=%s code=%s "
		    "msg=\"%s\"", o->order_no, err_name(res.why.code),
		    res.why.msg);
		return;
	}
	stats->queried++;
	stats->anomalies += res.oc.anomaly != OAN_NONE;
	if (res.oc.changed) {
		stats->changed++;
		stats->paid += res.oc.new_state == ORDER_PAID;
		stats->closed += res.oc.new_state == ORDER_CLOSED;
	}
	if (res.closed) {
		stats->changed++;
		stats->closed++;
	}
}

/* Query one due refund and apply the answer; *dbfail on a store failure. */
static void
reconcile_refund(struct app *app, const struct refund_check *c,
    struct reconcile_stats *stats, struct err *dberr, int *dbfail)
{
	struct refund_query_res rq;

	stats->refunds++;
	if (refund_query_apply(app, c->refund_no, OSRC_RECONCILER, NULL, &rq,
	    dberr) == -1) {
		stats->errors++;
		if (dberr->code != E_NOTFOUND)
			*dbfail = 1;
		log_error("reconcile", "refund_store_fail", "refund=%s "
		    "msg=\"%s\"", c->refund_no, dberr->msg);
		return;
	}
	if (rq.verdict != OQ_STATUS) {
		stats->errors += rq.verdict == OQ_NO_ANSWER;
		log_warn("reconcile", "refund_query_fail", "refund=%s order=%s "
		    "code=%s msg=\"%s\"", c->refund_no, c->order_no,
		    err_name(rq.why.code), rq.why.msg);
		return;
	}
	stats->refunds_applied++;
	stats->anomalies += rq.oc.anomaly != OAN_NONE;
	stats->refunds_changed += rq.oc.changed;
}

/* The refunds part of a pass. -1 when the database failed. */
static int
reconcile_refunds(struct app *app, int64_t now,
    struct reconcile_stats *stats, struct err *err)
{
	struct refund_check batch[BATCH];
	size_t n, i;
	int dbfail = 0;

	while (stats->refunds < RECONCILE_MAX_REFUNDS_PER_PASS && !dbfail) {
		/* each one queried moves at least 30 s ahead of `now` */
		if (store_refund_due(app->store, now,
		    now - REFUND_FIRST_CHECK_SEC, batch, BATCH, &n, err) == -1)
			return -1;
		if (n == 0)
			break;
		for (i = 0; i < n && !dbfail &&
		    stats->refunds < RECONCILE_MAX_REFUNDS_PER_PASS; i++)
			reconcile_refund(app, &batch[i], stats, err, &dbfail);
	}
	return dbfail ? -1 : 0;
}

int
reconcile_pass(struct app *app, struct reconcile_stats *stats,
    struct err *err)
{
	struct order batch[BATCH];
	int64_t t0 = app_now_ms(app), now = app_now_s(app);
	size_t n, i;
	int dbfail = 0, rc = 0, stale = 0;

	memset(stats, 0, sizeof(*stats));
	while (stats->due < RECONCILE_MAX_PER_PASS && !dbfail) {
		/* each processed order moves at least 30 s ahead of `now`,
		 * so it is not due again in this pass */
		if (store_order_due(app->store, now, batch, BATCH, &n,
		    err) == -1) {
			dbfail = 1;
			break;
		}
		if (n == 0)
			break;
		for (i = 0; i < n && !dbfail; i++)
			reconcile_one(app, &batch[i], stats, err, &dbfail);
	}
	if (!dbfail && reconcile_refunds(app, now, stats, err) == -1)
		dbfail = 1;
	if (!dbfail && anomaly_unknown_stale_pass(app->store, now, &stale,
	    err) == -1)
		dbfail = 1;
	stats->anomalies += stale;
	if (dbfail)
		rc = -1;
	metrics_reconcile_pass(app_now_s(app), stats->queried, stats->changed,
	    stats->errors, !dbfail);
	log_info("reconcile", "pass", "due=%d queried=%d changed=%d paid=%d "
	    "closed=%d refunds=%d refunds_applied=%d refunds_changed=%d "
	    "anomalies=%d errors=%d ms=%lld db=%s", stats->due,
	    stats->queried, stats->changed, stats->paid, stats->closed,
	    stats->refunds, stats->refunds_applied, stats->refunds_changed,
	    stats->anomalies, stats->errors,
	    (long long)(app_now_ms(app) - t0), dbfail ? "fail" : "ok");
	return rc;
}

static void
reconcile_start(struct app *app, void *ctx)
{
	(void)ctx;
	log_info("reconcile", "start", "interval=%lld",
	    (long long)app->cfg->reconcile_interval_sec);
}

static int
reconcile_task_pass(struct app *app, void *ctx, struct err *err)
{
	struct reconcile_stats stats;

	(void)ctx;
	return reconcile_pass(app, &stats, err);
}

int
reconcile_task_main(const struct cfg *cfg, const struct keys *keys,
    int ready_fd)
{
	const struct task t = {
		.name = "reconcile",
		.pool = POOL_TASKS,
		.period_ms = cfg->reconcile_interval_sec * 1000,
		.start = reconcile_start,
		.pass = reconcile_task_pass,
	};

	return task_main(&t, cfg, keys, ready_fd);
}
