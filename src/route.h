/*
 * route.h - the route table: {method, path, handler, flags}.
 *
 * A path matches exactly, or as a prefix when R_PREFIX is set (the rest
 * goes to req->path_tail). Each route names the pools that serve it: the
 * notify pool answers only its own routes, so a misrouted buyer request
 * can never occupy a notify worker.
 */
#ifndef H5PAY_ROUTE_H
#define H5PAY_ROUTE_H

#include "app.h"
#include "err.h"
#include "req.h"

typedef int (*route_fn)(struct app *, struct req *, struct resp *,
    struct err *);

enum route_flags {
	R_PREFIX = 1 << 0,	/* path is a prefix ("/api/orders/") */
	R_WEB = 1 << 1,		/* served by the web pool */
	R_NOTIFY = 1 << 2,	/* served by the notify pool */
	R_BUYER = 1 << 3,	/* requires a buyer session */
	R_ADMIN = 1 << 4,	/* requires an admin session */
	R_CSRF = 1 << 5,	/* state-changing admin route: CSRF token */
	R_SAMEORIGIN = 1 << 6,	/* state-changing buyer route: refuse a
				   cross-site request */
	R_APIKEY = 1 << 7,	/* payments API: Authorization: Bearer key
				   (the handler checks its scope) */
};

struct route {
	const char *method;
	const char *path;
	route_fn fn;
	unsigned flags;
};

/* The application's table (route.c) and its length. */
extern const struct route route_table[];
extern const size_t route_count;

/*
 * Find the route for req in table, serve it, fill resp. A handler's -1 is
 * turned into the JSON error for its err_code. Unknown path: 404 JSON;
 * known path, other method: 405 JSON with Allow. The guards of the route's
 * flags run first (web_guard.c): an R_BUYER route without a valid session
 * gets session_login_required()'s 401; otherwise its handler finds the
 * sessions in r->buyer / r->admin (valid during the call).
 */
void route_dispatch(const struct route *table, size_t n, enum pool pool,
    struct app *, struct req *, struct resp *);

#endif
