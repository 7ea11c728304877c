/*
 * test_notify.c - a verified notification into the database (notify.c):
 * stored, matched to its order or refund, applied through order_apply(),
 * a redelivery counted by its meaning, unknown types and orders; and group
 * commit: several threads' notifications in one transaction, each
 * acknowledged with its own result, a failing one failing alone.
 */
#include <pthread.h>

#include "notify.h"
#include "order_fixture.h"
#include "sign.h"

static struct useepay_txn
txn_of(const char *type, const char *id, const char *orig,
    enum useepay_status s, int64_t amount)
{
	struct useepay_txn t;

	memset(&t, 0, sizeof(t));
	t.status = s;
	t.result_code = xstrdup(status_str(s));
	t.transaction_type = xstrdup(type);
	t.transaction_id = xstrdup(id);
	t.original_transaction_id = orig ? xstrdup(orig) : NULL;
	t.reference = xstrdup("UPN1");
	t.amount = amount;
	t.currency = xstrdup("HKD");
	return t;
}

static int
notify(const char *body, const struct useepay_txn *t,
    enum notify_outcome *res)
{
	struct order_outcome oo;
	struct err err;
	char sha[65];
	int rc;

	sign_sha256_hex(body, strlen(body), sha);
	rc = notify_process(st, NOW, body, strlen(body), sha, t, res,
	    &oo, &err);
	if (rc == -1)
		fprintf(stderr, "notify: %s\n", err.msg);
	return rc;
}

/*
 * A meaning is a stored dedupe key: rows of every database written since
 * 008 hold it, so its bytes never change (the expected hashes are
 * SHA-256 of the strings in the comments, computed outside).
 */
static void
test_notify_meaning_pinned(void)
{
	struct useepay_txn t;
	char out[65];

	memset(&t, 0, sizeof(t));
	/* h5pay-notify-meaning-v1|3:pay|14:H5P20261203ABC|0:|5:REF-9|
	 * 7:succeed|0:|3:HKD|amount:12345 */
	t.transaction_type = "pay";
	t.transaction_id = "H5P20261203ABC";
	t.reference = "REF-9";
	t.result_code = "succeed";
	t.currency = "HKD";
	t.amount = 12345;
	notify_meaning(&t, out);
	T_EQ_STR(out, "2599422b920a97944c89ac3f1bb13f7a"
	    "58cfd7faa6cf0556bfd4ad190bc7a47a");
	/* h5pay-notify-meaning-v1|6:refund|2:R1|4:H5P1|0:|6:failed|3:E_X|
	 * 3:HKD|amount:-1 */
	t.transaction_type = "refund";
	t.transaction_id = "R1";
	t.original_transaction_id = "H5P1";
	t.reference = "";
	t.result_code = "failed";
	t.error_code = "E_X";
	t.amount = -1;
	notify_meaning(&t, out);
	T_EQ_STR(out, "e0a0ccfbce1bc0147d6587d7b0762050"
	    "6b5bfece8b79508154ffd98557dc8f66");
}

/* The order_no the notification stored with this body names, or "-". */
static const char *
named_order(const char *body)
{
	return q_text("SELECT coalesce(o.order_no, '-') FROM notifications n "
	    "LEFT JOIN orders o ON o.id = n.order_id WHERE n.body = "
	    "CAST(? AS BLOB)", body);
}

