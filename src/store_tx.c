/*
 * store_tx.c - the connections a process shares: one writer per database,
 * whose transactions are batched (group commit: store_begin, store_commit,
 * store_rollback, savepoints), and the capped pool of readers a thread
 * borrows for its reads (store_idle).
 *
 * What it does not do: open or migrate a store, the statement helpers
 * (store.c), any business query (store_<noun>.c).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "store.h"
#include "store_int.h"
#include "util.h"

#define STORE_BATCH_MAX 256		/* transactions per batch */
/* The age at which a batch commits although more members wait: while it
 * is open, every member already done waits, and every other process's
 * writes wait for the lock (20 ms made the flash sale's /pay ~60 ms slower
 * than the provider and /notify p99 meanwhile ~50 ms; 2 ms: ~40 ms and
 * ~20 ms). A slow fsync still batches: who arrives during it joins the
 * next batch. */
#define STORE_BATCH_MAX_US 2000

/*
 * Reader connections (SQLite). Each connection costs its parsed schema
 * (~124 KiB) and its prepared statements plus its page cache, and opening
 * one parses the schema again (Debian's SQLite has no lookaside). A web
 * process has 128 threads, most of them waiting on the provider in a
 * flash sale, and a read holds its connection for microseconds. So a process opens at
 * most STORE_READERS readers and its threads borrow them: a thread
 * takes one for its reads and gives it back between requests, before
 * every outbound call (httpc's idle hook, app.c) and while it waits for
 * its write batch (store_begin). A read that finds all of them borrowed
 * waits for one; after store_reader_wait_ms (a reader held that long is
 * streaming a long read, or something holds it that should not) it opens
 * one more, which is closed when it comes back. Before the cap, the
 * flash sale's logins opened a reader per thread: massif showed 15 MB of
 * parsed schemas in one web process, and the arenas kept the RSS.
 * A borrowed reader has no statement in progress when it goes back (every
 * helper resets its statement), so whoever takes it next starts a fresh
 * read.
 */
int store_reader_wait_ms = 50;

/* A writable SQLite store borrows its readers: it keeps the path and
 * options to open one (store_open). */
static bool
pooled(const struct store *s)
{
	return s->path != NULL;
}

/* With w->rmu held: no reader to take and no room to open one. */
static bool
all_borrowed(const struct store_writer *w)
{
	return w->nidle == 0 && w->nreaders >= STORE_READERS;
}

/* With w->rmu held: wait while all_borrowed, at most store_reader_wait_ms
 * (w->rcv times on CLOCK_MONOTONIC, as mono_us does). */
static void
reader_wait(struct store_writer *w)
{
	int64_t at = mono_us() + (int64_t)store_reader_wait_ms * 1000;
	struct timespec ts = {.tv_sec = (time_t)(at / 1000000),
	    .tv_nsec = (long)(at % 1000000) * 1000};

	w->rwaiting++;
	while (all_borrowed(w) &&
	    pthread_cond_timedwait(&w->rcv, &w->rmu, &ts) != ETIMEDOUT)
		;
	w->rwaiting--;
}

static struct db *
reader(struct store *s, struct err *err)
{
	struct store_writer *w = s->w;

	if (s->db != NULL || !pooled(s))
		return s->db;
	pthread_mutex_lock(&w->rmu);
	if (all_borrowed(w))
		reader_wait(w);
	if (w->nidle > 0)
		s->db = w->idle[--w->nidle];
	else
		w->nreaders++;		/* we open it */
	pthread_mutex_unlock(&w->rmu);
	if (s->db == NULL && db_sqlite_open(&s->db, s->path, &s->so,
	    err) == -1) {
		s->db = NULL;
		pthread_mutex_lock(&w->rmu);
		w->nreaders--;
		pthread_cond_signal(&w->rcv);	/* room to open one */
		pthread_mutex_unlock(&w->rmu);
	}
	return s->db;
}

