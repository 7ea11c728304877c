/*
 * db_pg.c - the PostgreSQL engine of db.h (libpq): statements prepared
 * once per connection (PQprepare, on first use), executed with text
 * parameters in one round trip (PQexecPrepared), rows read from the one
 * result; errors classed by SQLSTATE.
 *
 * SQL arrives in the store's dialect: `?`, `?NNN` and `:name` parameters
 * become $n at prepare time (outside quotes and comments), numbered as
 * SQLite numbers them, so one text serves both engines.
 *
 * Write transactions: BEGIN (READ COMMITTED, so every statement after the
 * lock sees what earlier writers committed) + pg_advisory_xact_lock on one
 * fixed key: writers of every host are serialised like SQLite's, the lock
 * goes with COMMIT/ROLLBACK or the connection. Reads stay MVCC.
 *
 * What it does not do: pool connections (one per thread, as SQLite), retry
 * (callers that retry on DB_ERETRY/DB_EBUSY do), TLS policy (the URL's
 * sslmode; docs/scale-out.md).
 * Invariants: no allocation per bind or step once a statement is warm
 * (parameter buffers grow and stay); a lost connection is re-opened only
 * outside a transaction, and every statement is prepared again on it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "buf.h"
#include "db_int.h"
#include "util.h"

/* "h5pa": the write lock of every h5pay host on one database */
#define DBP_WRITE_KEY	0x68357061LL
#define DBP_MAXPARAM	100

/* type oids (catalog/pg_type_d.h, stable across versions) */
#define OID_BOOL	16
#define OID_BYTEA	17
#define OID_INT8	20
#define OID_INT2	21
#define OID_INT4	23
#define OID_FLOAT4	700
#define OID_FLOAT8	701
#define OID_NUMERIC	1700

struct dbp {
	struct db base;		/* first: a struct db * is a struct dbp * */
	PGconn *c;
	unsigned gen;		/* bumped when the connection is re-opened */
	unsigned nprep;		/* names the server-side statements */
	bool in_write;		/* between db_begin() and commit/rollback */
	int64_t changes;
};

struct dbp_param {
	char num[24];		/* an integer's text */
	char *buf;		/* a copied text (grows, stays) */
	size_t cap;
};

struct dbp_stmt {
	struct db_stmt base;	/* first */
	char *sql;		/* with $n parameters */
	char name[24];		/* "" for an uncached statement */
	bool cached;
	unsigned gen;		/* prepared on this connection generation */
	bool prepared;
	int nparam;		/* the arrays below have nparam slots */
	const char **vals;
	int *lens;
	int *fmts;
	struct dbp_param *p;
	char **names;		/* ":name" at its index, else NULL */
	PGresult *res;
	PGresult *desc;		/* the columns, for col_count before a step */
	bool ran;
	int row, nrows;
	unsigned char *blob;	/* a decoded bytea (grows, stays) */
	size_t blobcap;
};

#define DBP(db)		((struct dbp *)(db))
#define PST(s)		((struct dbp_stmt *)(s))

static enum db_errclass
dbp_class(const char *state)
{
	if (state == NULL)
		return DB_EOTHER;	/* no server answer: connection */
	if (strcmp(state, "23505") == 0)
		return DB_EUNIQUE;
	if (strcmp(state, "23514") == 0)
		return DB_ECHECK;
	if (strncmp(state, "23", 2) == 0)
		return DB_ECONSTRAINT;
	if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0)
		return DB_ERETRY;
	if (strcmp(state, "55P03") == 0)
		return DB_EBUSY;
	return DB_EOTHER;
}

/* Record res's error (or the connection's) on d; returns -1. */
static int
dbp_fail(struct dbp *d, const PGresult *res)
{
	const char *m = NULL, *state = NULL;
	size_t n;

	if (res) {
		state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		m = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	}
	if (m == NULL)
		m = PQerrorMessage(d->c);
	db_error(&d->base, dbp_class(state), "%s", m && *m ? m : "?");
	n = strlen(d->base.errmsg);
	while (n > 0 && d->base.errmsg[n - 1] == '\n')
		d->base.errmsg[--n] = '\0';
	return -1;
}