/* The notify transaction: store, dedupe by body hash, apply, record. */
static void
test_notify_process(void)
{
	struct useepay_txn t = txn_of("pay", "N1", NULL, UPS_SUCCEED, 100);
	enum notify_outcome res;

	add_order("N1", "PENDING", 100);
	T_EQ_INT(notify("body-N1", &t, &res), 0);
	T_EQ_INT(res, NOTIFY_APPLIED);
	T_EQ_STR(state_of("N1"), "PAID");
	T_EQ_STR(q_text("SELECT outcome || ':' || verified || ':' || body || "
	    "':' || (order_id IS NOT NULL) FROM notifications WHERE "
	    "transaction_id = ?", "N1"), "applied:1:body-N1:1");
	T_EQ_STR(q_text("SELECT e.notification_id = n.id FROM order_events e "
	    "JOIN notifications n ON n.transaction_id = ? JOIN orders o ON "
	    "o.id = e.order_id AND o.order_no = n.transaction_id", "N1"), "1");
	/* byte-identical redelivery: counted on the first row, no new row,
	 * nothing else (the security issue: a redelivery is a counter) */
	T_EQ_INT(notify("body-N1", &t, &res), 0);
	T_EQ_INT(res, NOTIFY_DUPLICATE);
	T_EQ_INT(q_int("SELECT COUNT(*) FROM notifications WHERE "
	    "transaction_id = ?", "N1"), 1);
	T_EQ_INT(q_int("SELECT redeliveries FROM notifications WHERE "
	    "transaction_id = ?", "N1"), 1);
	T_EQ_INT(events_of("N1"), 1);
	/* another body with the same meaning (padded, re-encoded): the same
	 * delivery, counted, not stored */
	T_EQ_INT(notify("body-N1 resent", &t, &res), 0);
	T_EQ_INT(res, NOTIFY_DUPLICATE);
	T_EQ_INT(q_int("SELECT COUNT(*) FROM notifications WHERE "
	    "transaction_id = ?", "N1"), 1);
	T_EQ_INT(q_int("SELECT redeliveries FROM notifications WHERE "
	    "transaction_id = ?", "N1"), 2);
	T_EQ_INT(events_of("N1"), 1);
	/* a row stored before 008 has no meaning: a byte-identical
	 * redelivery of it is still found by its body hash (011 kept the
	 * body index for those rows only) and only counts */
	{
		char sha[65], sql[512];

		add_order("N3", "PAID", 100);
		sign_sha256_hex("body-N3-old", 11, sha);
		snprintf(sql, sizeof(sql), "INSERT INTO notifications "
		    "(received_at, body, body_sha256, verified, "
		    "transaction_type, transaction_id, result_code, outcome) "
		    "VALUES (1, CAST('body-N3-old' AS BLOB), '%s', 1, 'pay', 'N3', "
		    "'succeed', 'applied')", sha);
		T_EQ_INT(sqlite3_exec(store_sqlite(st), sql, NULL, NULL, NULL),
		    SQLITE_OK);
		useepay_txn_cleanup(&t);
		t = txn_of("pay", "N3", NULL, UPS_SUCCEED, 100);
		T_EQ_INT(notify("body-N3-old", &t, &res), 0);
		T_EQ_INT(res, NOTIFY_DUPLICATE);
		T_EQ_INT(q_int("SELECT COUNT(*) FROM notifications WHERE "
		    "transaction_id = ?", "N3"), 1);
		T_EQ_INT(q_int("SELECT redeliveries FROM notifications WHERE "
		    "transaction_id = ?", "N3"), 1);
	}
	/* unknown order: anomaly tied to the notification */
	useepay_txn_cleanup(&t);
	t = txn_of("pay", "NOSUCH", NULL, UPS_SUCCEED, 100);
	T_EQ_INT(notify("body-nosuch", &t, &res), 0);
	T_EQ_INT(res, NOTIFY_ANOMALY);
	T_EQ_INT(q_int("SELECT COUNT(*) FROM anomalies a JOIN notifications n "
	    "ON n.id = a.notification_id WHERE n.transaction_id = ? AND "
	    "a.kind = 'unknown_order'", "NOSUCH"), 1);
	/* mismatch: anomaly, not paid */
	add_order("N2", "PENDING", 100);
	useepay_txn_cleanup(&t);
	t = txn_of("pay", "N2", NULL, UPS_SUCCEED, 101);
	T_EQ_INT(notify("body-N2", &t, &res), 0);
	T_EQ_INT(res, NOTIFY_ANOMALY);
	T_EQ_STR(state_of("N2"), "PENDING");
	/* a type we do not handle */
	useepay_txn_cleanup(&t);
	t = txn_of("query", "N2", NULL, UPS_SUCCEED, 100);
	T_EQ_INT(notify("body-N2-query", &t, &res), 0);
	T_EQ_INT(res, NOTIFY_IGNORED);
	T_EQ_STR(state_of("N2"), "PENDING");
	/* a refund notification */
	add_refund("NR1", "N1", 100, "PENDING");
	useepay_txn_cleanup(&t);
	t = txn_of("refund", "NR1", "N1", UPS_SUCCEED, 100);
	T_EQ_INT(notify("body-NR1", &t, &res), 0);
	T_EQ_INT(res, NOTIFY_APPLIED);
	T_EQ_STR(state_of("N1"), "REFUNDED");
	/* a refund without originalTransactionId is not ours */
	useepay_txn_cleanup(&t);
	t = txn_of("refund", "NR1", NULL, UPS_SUCCEED, 100);
	T_EQ_INT(notify("body-NR1-noorig", &t, &res), 0);
	T_EQ_INT(res, NOTIFY_ANOMALY);
	useepay_txn_cleanup(&t);
	/* another type naming its order by originalTransactionId: stored
	 * before it is applied under the order its transactionId names
	 * (none here), and then under the one it names */
	t = txn_of("chargeback", "CB1", "N2", UPS_SUCCEED, 100);
	T_EQ_INT(notify("body-CB1", &t, &res), 0);
	T_EQ_INT(res, NOTIFY_IGNORED);
	useepay_txn_cleanup(&t);
	/* the order each row names (the admin's order page lists them) */
	T_EQ_STR(named_order("body-N1"), "N1");
	T_EQ_STR(named_order("body-nosuch"), "-");
	T_EQ_STR(named_order("body-N2"), "N2");
	T_EQ_STR(named_order("body-N2-query"), "N2");
	T_EQ_STR(named_order("body-NR1"), "N1");
	T_EQ_STR(named_order("body-NR1-noorig"), "-");
	T_EQ_STR(named_order("body-CB1"), "N2");
}

