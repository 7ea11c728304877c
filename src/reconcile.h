/*
 * reconcile.h - the reconciler (issue 6): query UseePay about orders still
 * open (CREATED, PENDING, UNKNOWN) on a back-off schedule, apply what it
 * says through order_apply(), and close orders past their expiry + grace
 * that the provider says are not paid. Refunds still in flight (CREATED,
 * PENDING, UNKNOWN) are queried the same way (refund_query_apply), so a
 * lost refund answer or notification does not leave money unresolved.
 *
 * Used by `h5pay reconcile` (one pass) and by h5payd's tasks child (a pass
 * every reconcile_interval_sec). Safe to run while notifications arrive and
 * while another reconciler runs: each order is decided in its own short
 * write transaction that re-reads it; the provider call is made outside.
 */
#ifndef H5PAY_RECONCILE_H
#define H5PAY_RECONCILE_H

#include <stdint.h>

#include "err.h"

struct app;
struct cfg;
struct keys;

/* When an unpaid order is closed: ORDER_CLOSE_GRACE_SEC and
 * ORDER_REFUSED_GIVE_UP_SEC (order_query.h). */
/* At most this many orders per pass (the rest wait for the next). */
#define RECONCILE_MAX_PER_PASS 2000
/* At most this many refunds per pass. */
#define RECONCILE_MAX_REFUNDS_PER_PASS 500

struct reconcile_stats {
	int due;		/* orders examined */
	int queried;		/* provider answered (verified) */
	int errors;		/* transport / signature / store failures */
	int changed;		/* state changed */
	int paid;		/* ... to PAID */
	int closed;		/* ... to CLOSED (provider or expiry) */
	int anomalies;
	int refunds;		/* refunds examined */
	int refunds_applied;	/* a verified refund status applied */
	int refunds_changed;	/* ... that changed the refund/order */
};

/*
 * One pass at app_now_s(app): every due order, most overdue first, then
 * every due refund (refunds count in errors too when unanswered). Uses
 * app->store and app->httpc (useepay_query). 0 when the pass ran (provider
 * failures are counted in *st, not errors); -1 with E_STORE when the
 * database failed. Logs one summary line.
 */
int reconcile_pass(struct app *, struct reconcile_stats *, struct err *);

/*
 * The body of h5payd's tasks child: open this process's app, tell the
 * supervisor it is ready (one byte on ready_fd, unless -1), then run a pass
 * every cfg->reconcile_interval_sec until SIGTERM. Returns the exit status.
 */
int reconcile_task_main(const struct cfg *, const struct keys *,
    int ready_fd);

#endif