/*
 * The store's SQL with $n parameters: `?` takes the largest index so far
 * + 1, `?NNN` is NNN, `:name` the index of its first use (SQLite's rules).
 * Quotes ('', ""), -- and block comments pass through untouched.
 */
static int
dbp_translate(struct dbp_stmt *s, const char *sql, struct err *err)
{
	char *names[DBP_MAXPARAM] = { NULL };
	struct buf b;
	const char *p = sql;
	int max = 0, i, n, ret = -1;
	char q;

	buf_init(&b, 65536);
	while (*p) {
		if (*p == '\'' || *p == '"') {
			q = *p;
			buf_add(&b, p++, 1);
			while (*p && *p != q)
				buf_add(&b, p++, 1);
			if (*p)
				buf_add(&b, p++, 1);
		} else if (p[0] == '-' && p[1] == '-') {
			while (*p && *p != '\n')
				buf_add(&b, p++, 1);
		} else if (p[0] == '/' && p[1] == '*') {
			const char *e = strstr(p + 2, "*/");
			size_t len = e ? (size_t)(e + 2 - p) : strlen(p);

			buf_add(&b, p, len);
			p += len;
		} else if (*p == '?') {
			p++;
			if (*p >= '0' && *p <= '9') {
				for (n = 0; *p >= '0' && *p <= '9'; p++)
					n = n * 10 + (*p - '0');
				if (n > DBP_MAXPARAM)
					goto big;
			} else
				n = max + 1;
			if (n > max)
				max = n;
			buf_printf(&b, "$%d", n);
		} else if (*p == ':' && (p == sql || p[-1] != ':') &&
		    ((p[1] >= 'a' && p[1] <= 'z') || (p[1] >= 'A' &&
		    p[1] <= 'Z') || p[1] == '_')) {
			const char *start = p++;
			size_t len;

			while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' &&
			    *p <= 'Z') || (*p >= '0' && *p <= '9') ||
			    *p == '_')
				p++;
			len = (size_t)(p - start);
			for (i = 0; i < max; i++)
				if (names[i] && strlen(names[i]) == len &&
				    memcmp(names[i], start, len) == 0)
					break;
			if (i == max) {
				if (max == DBP_MAXPARAM)
					goto big;
				names[max++] = xstrndup(start, len);
			}
			buf_printf(&b, "$%d", i + 1);
		} else
			buf_add(&b, p++, 1);
		if (max > DBP_MAXPARAM)
			goto big;
	}
	s->nparam = max;
	s->sql = xstrdup(buf_str(&b));
	n = max > 0 ? max : 1;
	s->vals = xcalloc((size_t)n, sizeof(*s->vals));
	s->lens = xcalloc((size_t)n, sizeof(*s->lens));
	s->fmts = xcalloc((size_t)n, sizeof(*s->fmts));
	s->p = xcalloc((size_t)n, sizeof(*s->p));
	s->names = xcalloc((size_t)n, sizeof(*s->names));
	for (i = 0; i < max; i++) {
		s->names[i] = names[i];
		names[i] = NULL;
	}
	ret = 0;
	goto out;
big:
	err_set(err, E_INTERNAL, "statement has over %d parameters",
	    DBP_MAXPARAM);
out:
	for (i = 0; i < DBP_MAXPARAM; i++)
		free(names[i]);
	buf_cleanup(&b);
	return ret;
}

static void
dbp_clear(struct db_stmt *st)
{
	struct dbp_stmt *s = PST(st);
	int i;

	for (i = 0; i < s->nparam; i++) {
		s->vals[i] = NULL;
		s->lens[i] = 0;
		s->fmts[i] = 0;
	}
}

static void
dbp_reset(struct db_stmt *st)
{
	struct dbp_stmt *s = PST(st);

	if (s->res) {
		PQclear(s->res);
		s->res = NULL;
	}
	s->ran = false;
	s->row = s->nrows = 0;
}

