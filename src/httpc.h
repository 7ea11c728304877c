/*
 * httpc.h - outbound HTTP as an interface; httpc.c implements it with
 * libcurl (the only libcurl user), tests pass a fake that records the exact
 * request bytes and replays a canned reply. A request may carry its own
 * total timeout (issue 10: pay, query, refund and OAuth each have one).
 *
 * The libcurl client: one handle per thread, reused (keep-alive, TLS
 * session reuse); connect and total timeouts from the config; response
 * body capped (http_max_response_bytes, enforced in the write callback);
 * https only unless http_allow_plain; CA file from the config; peer and
 * host verification always on; CURLOPT_NOSIGNAL.
 */
#ifndef H5PAY_HTTPC_H
#define H5PAY_HTTPC_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

struct cfg;

struct httpc_req {
	const char *method;		/* "GET" | "POST" */
	const char *url;		/* absolute */
	const char *content_type;	/* POST only */
	const char *body;
	size_t body_len;
	long timeout_ms;		/* total; 0: http_timeout_ms */
	/* extra "Name: value" header lines, NULL-terminated; NULL = none */
	const char *const *headers;
};

struct httpc_resp {
	long status;			/* HTTP status */
	char content_type[128];
	char date[64];			/* the Date header, or "" */
	struct buf body;		/* capped; httpc_resp_init sets it up */
};

struct httpc {
	/*
	 * Send req and fill resp. 0 when an HTTP response arrived (any
	 * status). -1 with:
	 *   E_UNKNOWN  timeout, reset or any transport failure after the
	 *              request may have reached the peer: outcome unknown
	 *   E_UPSTREAM the request cannot have been delivered (connection
	 *              refused, DNS, TLS verification failure)
	 *   E_TOOBIG   the response body passed the cap
	 *   E_INPUT    a refused URL (plain http when not allowed)
	 */
	int (*send)(struct httpc *, const struct httpc_req *,
	    struct httpc_resp *, struct err *);
	void (*free)(struct httpc *);
	void *impl;
	/* Called before every request (NULL: nothing): the owner gives back
	 * what it must not hold through the peer's time (app.c: the
	 * thread's database reader, store_idle). */
	void (*idle)(void *ctx);
	void *idle_ctx;
};

void httpc_resp_init(struct httpc_resp *, size_t max_body);
void httpc_resp_cleanup(struct httpc_resp *);

/* The libcurl client for this thread (config gives timeouts, CA, caps). */
struct httpc *httpc_curl_new(const struct cfg *, struct err *);

/* curl_global_init once, before threads start (h5payd's main). */
int httpc_global_init(void);

static inline int
httpc_send(struct httpc *h, const struct httpc_req *rq, struct httpc_resp *rs,
    struct err *err)
{
	if (h->idle != NULL)
		h->idle(h->idle_ctx);
	return h->send(h, rq, rs, err);
}

static inline void
httpc_free(struct httpc *h)
{
	if (h)
		h->free(h);
}

#endif
