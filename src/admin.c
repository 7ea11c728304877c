/*
 * admin.c - the admin's security core: login with throttle and lockout,
 * sessions, CSRF tokens, the audit log, user management.
 * Policy in admin.h.
 *
 * What it does not do: parse HTTP bodies or build answers (web_admin.c),
 * or SQL (store_admin.c), or hashing (sign_pw.c).
 *
 * Invariants: the scrypt work runs outside any write transaction (it takes
 * ~0.1 s and must not hold the database's write lock); the attempt is
 * written before that work so parallel guesses all count; unknown user,
 * disabled user and wrong password are indistinguishable to the client;
 * tokens are never stored or logged, only their SHA-256.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "admin.h"
#include "buf.h"
#include "cfg.h"
#include "log.h"
#include "sign.h"
#include "sign_pw.h"
#include "store.h"
#include "store_admin.h"
#include "util.h"
#include "valid.h"

static const char *const result_names[] = { "ok", "refused", "failed" };

bool
admin_username_ok(const char *name)
{
	return name != NULL && valid_token(name, strlen(name), 1,
	    ADMIN_USER_MAX, "_.@-");
}

static bool
token_ok(const char *t)
{
	return t != NULL && valid_token(t, strlen(t), 32, ADMIN_TOKEN_MAX,
	    "-_");
}

void
admin_csrf_derive(const char *token, char out[65])
{
	struct buf b;

	buf_init(&b, 256);
	buf_printf(&b, "h5pay-admin-csrf-v1:%s", token);
	sign_sha256_hex(b.data, b.len, out);
	mem_wipe(b.data, b.len);
	buf_cleanup(&b);
}

int
admin_audit(struct app *app, const struct admin_audit *a, bool in_txn,
    struct err *err)
{
	int64_t now = app_now_s(app);

	if (!in_txn && store_begin(app->store, err) == -1)
		return -1;
	if (store_admin_audit_insert(app->store, now, a->admin, a->action,
	    a->target, a->detail, result_names[a->result], a->ip,
	    a->request_id, err) == -1) {
		if (!in_txn)
			store_rollback(app->store);
		return -1;
	}
	if (!in_txn && store_commit(app->store, err) == -1)
		return -1;
	return 0;
}

void
admin_auditf(struct app *app, const struct admin_who *who,
    const char *action, const char *target, enum admin_result res,
    const char *fmt, ...)
{
	struct admin_audit a;
	struct buf d;
	struct err err;
	va_list ap;

	buf_init(&d, 1024);
	va_start(ap, fmt);
	buf_vprintf(&d, fmt, ap);
	va_end(ap);
	a.admin = who ? who->admin : "";
	a.action = action;
	a.target = target;
	a.detail = buf_str(&d);
	a.result = res;
	a.ip = who ? who->ip : "";
	a.request_id = who ? who->request_id : "";
	if (admin_audit(app, &a, false, &err) == -1)
		log_error("admin", "audit_fail", "action=%s msg=\"%s\"", action,
		    err.msg);
	buf_cleanup(&d);
}

/* --- login ---------------------------------------------------------------- */

/*
 * Throttle state of one key: -1 on failure, else 0 with *res left OK or
 * set THROTTLED/LOCKED (and a lockout written when the lock threshold is
 * reached).
 */
static int
throttle_key(struct store *s, int64_t now, const char *kind, const char *key,
    int64_t throttle, int64_t lock, struct admin_login *out,
    struct err *err)
{
	int64_t until, since = now - ADMIN_FAIL_WINDOW, fails, last;

	if (store_admin_lockout_get(s, kind, key, &until, err) == -1)
		return -1;
	if (until > now) {
		out->result = ADMIN_LOGIN_LOCKED;
		out->retry_after = until - now;
		return 0;
	}
	if (until > since)
		since = until;	/* failures before a served lockout are spent */
	if (store_admin_attempt_fails(s, kind, key, since, &fails, &last,
	    err) == -1)
		return -1;
	if (fails >= lock) {
		if (store_admin_lockout_set(s, kind, key, now + ADMIN_LOCK_SEC,
		    now, err) == -1)
			return -1;
		out->result = ADMIN_LOGIN_LOCKED;
		out->retry_after = ADMIN_LOCK_SEC;
		log_warn("admin", "lockout", "kind=%s until=%lld", kind,
		    (long long)(now + ADMIN_LOCK_SEC));
		return 0;
	}
	if (fails >= throttle && now - last < ADMIN_THROTTLE_GAP &&
	    out->result == ADMIN_LOGIN_OK) {
		out->result = ADMIN_LOGIN_THROTTLED;
		out->retry_after = ADMIN_THROTTLE_GAP - (now - last);
	}
	return 0;
}

