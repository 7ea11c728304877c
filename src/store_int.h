/*
 * store_int.h - what store.c and store_tx.c share (not for store_<noun>.c):
 * a store, the writer and reader connections of a process.
 */
#ifndef H5PAY_STORE_INT_H
#define H5PAY_STORE_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "db/db.h"
#include "err.h"

#define STORE_READERS 16		/* readers a process keeps open */
/* How long a read waits for a reader when all STORE_READERS are borrowed
 * before it opens one more (closed when given back); tests change it. */
extern int store_reader_wait_ms;

struct store_batch {
	int refs;
	bool done;
	int rc;
	struct err err;
};

struct store_writer {
	char *key;			/* engine and path or URL */
	int refs;			/* stores of this process using it */
	struct db *conn;
	pthread_mutex_t mu;
	pthread_cond_t cv;		/* busy released: wakes one waiter */
	pthread_cond_t cv_done;		/* a batch finished: its members */
	bool busy;			/* a transaction runs on conn */
	int waiting;			/* threads waiting for busy */
	struct store_batch *open;	/* the batch conn's transaction is */
	int n;				/* transactions in it so far */
	int64_t opened_us;
	pid_t pid;			/* the process that opened conn */
	/* SQLite: the process's reader connections (store_idle) */
	pthread_mutex_t rmu;
	pthread_cond_t rcv;		/* a reader was given back */
	struct db *idle[STORE_READERS];
	int nidle;
	int nreaders;			/* open: idle and borrowed */
	int rwaiting;			/* threads waiting for one */
	struct store_writer *next;
};

struct store {
	struct db *db;			/* this thread's connection */
	/* SQLite, writable: db is borrowed from w's readers when needed
	 * and given back by store_idle(); path and so open a new one (NULL:
	 * db is the store's own) */
	char *path;
	struct db_sqlite_opts so;
	struct store_writer *w;		/* NULL: read-only */
	struct store_batch *batch;	/* in a write transaction: its batch */
	bool in_tx;
	bool sp;			/* ours is the savepoint h5pay_tx */
};

/*
 * The writer for key, opened by open(arg) when this process has none yet
 * (another connection with the same settings); counted until
 * store_writer_release().
 */
struct store_writer *store_writer_get(const char *key,
    int (*open)(struct db **, void *, struct err *), void *arg,
    struct err *err);
void store_writer_release(struct store_writer *);
/* Readers of s's process: open (idle and borrowed) and threads waiting
 * for one (tests). */
void store_readers(const struct store *, int *open, int *waiting);
/* The connection a statement of s runs on (store_tx.c says which). */
struct db *store_conn_or(struct store *, struct err *);
#endif
