/*
 * route.c - the route table and the dispatcher.
 *
 * The table is the one place that says which URL reaches which handler,
 * in which pool, with which guard. Tests enumerate it (every R_ADMIN route
 * must refuse a request without a session).
 */
#include <string.h>

#include "buf.h"
#include "log.h"
#include "route.h"
#include "session.h"
#include "web.h"
#include "web_guard.h"

const struct route route_table[] = {
	{"GET", "/healthz", web_health_get, R_WEB},
	{"GET", "/notify/healthz", web_health_get, R_NOTIFY},
	/* loopback-only scrape (nginx/h5pay-metrics-locations.conf) */
	{"GET", "/metrics", web_metrics_get, R_NOTIFY},
	{"POST", "/admin/api/login", web_admin_login, R_WEB | R_SAMEORIGIN},
	{"GET", "/admin/api/session", web_admin_session, R_WEB | R_ADMIN},
	{"POST", "/admin/api/logout", web_admin_logout,
	    R_WEB | R_ADMIN | R_CSRF},
	{"GET", "/admin/api/orders", web_admin_orders_list, R_WEB | R_ADMIN},
	{"GET", "/admin/api/orders.csv", web_admin_orders_csv,
	    R_WEB | R_ADMIN},
	{"GET", "/admin/api/orders/", web_admin_order_get,
	    R_WEB | R_ADMIN | R_PREFIX},
	{"POST", "/admin/api/orders/", web_admin_order_post,
	    R_WEB | R_ADMIN | R_CSRF | R_PREFIX},
	{"GET", "/admin/api/stats", web_admin_stats, R_WEB | R_ADMIN},
	{"GET", "/admin/api/audit", web_admin_audit, R_WEB | R_ADMIN},
	{"GET", "/admin/api/events", web_admin_events_list, R_WEB | R_ADMIN},
	{"POST", "/admin/api/events/", web_admin_events_post,
	    R_WEB | R_ADMIN | R_CSRF | R_PREFIX},
	{"GET", "/admin/api/anomalies", web_admin_anomalies_list,
	    R_WEB | R_ADMIN},
	{"POST", "/admin/api/anomalies/", web_admin_anomalies_post,
	    R_WEB | R_ADMIN | R_CSRF | R_PREFIX},
	{"POST", "/notify", web_notify_post, R_NOTIFY},
	{"GET", "/oauth/start", web_oauth_start, R_WEB},
	{"GET", "/oauth/callback", web_oauth_callback, R_WEB},
	{"GET", "/api/me", web_me_get, R_WEB | R_BUYER},
	{"POST", "/api/logout", web_logout_post, R_WEB | R_SAMEORIGIN},
	{"GET", "/api/products", web_products_get, R_WEB},
	{"POST", "/pay", web_pay_post, R_WEB | R_BUYER | R_SAMEORIGIN},
	{"GET", "/api/orders", web_orders_list, R_WEB | R_BUYER},
	{"GET", "/api/orders/", web_order_get, R_WEB | R_BUYER | R_PREFIX},
	{"POST", "/api/v1/payments", web_api_payment_create,
	    R_WEB | R_APIKEY},
	{"GET", "/api/v1/payments", web_api_payment_find, R_WEB | R_APIKEY},
	{"GET", "/api/v1/payments/", web_api_payment_get,
	    R_WEB | R_APIKEY | R_PREFIX},
	{"POST", "/api/v1/payments/", web_api_payment_post,
	    R_WEB | R_APIKEY | R_PREFIX},
	{"GET", "/api/checkout/", web_checkout_get, R_WEB | R_PREFIX},
	{"POST", "/api/checkout/", web_checkout_pay,
	    R_WEB | R_BUYER | R_SAMEORIGIN | R_PREFIX},
};

const size_t route_count = sizeof(route_table) / sizeof(route_table[0]);

static bool
route_path_match(const struct route *rt, const char *path, const char **tail)
{
	size_t n = strlen(rt->path);

	if (rt->flags & R_PREFIX) {
		if (strncmp(path, rt->path, n) != 0)
			return false;
		*tail = path + n;
		return true;
	}
	*tail = "";
	return strcmp(path, rt->path) == 0;
}

static unsigned
pool_flag(enum pool pool)
{
	return pool == POOL_NOTIFY ? R_NOTIFY : R_WEB;
}

void
route_dispatch(const struct route *table, size_t n, enum pool pool,
    struct app *app, struct req *r, struct resp *w)
{
	const struct route *hit = NULL;
	const char *tail = "";
	struct web_guard guard;
	struct buf allow;
	struct err err;
	size_t i;

	buf_init(&allow, 256);
	err_clear(&err);
	for (i = 0; i < n; i++) {
		const struct route *rt = &table[i];
		const char *t;

		if (!(rt->flags & pool_flag(pool)))
			continue;
		if (!route_path_match(rt, r->path, &t))
			continue;
		if (strcmp(rt->method, r->method) == 0) {
			hit = rt;
			tail = t;
			break;
		}
		if (allow.len == 0 || strstr(buf_str(&allow), rt->method) == NULL)
			buf_printf(&allow, "%s%s", allow.len ? ", " : "",
			    rt->method);
	}
	if (hit == NULL && allow.len) {
		err_set(&err, E_METHOD, "%s %s", r->method, r->path);
		resp_error(w, r, &err);
		resp_header(w, "Allow", buf_str(&allow));
		goto out;
	}
	if (hit == NULL) {
		err_set(&err, E_NOTFOUND, "%s", r->path);
		resp_error(w, r, &err);
		goto out;
	}
	r->path_tail = tail;
	r->route_index = (int)(hit - table);
	if (web_guard_run(app, r, hit->flags, &guard, &err) == -1) {
		if (err.code == E_AUTH && (hit->flags & R_BUYER))
			session_login_required(r, w);
		else {
			if (err_http_status(err.code) >= 500)
				log_error("route", "guard_fail", "path=%s "
				    "msg=\"%s\"", r->path, err.msg);
			else
				log_info("route", "refused", "path=%s "
				    "status=%d msg=\"%s\"", r->path,
				    err_http_status(err.code), err.msg);
			resp_error(w, r, &err);
			if ((hit->flags & R_APIKEY) && err.code == E_AUTH)
				resp_header(w, "WWW-Authenticate",
				    "Bearer realm=\"h5pay\"");
			if ((hit->flags & R_APIKEY) && err.code == E_RATE)
				resp_header(w, "Retry-After", "60");
		}
		goto out;
	}
	if (hit->fn(app, r, w, &err) == -1) {
		int st = err_http_status(err.code);

		if (st >= 500)
			log_error("route", "handler_fail", "path=%s code=%s "
			    "msg=\"%s\"", r->path, err_name(err.code), err.msg);
		else
			log_info("route", "refused", "path=%s status=%d "
			    "msg=\"%s\"", r->path, st, err.msg);
		resp_cleanup(w);
		resp_init(w);
		resp_error(w, r, &err);
	}
out:
	r->buyer = NULL;
	r->admin = NULL;
	r->apikey = NULL;
	buf_cleanup(&allow);
}