static void
audit_login(struct app *app, const char *user, const char *ip,
    const char *rid, enum admin_result res, const char *detail)
{
	struct admin_audit a = {
		.admin = user, .action = "login", .target = "",
		.detail = detail, .result = res, .ip = ip, .request_id = rid
	};
	struct err err;

	if (admin_audit(app, &a, false, &err) == -1)
		log_error("admin", "audit_fail", "action=login msg=\"%s\"",
		    err.msg);
}

int
admin_login(struct app *app, const char *username, const char *password,
    const char *ip, const char *ua, const char *rid, struct admin_login *out,
    struct err *err)
{
	struct store_admin_user u;
	struct store *s = app->store;
	const char *key = admin_username_ok(username) ? username : "-";
	int64_t now = app_now_s(app), attempt = 0;
	bool known = false, ok, rehash = false;
	char sha[65], enc[SIGN_PW_ENCODED_MAX];
	struct err e2;

	memset(out, 0, sizeof(*out));
	ip = ip ? ip : "";
	if (store_begin(s, err) == -1)
		return -1;
	/* the user name first: a locked user stays locked from any address */
	if (throttle_key(s, now, "user", key, ADMIN_USER_THROTTLE,
	    ADMIN_USER_LOCK, out, err) == -1)
		goto fail;
	if (out->result != ADMIN_LOGIN_LOCKED && throttle_key(s, now, "ip", ip,
	    ADMIN_IP_THROTTLE, ADMIN_IP_LOCK, out, err) == -1)
		goto fail;
	if (out->result != ADMIN_LOGIN_LOCKED &&
	    store_admin_attempt_insert(s, now, key, ip, &attempt, err) == -1)
		goto fail;
	if (out->result == ADMIN_LOGIN_OK) {
		if (store_admin_user_get(s, key, &u, &e2) == 0)
			known = true;
		else if (e2.code != E_NOTFOUND) {
			*err = e2;
			goto fail;
		}
	}
	if (store_commit(s, err) == -1)
		return -1;
	if (out->result != ADMIN_LOGIN_OK) {
		audit_login(app, key, ip, rid, ADMIN_REFUSED,
		    out->result == ADMIN_LOGIN_LOCKED ? "locked" : "throttled");
		return 0;
	}

	/* the same scrypt work whether or not the user exists */
	ok = sign_pw_verify(password, known ? u.pw_hash : sign_pw_dummy());
	ok = ok && known && !u.disabled;
	/* stored with weaker parameters than today's: upgrade it now */
	if (ok && sign_pw_needs_rehash(u.pw_hash) &&
	    sign_pw_hash(password, NULL, enc, sizeof(enc), &e2) == 0)
		rehash = true;
	mem_wipe(u.pw_hash, sizeof(u.pw_hash));
	if (!ok) {
		out->result = ADMIN_LOGIN_BAD;
		audit_login(app, key, ip, rid, ADMIN_REFUSED,
		    "bad credentials");
		return 0;
	}

	if (sign_random_token(&app->rng, 32, out->token,
	    sizeof(out->token)) == -1)
		return err_set(err, E_INTERNAL, "no random bytes for a token");
	sign_sha256_hex(out->token, strlen(out->token), sha);
	if (store_begin(s, err) == -1)
		goto wipe;
	if (store_admin_attempt_ok(s, attempt, err) == -1 ||
	    store_admin_attempt_clear(s, key, now - 86400, err) == -1 ||
	    (rehash && store_admin_user_set_hash(s, u.id, enc, now,
	    err) == -1) ||
	    store_admin_session_insert(s, sha, u.id, now,
	    now + app->cfg->admin_session_ttl_sec, ip, ua, err) == -1 ||
	    store_admin_audit_insert(s, now, u.username, "login", "", "",
	    "ok", ip, rid, err) == -1)
		goto fail_wipe;
	if (store_commit(s, err) == -1)
		goto wipe;
	out->result = ADMIN_LOGIN_OK;
	out->session.user_id = u.id;
	str_lcpy(out->session.username, u.username,
	    sizeof(out->session.username));
	out->session.expires_at = now + app->cfg->admin_session_ttl_sec;
	admin_csrf_derive(out->token, out->session.csrf);
	return 0;
fail_wipe:
	store_rollback(s);
wipe:
	mem_wipe(out->token, sizeof(out->token));
	return -1;
fail:
	store_rollback(s);
	return -1;
}

