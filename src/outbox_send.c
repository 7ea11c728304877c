/*
 * outbox_send.c - the delivery worker (outbox_send.h): claim due outbox
 * rows, POST each signed to the merchant's endpoint through app->httpc,
 * record the attempt, back off on failure. What it does not do: write
 * events (outbox.c), SQL (store_outbox.c), HMAC itself (sign.c).
 * Invariants: a row is 'delivered' only after a 2xx answer; a claimed row
 * is sent by its lease owner only; nothing here runs inside /notify.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "cfg.h"
#include "httpc.h"
#include "keys.h"
#include "log.h"
#include "outbox_send.h"
#include "sign.h"
#include "store.h"
#include "store_outbox.h"
#include "task.h"
#include "util.h"

int64_t
outbox_backoff(int64_t attempts, int64_t base)
{
	static const int64_t mult[] = {1, 3, 6, 30, 90, 360};
	int64_t n = (int64_t)(sizeof(mult) / sizeof(mult[0]));

	if (attempts < 1)
		attempts = 1;
	return base * mult[attempts > n ? n - 1 : attempts - 1];
}

int
outbox_signature(const char *key, int64_t t, const char *body, size_t n,
    struct buf *line, struct err *err)
{
	struct buf msg;
	char mac[65];
	int rc = -1;

	buf_init(&msg, n + 32);
	if (buf_printf(&msg, "%lld.", (long long)t) == -1 ||
	    buf_add(&msg, body, n) == -1) {
		err_set(err, E_TOOBIG, "%s: body too large", __func__);
		goto out;
	}
	sign_hmac_sha256_hex(key, strlen(key), msg.data, msg.len, mac);
	buf_reset(line);
	if (buf_printf(line, "H5pay-Signature: t=%lld,v1=%s", (long long)t,
	    mac) == -1) {
		err_set(err, E_TOOBIG, "%s: header too long", __func__);
		goto out;
	}
	rc = 0;
out:
	mem_wipe(mac, sizeof(mac));
	buf_cleanup(&msg);
	return rc;
}

/* The event type: the JSON's "type" is also a column, but the body is
 * what we have here; copy the value after "type":" (ours, trusted). */
static void
body_type(const char *body, char *out, size_t n)
{
	const char *p = strstr(body, "\"type\":\"");
	size_t i = 0;

	out[0] = '\0';
	if (p == NULL)
		return;
	for (p += 8; *p && *p != '"' && i + 1 < n; p++)
		out[i++] = *p;
	out[i] = '\0';
}

/* A printable excerpt of an answer (bytes outside ASCII 0x20..0x7e become
 * '?'). */
static void
excerpt_of(const struct buf *b, char *out, size_t n)
{
	size_t i, m = b->len < n - 1 ? b->len : n - 1;

	for (i = 0; i < m; i++) {
		unsigned char c = (unsigned char)b->data[i];

		out[i] = c < 0x20 || c >= 0x7f ? '?' : (char)c;
	}
	out[m] = '\0';
}

/* One attempt of claimed row c; the row's new state into the store. */
static int
send_one(struct app *app, const struct outbox_claim *c,
    struct outbox_send_stats *ss, struct err *err)
{
	const struct cfg *cfg = app->cfg;
	struct httpc_resp rs;
	struct httpc_req rq;
	struct buf sig, idh, typeh;
	struct err se;
	const char *hdrs[4];
	char type[40], excerpt[OUTBOX_EXCERPT + 1];
	const char *state, *error = NULL;
	int64_t t0, lat, now, next;
	long status = 0;
	int rc = -1;

