/*
 * notify.c - a verified UseePay notification (docs/protocol.md §5) into
 * the database, with group commit.
 *
 * Applying one: in the caller's write transaction, store it (raw body, its
 * SHA-256 and its meaning: the hash of the verified fields that identify
 * the delivery; a redelivery of the same meaning, whatever its bytes, only
 * counts on the first row and changes nothing; at most
 * LIM_NOTIFY_ROWS_PER_ORDER rows per order), find its order (pay:
 * transactionId; refund: originalTransactionId, with transactionId as our
 * refund number), apply it through order_apply() like every other source,
 * record what came of it. A verified notification for nothing of ours is
 * an anomaly (a retry cannot fix it), answered 200.
 *
 * Group commit: several verified notifications of one worker process
 * share one write transaction and one fsync, and each is acknowledged only
 * after that commit. With synchronous=FULL every commit is an fsync, and
 * the disk's fsync rate (not the CPU) caps one transaction per
 * notification. Threads queue their job; the first thread that finds no
 * leader becomes it, takes the cross-process write lock (store_begin),
 * then takes every job queued by then (those that arrived while it waited
 * for the lock included), applies each, commits once, and wakes the
 * submitters. A job that fails alone fails alone (batch_run runs the
 * batch again with a savepoint per job); if the transaction itself is
 * lost (SQLite rolled it back, or COMMIT failed), every job of the batch
 * fails: none of them was acknowledged, so UseePay retries them all.
 *
 * Invariants: a job's rc/res are written by the leader before `done` is
 * set under the mutex; a submitter reads them only after seeing `done`.
 * The leader uses its own thread's connection only.
 * What it does not do: verify signatures or parse bodies (useepay.c, the
 * caller), decide states (order.c), SQL (store_*.c).
 */
#include <pthread.h>
#include <string.h>

#include "buf.h"
#include "lim.h"
#include "log.h"
#include "metrics.h"
#include "notify.h"
#include "order.h"
#include "order_query.h"
#include "store.h"
#include "sign.h"
#include "store_notify.h"
#include "store_order.h"

const char *
notify_outcome_name(enum notify_outcome o)
{
	static const char *const n[] = {"applied", "noop", "duplicate",
	    "anomaly", "ignored"};

	return (unsigned)o < sizeof(n) / sizeof(n[0]) ? n[o] : "?";
}

/* Inside the transaction: everything after the notification row exists. */
static int
notify_apply(struct store *st, int64_t now, int64_t nid, const char *sha,
    const struct useepay_txn *t, enum notify_outcome *res,
    struct order_outcome *oo, struct err *err)
{
	struct order_input in;
	const char *order_no;
	struct buf d;
	struct err e2;
	int rc;

	order_input_from_txn(&in, OSRC_NOTIFY, OIN_PAY_STATUS, t, NULL);
	in.msg_sha256 = sha;
	in.notification_id = nid;
	if (t->transaction_type == NULL ||
	    strcmp(t->transaction_type, "pay") == 0) {
		/* [inferred] a notify without transactionType is a payment */
		in.kind = OIN_PAY_STATUS;
		order_no = t->transaction_id;
	} else if (strcmp(t->transaction_type, "refund") == 0) {
		in.kind = OIN_REFUND_STATUS;
		in.refund_no = t->transaction_id;
		order_no = t->original_transaction_id;
	} else {
		/* issue 10: another type (sale, authorizationVoid, a
		 * chargeback notice...) is kept verified and answered 200;
		 * shown with the order it names, if it names one */
		struct order o;

		order_no = t->original_transaction_id ?
		    t->original_transaction_id : t->transaction_id;
		if (order_no != NULL && store_order_get(st, order_no, &o,
		    &e2) == 0)
			oo->order_id = o.id;
		*res = NOTIFY_IGNORED;
		return 0;
	}
	rc = order_apply(st, now, order_no, &in, oo, &e2);
	if (rc == -1 && e2.code != E_NOTFOUND) {
		*err = e2;
		return -1;
	}
	if (rc == -1) {
		/* verified, but not ours: a retry cannot fix it */
		buf_init(&d, 512);
		buf_printf(&d, "transactionType=%.16s transactionId=%.64s "
		    "originalTransactionId=%.64s result=%.32s",
		    t->transaction_type ? t->transaction_type : "",
		    t->transaction_id ? t->transaction_id : "",
		    t->original_transaction_id ?
		    t->original_transaction_id : "",
		    t->result_code ? t->result_code : "");
		rc = order_anomaly_record(st, now, OAN_UNKNOWN_ORDER,
		    OSRC_NOTIFY, nid, buf_str(&d), err);
		buf_cleanup(&d);
		log_warn("order", "anomaly", "kind=unknown_order source=notify "
		    "notification=%lld", (long long)nid);
		*res = NOTIFY_ANOMALY;
		return rc;
	}
	if (oo->anomaly != OAN_NONE && !oo->changed)
		*res = NOTIFY_ANOMALY;
	else
		*res = oo->changed ? NOTIFY_APPLIED : NOTIFY_NOOP;
	return 0;
}