static void
dbp_finalize(struct db_stmt *st)
{
	struct dbp_stmt *s = PST(st);
	int i;

	dbp_reset(st);
	if (s->desc)
		PQclear(s->desc);
	for (i = 0; i < s->nparam; i++) {
		free(s->p[i].buf);
		free(s->names[i]);
	}
	free(s->vals);
	free(s->lens);
	free(s->fmts);
	free(s->p);
	free(s->names);
	free(s->blob);
	free(s->sql);
	free(s);
}

static struct db_stmt *
dbp_prepare(struct db *db, const char *sql, bool cached, struct err *err)
{
	struct dbp *d = DBP(db);
	struct dbp_stmt *s = xcalloc(1, sizeof(*s));

	s->base.db = db;
	s->cached = cached;
	if (dbp_translate(s, sql, err) == -1) {
		dbp_finalize(&s->base);
		return NULL;
	}
	if (cached)
		snprintf(s->name, sizeof(s->name), "h5s%u", ++d->nprep);
	return &s->base;
}

static struct dbp_param *
dbp_slot(struct dbp_stmt *s, int i)
{
	if (i < 1 || i > s->nparam)
		return NULL;
	return &s->p[i - 1];
}

static int
dbp_bind_int64(struct db_stmt *st, int i, int64_t v)
{
	struct dbp_stmt *s = PST(st);
	struct dbp_param *p = dbp_slot(s, i);

	if (p == NULL)
		return -1;
	snprintf(p->num, sizeof(p->num), "%lld", (long long)v);
	s->vals[i - 1] = p->num;
	s->fmts[i - 1] = 0;
	return 0;
}

static int
dbp_bind_null(struct db_stmt *st, int i)
{
	struct dbp_stmt *s = PST(st);

	if (dbp_slot(s, i) == NULL)
		return -1;
	s->vals[i - 1] = NULL;
	s->fmts[i - 1] = 0;
	return 0;
}

static int
dbp_bind_text(struct db_stmt *st, int i, const char *v, bool copy)
{
	struct dbp_stmt *s = PST(st);
	struct dbp_param *p = dbp_slot(s, i);
	size_t n;

	if (p == NULL)
		return -1;
	s->fmts[i - 1] = 0;
	if (!copy) {
		s->vals[i - 1] = v;
		return 0;
	}
	n = strlen(v) + 1;
	if (n > p->cap) {
		free(p->buf);
		p->cap = n < 64 ? 64 : n;
		p->buf = xmalloc(p->cap);
	}
	memcpy(p->buf, v, n);
	s->vals[i - 1] = p->buf;
	return 0;
}

static int
dbp_bind_blob(struct db_stmt *st, int i, const void *v, size_t len)
{
	struct dbp_stmt *s = PST(st);

	if (dbp_slot(s, i) == NULL || len > INT32_MAX)
		return -1;
	/* binary format: bytea's wire form is the bytes themselves */
	s->vals[i - 1] = len ? v : "";
	s->lens[i - 1] = (int)len;
	s->fmts[i - 1] = 1;
	return 0;
}

static int
dbp_bind_index(struct db_stmt *st, const char *name)
{
	struct dbp_stmt *s = PST(st);
	int i;

	for (i = 0; i < s->nparam; i++)
		if (s->names[i] && strcmp(s->names[i], name) == 0)
			return i + 1;
	return 0;
}

/*
 * Re-open a lost connection, never inside a write transaction (its
 * statements would then run outside it): the store sees that one fail.
 */
static void
dbp_revive(struct dbp *d)
{
	if (d->in_write || PQstatus(d->c) == CONNECTION_OK)
		return;
	PQreset(d->c);
	if (PQstatus(d->c) == CONNECTION_OK)
		d->gen++;
}

/* Prepare a cached statement on this connection (generation) if not yet:
 * 0, or -1 with the error recorded. */
static int
dbp_ready(struct dbp_stmt *s, struct dbp *d)
{
	PGresult *r;

	if (!s->cached || (s->prepared && s->gen == d->gen))
		return 0;
	r = PQprepare(d->c, s->name, s->sql, s->nparam, NULL);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		dbp_fail(d, r);
		PQclear(r);
		return -1;
	}
	PQclear(r);
	if (s->desc) {
		PQclear(s->desc);
		s->desc = NULL;
	}
	s->prepared = true;
	s->gen = d->gen;
	return 0;
}