	buf_init(&sig, 256);
	buf_init(&idh, 128);
	buf_init(&typeh, 128);
	httpc_resp_init(&rs, OUTBOX_ANSWER_MAX);
	excerpt[0] = '\0';
	body_type(c->body, type, sizeof(type));
	if (outbox_signature(app->keys->events_secret, app_now_s(app),
	    c->body, strlen(c->body), &sig, err) == -1)
		goto out;
	buf_printf(&idh, "H5pay-Event-Id: %s", c->event_id);
	buf_printf(&typeh, "H5pay-Event-Type: %s", type);
	hdrs[0] = buf_str(&sig);
	hdrs[1] = buf_str(&idh);
	hdrs[2] = buf_str(&typeh);
	hdrs[3] = NULL;
	memset(&rq, 0, sizeof(rq));
	rq.method = "POST";
	rq.url = cfg->events_endpoint_url;
	rq.content_type = "application/json";
	rq.body = c->body;
	rq.body_len = strlen(c->body);
	rq.headers = hdrs;
	t0 = mono_ms();
	err_clear(&se);
	if (httpc_send(app->httpc, &rq, &rs, &se) == 0) {
		status = rs.status;
		excerpt_of(&rs.body, excerpt, sizeof(excerpt));
	} else {
		error = se.msg;
	}
	lat = mono_ms() - t0;
	now = app_now_s(app);
	ss->sent++;
	if (status >= 200 && status <= 299) {
		state = "delivered";
		next = now;
		ss->delivered++;
	} else if (now - c->created_at >= OUTBOX_GIVE_UP_SEC) {
		state = "failed";
		next = now;
		ss->failed++;
	} else {
		state = "pending";
		next = now + outbox_backoff(c->attempts + 1,
		    cfg->events_retry_base_sec);
	}
	if (store_begin(app->store, err) == -1)
		goto out;
	if (store_outbox_attempt_insert(app->store, c->id, rq.url, status,
	    lat, excerpt, error, now, err) == -1 ||
	    store_outbox_finish(app->store, c->id, state, next, status, now,
	    err) == -1 || store_commit(app->store, err) == -1) {
		store_rollback(app->store);
		goto out;
	}
	log_info("outbox", "attempt", "event=%s type=%s status=%ld "
	    "latency_ms=%lld state=%s", c->event_id, type, status,
	    (long long)lat, state);
	rc = 0;
out:
	httpc_resp_cleanup(&rs);
	buf_cleanup(&sig);
	buf_cleanup(&idh);
	buf_cleanup(&typeh);
	return rc;
}

int
outbox_send_pass(struct app *app, struct outbox_send_stats *ss,
    struct err *err)
{
	const struct cfg *cfg = app->cfg;
	struct outbox_claim c[OUTBOX_BATCH];
	int64_t now, lease;
	int n, i, rc = 0;

	memset(ss, 0, sizeof(*ss));
	if (cfg->events_endpoint_url == NULL || app->keys == NULL ||
	    app->keys->events_secret == NULL || app->httpc == NULL)
		return err_set(err, E_INPUT, "events: no endpoint or key");
	do {
		now = app_now_s(app);
		/* the whole batch may take its timeouts before the last row */
		lease = now + 30 + OUTBOX_BATCH * ((cfg->http_timeout_ms +
		    cfg->http_connect_timeout_ms) / 1000 + 1);
		if (store_begin(app->store, err) == -1)
			return -1;
		if (store_outbox_claim(app->store, now, lease,
		    (int64_t)getpid(), c, OUTBOX_BATCH, &n, err) == -1 ||
		    store_commit(app->store, err) == -1) {
			store_rollback(app->store);
			return -1;
		}
		for (i = 0; i < n; i++) {
			if (rc == 0 && send_one(app, &c[i], ss, err) == -1)
				rc = -1;	/* the lease brings it back */
			free(c[i].body);
		}
	} while (rc == 0 && n == OUTBOX_BATCH);
	return rc;
}

static int
pid_alive(int64_t pid)
{
	if (pid <= 0 || pid > INT32_MAX)
		return 0;
	if (pid == (int64_t)getpid())
		return 1;
	return kill((pid_t)pid, 0) == 0 || errno != ESRCH;
}

/* A new sender first frees the rows a dead one had leased. */
static void
outbox_start(struct app *app, void *ctx)
{
	struct err err;
	int released = 0;

	(void)ctx;
	if (store_begin(app->store, &err) == -1 ||
	    store_outbox_release_dead(app->store, pid_alive, app_now_s(app),
	    &released, &err) == -1 || store_commit(app->store, &err) == -1) {
		store_rollback(app->store);
		log_error("outbox", "release", "msg=\"%s\"", err.msg);
	}
	log_info("outbox", "start", "released=%d poll_ms=%lld", released,
	    (long long)app->cfg->events_poll_ms);
}

static int
outbox_task_pass(struct app *app, void *ctx, struct err *err)
{
	struct outbox_send_stats ss;

	(void)ctx;
	return outbox_send_pass(app, &ss, err);
}

int
outbox_task_main(const struct cfg *cfg, const struct keys *keys,
    int ready_fd)
{
	const struct task t = {
		.name = "outbox",
		.pool = POOL_EVENTS,
		.period_ms = cfg->events_poll_ms,
		.start = outbox_start,
		.pass = outbox_task_pass,
	};

	return task_main(&t, cfg, keys, ready_fd);
}