void
store_idle(struct store *s)
{
	struct store_writer *w;
	struct db *d;

	if (s == NULL || !pooled(s) || s->db == NULL || s->in_tx)
		return;
	w = s->w;
	d = s->db;
	s->db = NULL;
	pthread_mutex_lock(&w->rmu);
	if (w->nreaders <= STORE_READERS) {
		w->idle[w->nidle++] = d;
		d = NULL;
		pthread_cond_signal(&w->rcv);
	} else {
		w->nreaders--;		/* one opened past the cap */
	}
	pthread_mutex_unlock(&w->rmu);
	db_close(d);
}

/* Readers of s's process: open (idle and borrowed), and threads waiting
 * for one (tests). */
void
store_readers(const struct store *s, int *open, int *waiting)
{
	struct store_writer *w = s->w;

	pthread_mutex_lock(&w->rmu);
	*open = w->nreaders;
	*waiting = w->rwaiting;
	pthread_mutex_unlock(&w->rmu);
}

/* The connection a statement runs on: the writer's inside a write
 * transaction (it sees the transaction's own changes), else our reader
 * (NULL only if none could be opened: err says why). */
struct db *
store_conn_or(struct store *s, struct err *err)
{
	return s->in_tx ? s->w->conn : reader(s, err);
}

/* One statement without rows, prepared once per connection: the
 * savepoints of every transaction (store_exec would parse each: ~5 % of
 * the /notify profile in sqlite3_exec). */
static int
store_run(struct store *s, const char *sql, struct err *err)
{
	struct db_stmt *st = store_stmt(s, sql, err);

	if (st == NULL)
		return -1;
	return store_step_done(s, st, E_STORE, sql, err);
}

/* A condition variable whose timed waits count on CLOCK_MONOTONIC (a
 * clock step must not stretch or cut a reader wait). */
static void
cond_init_monotonic(pthread_cond_t *cv)
{
	pthread_condattr_t a;

	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(cv, &a);
	pthread_condattr_destroy(&a);
}

/*
 * Group commit of write transactions (issue 14). Every thread of a process
 * that writes a database runs its write transactions on one shared
 * connection, the writer, inside one open transaction: the batch, each
 * member but the first in its own savepoint (store_begin). A thread that finishes its transaction while
 * others wait to begin leaves the batch open for them and waits; the last
 * one (nobody waiting, or the batch full or old) commits the batch, one
 * fsync for all, and every member's store_commit() returns only then, with
 * the batch's result. So a write is acknowledged only once it is durable,
 * as before, but a flash sale's hundreds of threads no longer pay one
 * fsync each behind one lock (measured: two durable commits per /pay
 * capped it near 460/s with the provider answering at once).
 *
 * A transaction that fails alone rolls back to its savepoint (the first
 * member: the engine's transaction, nothing else is in it yet) and fails
 * alone; if the engine lost the whole transaction (SQLite rolls back by
 * itself after an I/O error or a full disk) or COMMIT fails, every member
 * of the batch fails: none was acknowledged. The writer's db_begin() takes
 * the cross-process lock (SQLite: flock, PostgreSQL: an advisory lock) for
 * the batch's life, so batches of different processes never mix.
 *
 * Invariants: w->busy is held by the one thread running a transaction on
 * w->conn (or committing it); members of a batch hold a reference to it
 * until they have read its result.
 */
static pthread_mutex_t writers_mu = PTHREAD_MUTEX_INITIALIZER;
static struct store_writer *writers;
static atomic_int batch_max_seen;

struct store_writer *
store_writer_get(const char *key,
    int (*open)(struct db **, void *, struct err *), void *arg,
    struct err *err)
{
	struct store_writer *w;

	pthread_mutex_lock(&writers_mu);
	for (w = writers; w != NULL; w = w->next)
		if (w->pid == getpid() && strcmp(w->key, key) == 0)
			break;	/* (a parent's connection is not ours) */
	if (w == NULL) {
		w = xcalloc(1, sizeof(*w));
		if (open(&w->conn, arg, err) == -1) {
			free(w);
			pthread_mutex_unlock(&writers_mu);
			return NULL;
		}
		w->key = xstrdup(key);
		w->pid = getpid();
		pthread_mutex_init(&w->mu, NULL);
		pthread_mutex_init(&w->rmu, NULL);
		cond_init_monotonic(&w->rcv);
		pthread_cond_init(&w->cv, NULL);
		pthread_cond_init(&w->cv_done, NULL);
		w->next = writers;
		writers = w;
	}
	w->refs++;
	pthread_mutex_unlock(&writers_mu);
	return w;
}