/* --- sessions ------------------------------------------------------------- */

int
admin_session_get(struct app *app, const char *token,
    struct admin_session *sess, struct err *err)
{
	char sha[65];

	memset(sess, 0, sizeof(*sess));
	if (!token_ok(token))
		return err_set(err, E_AUTH, "no admin session cookie");
	sign_sha256_hex(token, strlen(token), sha);
	if (store_admin_session_find(app->store, sha, app_now_s(app),
	    &sess->id, &sess->user_id, sess->username,
	    sizeof(sess->username), &sess->expires_at, err) == -1)
		return -1;
	admin_csrf_derive(token, sess->csrf);
	return 0;
}

int
admin_session_revoke(struct app *app, const char *token, struct err *err)
{
	char sha[65];

	if (!token_ok(token))
		return err_set(err, E_AUTH, "no admin session cookie");
	sign_sha256_hex(token, strlen(token), sha);
	if (store_begin(app->store, err) == -1)
		return -1;
	if (store_admin_session_revoke(app->store, sha, app_now_s(app),
	    err) == -1) {
		store_rollback(app->store);
		return -1;
	}
	return store_commit(app->store, err);
}

/* --- users ---------------------------------------------------------------- */

static int
user_change(struct store *s, const char *name, const char *password,
    bool disable, int64_t now, struct err *err)
{
	struct store_admin_user u;
	char enc[SIGN_PW_ENCODED_MAX];
	const char *action = password ? "user_passwd" : "user_disable";

	if (password && sign_pw_hash(password, NULL, enc, sizeof(enc),
	    err) == -1)
		return -1;
	if (store_begin(s, err) == -1)
		return -1;
	if (store_admin_user_get(s, name, &u, err) == -1)
		goto fail;
	if (password && store_admin_user_set_hash(s, u.id, enc, now,
	    err) == -1)
		goto fail;
	if (disable && store_admin_user_set_disabled(s, u.id, true, now,
	    err) == -1)
		goto fail;
	if (store_admin_sessions_revoke_user(s, u.id, now, err) == -1 ||
	    store_admin_audit_insert(s, now, "cli", action, name, "", "ok",
	    "", "", err) == -1)
		goto fail;
	return store_commit(s, err);
fail:
	store_rollback(s);
	return -1;
}

int
admin_user_add(struct store *s, const char *name, const char *password,
    int64_t now, struct err *err)
{
	char enc[SIGN_PW_ENCODED_MAX];

	if (!admin_username_ok(name))
		return err_set(err, E_INPUT, "user name: 1..64 of "
		    "[0-9A-Za-z_.@-]");
	if (strlen(password) < 8)
		return err_set(err, E_INPUT, "password: at least 8 bytes");
	if (sign_pw_hash(password, NULL, enc, sizeof(enc), err) == -1)
		return -1;
	if (store_begin(s, err) == -1)
		return -1;
	if (store_admin_user_insert(s, name, enc, now, err) == -1 ||
	    store_admin_audit_insert(s, now, "cli", "user_add", name, "", "ok",
	    "", "", err) == -1) {
		store_rollback(s);
		if (err && err->code == E_CONFLICT)
			err_set(err, E_CONFLICT, "user %s exists", name);
		return -1;
	}
	return store_commit(s, err);
}

int
admin_user_passwd(struct store *s, const char *name, const char *password,
    int64_t now, struct err *err)
{
	if (strlen(password) < 8)
		return err_set(err, E_INPUT, "password: at least 8 bytes");
	return user_change(s, name, password, false, now, err);
}

int
admin_user_disable(struct store *s, const char *name, int64_t now,
    struct err *err)
{
	return user_change(s, name, NULL, true, now, err);
}
