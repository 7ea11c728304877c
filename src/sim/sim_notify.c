/*
 * sim_notify.c - the notifier thread of h5pay-sim (docs/protocol.md §5):
 * closes unpaid payments past their expiration (closed / 3300), settles
 * pending refunds after refund_delay_ms, and POSTs queued notifications
 * through httpc (the shop's TLS certificate verified against
 * http_ca_file). A non-200 answer is retried after 1, 3, 5, 10, 15, 15,
 * 30 and 60 "minutes" of notify_minute_ms each, then given up. Every
 * attempt is recorded with the answer it got.
 *
 * A notification is leased (sim_notif_claim) before it is sent, so the
 * notifier and the "notify before the answer" fault never both send it.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "form.h"
#include "httpc.h"
#include "lim.h"
#include "log.h"
#include "sim.h"
#include "store.h"
#include "util.h"

#define NOTIFY_BATCH 16

static const int retry_minutes[] = {1, 3, 5, 10, 15, 15, 30, 60};
#define NRETRY ((int)(sizeof(retry_minutes) / sizeof(retry_minutes[0])))

/* Make a printable excerpt of an answer body for the record. */
static void
excerpt(const struct buf *b, char *out, size_t sz)
{
	size_t i, n = b->len < sz - 1 ? b->len : sz - 1;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)b->data[i];

		out[i] = c >= 0x20 && c < 0x7f ? (char)c : '.';
	}
	out[n] = '\0';
}

/* Flip a character of the body's sign value (fault). */
static void
tamper_sign(char *body)
{
	char *p = strstr(body, "&sign=");

	if (p == NULL && strncmp(body, "sign=", 5) == 0)
		p = body - 1;
	if (p == NULL || p[6] == '\0' || p[6] == '&')
		return;
	p[6] = p[6] == 'a' ? 'b' : 'a';
}

/* POST once; fills status (0 on a transport error), err text, excerpt. */
static long
notify_post(struct app *app, const char *url, const char *body, char *etext,
    size_t esz, char *ex, size_t exsz)
{
	struct httpc_req rq = {
		.method = "POST", .url = url,
		.content_type = "application/x-www-form-urlencoded",
		.body = body, .body_len = strlen(body),
	};
	struct httpc_resp rs;
	struct err err;
	long status = 0;

	etext[0] = ex[0] = '\0';
	httpc_resp_init(&rs, LIM_NOTIFY_ANSWER);
	if (app->httpc == NULL) {
		str_lcpy(etext, "no HTTP client", esz);
	} else if (httpc_send(app->httpc, &rq, &rs, &err) == -1) {
		str_lcpy(etext, err.msg, esz);
	} else {
		status = rs.status;
		excerpt(&rs.body, ex, exsz);
	}
	httpc_resp_cleanup(&rs);
	return status;
}

static void
record(struct app *app, int64_t id, int attempt, long status,
    const char *etext, const char *ex, const char *state, int64_t next_due)
{
	struct err err;

	if (store_begin(app->store, &err) == -1 ||
	    sim_notif_attempt(app->store, id, attempt, app_now_ms(app), status,
	    etext, ex, state, next_due, &err) == -1 ||
	    store_commit(app->store, &err) == -1) {
		store_rollback(app->store);
		log_error("sim", "notify_record", "id=%lld msg=\"%s\"",
		    (long long)id, err.msg);
	}
}

