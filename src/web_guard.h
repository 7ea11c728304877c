/*
 * web_guard.h - the guards route_dispatch() runs for a route's flags,
 * before its handler: the admin session (R_ADMIN) and its CSRF token
 * (R_CSRF), the buyer session (R_BUYER), and the same-origin check of a
 * state-changing buyer route (R_SAMEORIGIN), the API key of a payments
 * API route (R_APIKEY). Each is looked up once per request and handed to
 * the handler in r->admin / r->buyer / r->apikey.
 */
#ifndef H5PAY_WEB_GUARD_H
#define H5PAY_WEB_GUARD_H

#include "admin.h"
#include "api.h"
#include "app.h"
#include "err.h"
#include "req.h"
#include "session.h"

/* Where the sessions a guard resolved live during one request. */
struct web_guard {
	struct admin_session admin;
	struct session buyer;
	struct api_caller api;
};

/*
 * Run the guards of flags for r: 0 with r->admin / r->buyer pointing into
 * *g when their flag asked for them; -1 with E_AUTH (no valid admin or
 * buyer session; no valid API key), E_RATE (the key's rate limit),
 * E_FORBIDDEN (missing or wrong CSRF token, audited; a
 * cross-site request to a state-changing route), E_STORE.
 */
int web_guard_run(struct app *, struct req *, unsigned flags,
    struct web_guard *g, struct err *);

/* An admin audit record for the request's admin (r->admin) from its
 * address and request id. Failures are logged. */
void web_audit(struct app *, const struct req *, const char *action,
    const char *target, enum admin_result, const char *detail_fmt, ...)
    __attribute__((format(printf, 6, 7)));

#endif