/*
 * What identifies a delivery (docs/protocol.md §5): the verified fields
 * that say which transaction reached which result for how much. Padding,
 * field order, encoding or a new signature do not change it; each value
 * is length-prefixed so no two field lists share a string. 64 hex.
 */
void
notify_meaning(const struct useepay_txn *t, char out[65])
{
	const char *f[] = {t->transaction_type, t->transaction_id,
	    t->original_transaction_id, t->reference, t->result_code,
	    t->error_code, t->currency};
	struct buf b;
	size_t i;

	buf_init(&b, 1024);
	buf_adds(&b, "h5pay-notify-meaning-v1");
	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		/* "|%zu:%s" without printf (~2,000 instructions each) */
		buf_addc(&b, '|');
		buf_add_int(&b, f[i] ? (long long)strlen(f[i]) : 0);
		buf_addc(&b, ':');
		buf_adds(&b, f[i] ? f[i] : "");
	}
	buf_adds(&b, "|amount:");
	buf_add_int(&b, (long long)t->amount);
	sign_sha256_hex(b.data, b.len, out);
	buf_cleanup(&b);
}

/* The order a notification is about (pay: transactionId; refund:
 * originalTransactionId). */
static const char *
notify_order_no(const struct useepay_txn *t)
{
	if (t->transaction_type != NULL &&
	    strcmp(t->transaction_type, "refund") == 0)
		return t->original_transaction_id;
	return t->transaction_id;
}

int
notify_apply_tx(struct store *st, int64_t now, const char *body,
    size_t len, const char *sha, const struct useepay_txn *t,
    enum notify_outcome *res, struct order_outcome *oo, struct err *err)
{
	struct notification n = {
		.received_at = now,
		.body = body,
		.body_len = len,
		.body_sha256 = sha,
		.verified = true,
		.transaction_type = t->transaction_type,
		.transaction_id = t->transaction_id,
		.result_code = t->result_code,
	};
	char meaning[65];
	struct err e2;
	int64_t nid = 0, first, rows = 0;

	memset(oo, 0, sizeof(*oo));
	*res = NOTIFY_NOOP;
	notify_meaning(t, meaning);
	n.meaning_sha256 = meaning;
	if (store_notification_find(st, t->transaction_id, meaning, sha,
	    &first, &e2) == 0) {
		/* the same delivery again: applied (or not) when the first
		 * copy committed; it only counts */
		if (store_notification_redelivered(st, first, now, err) == -1)
			return -1;
		*res = NOTIFY_DUPLICATE;
		return 0;
	}
	if (e2.code != E_NOTFOUND) {
		*err = e2;
		return -1;
	}
	if (store_notification_count_order(st, notify_order_no(t),
	    &n.order_id, &rows, err) == -1)
		return -1;
	if (rows >= LIM_NOTIFY_ROWS_PER_ORDER) {
		/* applied like any other, but not kept: a genuine order has
		 * a handful of distinct notifications, never this many */
		log_warn("notify", "rows_capped", "txn=%s rows=%lld",
		    t->transaction_id, (long long)rows);
		return notify_apply(st, now, 0, sha, t, res, oo, err);
	}
	if (store_notification_insert(st, &n, "noop", &nid, err) == -1 ||
	    notify_apply(st, now, nid, sha, t, res, oo, err) == -1 ||
	    store_notification_finish(st, nid, notify_outcome_name(*res),
	    oo->order_id, n.order_id, err) == -1)
		return -1;
	return 0;
}

int
notify_process(struct store *st, int64_t now, const char *body,
    size_t len, const char *sha, const struct useepay_txn *t,
    enum notify_outcome *res, struct order_outcome *oo, struct err *err)
{
	if (store_begin(st, err) == -1)
		return -1;
	if (notify_apply_tx(st, now, body, len, sha, t, res, oo,
	    err) == -1) {
		store_rollback(st);
		return -1;
	}
	return store_commit(st, err);	/* rolls back when it fails */
}

static pthread_mutex_t nb_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t nb_cv = PTHREAD_COND_INITIALIZER;
static struct notify_job *nb_head;
static struct notify_job **nb_tail = &nb_head;
static bool nb_leader;
static int nb_max_batch;

/* Fail every job of a batch from `j` on with a copy of *e. */
static void
batch_fail(struct notify_job *j, const struct err *e)
{
	for (; j != NULL; j = j->next) {
		j->rc = -1;
		j->err = *e;
	}
}

