/*
 * web_guard.c - route guards: resolve the admin or buyer session of a
 * request once, check the admin's CSRF token, refuse cross-site requests
 * to state-changing buyer routes. route_dispatch() calls web_guard_run()
 * for the flags of the matched route; handlers read r->admin / r->buyer.
 *
 * Same origin (R_SAMEORIGIN): a browser tells where a request comes from
 * in Sec-Fetch-Site (every current browser) or, for a cross-origin POST,
 * in Origin. A request that says "cross-site"/"same-site", or carries an
 * Origin other than public_base_url's, is refused; one with neither
 * header is not a browser's cross-site form and passes (a session cookie
 * is SameSite=Lax anyway). The admin has its CSRF token instead.
 */
#include <stdarg.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "cfg.h"
#include "log.h"
#include "route.h"
#include "util.h"
#include "web_guard.h"

/* The admin session and, for R_CSRF, its token. */
static int
guard_admin(struct app *app, struct req *r, unsigned flags,
    struct web_guard *g, struct err *err)
{
	const char *tok;

	if (admin_session_get(app, req_cookie(r, ADMIN_COOKIE), &g->admin,
	    err) == -1)
		return -1;
	r->admin = &g->admin;
	if (!(flags & R_CSRF))
		return 0;
	tok = req_param(r, ADMIN_CSRF_HEADER);
	if (tok == NULL || !ct_equal(tok, strlen(tok), g->admin.csrf,
	    strlen(g->admin.csrf))) {
		web_audit(app, r, "csrf_refused", r->path, ADMIN_REFUSED,
		    "%s %s", r->method, tok ? "wrong token" : "no token");
		return err_set(err, E_FORBIDDEN, "CSRF token %s",
		    tok ? "wrong" : "missing");
	}
	return 0;
}

/* True when origin ("scheme://host[:port]") is public_base_url's. */
static bool
origin_is_ours(const struct cfg *c, const char *origin)
{
	const char *base = c->public_base_url;
	size_t n = strlen(origin), bn = strlen(base);

	while (bn > 0 && base[bn - 1] == '/')
		bn--;
	return n == bn && strncasecmp(origin, base, n) == 0;
}

static int
guard_same_origin(struct app *app, const struct req *r, struct err *err)
{
	const char *site = req_param(r, "HTTP_SEC_FETCH_SITE");
	const char *origin = req_param(r, "HTTP_ORIGIN");

	if (site != NULL && strcmp(site, "same-origin") != 0 &&
	    strcmp(site, "none") != 0)
		return err_set(err, E_FORBIDDEN, "cross-site request "
		    "(Sec-Fetch-Site: %.16s)", site);
	if (origin != NULL && !origin_is_ours(app->cfg, origin))
		return err_set(err, E_FORBIDDEN, "cross-origin request");
	return 0;
}

int
web_guard_run(struct app *app, struct req *r, unsigned flags,
    struct web_guard *g, struct err *err)
{
	if ((flags & R_SAMEORIGIN) && guard_same_origin(app, r, err) == -1)
		return -1;
	if ((flags & (R_ADMIN | R_CSRF)) &&
	    guard_admin(app, r, flags, g, err) == -1)
		return -1;
	if (flags & R_APIKEY) {
		if (api_key_auth(app, req_param(r, "HTTP_AUTHORIZATION"),
		    &g->api, err) == -1)
			return -1;
		r->apikey = &g->api;
	}
	if (flags & R_BUYER) {
		if (session_lookup(app, r, &g->buyer, err) == -1)
			return -1;
		r->buyer = &g->buyer;
	}
	return 0;
}

void
web_audit(struct app *app, const struct req *r, const char *action,
    const char *target, enum admin_result res, const char *fmt, ...)
{
	struct admin_who who = {
		.admin = r->admin ? r->admin->username : "",
		.ip = r->client_ip,
		.request_id = r->request_id,
	};
	va_list ap;

	va_start(ap, fmt);
	admin_vauditf(app, &who, action, target, res, fmt, ap);
	va_end(ap);
}