/* Group commit: 8 threads, one connection each, submit while the write
 * lock is held elsewhere, so the first leader finds a queue: one batch,
 * one commit, every job acknowledged with its own result; a job that
 * fails (a body past the schema's cap) fails alone. */
#define GC_THREADS 8
#define GC_ORDERS 40

struct gc_thread {
	pthread_t tid;
	int index;
	int ok, failed, applied;
	int big_rc;
};

static void *
gc_run(void *arg)
{
	struct gc_thread *g = arg;
	struct store_opts so = {.synchronous = "NORMAL",
	    .busy_timeout_ms = 10000};
	struct store *mine;
	struct err err;
	char no[16], body[64], sha[65];
	int i;

	if (store_open(&mine, dbpath, &so, &err) == -1)
		return NULL;
	if (g->index == 3) {
		/* one poisoned job, queued with the others in the first batch:
		 * it fails alone */
		static char big[17000];
		struct useepay_txn t = txn_of("pay", "G1", NULL, UPS_SUCCEED,
		    100);
		struct notify_job bj;

		memset(big, 'x', sizeof(big) - 1);
		sign_sha256_hex(big, strlen(big), sha);
		memset(&bj, 0, sizeof(bj));
		bj.now = NOW;
		bj.body = big;
		bj.len = strlen(big);
		bj.body_sha256 = sha;
		bj.txn = &t;
		g->big_rc = notify_submit(mine, &bj);
		useepay_txn_cleanup(&t);
	}
	for (i = 0; i < GC_ORDERS; i++) {
		/* every thread notifies every order: one applies it, the
		 * rest are duplicates or no-ops */
		struct useepay_txn t;
		struct notify_job job;

		snprintf(no, sizeof(no), "G%d", i);
		snprintf(body, sizeof(body), "body-G%d-%d", i, g->index % 2);
		t = txn_of("pay", no, NULL, UPS_SUCCEED, 100);
		sign_sha256_hex(body, strlen(body), sha);
		memset(&job, 0, sizeof(job));
		job.now = NOW;
		job.body = body;
		job.len = strlen(body);
		job.body_sha256 = sha;
		job.txn = &t;
		if (notify_submit(mine, &job) == 0) {
			g->ok++;
			g->applied += job.res == NOTIFY_APPLIED;
		} else
			g->failed++;
		useepay_txn_cleanup(&t);
	}
	store_close(mine);
	return NULL;
}

static void
test_notify_group_commit(void)
{
	struct gc_thread g[GC_THREADS];
	struct err err;
	char no[16];
	int i, ok = 0, failed = 0, applied = 0;

	for (i = 0; i < GC_ORDERS; i++) {
		snprintf(no, sizeof(no), "G%d", i);
		add_order(no, "PENDING", 100);
	}
	/* hold the write lock: the submitters queue up behind a leader */
	T_OK(store_begin(st, &err) == 0);
	memset(g, 0, sizeof(g));
	for (i = 0; i < GC_THREADS; i++) {
		g[i].index = i;
		pthread_create(&g[i].tid, NULL, gc_run, &g[i]);
	}
	sleep(1);
	store_rollback(st);
	for (i = 0; i < GC_THREADS; i++) {
		pthread_join(g[i].tid, NULL);
		ok += g[i].ok;
		failed += g[i].failed;
		applied += g[i].applied;
	}
	T_EQ_INT(ok, GC_THREADS * GC_ORDERS);
	T_EQ_INT(failed, 0);
	T_EQ_INT(applied, GC_ORDERS);
	T_EQ_INT(g[3].big_rc, -1);
	T_OK(notify_max_batch() >= 2);
	T_EQ_INT(q_int("SELECT COUNT(*) FROM orders WHERE order_no GLOB "
	    "'G[0-9]*' AND state = 'PAID'", NULL), GC_ORDERS);
	T_EQ_INT(q_int("SELECT COUNT(*) FROM order_events e JOIN orders o ON "
	    "o.id = e.order_id WHERE o.order_no GLOB 'G[0-9]*'", NULL),
	    GC_ORDERS);
	/* every acknowledged one is kept: one row per meaning, the others
	 * counted on it; the failed one is neither */
	T_EQ_INT(q_int("SELECT COUNT(*) FROM notifications WHERE "
	    "transaction_id GLOB 'G[0-9]*'", NULL), GC_ORDERS);
	T_EQ_INT(q_int("SELECT SUM(redeliveries) FROM notifications WHERE "
	    "transaction_id GLOB 'G[0-9]*'", NULL),
	    (GC_THREADS - 1) * GC_ORDERS);
}

