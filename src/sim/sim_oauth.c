/*
 * sim_oauth.c - WeChat web authorization as h5pay-sim plays it
 * (docs/protocol.md §W1): the authorize page and the server-side code
 * exchange.
 *
 * GET /connect/oauth2/authorize checks the parameters the way WeChat
 * matches them (appid, redirect_uri, response_type=code, scope, state, in
 * that order; the "#wechat_redirect" fragment never reaches a server),
 * then shows a page to pick or type a test user, or, in the automatic
 * mode (&sim_user=... or the oauth_auto_user switch), 302s straight back
 * to redirect_uri?code=CODE&state=STATE.
 * GET /sns/oauth2/access_token exchanges a code once, within its
 * lifetime, with WeChat's errcodes; every exchange is counted.
 * Every value put in HTML is escaped; codes are never logged.
 */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "form.h"
#include "lim.h"
#include "log.h"
#include "sim.h"
#include "store.h"
#include "util.h"
#include "valid.h"

static const char page_head[] =
    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
    "<meta name=\"viewport\" content=\"width=device-width, "
    "initial-scale=1\"><title>h5pay-sim: WeChat authorization</title>"
    "</head><body>\n";

static void
html_page(struct resp *w, int status, struct buf *b)
{
	w->status = status;
	w->content_type = "text/html; charset=utf-8";
	/* no form-action: Chromium applies it to the redirect that follows
	 * the picker form's submission, i.e. to the shop's callback origin */
	resp_header(w, "Content-Security-Policy", "default-src 'none'; "
	    "base-uri 'none'; frame-ancestors 'none'");
	buf_reset(&w->body);
	buf_add(&w->body, b->data ? b->data : "", b->len);
}

static int
auth_error(struct resp *w, int errcode, const char *msg)
{
	struct buf b;

	buf_init(&b, 4096);
	buf_adds(&b, page_head);
	buf_printf(&b, "<h1>Authorization error</h1>\n<p class=\"errcode\">"
	    "errcode %d</p>\n<p>", errcode);
	buf_add_html(&b, msg);
	buf_adds(&b, "</p>\n</body></html>\n");
	html_page(w, 400, &b);
	buf_cleanup(&b);
	log_info("sim", "authorize_refused", "errcode=%d msg=\"%s\"", errcode,
	    msg);
	return 0;
}

static bool
alnum_upto(const char *s, size_t max)
{
	return valid_token(s, strlen(s), 1, max, "");
}

/* https://host[:port]/... ; host[:port] into host (empty when invalid). */
static bool
redirect_ok(const char *u, char *host, size_t hsz)
{
	const char *h, *e;
	size_t i;

	host[0] = '\0';
	if (strlen(u) > LIM_REDIRECT_URI || strncmp(u, "https://", 8) != 0)
		return false;
	for (i = 0; u[i]; i++)
		if ((unsigned char)u[i] <= 0x20 ||
		    (unsigned char)u[i] >= 0x7f ||
		    u[i] == '#' || u[i] == '"' || u[i] == '<' || u[i] == '>' ||
		    u[i] == '\\' || u[i] == '\'')
			return false;
	h = u + 8;
	e = h + strcspn(h, "/?");
	if (e == h || (size_t)(e - h) >= hsz || strchr(h, '@') != NULL)
		return false;
	memcpy(host, h, (size_t)(e - h));
	host[e - h] = '\0';
	return true;
}

/* The query's keys must come in WeChat's order (docs/protocol.md §W1). */
static bool
order_ok(const struct kvlist *q)
{
	static const char *const want[] = {"appid", "redirect_uri",
	    "response_type", "scope", "state"};
	static const char *const tail[] = {"connect_redirect", "sim_user"};
	size_t i, j = 0;

	if (q->n < 5)
		return false;
	for (i = 0; i < 5; i++)
		if (strcmp(q->v[i].key, want[i]) != 0)
			return false;
	for (; i < q->n; i++) {
		while (j < 2 && strcmp(q->v[i].key, tail[j]) != 0)
			j++;
		if (j == 2)
			return false;
		j++;
	}
	return true;
}

static void
user_link(struct buf *b, const char *qs, const char *openid, bool snapshot)
{
	struct buf u;

	buf_init(&u, 16384);
	buf_printf(&u, "/connect/oauth2/authorize?%s&sim_user=", qs);
	form_encode_component(&u, openid, strlen(openid));
	buf_adds(b, "<li><a href=\"");
	buf_add_html(b, buf_str(&u));
	buf_adds(b, "\">");
	buf_add_html(b, openid);
	buf_adds(b, snapshot ? "</a> (snapshot user)</li>\n" : "</a></li>\n");
	buf_cleanup(&u);
}