static int
dbp_step(struct db_stmt *st)
{
	struct dbp_stmt *s = PST(st);
	struct dbp *d = DBP(st->db);
	ExecStatusType es;
	const char *cs;

	if (s->ran) {
		if (++s->row < s->nrows)
			return DB_ROW;
		s->row = s->nrows;
		return DB_DONE;
	}
	dbp_revive(d);
	if (dbp_ready(s, d) == -1)
		return -1;
	if (s->cached)
		s->res = PQexecPrepared(d->c, s->name, s->nparam, s->vals,
		    s->lens, s->fmts, 0);
	else
		s->res = PQexecParams(d->c, s->sql, s->nparam, NULL, s->vals,
		    s->lens, s->fmts, 0);
	es = PQresultStatus(s->res);
	if (es != PGRES_COMMAND_OK && es != PGRES_TUPLES_OK) {
		dbp_fail(d, s->res);
		PQclear(s->res);
		s->res = NULL;
		return -1;
	}
	/* like sqlite3_changes(): only what INSERT/UPDATE/DELETE changed */
	cs = PQcmdStatus(s->res);
	if (strncmp(cs, "INSERT", 6) == 0 || strncmp(cs, "UPDATE", 6) == 0 ||
	    strncmp(cs, "DELETE", 6) == 0)
		d->changes = strtoll(PQcmdTuples(s->res), NULL, 10);
	s->ran = true;
	s->row = 0;
	s->nrows = es == PGRES_TUPLES_OK ? PQntuples(s->res) : 0;
	return s->nrows > 0 ? DB_ROW : DB_DONE;
}

static bool
dbp_on_row(struct dbp_stmt *s, int i)
{
	return s->res && s->row < s->nrows && i >= 0 &&
	    i < PQnfields(s->res);
}

static int64_t
dbp_col_int64(struct db_stmt *st, int i)
{
	struct dbp_stmt *s = PST(st);
	const char *v;

	if (!dbp_on_row(s, i) || PQgetisnull(s->res, s->row, i))
		return 0;
	v = PQgetvalue(s->res, s->row, i);
	if (PQftype(s->res, i) == OID_BOOL)
		return v[0] == 't';
	return strtoll(v, NULL, 10);
}

static const char *
dbp_col_text(struct db_stmt *st, int i)
{
	struct dbp_stmt *s = PST(st);

	if (!dbp_on_row(s, i) || PQgetisnull(s->res, s->row, i))
		return NULL;
	return PQgetvalue(s->res, s->row, i);
}

static int
dbp_hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A bytea arrives as text "\x<hex>" (bytea_output = hex, the default):
 * decoded into the statement's buffer, valid until the next col_blob. */
static const void *
dbp_col_blob(struct db_stmt *st, int i, size_t *len)
{
	struct dbp_stmt *s = PST(st);
	const char *v;
	size_t n, k;
	int hi, lo;

	*len = 0;
	if (!dbp_on_row(s, i) || PQgetisnull(s->res, s->row, i))
		return NULL;
	v = PQgetvalue(s->res, s->row, i);
	n = (size_t)PQgetlength(s->res, s->row, i);
	if (PQftype(s->res, i) != OID_BYTEA || n < 2 || v[0] != '\\' ||
	    v[1] != 'x') {
		*len = n;
		return v;
	}
	n = (n - 2) / 2;
	if (n + 1 > s->blobcap) {
		free(s->blob);
		s->blobcap = n + 1;
		s->blob = xmalloc(s->blobcap);
	}
	for (k = 0; k < n; k++) {
		hi = dbp_hex((unsigned char)v[2 + 2 * k]);
		lo = dbp_hex((unsigned char)v[3 + 2 * k]);
		if (hi < 0 || lo < 0)
			break;
		s->blob[k] = (unsigned char)(hi << 4 | lo);
	}
	s->blob[k] = '\0';
	*len = k;
	return s->blob;
}

