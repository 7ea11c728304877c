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
#include <string.h>

#include "app.h"
#include "log.h"
#include "metrics.h"
#include "notify.h"
#include "sign.h"
#include "useepay.h"
#include "web.h"

/* Refused notifications since this worker started (in every refusal log
 * line, so a burst of forgeries is visible). */
static atomic_ulong notify_refused;

/* metrics_notify() takes a notify_outcome as is */
_Static_assert((int)MN_APPLIED == NOTIFY_APPLIED && (int)MN_NOOP ==
    NOTIFY_NOOP && (int)MN_DUPLICATE == NOTIFY_DUPLICATE &&
    (int)MN_ANOMALY == NOTIFY_ANOMALY && (int)MN_IGNORED == NOTIFY_IGNORED,
    "enum metrics_notify follows enum notify_outcome");

int
web_notify_post(struct app *app, struct req *r, struct resp *w,
    struct err *err)
{
	struct kvlist fields;
	struct useepay_txn txn;
	struct notify_job job;
	struct order_outcome oo;
	enum notify_outcome res;
	const char *body = buf_str(&r->body);
	size_t len = r->body.len;
	char sha[65];
	int rc = -1;

	kvlist_init(&fields);
	memset(&txn, 0, sizeof(txn));
	/* UseePay posts a form (§5); anything else is not a notification */
	if (!req_content_type_is(r, "application/x-www-form-urlencoded")) {
		log_info("notify", "bad_type", "ip=%s bytes=%zu", r->client_ip,
		    len);
		metrics_notify_refused(MR_MALFORMED);
		resp_text(w, 415, "text/plain", "FAIL");
		rc = 0;
		goto out;
	}
	if (useepay_notify_parse(app->cfg, app->keys, body, len, &fields,
	    &txn, err) == -1) {
		if (err->code == E_SIG || err->code == E_AUTH) {
			unsigned long n = atomic_fetch_add(&notify_refused,
			    1) + 1;

			log_warn("notify", "verify_fail", "ip=%s bytes=%zu "
			    "refused_total=%lu msg=\"%s\"", r->client_ip, len,
			    n, err->msg);
			metrics_notify_refused(err->code == E_SIG ?
			    MR_SIGNATURE : MR_MERCHANT);
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
	sign_sha256_hex(body, len, sha);
	memset(&job, 0, sizeof(job));
	job.now = app_now_s(app);
	job.body = body;
	job.len = len;
	job.body_sha256 = sha;
	job.txn = &txn;
	/* group commit: returns once the batch holding it has committed */
	if (notify_submit(app->store, &job) == -1) {
		*err = job.err;
		log_error("notify", "store_fail", "txn=%s msg=\"%s\"",
		    txn.transaction_id, err->msg);
		err->code = E_STORE;
		metrics_notify(MN_ERROR);
		goto out;
	}
	res = job.res;
	oo = job.oo;
	log_info("notify", "done", "txn=%s type=%s result=%s outcome=%s "
	    "from=%s to=%s anomaly=%s", txn.transaction_id,
	    txn.transaction_type ? txn.transaction_type : "-",
	    txn.result_code ? txn.result_code : "-",
	    notify_outcome_name(res), order_state_name(oo.old_state),
	    order_state_name(oo.new_state), order_anomaly_name(oo.anomaly));
	metrics_notify((enum metrics_notify)res);
	resp_text(w, 200, "text/plain", "OK");
	rc = 0;
out:
	useepay_txn_cleanup(&txn);
	kvlist_cleanup(&fields);
	return rc;
}
