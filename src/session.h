/*
 * session.h - buyer sessions: the one helper every buyer endpoint uses
 * (through route_dispatch's R_BUYER guard), and the cookies of the login.
 *
 * A session is a random 256-bit token in the cookie __Host-h5s (HttpOnly,
 * Secure, SameSite=Lax, Path=/, Max-Age=session_ttl_sec); the database
 * keeps only its SHA-256 with the (appid, openid) it identifies.
 */
#ifndef H5PAY_SESSION_H
#define H5PAY_SESSION_H

#include <stdint.h>

#include "app.h"
#include "err.h"
#include "req.h"
#include "store_session.h"

enum session_cookie {
	SESSION_COOKIE_TOKEN = 0,	/* __Host-h5s: the session */
	SESSION_COOKIE_OAUTH,	/* __Host-h5o: binds a login's state */
	SESSION_COOKIE_RESTART,	/* __Host-h5r: "already restarted" */
};

struct session {
	char appid[STORE_APPID_MAX + 1];
	char openid[STORE_OPENID_MAX + 1];
	int64_t created_at, expires_at;
};

/* The cookie's name: "__Host-" prefixed when cookie_secure (always in
 * production), bare otherwise (a __Host- cookie must be Secure). Static. */
const char *session_cookie_name(const struct cfg *, enum session_cookie);

/*
 * Add a Set-Cookie for cookie id: value, Path=/, Max-Age=max_age (0
 * deletes), HttpOnly, SameSite=Lax, and Secure when cookie_secure. value
 * must be cookie-safe ([A-Za-z0-9_-]).
 */
void session_cookie_set(struct resp *, const struct cfg *,
    enum session_cookie, const char *value, int64_t max_age);

/*
 * Create a session for (appid, openid), replacing the request's current
 * one if any, and add its Set-Cookie to w. The token is not kept.
 */
int session_create(struct app *, const struct req *, const char *appid,
    const char *openid, struct resp *w, struct err *);

/*
 * The request's session: 0 with *s; -1 with E_AUTH when there is no valid
 * session (no or malformed cookie, unknown, expired, or issued for another
 * appid than the configured one), E_STORE on failure.
 */
int session_lookup(struct app *, const struct req *, struct session *s,
    struct err *);

/* Delete the request's session (if any) and expire its cookie. */
int session_logout(struct app *, const struct req *, struct resp *,
    struct err *);

/* Delete expired sessions, cached codes and old states. *n (may be NULL)
 * gets the number of rows removed. */
int session_purge(struct app *, int64_t *n, struct err *);

/* session_purge() on about one call in 16 (random): cheap housekeeping on
 * the login path. Failures are logged, never returned. */
void session_purge_maybe(struct app *);

/*
 * The R_BUYER refusal: 401 JSON {"error":"login_required",
 * "login":"/oauth/start?ret=<path, percent-encoded>"}.
 */
void session_login_required(const struct req *, struct resp *);

#endif