static enum db_type
dbp_col_type(struct db_stmt *st, int i)
{
	struct dbp_stmt *s = PST(st);

	if (!dbp_on_row(s, i) || PQgetisnull(s->res, s->row, i))
		return DB_TNULL;
	switch (PQftype(s->res, i)) {
	case OID_BOOL:
	case OID_INT2:
	case OID_INT4:
	case OID_INT8:
		return DB_TINT;
	case OID_NUMERIC:
		/* SUM() of integers is numeric: integral stays an integer */
		return strchr(PQgetvalue(s->res, s->row, i), '.') ?
		    DB_TFLOAT : DB_TINT;
	case OID_FLOAT4:
	case OID_FLOAT8:
		return DB_TFLOAT;
	case OID_BYTEA:
		return DB_TBLOB;
	default:
		return DB_TTEXT;
	}
}

/*
 * The result's columns, or before the first step (SQLite knows them from
 * the prepare) the statement's description: one round trip the first
 * time, kept with the statement.
 */
static const PGresult *
dbp_cols(struct dbp_stmt *s)
{
	struct dbp *d = DBP(s->base.db);

	if (s->res)
		return s->res;
	if (s->desc == NULL && s->cached && dbp_ready(s, d) == 0) {
		s->desc = PQdescribePrepared(d->c, s->name);
		if (PQresultStatus(s->desc) != PGRES_COMMAND_OK) {
			dbp_fail(d, s->desc);
			PQclear(s->desc);
			s->desc = NULL;
		}
	}
	return s->desc;
}

static int
dbp_col_count(struct db_stmt *st)
{
	const PGresult *r = dbp_cols(PST(st));

	return r ? PQnfields(r) : 0;
}

static const char *
dbp_col_name(struct db_stmt *st, int i)
{
	const PGresult *r = dbp_cols(PST(st));

	return r && i >= 0 && i < PQnfields(r) ? PQfname(r, i) : NULL;
}

static int64_t
dbp_changes(struct db *db)
{
	return DBP(db)->changes;
}

static int64_t
dbp_insert_id(struct db *db)
{
	(void)db;
	return 0;	/* the texts say RETURNING id */
}

static int
dbp_exec(struct db *db, const char *sql, struct err *err)
{
	struct dbp *d = DBP(db);
	PGresult *r;
	ExecStatusType es;

	dbp_revive(d);
	r = PQexec(d->c, sql);
	es = PQresultStatus(r);
	if (es != PGRES_COMMAND_OK && es != PGRES_TUPLES_OK) {
		dbp_fail(d, r);
		PQclear(r);
		return err_set(err, E_STORE, "exec: %s", db->errmsg);
	}
	PQclear(r);
	return 0;
}

static void
dbp_rollback(struct db *db)
{
	struct dbp *d = DBP(db);

	d->in_write = false;
	if (PQtransactionStatus(d->c) != PQTRANS_IDLE)
		PQclear(PQexec(d->c, "ROLLBACK"));
}

static int
dbp_begin(struct db *db, struct err *err)
{
	char sql[128];

	snprintf(sql, sizeof(sql), "BEGIN ISOLATION LEVEL READ COMMITTED; "
	    "SELECT pg_advisory_xact_lock(%lld)", DBP_WRITE_KEY);
	if (dbp_exec(db, sql, err) == -1) {
		dbp_rollback(db);
		return err_set(err, E_STORE, "begin: %s", db->errmsg);
	}
	DBP(db)->in_write = true;
	return 0;
}

static int
dbp_commit(struct db *db, struct err *err)
{
	struct dbp *d = DBP(db);
	PGresult *r = PQexec(d->c, "COMMIT");
	int ret = 0;

	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		dbp_fail(d, r);
		ret = err_set(err, E_STORE, "commit: %s", db->errmsg);
	} else if (strcmp(PQcmdStatus(r), "COMMIT") != 0) {
		/* COMMIT of a failed transaction answers ROLLBACK */
		db_error(db, DB_EOTHER, "transaction was aborted");
		ret = err_set(err, E_STORE, "commit: %s", db->errmsg);
	}
	PQclear(r);
	d->in_write = false;
	if (ret == -1)
		dbp_rollback(db);
	return ret;
}