void
store_writer_release(struct store_writer *w)
{
	struct store_writer **p;

	if (w == NULL)
		return;
	pthread_mutex_lock(&writers_mu);
	if (--w->refs == 0) {
		for (p = &writers; *p != NULL; p = &(*p)->next)
			if (*p == w) {
				*p = w->next;
				break;
			}
		db_close(w->conn);
		while (w->nidle > 0)
			db_close(w->idle[--w->nidle]);
		pthread_mutex_destroy(&w->rmu);
		pthread_cond_destroy(&w->rcv);
		pthread_mutex_destroy(&w->mu);
		pthread_cond_destroy(&w->cv);
		pthread_cond_destroy(&w->cv_done);
		free(w->key);
		free(w);
	}
	pthread_mutex_unlock(&writers_mu);
}

/* With w->mu held: finish the open batch with rc (after COMMIT or after
 * losing it), wake its members. */
static void
batch_finish(struct store_writer *w, int rc, const struct err *e)
{
	struct store_batch *b = w->open;

	b->rc = rc;
	if (rc == -1)
		b->err = *e;
	b->done = true;
	if (w->n > atomic_load(&batch_max_seen))
		atomic_store(&batch_max_seen, w->n);
	w->open = NULL;
	w->n = 0;
	if (b->refs == 0)	/* every member left already */
		free(b);
	else
		pthread_cond_broadcast(&w->cv_done);
}

/* Read b's result and let go of it (with w->mu held). */
static int
batch_leave(struct store_batch *b, struct err *err)
{
	int rc = b->rc;

	if (rc == -1 && err != NULL)
		*err = b->err;
	if (--b->refs == 0 && b->done)
		free(b);
	return rc;
}

/*
 * The end of one member's transaction (its savepoint released or undone),
 * with w->mu held and w->busy ours: leave the batch open for a waiting
 * thread, or commit it; then wait for the batch's result.
 */
static int
batch_end(struct store *s, bool wait, struct err *err)
{
	struct store_writer *w = s->w;
	struct store_batch *b = s->batch;
	struct err e;
	int rc;

	if (!db_in_tx(w->conn)) {
		/* the engine rolled the whole transaction back */
		err_set(&e, E_STORE, "batch transaction lost");
		db_rollback(w->conn);	/* releases the lock */
		batch_finish(w, -1, &e);
	} else if (w->waiting > 0 && w->n < STORE_BATCH_MAX &&
	    mono_us() - w->opened_us < STORE_BATCH_MAX_US) {
		/* someone will run into this batch and commit it later */
	} else {
		pthread_mutex_unlock(&w->mu);
		err_clear(&e);
		rc = db_commit(w->conn, &e);
		pthread_mutex_lock(&w->mu);
		batch_finish(w, rc, &e);
	}
	/* one waiter takes over (a broadcast woke all of a flash sale's
	 * ~100 waiting threads for each transaction, and all but one went
	 * back to sleep: ~10 % of h5payd's CPU in futex/lock waits) */
	w->busy = false;
	pthread_cond_signal(&w->cv);
	s->batch = NULL;
	s->in_tx = false;
	if (!wait) {		/* a rollback: nothing of ours to wait for */
		b->refs--;	/* freed by batch_finish if not done yet */
		if (b->refs == 0 && b->done)
			free(b);
		return 0;
	}
	while (!b->done)
		pthread_cond_wait(&w->cv_done, &w->mu);
	return batch_leave(b, err);
}