/* Full-scan steps (of a table or an index) of the writer connection's
 * prepared statements since the last call, which resets them; the SQL of
 * any that scanned to stderr. */
static long long
scan_steps(void)
{
	sqlite3_stmt *p = NULL;
	long long n = 0, k;
	struct err err;
	sqlite3 *w;

	T_OK(store_begin(st, &err) == 0);	/* the writer's handle */
	w = store_sqlite(st);
	while ((p = sqlite3_next_stmt(w, p)) != NULL) {
		k = sqlite3_stmt_status(p, SQLITE_STMTSTATUS_FULLSCAN_STEP, 1);
		if (k > 0)
			fprintf(stderr, "scan x%lld: %s\n", k, sqlite3_sql(p));
		n += k;
	}
	store_rollback(st);
	return n;
}

/* A notification finds its first copy, its order and its rows through
 * indexes, whatever the table's size: a lookup the indexes do not serve
 * (013 keyed the meaning index by transaction id and meaning; a query by
 * the meaning alone scans) would read every row at every delivery. */
static void
test_notify_indexed(void)
{
	struct useepay_txn t;
	enum notify_outcome res;
	char no[16], body[32];
	int i;

	for (i = 0; i < 6; i++) {
		snprintf(no, sizeof(no), "IX%d", i);
		snprintf(body, sizeof(body), "body-IX%d", i);
		add_order(no, "PENDING", 100);
		if (i == 5)
			(void)scan_steps();	/* from here on: none */
		t = txn_of("pay", no, NULL, UPS_SUCCEED, 100);
		T_EQ_INT(notify(body, &t, &res), 0);
		T_EQ_INT(res, NOTIFY_APPLIED);
		useepay_txn_cleanup(&t);
	}
	/* redeliveries: byte-identical, and another body of one meaning */
	t = txn_of("pay", "IX1", NULL, UPS_SUCCEED, 100);
	T_EQ_INT(notify("body-IX1", &t, &res), 0);
	T_EQ_INT(res, NOTIFY_DUPLICATE);
	T_EQ_INT(notify("body-IX1 resent", &t, &res), 0);
	T_EQ_INT(res, NOTIFY_DUPLICATE);
	useepay_txn_cleanup(&t);
	T_EQ_INT(scan_steps(), 0);
}

/*
 * Orders paid in the same second keep their entries of orders_paid (the
 * dashboard's paid amount per day) in the order of their ids, so a group
 * commit's payments are appended side by side. Keyed by the amount inside
 * the second (before 014), each went to a random B-tree leaf: here the
 * amounts fall as the ids grow, so that order comes out reversed.
 */
static void
test_notify_paid_in_order(void)
{
	struct useepay_txn t;
	enum notify_outcome res;
	sqlite3_stmt *s = NULL;
	char no[16], body[32];
	long long prev = 0, id;
	int i, n = 0;

	for (i = 0; i < 8; i++) {
		snprintf(no, sizeof(no), "PO%d", i);
		snprintf(body, sizeof(body), "body-PO%d", i);
		add_order(no, "PENDING", 900 - 100 * i);
		t = txn_of("pay", no, NULL, UPS_SUCCEED, 900 - 100 * i);
		T_EQ_INT(notify(body, &t, &res), 0);
		T_EQ_INT(res, NOTIFY_APPLIED);
		useepay_txn_cleanup(&t);
	}
	T_OK(sqlite3_prepare_v2(store_sqlite(st), "SELECT id FROM orders "
	    "INDEXED BY orders_paid WHERE paid_at = ?1 AND order_no LIKE "
	    "'PO%'", -1, &s, NULL) == SQLITE_OK);
	sqlite3_bind_int64(s, 1, NOW);
	while (sqlite3_step(s) == SQLITE_ROW) {
		id = sqlite3_column_int64(s, 0);
		T_OK(id > prev);
		prev = id;
		n++;
	}
	sqlite3_finalize(s);
	T_EQ_INT(n, 8);
}

int
main(void)
{
	tdb_open();
	T_RUN(test_notify_meaning_pinned);
	T_RUN(test_notify_process);
	T_RUN(test_notify_indexed);
	T_RUN(test_notify_paid_in_order);
	T_RUN(test_notify_group_commit);
	tdb_close();
	return t_done();
}
