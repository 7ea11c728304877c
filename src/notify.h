/*
 * notify.h - a verified UseePay notification (docs/protocol.md §5) into
 * the database: stored, matched to its order or refund, applied through
 * order_apply() (order.h), acknowledged only after the commit that holds
 * it. Several notifications of one worker process share one commit
 * (group commit, notify_submit).
 */
#ifndef H5PAY_NOTIFY_H
#define H5PAY_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "order.h"
#include "useepay.h"

struct store;

enum notify_outcome {
	NOTIFY_APPLIED = 0,	/* the order (or refund) changed */
	NOTIFY_NOOP,		/* nothing to change: already there */
	NOTIFY_DUPLICATE,	/* the same meaning as one already stored */
	NOTIFY_ANOMALY,		/* verified, unusable: anomaly stored */
	NOTIFY_IGNORED		/* a transactionType we do not handle */
};

const char *notify_outcome_name(enum notify_outcome);

/* The hash (64 hex) of what identifies a verified notification: type,
 * transaction ids, reference, result, error code, amount, currency. */
void notify_meaning(const struct useepay_txn *, char out[65]);

/*
 * A verified notification (docs/protocol.md §5): in ONE write transaction
 * store it (raw body, its SHA-256 and its meaning, notify_meaning(); a
 * redelivery of the same meaning, whatever its bytes, only counts on the
 * first row and changes nothing; an order keeps at most
 * LIM_NOTIFY_ROWS_PER_ORDER rows), find its order (pay: transactionId;
 * refund: originalTransactionId + transactionId as refund number), apply
 * it through order_apply(), record what came of it; commit. body_sha256 is
 * computed by the caller before (outside the lock). 0 once committed: only
 * then may the caller acknowledge. -1 with E_STORE (nothing stored; the
 * provider must retry).
 */
int notify_process(struct store *, int64_t now, const char *body,
    size_t len, const char *body_sha256, const struct useepay_txn *,
    enum notify_outcome *, struct order_outcome *, struct err *);

/* The same inside the caller's transaction (no begin, no commit): for
 * group commit. On -1 the caller must undo what it did (a savepoint). */
int notify_apply_tx(struct store *, int64_t now, const char *body,
    size_t len, const char *body_sha256, const struct useepay_txn *,
    enum notify_outcome *, struct order_outcome *, struct err *);

/* One notification waiting for group commit (notify.c). The
 * submitter fills the inputs; the results are valid once the job is
 * finished (notify_submit returned, or `finished` was called). */
struct notify_job {
	/* in: borrowed until the job is finished */
	int64_t now;
	const char *body;
	size_t len;
	const char *body_sha256;
	const struct useepay_txn *txn;
	/*
	 * NULL: notify_submit waits for the result. Otherwise
	 * notify_enqueue returns at once and the leader calls
	 * finished(job) on its own thread once the batch holding the job
	 * committed (rc 0) or failed (rc -1): it must not block, and owns
	 * the job from then on.
	 */
	void (*finished)(struct notify_job *);
	/* out */
	enum notify_outcome res;
	struct order_outcome oo;
	struct err err;
	int rc;
	/* private */
	bool done;
	struct notify_job *next;
};

/*
 * Group commit (notify.c): hand one verified notification to this
 * process's queue. If no thread is committing, the caller becomes the
 * leader: it takes the write lock, then every notification queued by then
 * (whichever thread queued it, however many), applies each inside its own
 * savepoint on its own connection `st`, commits once (one fsync for all),
 * finishes every job of the batch, and goes on with the next batch until
 * the queue is empty. So a batch is capped by what has arrived, not by
 * the number of threads: a thread that queued a job with `finished` set
 * goes back to accepting requests at once.
 *
 * notify_enqueue: job->finished must be set; the job is finished by
 * whichever thread leads (possibly the caller, before this returns).
 * notify_submit: the same for job->finished == NULL, and waits: 0 once
 * this notification's transaction committed (acknowledge it then); -1
 * with job->err when it did not (nothing of it stored; answer 500).
 */
void notify_enqueue(struct store *st, struct notify_job *);
int notify_submit(struct store *st, struct notify_job *);

/* Largest batch committed by this process so far (tests, logs). */
int notify_max_batch(void);

#endif
