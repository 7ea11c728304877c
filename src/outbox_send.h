/*
 * outbox_send.h - the delivery worker of merchant events (issue 11 part 3,
 * docs/integration.md): h5payd's events child POSTs each outbox row to
 * events_endpoint_url, signed, until a 2xx answer acknowledges it.
 *
 * Rows are claimed in a short write transaction (state 'sending', a lease
 * owned by this pid), sent outside any transaction, and finished in
 * another one with the attempt's record; so two workers never send a row
 * at the same time, and a worker killed between the send and the finish
 * sends it again later: at-least-once, the receiver dedupes by event id.
 * The notify path never waits for any of this.
 */
#ifndef H5PAY_OUTBOX_SEND_H
#define H5PAY_OUTBOX_SEND_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

struct app;
struct cfg;
struct keys;

#define OUTBOX_BATCH 8			/* rows claimed per transaction */
#define OUTBOX_GIVE_UP_SEC (3 * 86400)	/* then 'failed' (resendable) */
#define OUTBOX_EXCERPT 200		/* bytes of an answer kept */
#define OUTBOX_ANSWER_MAX 65536		/* a longer answer is no ack */

/*
 * Seconds to wait after the attempts-th failed attempt (1, 2, ...):
 * base x 1, 3, 6, 30, 90, 360, then base x 360 each time (base 10: 10 s,
 * 30 s, 1 min, 5 min, 15 min, 1 h, hourly). Pure.
 */
int64_t outbox_backoff(int64_t attempts, int64_t base);

/*
 * The signature header line for body[0..n) sent at unix time t under key:
 * "H5pay-Signature: t=<t>,v1=<hex HMAC-SHA256(key, "<t>.<body>")>" into
 * *line (reset first). 0 or -1 (E_TOOBIG from the buf's cap).
 */
int outbox_signature(const char *key, int64_t t, const char *body, size_t n,
    struct buf *line, struct err *);

struct outbox_send_stats {
	int sent;		/* attempts made */
	int delivered;		/* ... answered 2xx */
	int failed;		/* ... that gave the row up ('failed') */
};

/*
 * Send every due row once (batches of OUTBOX_BATCH) to
 * app->cfg->events_endpoint_url with the key app->keys->events_secret;
 * records each attempt. 0 when the pass ran (an endpoint failing is
 * counted, not an error); -1 with E_STORE when the database failed or
 * E_INPUT when no endpoint or key is configured.
 */
int outbox_send_pass(struct app *, struct outbox_send_stats *, struct err *);

/*
 * The body of h5payd's events child (started when events_endpoint_url is
 * set): open the app, drop the leases of dead workers, tell the
 * supervisor it is ready (one byte on ready_fd, unless -1), then a pass
 * every events_poll_ms until SIGTERM (a pass is never cut). Returns the
 * exit status.
 */
int outbox_task_main(const struct cfg *, const struct keys *, int ready_fd);

#endif
