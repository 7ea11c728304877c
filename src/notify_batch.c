/*
 * notify_batch.c - group commit for /notify: several verified
 * notifications of one worker process share one write transaction and one
 * fsync, and each is acknowledged only after that commit.
 *
 * Why: with synchronous=FULL every commit is an fsync, and the disk's
 * fsync rate (not the CPU) caps one transaction per notification (~1.1k
 * commits/s measured on the CI machine; ~1.0k notifications/s without
 * group commit, ~3k with it, through nginx, same machine).
 * How: threads queue their job; the first thread that finds no leader
 * becomes it, takes the cross-process write lock (store_begin), then takes
 * every job queued by then (those that arrived while it waited for the
 * lock included), applies each inside its own savepoint, commits once, and
 * wakes the submitters. A job that fails alone is undone by its savepoint
 * and fails alone; if the transaction itself is lost (SQLite rolled it
 * back, or COMMIT failed), every job of the batch fails: none of them was
 * acknowledged, so UseePay retries them all.
 * Invariants: a job's rc/res are written by the leader before `done` is
 * set under the mutex; a submitter reads them only after seeing `done`.
 * The leader uses its own thread's connection only.
 */
#include <pthread.h>
#include <string.h>

#include "log.h"
#include "metrics.h"
#include "order.h"
#include "store.h"

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

/* The leader's work: one transaction for the whole batch. */
static void
batch_run(struct store *st, struct notify_job *batch, int n)
{
	struct notify_job *j;
	struct err err;

	for (j = batch; j != NULL; j = j->next) {
		j->rc = 0;
		err_clear(&j->err);
		if (store_savepoint(st, &j->err) == -1) {
			j->rc = -1;
			goto lost;
		}
		if (order_notify_apply_tx(st, j->now, j->body, j->len,
		    j->body_sha256, j->txn, &j->res, &j->oo, &j->err) == -1) {
			j->rc = -1;
			store_savepoint_undo(st);
			if (!store_tx_alive(st))
				goto lost;
			continue;
		}
		if (store_savepoint_release(st, &j->err) == -1) {
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

int
order_notify_submit(struct store *st, struct notify_job *job)
{
	struct notify_job *batch, *j;
	struct err err;
	int64_t us0;
	int n;

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
		pthread_mutex_lock(&nb_mu);
		for (j = batch; j != NULL; j = j->next)
			j->done = true;
		if (n > nb_max_batch)
			nb_max_batch = n;
		nb_leader = false;
		pthread_cond_broadcast(&nb_cv);
	}
	pthread_mutex_unlock(&nb_mu);
	return job->rc;
}

int
order_notify_max_batch(void)
{
	int n;

	pthread_mutex_lock(&nb_mu);
	n = nb_max_batch;
	pthread_mutex_unlock(&nb_mu);
	return n;
}
