/*
 * err.h - the one error convention.
 *
 * Functions return 0 on success or -1 and fill a caller-provided struct err.
 * err_set() always returns -1 so a failure is one line:
 *	return err_set(err, E_INPUT, "qty %d out of range", qty);
 * The message is for logs and operators; clients see err_public() only.
 */
#ifndef H5PAY_ERR_H
#define H5PAY_ERR_H

enum err_code {
	E_OK = 0,
	E_INPUT,	/* malformed or out-of-range input: 400 */
	E_AUTH,		/* no session / bad credentials / bad signature: 401 */
	E_FORBIDDEN,	/* CSRF, wrong owner of a resource we hide: 403 */
	E_NOTFOUND,	/* 404 */
	E_METHOD,	/* 405 */
	E_CONFLICT,	/* state does not allow it: 409 */
	E_TOOBIG,	/* a size cap was hit: 413 */
	E_RATE,		/* throttled: 429 */
	E_SIG,		/* an inbound message's signature did not verify
			   (a notification): 401 */
	E_UPSTREAM,	/* provider said no, or answered garbage: 502 */
	E_UPSTREAM_SIG,	/* the provider's answer did not verify: 502
			   (nothing in it is trusted; never a 401, which
			   clients read as "log in again") */
	E_UNKNOWN,	/* upstream outcome unknown (timeout): 504 */
	E_STORE,	/* database failure: 500 */
	E_INTERNAL,	/* broken invariant: 500 */
	E__COUNT
};

struct err {
	enum err_code code;
	char msg[256];
};

/* Fill *err (if not NULL) and return -1. */
int err_set(struct err *, enum err_code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Reset to E_OK with an empty message. */
void err_clear(struct err *);

/* HTTP status for a code (the single mapping table). */
int err_http_status(enum err_code);

/* Stable machine-readable name for clients, e.g. "bad_input". Static. */
const char *err_name(enum err_code);

/* A safe message for clients: static text, never the internal msg. */
const char *err_public(enum err_code);

#endif
