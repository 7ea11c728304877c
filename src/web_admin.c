/*
 * web_admin.c - the admin's authentication endpoints:
 *	POST /admin/api/login	{"username", "password"} -> cookie + CSRF
 *	GET  /admin/api/session	the current session's user and CSRF token
 *	POST /admin/api/logout	(R_ADMIN | R_CSRF) revoke the session
 *	GET  /admin/api/audit	(R_ADMIN) the audit log, newest first
 *
 * What it does not do: decide (admin.c) or SQL. The login answer for an
 * unknown user, a disabled user and a wrong password is the same 401.
 * Login requires Content-Type application/json: a cross-site form cannot
 * send it without a CORS preflight, which we never grant.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "admin.h"
#include "cfg.h"
#include "log.h"
#include "store_admin.h"
#include "util.h"
#include "web.h"
#include "web_guard.h"

static void
session_json(struct resp *w, const struct admin_session *s)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "username",
	    json_object_new_string(s->username));
	json_object_object_add(o, "csrf", json_object_new_string(s->csrf));
	json_object_object_add(o, "expiresAt",
	    json_object_new_int64(s->expires_at));
	resp_json(w, 200, o);
}

static const char *
json_str(struct json_object *o, const char *k)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, k, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/*
 * 429 for a throttled or locked login: which limit, and how long to wait
 * (Retry-After and "retryAfter" seconds, also in the message).
 */
static void
login_wait(struct resp *w, const struct req *r, const struct admin_login *lg)
{
	bool locked = lg->result == ADMIN_LOGIN_LOCKED;
	const char *who = strcmp(lg->scope, "address") == 0 ?
	    "from this address" : strcmp(lg->scope, "user") == 0 ?
	    "for this user" : "for this user from this address";
	struct json_object *o;
	char msg[160], ra[32];

	snprintf(msg, sizeof(msg), "Too many failed attempts %s: %s. Try "
	    "again in %lld s.", who, locked ? "locked for a while" :
	    "slowed down", (long long)lg->retry_after);
	/* resp_error_code's fields, and the numbers */
	o = json_object_new_object();
	json_object_object_add(o, "error", json_object_new_string(locked ?
	    "locked" : "throttled"));
	json_object_object_add(o, "message", json_object_new_string(msg));
	json_object_object_add(o, "retryAfter",
	    json_object_new_int64(lg->retry_after));
	json_object_object_add(o, "scope", json_object_new_string(lg->scope));
	if (r->request_id && strcmp(r->request_id, "-") != 0)
		json_object_object_add(o, "requestId",
		    json_object_new_string(r->request_id));
	resp_json(w, err_http_status(E_RATE), o);
	snprintf(ra, sizeof(ra), "%lld", (long long)lg->retry_after);
	resp_header(w, "Retry-After", ra);
}

int
web_admin_login(struct app *app, struct req *r, struct resp *w,
    struct err *err)
{
	struct json_object *in;
	struct admin_login lg;
	const char *user, *pass, *otp;
	char cookie[256];
	int rc = -1;

	if ((in = req_json(r, err)) == NULL)
		return -1;
	user = json_str(in, "username");
	pass = json_str(in, "password");
	otp = json_str(in, "otp");		/* optional: TOTP code */
	if (user == NULL || pass == NULL) {
		err_set(err, E_INPUT, "username and password required");
		goto out;
	}
	if (admin_login(app, user, pass, otp, r->client_ip, r->user_agent,
	    r->request_id, &lg, err) == -1)
		goto out;
	rc = 0;
	switch (lg.result) {
	case ADMIN_LOGIN_OK:
		snprintf(cookie, sizeof(cookie), "%s=%s; Path=/; Max-Age=%lld; "
		    "HttpOnly; Secure; SameSite=Strict", ADMIN_COOKIE, lg.token,
		    (long long)app->cfg->admin_session_ttl_sec);
		session_json(w, &lg.session);
		resp_header(w, "Set-Cookie", cookie);
		mem_wipe(cookie, sizeof(cookie));
		mem_wipe(lg.token, sizeof(lg.token));
		log_info("admin", "login", "user=%s", lg.session.username);
		break;
	case ADMIN_LOGIN_BAD:
		resp_error_code(w, r, E_AUTH, "bad_credentials",
		    "Wrong user name or password.");
		break;
	case ADMIN_LOGIN_OTP_REQUIRED:
		resp_error_code(w, r, E_AUTH, "otp_required",
		    "Enter the 6-digit code from your authenticator app.");
		break;
	case ADMIN_LOGIN_BAD_OTP:
		resp_error_code(w, r, E_AUTH, "bad_otp",
		    "Wrong or already used code.");
		break;
	case ADMIN_LOGIN_THROTTLED:
	case ADMIN_LOGIN_LOCKED:
		login_wait(w, r, &lg);
		break;
	}
out:
	json_object_put(in);
	return rc;
}

int
web_admin_session(struct app *app, struct req *r, struct resp *w,
    struct err *err)
{
	if (r->admin == NULL)
		return err_set(err, E_AUTH, "no admin session");
	session_json(w, r->admin);
	return 0;
}

int
web_admin_logout(struct app *app, struct req *r, struct resp *w,
    struct err *err)
{
	struct json_object *o;

	if (r->admin == NULL)
		return err_set(err, E_AUTH, "no admin session");
	if (admin_session_revoke(app, req_cookie(r, ADMIN_COOKIE), err) == -1)
		return -1;
	web_audit(app, r, "logout", "", ADMIN_OK, "%s", "");
	o = json_object_new_object();
	json_object_object_add(o, "ok", json_object_new_boolean(1));
	resp_json(w, 200, o);
	resp_header(w, "Set-Cookie", ADMIN_COOKIE "=; Path=/; Max-Age=0; "
	    "HttpOnly; Secure; SameSite=Strict");
	return 0;
}

int
web_admin_audit(struct app *app, struct req *r, struct resp *w,
    struct err *err)
{
	struct json_object *arr, *o;
	int64_t before = 0, limit = 50;
	const char *v;

	if ((v = req_query(r, "before")) != NULL && *v &&
	    parse_i64z(v, 1, INT64_MAX, &before) == -1)
		return err_set(err, E_INPUT, "before: an audit id");
	if ((v = req_query(r, "limit")) != NULL && *v &&
	    parse_i64z(v, 1, 200, &limit) == -1)
		return err_set(err, E_INPUT, "limit: 1..200");
	if (store_admin_audit_list(app->store, before, limit, &arr, err) == -1)
		return -1;
	o = json_object_new_object();
	json_object_object_add(o, "audit", arr);
	resp_json(w, 200, o);
	return 0;
}