static bool
dbp_in_tx(struct db *db)
{
	PGTransactionStatusType t = PQtransactionStatus(DBP(db)->c);

	/* INERROR: ROLLBACK TO a savepoint still saves the transaction */
	return t == PQTRANS_INTRANS || t == PQTRANS_INERROR ||
	    t == PQTRANS_ACTIVE;
}

static int
dbp_task_lock(struct db *db, int64_t key, bool *held, struct err *err)
{
	struct dbp *d = DBP(db);
	char sql[320];
	PGresult *r;

	*held = false;
	dbp_revive(d);
	/* held already (pg_locks: a bigint key is classid:objid, subid 1),
	 * else try: one round trip, and a lock lost with a connection that
	 * was re-opened shows as not held */
	snprintf(sql, sizeof(sql), "SELECT EXISTS (SELECT 1 FROM pg_locks "
	    "WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND "
	    "granted AND classid = %lld AND objid = %lld AND objsubid = 1) "
	    "OR pg_try_advisory_lock(%lld)", (long long)(key >> 32),
	    (long long)(key & 0xffffffffLL), (long long)key);
	r = PQexec(d->c, sql);
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
		dbp_fail(d, r);
		PQclear(r);
		return err_set(err, E_STORE, "task lock: %s", db->errmsg);
	}
	*held = PQgetvalue(r, 0, 0)[0] == 't';
	PQclear(r);
	return 0;
}

static void
dbp_close(struct db *db)
{
	struct dbp *d = DBP(db);

	if (d->c)
		PQfinish(d->c);
	free(d);
}

static const struct db_ops dbp_ops = {
	.engine = DB_PG,
	.prepare = dbp_prepare,
	.finalize = dbp_finalize,
	.bind_int64 = dbp_bind_int64,
	.bind_null = dbp_bind_null,
	.bind_text = dbp_bind_text,
	.bind_blob = dbp_bind_blob,
	.bind_index = dbp_bind_index,
	.step = dbp_step,
	.reset = dbp_reset,
	.clear = dbp_clear,
	.col_int64 = dbp_col_int64,
	.col_text = dbp_col_text,
	.col_blob = dbp_col_blob,
	.col_type = dbp_col_type,
	.col_count = dbp_col_count,
	.col_name = dbp_col_name,
	.changes = dbp_changes,
	.insert_id = dbp_insert_id,
	.exec = dbp_exec,
	.begin = dbp_begin,
	.commit = dbp_commit,
	.rollback = dbp_rollback,
	.in_tx = dbp_in_tx,
	.close = dbp_close,
	.sqlite = NULL,
	.task_lock = dbp_task_lock,
};

/* libpq's notices (e.g. "relation exists, skipping") are not ours */
static void
dbp_quiet(void *arg, const char *msg)
{
}

int
db_pg_open(struct db **out, const struct db_pg_opts *o, struct err *err)
{
	struct dbp *d = xcalloc(1, sizeof(*d));
	const char *keys[5], *vals[5];
	int n = 0;

	db_init(&d->base, &dbp_ops);
	keys[n] = "dbname";
	vals[n++] = o->url;
	if (o->password) {
		keys[n] = "password";
		vals[n++] = o->password;
	}
	keys[n] = "fallback_application_name";
	vals[n++] = o->appname ? o->appname : "h5pay";
	keys[n] = NULL;
	vals[n] = NULL;
	d->c = PQconnectdbParams(keys, vals, 1);
	if (d->c == NULL || PQstatus(d->c) != CONNECTION_OK) {
		/* libpq's message names host and reason, never the password */
		err_set(err, E_STORE, "connect: %s", d->c ?
		    PQerrorMessage(d->c) : "out of memory");
		dbp_close(&d->base);
		return -1;
	}
	PQsetNoticeProcessor(d->c, dbp_quiet, NULL);
	*out = &d->base;
	return 0;
}