void
sim_notif_deliver(struct app *app, struct sim_notif *n, bool leased)
{
	struct sim *sim = sim_of(app);
	struct sim_faults f;
	struct err err;
	char etext[256], ex[LIM_EXCERPT + 1];
	int attempt = n->attempts + 1;
	int64_t now = app_now_ms(app), next;
	const char *state;
	long status;

	if (!leased && sim_notif_claim(app->store, n->id, now, now +
	    sim_notif_lease_ms(sim), &err) == -1)
		return;		/* another sender has it */
	if (sim_fault_take(sim, &sim->faults.notify_drop_count)) {
		log_info("sim", "notify_dropped", "id=%lld", (long long)n->id);
		record(app, n->id, attempt, 0, "dropped (fault)", "",
		    "dropped", now);
		return;
	}
	if (sim_fault_take(sim, &sim->faults.notify_bad_sign_count))
		tamper_sign(n->body);
	status = notify_post(app, n->url, n->body, etext, sizeof(etext), ex,
	    sizeof(ex));
	if (status == 200) {
		state = "delivered";
		next = now;
	} else if (attempt <= NRETRY) {
		state = "pending";
		next = app_now_ms(app) + (int64_t)retry_minutes[attempt - 1] *
		    sim->cfg.notify_minute_ms;
	} else {
		state = "failed";
		next = now;
	}
	log_info("sim", "notify_sent", "id=%lld attempt=%d status=%ld "
	    "state=%s", (long long)n->id, attempt, status, state);
	record(app, n->id, attempt, status, etext, ex, state, next);
	sim_faults_snapshot(sim, &f);
	if (f.notify_duplicate) {
		/* the same notification again, as UseePay may do (§5) */
		status = notify_post(app, n->url, n->body, etext,
		    sizeof(etext), ex, sizeof(ex));
		str_lcpy(etext, status ? "duplicate (fault)" : etext,
		    sizeof(etext));
		record(app, n->id, attempt, status, etext, ex, state, next);
	}
}

/* Close expired payments and settle refunds that are due. */
static void
settle_due(struct app *app)
{
	struct sim *sim = sim_of(app);
	struct sim_faults f;
	struct sim_txn t;
	struct err err;
	int64_t ids[NOTIFY_BATCH];
	int i, n = 0;

	if (sim_txn_due(app->store, app_now_ms(app), sim->cfg.refund_delay_ms,
	    ids, NOTIFY_BATCH, &n, &err) == -1) {
		log_error("sim", "due", "msg=\"%s\"", err.msg);
		return;
	}
	sim_faults_snapshot(sim, &f);
	for (i = 0; i < n; i++) {
		int rc;

		if (sim_txn_get_id(app->store, ids[i], &t, &err) == -1)
			continue;
		if (t.kind == SIM_PAY)
			rc = sim_txn_finish(app, t.id, "pending", "closed",
			    "3300", "Transaction is expired", NULL, &err);
		else if (f.refund_fail)
			rc = sim_txn_finish(app, t.id, "pending", "failed",
			    "5001", "Refund failed", NULL, &err);
		else
			rc = sim_txn_finish(app, t.id, "pending", "succeed",
			    "0000", "Success", NULL, &err);
		if (rc == -1 && err.code != E_CONFLICT)
			log_error("sim", "settle", "txn=%s msg=\"%s\"",
			    t.transaction_id, err.msg);
	}
}

void
sim_notifier_pass(struct app *app)
{
	struct sim *sim = sim_of(app);
	struct sim_notif due[NOTIFY_BATCH];
	struct sim_faults f;
	struct err err;
	int i, n = 0;

	settle_due(app);
	sim_faults_snapshot(sim, &f);
	if (sim_notif_due(app->store, app_now_ms(app), f.notify_out_of_order,
	    due, NOTIFY_BATCH, &n, &err) == -1) {
		log_error("sim", "notify_due", "msg=\"%s\"", err.msg);
		return;
	}
	/* out of order: hold a lone notification until another one is due,
	 * then send the newest first */
	for (i = 0; i < n; i++) {
		if (!(f.notify_out_of_order && n < 2) && !sim->stopping)
			sim_notif_deliver(app, &due[i], false);
		free(due[i].body);
	}
}

void *
sim_notifier_main(void *arg)
{
	struct sim *sim = arg;
	struct store_opts so = {"NORMAL", 5000, false};
	struct app app;
	struct err err;

	memset(&app, 0, sizeof(app));
	app.ext = sim;
	app.pool = POOL_TASKS;
	app.clock.now_ms = sim_clock_now;
	app.rng.bytes = random_bytes;
	if (store_open(&app.store, sim->cfg.db_path, &so, &err) == -1 ||
	    (app.httpc = httpc_curl_new(&sim->hcfg, &err)) == NULL) {
		log_error("sim", "notifier_init", "msg=\"%s\"", err.msg);
		store_close(app.store);
		return NULL;
	}
	while (!sim->stopping) {
		struct timespec ts;

		sim_notifier_pass(&app);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 100 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_mutex_lock(&sim->mu);
		if (!sim->stopping)
			pthread_cond_timedwait(&sim->wake, &sim->mu, &ts);
		pthread_mutex_unlock(&sim->mu);
	}
	httpc_free(app.httpc);
	store_close(app.store);
	return NULL;
}
