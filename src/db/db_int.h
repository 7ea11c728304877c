/*
 * db_int.h - what an engine implements under db.h: struct db_ops, and the
 * first members every engine's connection and statement embed.
 *
 * Only the files of src/db/ include this. db.c owns the statement cache and the
 * last-error record; an engine owns everything it talks to.
 */
#ifndef H5PAY_DB_INT_H
#define H5PAY_DB_INT_H

#include "db.h"

struct sqlite3_mem_methods;
/* SQLite's allocator (db_sqlite_mem.c) */
const struct sqlite3_mem_methods *db_sqlite_mem_methods(void);

#define DB_STMT_CACHE 1024	/* slots; at most 3/4 used */

struct db_ops {
	enum db_engine engine;
	/* cached: kept until db_close() (an engine may prepare it on the
	 * server); else finalized soon after one use */
	struct db_stmt *(*prepare)(struct db *, const char *sql, bool cached,
	    struct err *);
	void (*finalize)(struct db_stmt *);
	int (*bind_int64)(struct db_stmt *, int, int64_t);
	int (*bind_null)(struct db_stmt *, int);
	/* copy: the engine keeps its own copy of v */
	int (*bind_text)(struct db_stmt *, int, const char *, bool copy);
	int (*bind_blob)(struct db_stmt *, int, const void *, size_t);
	int (*bind_index)(struct db_stmt *, const char *);
	int (*step)(struct db_stmt *);
	void (*reset)(struct db_stmt *);
	void (*clear)(struct db_stmt *);
	int64_t (*col_int64)(struct db_stmt *, int);
	const char *(*col_text)(struct db_stmt *, int);
	const void *(*col_blob)(struct db_stmt *, int, size_t *);
	enum db_type (*col_type)(struct db_stmt *, int);
	int (*col_count)(struct db_stmt *);
	const char *(*col_name)(struct db_stmt *, int);
	int64_t (*changes)(struct db *);
	/* the id of the row the last INSERT made; 0: the engine keeps none */
	int64_t (*insert_id)(struct db *);
	int (*exec)(struct db *, const char *, struct err *);
	int (*begin)(struct db *, struct err *);
	int (*commit)(struct db *, struct err *);
	void (*rollback)(struct db *);
	bool (*in_tx)(struct db *);
	void (*close)(struct db *);	/* frees the engine's part */
	struct sqlite3 *(*sqlite)(struct db *);
	int (*task_lock)(struct db *, int64_t key, bool *held, struct err *);
};

struct db {
	const struct db_ops *ops;
	enum db_errclass errclass;
	char errmsg[256];
	size_t nstmt;
	struct {
		const char *key;
		struct db_stmt *st;
	} stmts[DB_STMT_CACHE];
};

struct db_stmt {
	struct db *db;
};

/* Record the connection's last error (message truncated); returns -1. */
int db_error(struct db *, enum db_errclass, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The engine-neutral part of opening: zero the cache, set ops. */
void db_init(struct db *, const struct db_ops *);

#endif