/*
 * The leader's work: one transaction for the whole batch. Optimistic
 * first, without a savepoint per job: in SQLite a savepoint copies every
 * page a job writes into the sub-journal (malloc, memcpy and free of 4 KiB
 * per page: ~5 % of the /notify profile). If a job fails, the whole
 * transaction is undone and the batch runs again with a savepoint each,
 * so that the failing job fails alone (what the first pass logged, it
 * logs again).
 */
static void
batch_run(struct store *st, struct notify_job *batch, int n)
{
	struct notify_job *j;
	struct err err;
	bool careful = false;

again:
	for (j = batch; j != NULL; j = j->next) {
		j->rc = 0;
		err_clear(&j->err);
		if (careful && store_savepoint(st, &j->err) == -1) {
			j->rc = -1;
			goto lost;
		}
		if (notify_apply_tx(st, j->now, j->body, j->len,
		    j->body_sha256, j->txn, &j->res, &j->oo, &j->err) == -1) {
			j->rc = -1;
			if (!careful) {
				store_rollback(st);
				err_clear(&err);
				if (store_begin(st, &err) == -1) {
					log_error("notify", "batch_begin_fail",
					    "msg=\"%s\"", err.msg);
					batch_fail(batch, &err);
					return;
				}
				careful = true;
				goto again;
			}
			store_savepoint_undo(st);
			if (!store_tx_alive(st))
				goto lost;
			continue;
		}
		if (careful && store_savepoint_release(st, &j->err) == -1) {
			j->rc = -1;
			goto lost;
		}
	}
	if (store_commit(st, &err) == -1) {
		log_error("notify", "batch_commit_fail", "n=%d msg=\"%s\"", n,
		    err.msg);
		batch_fail(batch, &err);
	}
	return;
lost:
	err_set(&err, E_STORE, "batch transaction lost (%s)", j->err.msg);
	log_error("notify", "batch_lost", "n=%d msg=\"%s\"", n, err.msg);
	store_rollback(st);
	batch_fail(batch, &err);
}

/*
 * The leader, with nb_mu held and nb_leader set: batches until the queue
 * is empty. Returns with nb_mu held and nb_leader cleared.
 */
static void
batch_lead(struct store *st)
{
	struct notify_job *batch, *waiting, *j, *next;
	struct err err;
	int64_t us0;
	int n;

	while (nb_head != NULL) {
		pthread_mutex_unlock(&nb_mu);
		us0 = metrics_now_us();
		/* the lock first: whoever queues meanwhile joins this batch */
		err_clear(&err);
		if (store_begin(st, &err) == -1)
			log_error("notify", "batch_begin_fail", "msg=\"%s\"",
			    err.msg);
		pthread_mutex_lock(&nb_mu);
		batch = nb_head;
		nb_head = NULL;
		nb_tail = &nb_head;
		pthread_mutex_unlock(&nb_mu);
		for (n = 0, j = batch; j != NULL; j = j->next)
			n++;
		if (err.code != E_OK)
			batch_fail(batch, &err);
		else
			batch_run(st, batch, n);
		metrics_notify_batch(n, metrics_now_us() - us0);
		/* the answers go out now, from here: no thread has to wake
		 * up to send its own (a finished job is not ours any more:
		 * set the waiters apart first) */
		waiting = NULL;
		for (j = batch; j != NULL; j = next) {
			next = j->next;
			if (j->finished != NULL) {
				j->finished(j);
				continue;
			}
			j->next = waiting;
			waiting = j;
		}
		pthread_mutex_lock(&nb_mu);
		for (j = waiting; j != NULL; j = j->next)
			j->done = true;
		if (n > nb_max_batch)
			nb_max_batch = n;
		if (waiting != NULL)
			pthread_cond_broadcast(&nb_cv);
	}
	nb_leader = false;
	pthread_cond_broadcast(&nb_cv);
}

void
notify_enqueue(struct store *st, struct notify_job *job)
{
	job->done = false;
	job->next = NULL;
	pthread_mutex_lock(&nb_mu);
	*nb_tail = job;
	nb_tail = &job->next;
	if (!nb_leader) {
		nb_leader = true;
		batch_lead(st);
	}
	pthread_mutex_unlock(&nb_mu);
}

int
notify_submit(struct store *st, struct notify_job *job)
{
	job->finished = NULL;
	job->done = false;
	job->next = NULL;
	pthread_mutex_lock(&nb_mu);
	*nb_tail = job;
	nb_tail = &job->next;
	while (!job->done) {
		if (nb_leader) {
			pthread_cond_wait(&nb_cv, &nb_mu);
			continue;
		}
		nb_leader = true;
		batch_lead(st);
	}
	pthread_mutex_unlock(&nb_mu);
	return job->rc;
}

int
notify_max_batch(void)
{
	int n;

	pthread_mutex_lock(&nb_mu);
	n = nb_max_batch;
	pthread_mutex_unlock(&nb_mu);
	return n;
}
