/*
 * fake_httpc.h - a struct httpc for unit tests (after curl's tests/data):
 * it records the exact request it was handed (method, URL, content type,
 * body bytes) and replays one canned answer: an HTTP status and body, or
 * an error code as the real client would report it. No network.
 * Helpers are static inline so a user need not call every one.
 */
#ifndef H5PAY_FAKE_HTTPC_H
#define H5PAY_FAKE_HTTPC_H

#include <string.h>

#include "buf.h"
#include "httpc.h"
#include "util.h"

struct fake_httpc {
	struct httpc base;		/* first: a struct httpc * is ours */
	/* recorded */
	int calls;
	char method[16];
	char url[1024];
	char content_type[128];
	long timeout_ms;		/* the request's own, 0: default */
	struct buf body;
	/* replayed */
	enum err_code fail;		/* E_OK: answer with status/reply */
	long status;
	struct buf reply;
};

static int
fake_httpc_send(struct httpc *h, const struct httpc_req *rq,
    struct httpc_resp *rs, struct err *err)
{
	struct fake_httpc *f = (struct fake_httpc *)h;

	f->calls++;
	str_lcpy(f->method, rq->method ? rq->method : "", sizeof(f->method));
	str_lcpy(f->url, rq->url ? rq->url : "", sizeof(f->url));
	f->timeout_ms = rq->timeout_ms;
	str_lcpy(f->content_type, rq->content_type ? rq->content_type : "",
	    sizeof(f->content_type));
	buf_reset(&f->body);
	if (rq->body_len && buf_add(&f->body, rq->body, rq->body_len) == -1)
		return err_set(err, E_INTERNAL, "fake: request too big");
	if (f->fail != E_OK)
		return err_set(err, f->fail, "fake: replayed error %d",
		    (int)f->fail);
	buf_reset(&rs->body);
	rs->status = f->status;
	str_lcpy(rs->content_type, "application/json",
	    sizeof(rs->content_type));
	/* the real client's cap: the body buffer's ceiling */
	if (f->reply.len && buf_add(&rs->body, f->reply.data, f->reply.len) ==
	    -1)
		return err_set(err, E_TOOBIG, "fake: answer over the cap");
	return 0;
}

static void
fake_httpc_free(struct httpc *h)
{
	(void)h;	/* lives on the test's stack */
}

static inline void
fake_httpc_init(struct fake_httpc *f)
{
	memset(f, 0, sizeof(*f));
	f->base.send = fake_httpc_send;
	f->base.free = fake_httpc_free;
	f->base.impl = f;
	f->status = 200;
	buf_init(&f->body, 1 << 20);
	buf_init(&f->reply, 1 << 24);
}

static inline void
fake_httpc_cleanup(struct fake_httpc *f)
{
	buf_cleanup(&f->body);
	buf_cleanup(&f->reply);
}

/* Replay status + body (copied). */
static inline void
fake_httpc_reply(struct fake_httpc *f, long status, const char *body,
    size_t len)
{
	f->fail = E_OK;
	f->status = status;
	buf_reset(&f->reply);
	if (len)
		buf_add(&f->reply, body, len);
}

/* Replay a transport error. */
static inline void
fake_httpc_fail(struct fake_httpc *f, enum err_code code)
{
	f->fail = code;
}

#endif
