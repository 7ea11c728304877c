/*
 * session.c - buyer sessions and the login's cookies.
 *
 * What it does: create a session after a login (random 256-bit token from
 * the kernel CSPRNG, only its SHA-256 stored), find the request's session,
 * log out, purge expired rows, and answer the R_BUYER refusal. What it
 * does not do: the WeChat side of the login (oauth.c, web_oauth.c).
 *
 * Invariants: a token never reaches a log line or the database; a session
 * is valid only for the appid that issued its openid (the configured one);
 * every cookie is HttpOnly, SameSite=Lax, Path=/ and, in production,
 * Secure with the __Host- prefix.
 */
#include <json-c/json.h>
#include <string.h>

#include "buf.h"
#include "cfg.h"
#include "form.h"
#include "log.h"
#include "oauth.h"
#include "session.h"
#include "sign.h"
#include "util.h"
#include "valid.h"

#define SESSION_TOKEN_BYTES 32			/* 256 bits */
#define SESSION_TOKEN_LEN 43			/* base64url, no padding */
#define SESSION_PURGE_ONE_IN 16

static const struct {
	const char *secure, *plain;
} cookie_names[] = {
	[SESSION_COOKIE_TOKEN] = {"__Host-h5s", "h5s"},
	[SESSION_COOKIE_OAUTH] = {"__Host-h5o", "h5o"},
	[SESSION_COOKIE_RESTART] = {"__Host-h5r", "h5r"},
};

const char *
session_cookie_name(const struct cfg *c, enum session_cookie id)
{
	return c->cookie_secure ? cookie_names[id].secure :
	    cookie_names[id].plain;
}

void
session_cookie_set(struct resp *w, const struct cfg *c,
    enum session_cookie id, const char *value, int64_t max_age)
{
	struct buf b;

	buf_init(&b, 512);
	buf_printf(&b, "%s=%s; Path=/; Max-Age=%lld; HttpOnly; %sSameSite=Lax",
	    session_cookie_name(c, id), value, (long long)max_age,
	    c->cookie_secure ? "Secure; " : "");
	resp_header(w, "Set-Cookie", buf_str(&b));
	mem_wipe(b.data, b.cap);
	buf_cleanup(&b);
}

/* The request's token if it has the shape we issue, else NULL. */
static const char *
token_of(const struct app *app, const struct req *r)
{
	const char *t = req_cookie(r, session_cookie_name(app->cfg,
	    SESSION_COOKIE_TOKEN));

	if (t == NULL || !valid_token(t, strlen(t), SESSION_TOKEN_LEN,
	    SESSION_TOKEN_LEN, "-_"))
		return NULL;
	return t;
}

int
session_create(struct app *app, const struct req *r, const char *appid,
    const char *openid, struct resp *w, struct err *err)
{
	char token[SESSION_TOKEN_LEN + 8], th[65];
	const char *old = token_of(app, r);
	int64_t now = app_now_s(app);
	int rc = -1;

	if (sign_random_token(&app->rng, SESSION_TOKEN_BYTES, token,
	    sizeof(token)) == -1 || strlen(token) != SESSION_TOKEN_LEN)
		return err_set(err, E_INTERNAL, "session: no random token");
	sign_sha256_hex(token, strlen(token), th);
	if (store_session_insert(app->store, th, appid, openid, now,
	    now + app->cfg->session_ttl_sec, err) == -1)
		goto out;
	if (old) {
		/* the browser's previous session is replaced, not kept */
		struct err e2;

		sign_sha256_hex(old, strlen(old), th);
		if (store_session_delete(app->store, th, &e2) == -1)
			log_warn("session", "replace_fail", "msg=\"%s\"",
			    e2.msg);
	}
	session_cookie_set(w, app->cfg, SESSION_COOKIE_TOKEN, token,
	    app->cfg->session_ttl_sec);
	rc = 0;
out:
	mem_wipe(token, sizeof(token));
	return rc;
}

int
session_lookup(struct app *app, const struct req *r, struct session *s,
    struct err *err)
{
	struct store_session row;
	const char *t = token_of(app, r);
	char th[65];

	memset(s, 0, sizeof(*s));
	if (t == NULL)
		return err_set(err, E_AUTH, "no session cookie");
	sign_sha256_hex(t, strlen(t), th);
	if (store_session_get(app->store, th, app_now_s(app), &row, err) ==
	    -1) {
		if (err->code == E_NOTFOUND)
			return err_set(err, E_AUTH, "unknown or expired "
			    "session");
		return -1;
	}
	if (strcmp(row.appid, app->cfg->wechat_appid) != 0)
		return err_set(err, E_AUTH, "session of another appid");
	str_lcpy(s->appid, row.appid, sizeof(s->appid));
	str_lcpy(s->openid, row.openid, sizeof(s->openid));
	s->created_at = row.created_at;
	s->expires_at = row.expires_at;
	return 0;
}

int
session_logout(struct app *app, const struct req *r, struct resp *w,
    struct err *err)
{
	const char *t = token_of(app, r);
	char th[65];

	if (t) {
		sign_sha256_hex(t, strlen(t), th);
		if (store_session_delete(app->store, th, err) == -1)
			return -1;
	}
	session_cookie_set(w, app->cfg, SESSION_COOKIE_TOKEN, "", 0);
	return 0;
}

int
session_purge(struct app *app, int64_t *n, struct err *err)
{
	int64_t deleted = 0;

	if (store_oauth_purge(app->store, app_now_s(app), OAUTH_STATE_GRACE,
	    &deleted, err) == -1)
		return -1;
	if (n)
		*n = deleted;
	if (deleted)
		log_info("session", "purged", "rows=%lld", (long long)deleted);
	return 0;
}

void
session_purge_maybe(struct app *app)
{
	unsigned char x;
	struct err err;

	if (app_random(app, &x, 1) == -1 || x % SESSION_PURGE_ONE_IN != 0)
		return;
	if (session_purge(app, NULL, &err) == -1)
		log_warn("session", "purge_fail", "msg=\"%s\"", err.msg);
}

void
session_login_required(const struct req *r, struct resp *w)
{
	struct json_object *o = json_object_new_object();
	const char *path = oauth_ret_valid(r->path) ? r->path : "/";
	struct buf b;
	size_t i;

	buf_init(&b, 4 * STORE_RET_MAX + 64);
	buf_adds(&b, "/oauth/start?ret=");
	/* percent-encode the path, keeping its slashes readable */
	for (i = 0; path[i]; i++) {
		if (path[i] == '/')
			buf_addc(&b, '/');
		else
			form_encode_component(&b, &path[i], 1);
	}
	json_object_object_add(o, "error",
	    json_object_new_string("login_required"));
	json_object_object_add(o, "login", json_object_new_string(
	    buf_str(&b)));
	buf_cleanup(&b);
	resp_json(w, 401, o);
}
