/*
 * metrics.h - counters and histograms shared by every h5payd process, and
 * their Prometheus text rendering (GET /metrics, web_metrics.c).
 *
 * The supervisor maps one anonymous shared region before it forks
 * (metrics_init); every worker, of every generation, and the tasks child
 * inherit it and add to it with relaxed atomic increments: no locks, no
 * system calls on the hot path, totals that survive worker restarts and
 * reloads (reset only when h5payd restarts, as Prometheus expects of a
 * process's counters). Without metrics_init (the CLI, unit tests, the
 * simulator) every hook is a no-op.
 */
#ifndef H5PAY_METRICS_H
#define H5PAY_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"

struct route;

enum metrics_pool { METRICS_POOL_WEB, METRICS_POOL_NOTIFY,
	METRICS_POOL_TASKS, METRICS_POOL__N };

/* notify outcomes: the first five are enum notify_outcome's, in order */
enum metrics_notify { MN_APPLIED, MN_NOOP, MN_DUPLICATE, MN_ANOMALY,
	MN_IGNORED, MN_REFUSED, MN_ERROR, MN__N };
enum metrics_refusal { MR_SIGNATURE, MR_MERCHANT, MR_MALFORMED, MR_TOO_BIG,
	MR__N };

enum metrics_provider { MP_USEEPAY, MP_WECHAT, MP__N };
enum metrics_outcome { MO_OK, MO_UNKNOWN, MO_ERROR, MO__N };

/* Gauges read from the database at scrape time (store_metrics.c). */
struct metrics_db {
	int64_t orders_open[3];		/* CREATED, PENDING, UNKNOWN */
	int64_t reconcile_due;		/* open, next check due now */
	int64_t oldest_open_age;	/* seconds; 0 when none */
	int64_t oldest_unknown_age;	/* seconds; 0 when none */
	int64_t refunds_open[3];	/* CREATED, PENDING, UNKNOWN */
	int64_t oldest_unknown_refund_age;
	int64_t anomalies_open;
	int64_t outbox_backlog;		/* events not yet delivered */
	int64_t outbox_oldest_age;	/* seconds; 0 when none */
	int64_t outbox_failed;		/* given up after 3 days */
	int64_t db_bytes, wal_bytes;
};

/* Map the shared region (supervisor, before forking). 0 or -1. */
int metrics_init(void);
bool metrics_enabled(void);
/* Monotonic microseconds, for the durations handed to the hooks. */
int64_t metrics_now_us(void);

/* One answered request: route index into the route table (-1: none
 * matched), the status sent, the duration. */
void metrics_http(int route, int status, int64_t us);
void metrics_notify(enum metrics_notify);
void metrics_notify_refused(enum metrics_refusal);
/* One group-commit transaction: n notifications, begin..commit time. */
void metrics_notify_batch(int n, int64_t us);
/* One provider call; op is a short name ("pay", "query", "refund",
 * "oauth_token"; anything else counts as "other"). */
void metrics_provider(enum metrics_provider, const char *op,
    enum metrics_outcome, int64_t us);
/* One reconciler pass at wall time now (seconds). */
void metrics_reconcile_pass(int64_t now, int queried, int changed,
    int errors, bool ok);
/* The supervisor replaced a worker of this pool that died. */
void metrics_worker_restart(enum metrics_pool);

/*
 * Append the Prometheus text exposition (format 0.0.4) of everything
 * above, with the route labels from table[0..n) (the route table's
 * method and path, in its order), and the database gauges
 * (db may be NULL when they could not be read: then h5pay_db_up is 0).
 * -1 when out grows past its cap.
 */
struct metrics_route {
	const char *method, *path;
};
int metrics_render(struct buf *out, const struct metrics_route *table,
    size_t n, const struct metrics_db *db);

#endif
