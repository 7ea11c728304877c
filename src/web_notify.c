/*
 * web_notify.c - POST /notify (the notify pool only): UseePay's
 * asynchronous result (docs/protocol.md §5, issue 6).
 *
 * Order of work: everything that needs no lock first (decode, verify the
 * signature over every received field, check signType and merchantNo,
 * hash the raw body), then one short write transaction shared with the
 * other notifications this process is handling at that moment (group
 * commit, notify.c), then the answer: "200 text/plain OK" only after
 * that commit. What it does not do: any outbound HTTP, any SQL.
 *   bad/missing signature, wrong signType or merchantNo -> 401, nothing
 *       stored, a log line and a counter
 *   not Content-Type x-www-form-urlencoded -> 415, nothing read
 *   malformed body, a non-canonical amount -> 400 / 413, nothing stored
 *   verified but unknown order, wrong amount or currency
 *                                       -> anomaly stored, 200
 *   database failure                    -> 500 (UseePay retries)
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "anomaly.h"
#include "app.h"
#include "log.h"
#include "metrics.h"
#include "notify.h"
#include "sign.h"
#include "useepay.h"
#include "util.h"
#include "web.h"

/* Refused notifications since this worker started (in every refusal log
 * line, so a burst of forgeries is visible). */
static atomic_ulong notify_refused;

/* metrics_notify() takes a notify_outcome as is */
_Static_assert((int)MN_APPLIED == NOTIFY_APPLIED && (int)MN_NOOP ==
    NOTIFY_NOOP && (int)MN_DUPLICATE == NOTIFY_DUPLICATE &&
    (int)MN_ANOMALY == NOTIFY_ANOMALY && (int)MN_IGNORED == NOTIFY_IGNORED,
    "enum metrics_notify follows enum notify_outcome");

/* A verified notification on its way through group commit: what the
 * answer needs once the batch holding it has committed. */
struct notify_call {
	struct notify_job job;
	struct useepay_txn txn;
	struct kvlist fields;
	struct req *r;
	struct store *st;	/* the serving thread's connection */
	char sha[65];
};

static struct notify_call *
notify_call_new(struct req *r)
{
	struct notify_call *c = xcalloc(1, sizeof(*c));

	kvlist_init(&c->fields);
	c->r = r;
	return c;
}

static void
notify_call_free(struct notify_call *c)
{
	useepay_txn_cleanup(&c->txn);
	kvlist_cleanup(&c->fields);
	free(c);
}

/* The answer once the job is finished: 200 only after its commit. */
static void
notify_answer(struct notify_call *c, struct resp *w)
{
	const struct notify_job *j = &c->job;
	const struct useepay_txn *t = &c->txn;
	struct err err;

	if (j->rc == -1) {
		err = j->err;
		log_error("notify", "store_fail", "txn=%s msg=\"%s\"",
		    t->transaction_id, err.msg);
		err.code = E_STORE;
		metrics_notify(MN_ERROR);
		resp_error(w, c->r, &err);
		return;
	}
	log_info("notify", "done", "txn=%s type=%s result=%s outcome=%s "
	    "from=%s to=%s anomaly=%s", t->transaction_id,
	    t->transaction_type ? t->transaction_type : "-",
	    t->result_code ? t->result_code : "-",
	    notify_outcome_name(j->res), order_state_name(j->oo.old_state),
	    order_state_name(j->oo.new_state),
	    order_anomaly_name(j->oo.anomaly));
	metrics_notify((enum metrics_notify)j->res);
	resp_text(w, 200, "text/plain", "OK");
}

/* notify_job.finished, on the leader's thread: answer, then let go. */
static void
notify_finished(struct notify_job *job)
{
	struct notify_call *c = (struct notify_call *)(void *)job;
	struct req *r = c->r;

	notify_answer(c, r->resp);
	notify_call_free(c);
	req_answer(r);
}

/* req_defer's start: the serving thread is done with the request. */
static void
notify_start(void *ctx)
{
	struct notify_call *c = ctx;

	notify_enqueue(c->st, &c->job);
}

int
web_notify_post(struct app *app, struct req *r, struct resp *w,
    struct err *err)
{
	struct notify_call *c = notify_call_new(r);
	const char *body = buf_str(&r->body);
	size_t len = r->body.len;
	int rc = -1;

	/* UseePay posts a form (§5); anything else is not a notification */
	if (!req_content_type_is(r, "application/x-www-form-urlencoded")) {
		log_info("notify", "bad_type", "ip=%s bytes=%zu", r->client_ip,
		    len);
		metrics_notify_refused(MR_MALFORMED);
		resp_text(w, 415, "text/plain", "FAIL");
		rc = 0;
		goto out;
	}
	if (useepay_notify_parse(app->cfg, app->keys, body, len, &c->fields,
	    &c->txn, err) == -1) {
		if (err->code == E_SIG || err->code == E_AUTH) {
			unsigned long n = atomic_fetch_add(&notify_refused,
			    1) + 1;

			log_warn("notify", "verify_fail", "ip=%s bytes=%zu "
			    "refused_total=%lu msg=\"%s\"", r->client_ip, len,
			    n, err->msg);
			metrics_notify_refused(err->code == E_SIG ?
			    MR_SIGNATURE : MR_MERCHANT);
			anomaly_sigfail_note(app->store, app_now_s(app),
			    r->client_ip);
			resp_text(w, 401, "text/plain", "FAIL");
			rc = 0;
		} else {
			log_warn("notify", "bad_body", "ip=%s bytes=%zu "
			    "msg=\"%s\"", r->client_ip, len, err->msg);
			metrics_notify_refused(err->code == E_TOOBIG ?
			    MR_TOO_BIG : MR_MALFORMED);
			if (err->code != E_TOOBIG)
				err->code = E_INPUT;
		}
		goto out;
	}
	sign_sha256_hex(body, len, c->sha);
	c->job.now = app_now_s(app);
	c->job.body = body;
	c->job.len = len;
	c->job.body_sha256 = c->sha;
	c->job.txn = &c->txn;
	if (req_can_defer(r)) {
		/* group commit answers it from the batch's leader */
		c->job.finished = notify_finished;
		c->st = app->store;
		req_defer(r, notify_start, c);
		return 0;
	}
	/* a request without a server to answer it later (tests) waits */
	(void)notify_submit(app->store, &c->job);
	notify_answer(c, w);
	rc = 0;
out:
	notify_call_free(c);
	return rc;
}
