/*
 * reconcile.c - the reconciler: UseePay resends a notification at most 8
 * times over ~2.5 h (spec §5), so orders still open are queried (§6) on a
 * back-off schedule (order_next_check: +1, +2, +5, +10, +20 min, then
 * hourly) and the answer goes through order_apply() like any other.
 *
 * Closing: an order past expires_at + RECONCILE_GRACE_SEC is closed
 * (OIN_EXPIRE) only after a verified answer that says it is not paid:
 * a final non-paid status, a non-final one (the provider's own expiry has
 * passed), or no such transaction. A payment that commits first wins: the
 * close re-reads the order in its transaction and leaves a PAID order
 * alone; a payment that arrives after the close makes it PAID with an
 * anomaly (order.c).
 * Refunds in flight are queried on the same back-off (from their creation,
 * first no sooner than REFUND_FIRST_CHECK_SEC) through refund_query_apply(),
 * which applies a verified refund answer through order_apply() and moves
 * the refund's schedule on.
 * What it does not do: hold a transaction across the provider call.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "cfg.h"
#include "log.h"
#include "metrics.h"
#include "order.h"
#include "reconcile.h"
#include "refund.h"
#include "store.h"
#include "store_refund.h"
#include "useepay.h"

#define BATCH 64

/* What the provider said, reduced to what the reconciler needs. */
enum verdict {
	V_ERROR,		/* no usable answer: try again later */
	V_STATUS,		/* a transaction status to apply */
	V_ABSENT,		/* the query succeeded: no such transaction */
	V_REFUSED		/* the query itself was refused */
};

/* A status that says "not paid" (an unknown string says nothing). */
static bool
status_is_unpaid(enum useepay_status s)
{
	return s == UPS_FAILED || s == UPS_CLOSED || s == UPS_CANCELLED ||
	    s == UPS_RECEIVED || s == UPS_PENDING;
}

/* Decide and write one order, in its own transaction. */
static int
reconcile_apply(struct app *app, const struct order *o, enum verdict v,
    const struct useepay_query_res *q, struct reconcile_stats *stats,
    struct err *err)
{
	int64_t now = app_now_s(app);
	struct order_input in;
	struct order_outcome out;
	bool past = now >= o->expires_at + RECONCILE_GRACE_SEC;
	bool unpaid = false;
	struct err e2;

	if (store_begin(app->store, err) == -1)
		return -1;
	memset(&in, 0, sizeof(in));
	in.source = OSRC_RECONCILER;
	in.amount = -1;
	memset(&out, 0, sizeof(out));
	if (v == V_STATUS) {
		in.kind = OIN_PAY_STATUS;
		in.status = q->txn.status;
		in.result_code = q->txn.result_code;
		in.error_code = q->txn.error_code;
		in.error_msg = q->txn.error_msg;
		in.reference = q->txn.reference;
		in.amount = q->txn.amount;
		in.currency = q->txn.currency;
		if (order_apply(app->store, now, o->order_no, &in, &out,
		    &e2) == -1)
			goto fail2;
		stats->anomalies += out.anomaly != OAN_NONE;
		if (out.changed) {
			stats->changed++;
			stats->paid += out.new_state == ORDER_PAID;
			stats->closed += out.new_state == ORDER_CLOSED;
		}
		unpaid = status_is_unpaid(q->txn.status) &&
		    out.anomaly == OAN_NONE;
	} else if (v == V_ABSENT) {
		unpaid = true;
	} else if (v == V_REFUSED) {
		unpaid = now >= o->expires_at + RECONCILE_REFUSED_GIVE_UP_SEC;
	}
	if (past && unpaid) {
		memset(&in, 0, sizeof(in));
		in.source = OSRC_RECONCILER;
		in.kind = OIN_EXPIRE;
		in.amount = -1;
		if (v == V_STATUS) {
			in.result_code = q->txn.result_code;
			in.error_code = q->txn.error_code;
			in.error_msg = q->txn.error_msg;
		} else if (q != NULL) {
			in.error_code = q->error_code;
			in.error_msg = q->error_msg;
		}
		if (order_apply(app->store, now, o->order_no, &in, &out,
		    &e2) == -1)
			goto fail2;
		if (out.changed) {
			stats->changed++;
			stats->closed++;
		}
	}
	if (store_order_schedule(app->store, o->id, now,
	    order_next_check(o->created_at, o->check_attempts + 1, now),
	    o->check_attempts + 1, err) == -1)
		goto fail;
	return store_commit(app->store, err);
fail2:
	if (e2.code == E_NOTFOUND) {
		/* deleted meanwhile: nothing to reconcile */
		store_rollback(app->store);
		return 0;
	}
	*err = e2;
fail:
	store_rollback(app->store);
	return -1;
}