int
store_begin(struct store *s, struct err *err)
{
	struct store_writer *w = s->w;
	struct store_batch *b;
	int rc = 0;

	if (s->in_tx)
		return err_set(err, E_INTERNAL, "nested transaction");
	if (w == NULL)
		return err_set(err, E_STORE, "read-only store");
	/* what we read inside runs on the writer; and a thread waiting for
	 * its batch must not keep a reader from the others (with readers
	 * held through the wait, a flash sale opened and closed ~100 a s) */
	store_idle(s);
	pthread_mutex_lock(&w->mu);
	w->waiting++;
	while (w->busy)
		pthread_cond_wait(&w->cv, &w->mu);
	w->waiting--;
	w->busy = true;
	if (w->open == NULL) {
		pthread_mutex_unlock(&w->mu);
		rc = db_begin(w->conn, err);	/* the cross-process lock */
		pthread_mutex_lock(&w->mu);
		if (rc == 0) {
			w->open = xcalloc(1, sizeof(*w->open));
			w->opened_us = mono_us();
		}
	}
	if (rc == -1) {
		w->busy = false;
		pthread_cond_signal(&w->cv);
		pthread_mutex_unlock(&w->mu);
		return -1;
	}
	b = w->open;
	b->refs++;
	w->n++;
	/* the first member of a batch needs no savepoint: nothing runs
	 * before it to keep, and no other member starts before it ends
	 * (busy), so undoing it is undoing the engine's transaction. A
	 * savepoint made every page written go to the sub-journal as well
	 * (~4 % of the /notify profile in malloc/free/memcpy of copies) */
	s->sp = w->n > 1;
	pthread_mutex_unlock(&w->mu);
	s->batch = b;
	s->in_tx = true;
	if (s->sp && store_run(s, "SAVEPOINT h5pay_tx", err) == -1) {
		pthread_mutex_lock(&w->mu);
		(void)batch_end(s, false, NULL);
		pthread_mutex_unlock(&w->mu);
		return -1;
	}
	return 0;
}

int
store_commit(struct store *s, struct err *err)
{
	int rc;

	if (!s->in_tx)
		return err_set(err, E_INTERNAL, "commit outside transaction");
	if (s->sp && store_run(s, "RELEASE h5pay_tx", err) == -1) {
		char msg[sizeof(err->msg)];

		str_lcpy(msg, err->msg, sizeof(msg));
		store_rollback(s);
		return err_set(err, E_STORE, "commit: %s", msg);
	}
	pthread_mutex_lock(&s->w->mu);
	rc = batch_end(s, true, err);
	pthread_mutex_unlock(&s->w->mu);
	return rc;
}

void
store_rollback(struct store *s)
{
	struct err err;

	if (!s->in_tx)
		return;
	/* undo this transaction only; the batch goes on without it. Wait
	 * for the batch all the same: what made this one fail may be a
	 * change of an earlier member (a unique key taken by a concurrent
	 * twin), and the caller's next read, on its own connection, must see
	 * it committed (test_pay's concurrent double submit, on PostgreSQL) */
	if (db_in_tx(s->w->conn)) {
		if (s->sp)
			(void)store_exec(s, "ROLLBACK TO h5pay_tx; "
			    "RELEASE h5pay_tx", &err);
		else	/* the first member: the whole batch is ours */
			db_rollback(s->w->conn);
	}
	pthread_mutex_lock(&s->w->mu);
	(void)batch_end(s, true, &err);
	pthread_mutex_unlock(&s->w->mu);
}

int
store_batch_max(void)
{
	return atomic_load(&batch_max_seen);
}

int
store_savepoint(struct store *s, struct err *err)
{
	return store_run(s, "SAVEPOINT h5pay_sp", err);
}

int
store_savepoint_release(struct store *s, struct err *err)
{
	return store_run(s, "RELEASE h5pay_sp", err);
}

void
store_savepoint_undo(struct store *s)
{
	struct err err;

	/* if this fails the transaction is gone: store_tx_alive() tells */
	if (store_tx_alive(s))
		(void)store_exec(s, "ROLLBACK TO h5pay_sp; RELEASE h5pay_sp",
		    &err);
}

bool
store_tx_alive(struct store *s)
{
	return s->in_tx && db_in_tx(s->w->conn);
}