static void
hidden(struct buf *b, const char *k, const char *v)
{
	buf_adds(b, "<input type=\"hidden\" name=\"");
	buf_add_html(b, k);
	buf_adds(b, "\" value=\"");
	buf_add_html(b, v);
	buf_adds(b, "\">\n");
}

static int
picker(struct app *app, struct req *r, struct resp *w, struct err *err)
{
	struct json_object *users = sim_user_list(app->store, err);
	const char *qs = req_param(r, "QUERY_STRING");
	struct buf b;
	size_t i;

	if (users == NULL)
		return -1;
	buf_init(&b, 256 * 1024);
	buf_adds(&b, page_head);
	buf_adds(&b, "<h1>h5pay-sim: WeChat authorization</h1>\n<p>Redirect "
	    "to <code>");
	buf_add_html(&b, req_query(r, "redirect_uri"));
	buf_adds(&b, "</code> as:</p>\n<ul>\n");
	for (i = 0; i < json_object_array_length(users); i++) {
		struct json_object *u = json_object_array_get_idx(users, i), *v;
		bool snap = false;

		if (json_object_object_get_ex(u, "snapshot", &v))
			snap = json_object_get_boolean(v);
		json_object_object_get_ex(u, "openid", &v);
		user_link(&b, qs ? qs : "", json_object_get_string(v), snap);
	}
	buf_adds(&b, "</ul>\n<form method=\"get\" action=\"/connect/oauth2/"
	    "authorize\">\n");
	for (i = 0; i < r->query.n; i++)
		if (strcmp(r->query.v[i].key, "sim_user") != 0)
			hidden(&b, r->query.v[i].key, r->query.v[i].val);
	buf_adds(&b, "<label>openid <input name=\"sim_user\" "
	    "pattern=\"[0-9A-Za-z_\\-]{1,64}\" required></label>\n"
	    "<button type=\"submit\">Authorize</button>\n</form>\n"
	    "</body></html>\n");
	html_page(w, 200, &b);
	buf_cleanup(&b);
	json_object_put(users);
	return 0;
}

int
sim_oauth_authorize(struct app *app, struct req *r, struct resp *w,
    struct err *err)
{
	struct sim *sim = sim_of(app);
	struct sim_faults f;
	const char *appid = req_query(r, "appid");
	const char *uri = req_query(r, "redirect_uri");
	const char *rt = req_query(r, "response_type");
	const char *scope = req_query(r, "scope");
	const char *state = req_query(r, "state");
	const char *user = req_query(r, "sim_user");
	char host[256], code[33];
	struct buf loc;
	size_t i;

	for (i = 0; i < r->query.n; i++)
		if (kvlist_count(&r->query, r->query.v[i].key) > 1)
			return auth_error(w, 10016, "a parameter is repeated");
	if (appid == NULL || *appid == '\0')
		return auth_error(w, 10012, "appid is missing");
	if (strcmp(appid, sim->cfg.wechat_appid) != 0)
		return auth_error(w, 10016, "appid is invalid");
	if (uri == NULL || *uri == '\0')
		return auth_error(w, 10011, "redirect_uri is missing");
	if (!redirect_ok(uri, host, sizeof(host)))
		return auth_error(w, 10003, "redirect_uri must be an absolute "
		    "https URL without fragment");
	if (sim->cfg.oauth_domain && strcmp(host, sim->cfg.oauth_domain) != 0)
		return auth_error(w, 10003, "redirect_uri host does not match "
		    "the authorized domain");
	if (rt == NULL || strcmp(rt, "code") != 0)
		return auth_error(w, 10004, "response_type must be code");
	if (scope == NULL || *scope == '\0')
		return auth_error(w, 10010, "scope is missing");
	if (strcmp(scope, "snsapi_base") && strcmp(scope, "snsapi_userinfo"))
		return auth_error(w, 10005, "scope must be snsapi_base or "
		    "snsapi_userinfo");
	if (state == NULL || *state == '\0')
		return auth_error(w, 10013, "state is missing");
	if (!alnum_upto(state, 128))
		return auth_error(w, 10013, "state must be 1..128 of "
		    "[A-Za-z0-9]");
	if (!order_ok(&r->query))
		return auth_error(w, 10016, "parameters must come in the order "
		    "appid, redirect_uri, response_type, scope, state");
	sim_faults_snapshot(sim, &f);
	if (user == NULL && f.oauth_auto_user[0])
		user = f.oauth_auto_user;
	if (user == NULL)
		return picker(app, r, w, err);
	if (!sim_openid_ok(user))
		return auth_error(w, 10016, "sim_user must be 1..64 of "
		    "[0-9A-Za-z_-]");
	if (sim_random_hex(app, 16, code) == -1)
		return err_set(err, E_INTERNAL, "random");
	if (sim_code_insert(app->store, code, user, scope, app_now_ms(app),
	    err) == -1)
		return -1;
	buf_init(&loc, 4096);
	buf_printf(&loc, "%s%scode=%s&state=%s", uri,
	    strchr(uri, '?') ? "&" : "?", code, state);
	resp_redirect(w, 302, buf_str(&loc));
	buf_cleanup(&loc);
	log_info("sim", "authorize", "scope=%s", scope);
	return 0;
}

