/*
 * req.h - the request and response structs handlers see, and the only
 * code that touches libfcgi (req_fcgx_*).
 *
 * A struct req can also be built by hand (req_set_param + req_set_body +
 * req_prepare) so handler tests need no FastCGI at all.
 */
#ifndef H5PAY_REQ_H
#define H5PAY_REQ_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "err.h"
#include "kv.h"
#include "lim.h"

struct json_object;
struct admin_session;
struct api_caller;
struct session;
struct resp;
struct req;

/*
 * Answering later (the notify pool's group commit): a handler whose work
 * finishes on another thread calls req_defer(r, start, ctx) and returns 0
 * without an answer. Once nothing on the serving thread touches r or w
 * any more, the server calls start(ctx); whoever finishes the work fills
 * w and calls req_answer(r), which sends the answer and frees r and w.
 * Only when req_can_defer(r): a request built by hand (tests) cannot.
 */
struct req_later {
	void (*answer)(struct req *);	/* set by the server */
	void (*start)(void *ctx);	/* set by req_defer */
	void *ctx;
};

struct req {
	struct kvlist params;	/* every FastCGI param, as received */
	struct kvlist query;	/* decoded query string */
	struct kvlist cookies;	/* decoded Cookie header (first wins) */
	struct buf body;	/* capped request body */

	/* borrowed from params (valid for the request's life) */
	const char *method;	/* REQUEST_METHOD */
	const char *path;	/* DOCUMENT_URI: decoded, normalised by nginx */
	const char *content_type;
	const char *client_ip;	/* REMOTE_ADDR */
	const char *request_id;	/* REQUEST_ID ($request_id), or "-" */
	const char *user_agent;

	const char *path_tail;	/* for prefix routes: path after the prefix */
	/* set by the route guards (web_guard.c) for the handler's call */
	const struct session *buyer;		/* R_BUYER */
	const struct admin_session *admin;	/* R_ADMIN */
	const struct api_caller *apikey;	/* R_APIKEY */
	int route_index;	/* route_dispatch: the matched route, or -1 */
	size_t max_body;
	struct req_later later;
	struct resp *resp;	/* the answer being built (set by the server) */
};

struct resp_stream {
	/*
	 * For large bodies (CSV export): called once after the headers went
	 * out; it calls write(wctx, p, n) as often as it likes. Returns 0/-1.
	 */
	int (*fn)(void *ctx, int (*write)(void *wctx, const char *p, size_t n),
	    void *wctx);
	void *ctx;
	void (*free)(void *ctx);
};

struct resp {
	int status;
	const char *content_type;	/* static string */
	struct kvlist headers;		/* extra headers, in order */
	struct buf body;
	struct resp_stream stream;	/* fn == NULL: use body */
};

void req_init(struct req *, size_t max_body);

bool req_can_defer(const struct req *);
void req_defer(struct req *, void (*start)(void *ctx), void *ctx);
/* r->resp is filled: send it; r and its resp are gone after this. */
void req_answer(struct req *);
void req_cleanup(struct req *);

/* Build by hand (tests): set a param, set the body. */
void req_set_param(struct req *, const char *k, const char *v);
int req_set_body(struct req *, const char *p, size_t n, struct err *);

/*
 * Fill the borrowed fields from params, decode the query string and the
 * cookies. -1 with E_INPUT/E_TOOBIG on a malformed request.
 */
int req_prepare(struct req *, struct err *);

/* Query argument / cookie by name, or NULL. Borrowed (request life). */
const char *req_query(const struct req *, const char *name);
const char *req_cookie(const struct req *, const char *name);
const char *req_param(const struct req *, const char *name);

/* True if the Content-Type's media type is `type` (parameters ignored). */
bool req_content_type_is(const struct req *, const char *type);

/*
 * Parse the body as a JSON object (Content-Type application/json
 * required). Returns a new reference the caller puts, or NULL with *err.
 */
struct json_object *req_json(const struct req *, struct err *);

/* Decode the body as a form (Content-Type x-www-form-urlencoded). */
int req_form(const struct req *, struct kvlist *out, struct err *);

void resp_init(struct resp *);
void resp_cleanup(struct resp *);

void resp_header(struct resp *, const char *name, const char *value);
/* Set a JSON body; takes ownership of obj (puts it). */
void resp_json(struct resp *, int status, struct json_object *obj);
/* {"error": err_name, "message": err_public, "requestId": rid} */
void resp_error(struct resp *, const struct req *, const struct err *);
/* Same with an explicit code and a static message. */
void resp_error_code(struct resp *, const struct req *, enum err_code,
    const char *error, const char *message);
void resp_text(struct resp *, int status, const char *ctype,
    const char *text);
void resp_redirect(struct resp *, int status, const char *location);

/* Status line reason phrase ("Not Found"). */
const char *http_reason(int status);

/* Serialise the response (CGI-style "Status:" header first) through
 * write(). Used by req_fcgx_send and by tests. */
int resp_write(struct resp *, int (*write)(void *wctx, const char *p,
    size_t n), void *wctx);

/* libfcgi glue (implemented in req.c, the only libfcgi user). */
struct FCGX_Request;

/*
 * Copy the params of an accepted FastCGI request and read its body up to
 * r->max_body bytes. A larger body is read and discarded (so nginx is not
 * cut off mid-write) and -1/E_TOOBIG is returned.
 */
int req_fcgx_read(struct req *, struct FCGX_Request *, struct err *);

/* Write the response to the FastCGI request's output stream. */
int req_fcgx_send(struct resp *, struct FCGX_Request *);
#endif