static void
reconcile_one(struct app *app, const struct order *o,
    struct reconcile_stats *stats, struct err *dberr, int *dbfail)
{
	struct useepay_query_res q;
	struct err err;
	enum verdict v;

	stats->due++;
	err_clear(&err);
	if (useepay_query(app, o->order_no, &q, &err) == -1) {
		v = V_ERROR;
		stats->errors++;
		log_warn("reconcile", "query_fail", "order=%s code=%s "
		    "msg=\"%s\"", o->order_no, err_name(err.code), err.msg);
	} else {
		stats->queried++;
		if (q.outcome != UP_OK)
			v = V_REFUSED;
		else if (q.found)
			v = V_STATUS;
		else
			v = V_ABSENT;
	}
	if (reconcile_apply(app, o, v, v == V_ERROR ? NULL : &q, stats,
	    dberr) == -1) {
		stats->errors++;
		*dbfail = 1;
		log_error("reconcile", "store_fail", "order=%s msg=\"%s\"",
		    o->order_no, dberr->msg);
	}
	if (v != V_ERROR)
		useepay_query_res_cleanup(&q);
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
	if (rq.outcome != RQ_APPLIED) {
		stats->errors += !rq.answered;
		log_warn("reconcile", "refund_query_fail", "refund=%s order=%s "
		    "code=%s msg=\"%s\"", c->refund_no, c->order_no,
		    err_name(rq.query_err.code), rq.query_err.msg);
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
	int dbfail = 0, rc = 0;

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
	if (dbfail)
		rc = -1;
	metrics_reconcile_pass(app_now_s(app), stats->queried, stats->changed,
	    stats->errors, !dbfail);
	log_info("reconcile", "pass", "due=%d queried=%d changed=%d paid=%d "
	    "closed=%d refunds=%d refunds_applied=%d refunds_changed=%d "
	    "anomalies=%d errors=%d ms=%lld%s", stats->due,
	    stats->queried, stats->changed, stats->paid, stats->closed,
	    stats->refunds, stats->refunds_applied, stats->refunds_changed,
	    stats->anomalies, stats->errors,
	    (long long)(app_now_ms(app) - t0), dbfail ? " db=fail" : "");
	return rc;
}

int
reconcile_task_main(const struct cfg *cfg, const struct keys *keys,
    int ready_fd)
{
	struct reconcile_stats stats;
	struct timespec ts;
	struct app app;
	struct err err;
	sigset_t set;
	int sig;

	prctl(PR_SET_PDEATHSIG, SIGTERM);
	/* SIGTERM is taken between passes only: a pass is never cut in the
	 * middle (each order is its own transaction anyway) */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	if (app_thread_init(&app, cfg, keys, POOL_TASKS, &err) == -1) {
		log_error("reconcile", "init", "msg=\"%s\"", err.msg);
		return 1;
	}
	if (ready_fd != -1) {
		if (write(ready_fd, "1", 1) < 0) {
			/* the supervisor is gone; PDEATHSIG follows */
		}
		close(ready_fd);
	}
	log_info("reconcile", "start", "interval=%lld",
	    (long long)cfg->reconcile_interval_sec);
	for (;;) {
		if (reconcile_pass(&app, &stats, &err) == -1)
			log_error("reconcile", "pass_fail", "msg=\"%s\"",
			    err.msg);
		ts.tv_sec = (time_t)cfg->reconcile_interval_sec;
		ts.tv_nsec = 0;
		sig = sigtimedwait(&set, NULL, &ts);
		if (sig == SIGTERM)
			break;
		if (sig == -1 && errno != EAGAIN && errno != EINTR)
			break;
	}
	app_thread_cleanup(&app);
	log_info("reconcile", "stop", "pid=%d", (int)getpid());
	return 0;
}