static int
token_answer(struct app *app, struct resp *w, int errcode, const char *msg,
    const char *openid)
{
	struct json_object *o = json_object_new_object();
	struct err err;

	if (sim_exchange_record(app->store, app_now_ms(app), errcode, openid,
	    &err) == -1)
		log_error("sim", "exchange_record", "msg=\"%s\"", err.msg);
	json_object_object_add(o, "errcode", json_object_new_int(errcode));
	json_object_object_add(o, "errmsg", json_object_new_string(msg));
	resp_json(w, 200, o);
	log_info("sim", "token_refused", "errcode=%d", errcode);
	return 0;
}

int
sim_oauth_token(struct app *app, struct req *r, struct resp *w,
    struct err *err)
{
	struct sim *sim = sim_of(app);
	const char *appid = req_query(r, "appid");
	const char *secret = req_query(r, "secret");
	const char *code = req_query(r, "code");
	const char *gt = req_query(r, "grant_type");
	struct json_object *o;
	struct sim_faults f;
	char openid[129], scope[32], at[65], rt[65];
	int snapshot = 0;

	if (sim_fault_take(sim, &sim->faults.oauth_errcode_count)) {
		sim_faults_snapshot(sim, &f);
		return token_answer(app, w, (int)f.oauth_errcode,
		    f.oauth_errcode == -1 ? "system error" :
		    "simulated error", NULL);
	}
	if (appid == NULL || *appid == '\0')
		return token_answer(app, w, 41002, "appid missing", NULL);
	if (strcmp(appid, sim->cfg.wechat_appid) != 0)
		return token_answer(app, w, 40013, "invalid appid", NULL);
	if (secret == NULL || *secret == '\0')
		return token_answer(app, w, 41004, "appsecret missing", NULL);
	if (!ct_equal(secret, strlen(secret), sim->wechat_secret,
	    strlen(sim->wechat_secret)))
		return token_answer(app, w, 40125, "invalid appsecret", NULL);
	if (gt == NULL || strcmp(gt, "authorization_code") != 0)
		return token_answer(app, w, 40002, "invalid grant_type", NULL);
	if (code == NULL || *code == '\0')
		return token_answer(app, w, 41008, "missing code", NULL);
	if (strlen(code) > 128 || sim_code_take(app->store, code,
	    app_now_ms(app) - sim->cfg.oauth_code_ttl_sec * 1000, openid,
	    sizeof(openid), scope, sizeof(scope), err) == -1) {
		if (strlen(code) <= 128 && err->code == E_CONFLICT)
			return token_answer(app, w, 40163, "code been used",
			    NULL);
		if (strlen(code) <= 128 && err->code == E_STORE)
			return -1;
		return token_answer(app, w, 40029, "invalid code", NULL);
	}
	if (sim_user_snapshot(app->store, openid, &snapshot, err) == -1 ||
	    sim_random_hex(app, 32, at) == -1 ||
	    sim_random_hex(app, 32, rt) == -1)
		return -1;
	if (sim_exchange_record(app->store, app_now_ms(app), 0, openid,
	    err) == -1)
		return -1;
	o = json_object_new_object();
	json_object_object_add(o, "access_token", json_object_new_string(at));
	json_object_object_add(o, "expires_in", json_object_new_int(7200));
	json_object_object_add(o, "refresh_token", json_object_new_string(rt));
	json_object_object_add(o, "openid", json_object_new_string(openid));
	json_object_object_add(o, "scope", json_object_new_string(scope));
	if (snapshot)
		json_object_object_add(o, "is_snapshotuser",
		    json_object_new_int(1));
	resp_json(w, 200, o);
	log_info("sim", "token", "snapshot=%d", snapshot);
	return 0;
}
