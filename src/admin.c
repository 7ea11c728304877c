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
#include "sign_totp.h"
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

int
admin_audit_ok_tx(struct app *app, const struct admin_who *who,
    const char *action, const char *target, const char *detail,
    struct err *err)
{
	struct admin_audit a = {
		.admin = who ? who->admin : NULL,
		.action = action,
		.target = target,
		.detail = detail,
		.result = ADMIN_OK,
		.ip = who ? who->ip : NULL,
		.request_id = who ? who->request_id : NULL,
	};

	return admin_audit(app, &a, true, err);
}

void
admin_vauditf(struct app *app, const struct admin_who *who,
    const char *action, const char *target, enum admin_result res,
    const char *fmt, va_list ap)
{
	struct admin_audit a;
	char d[ADMIN_DETAIL_MAX + 1];
	struct err err;
	size_t keep;
	int n;

	n = vsnprintf(d, sizeof(d), fmt, ap);
	if (n < 0)
		d[0] = '\0';
	else if ((size_t)n >= sizeof(d)) {
		/* too long for the column: the start, on a character
		 * boundary, and how long it was -- never an empty detail */
		keep = sizeof(d) - 40;
		while (keep > 0 && ((unsigned char)d[keep] & 0xc0) == 0x80)
			keep--;
		snprintf(d + keep, sizeof(d) - keep, "...(truncated, %d bytes)",
		    n);
	}
	a.admin = who ? who->admin : "";
	a.action = action;
	a.target = target;
	a.detail = d;
	a.result = res;
	a.ip = who ? who->ip : "";
	a.request_id = who ? who->request_id : "";
	if (admin_audit(app, &a, false, &err) == -1)
		log_error("admin", "audit_fail", "action=%s msg=\"%s\"", action,
		    err.msg);
}

void
admin_auditf(struct app *app, const struct admin_who *who,
    const char *action, const char *target, enum admin_result res,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	admin_vauditf(app, who, action, target, res, fmt, ap);
	va_end(ap);
}

/* --- login ---------------------------------------------------------------- */

/* The lockout key of a (user name, address) pair: SHA-256 hex. */
static void
pair_key(const char *user, const char *ip, char out[65])
{
	struct buf b;

	buf_init(&b, 256);
	buf_printf(&b, "%s\n%s", user, ip);
	sign_sha256_hex(b.data, b.len, out);
	buf_cleanup(&b);
}

/*
 * Throttle state of an address (kind "ip", key ip) or of a pair (kind
 * "pair", key its pair_key): -1 on failure, else 0 with *res left OK or
 * set THROTTLED/LOCKED (and a lockout written when the lock threshold is
 * reached). *fails and *last: the failures counted.
 */
static int
throttle_key(struct store *s, int64_t now, const char *kind, const char *key,
    const char *user, const char *ip, int64_t throttle, int64_t lock,
    const char *scope, struct admin_login *out, int64_t *fails,
    int64_t *last, struct err *err)
{
	int64_t until, since = now - ADMIN_FAIL_WINDOW;
	bool pair = strcmp(kind, "pair") == 0;

	*fails = 0, *last = 0;
	if (store_admin_lockout_get(s, kind, key, &until, err) == -1)
		return -1;
	if (until > now) {
		out->result = ADMIN_LOGIN_LOCKED;
		out->retry_after = until - now;
		out->scope = scope;
		return 0;
	}
	if (until > since)
		since = until;	/* failures before a served lockout are spent */
	if ((pair ? store_admin_attempt_fails_pair(s, user, ip, since, fails,
	    last, err) : store_admin_attempt_fails(s, kind, ip, since, fails,
	    last, err)) == -1)
		return -1;
	if (*fails >= lock) {
		if (store_admin_lockout_set(s, kind, key, now + ADMIN_LOCK_SEC,
		    now, err) == -1)
			return -1;
		out->result = ADMIN_LOGIN_LOCKED;
		out->retry_after = ADMIN_LOCK_SEC;
		out->scope = scope;
		log_warn("admin", "lockout", "scope=%s user=%s until=%lld",
		    scope, pair ? user : "*",
		    (long long)(now + ADMIN_LOCK_SEC));
		return 0;
	}
	if (*fails >= throttle && now - *last < ADMIN_THROTTLE_GAP &&
	    out->result == ADMIN_LOGIN_OK) {
		out->result = ADMIN_LOGIN_THROTTLED;
		out->retry_after = ADMIN_THROTTLE_GAP - (now - *last);
		out->scope = scope;
	}
	return 0;
}

/*
 * A user name under attack (ADMIN_USER_GUARD failures from anywhere):
 * an address that has failed for it (pfails, plast) waits the gap; a
 * clean address goes on.
 */
static int
throttle_user(struct store *s, int64_t now, const char *user, int64_t pfails,
    int64_t plast, struct admin_login *out, struct err *err)
{
	int64_t fails, last;

	if (out->result != ADMIN_LOGIN_OK || pfails == 0 ||
	    now - plast >= ADMIN_THROTTLE_GAP)
		return 0;
	if (store_admin_attempt_fails(s, "user", user, now -
	    ADMIN_FAIL_WINDOW, &fails, &last, err) == -1)
		return -1;
	if (fails >= ADMIN_USER_GUARD) {
		out->result = ADMIN_LOGIN_THROTTLED;
		out->retry_after = ADMIN_THROTTLE_GAP - (now - plast);
		out->scope = "user";
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

/*
 * The TOTP step for an enrolled user's code: 0 with *step (> 0) when otp
 * matches an unused step, 1 when it does not (*out set), 0 with *step 0
 * when the user is not enrolled.
 */
static int
login_otp(const struct store_admin_user *u, const char *otp, int64_t now,
    struct admin_login *out, int64_t *step)
{
	unsigned char key[TOTP_SECRET_B32_MAX];
	int n;

	*step = 0;
	if (u->totp_secret[0] == '\0')
		return 0;
	if (otp == NULL || *otp == '\0') {
		out->result = ADMIN_LOGIN_OTP_REQUIRED;
		return 1;
	}
	n = sign_base32_decode(u->totp_secret, key, sizeof(key));
	*step = u->totp_last_step;
	if (n <= 0 || !sign_totp_verify(key, (size_t)n, now, otp, step)) {
		mem_wipe(key, sizeof(key));
		out->result = ADMIN_LOGIN_BAD_OTP;
		return 1;
	}
	mem_wipe(key, sizeof(key));
	return 0;
}

int
admin_login(struct app *app, const char *username, const char *password,
    const char *otp, const char *ip, const char *ua, const char *rid,
    struct admin_login *out, struct err *err)
{
	struct store_admin_user u;
	struct store *s = app->store;
	const char *key = admin_username_ok(username) ? username : "-";
	int64_t now = app_now_s(app), attempt = 0, step = 0;
	int64_t pfails = 0, plast = 0, ifails, ilast;
	bool known = false, ok, rehash = false;
	char sha[65], enc[SIGN_PW_ENCODED_MAX], pk[65], detail[96];
	struct err e2;

	memset(out, 0, sizeof(*out));
	memset(&u, 0, sizeof(u));
	ip = ip ? ip : "";
	pair_key(key, ip, pk);
	if (store_begin(s, err) == -1)
		return -1;
	/* the address first: a locked address stays locked for any name */
	if (throttle_key(s, now, "ip", ip, key, ip, ADMIN_IP_THROTTLE,
	    ADMIN_IP_LOCK, "address", out, &ifails, &ilast, err) == -1)
		goto fail;
	if (out->result != ADMIN_LOGIN_LOCKED && throttle_key(s, now, "pair",
	    pk, key, ip, ADMIN_PAIR_THROTTLE, ADMIN_PAIR_LOCK, "user+address",
	    out, &pfails, &plast, err) == -1)
		goto fail;
	if (throttle_user(s, now, key, pfails, plast, out, err) == -1)
		goto fail;
	/* only an attempt whose password is checked counts: retrying while
	 * throttled guesses nothing and must not hasten a lock */
	if (out->result == ADMIN_LOGIN_OK) {
		if (store_admin_attempt_insert(s, now, key, ip, &attempt,
		    err) == -1)
			goto fail;
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
		snprintf(detail, sizeof(detail), "%s (%s), retry in %lld s",
		    out->result == ADMIN_LOGIN_LOCKED ? "locked" : "throttled",
		    out->scope, (long long)out->retry_after);
		audit_login(app, key, ip, rid, ADMIN_REFUSED, detail);
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
		mem_wipe(u.totp_secret, sizeof(u.totp_secret));
		out->result = ADMIN_LOGIN_BAD;
		audit_login(app, key, ip, rid, ADMIN_REFUSED,
		    "bad credentials");
		return 0;
	}
	/* the attempt stays a failure until the second factor is right */
	if (login_otp(&u, otp, now, out, &step) == 1) {
		mem_wipe(u.totp_secret, sizeof(u.totp_secret));
		audit_login(app, key, ip, rid, ADMIN_REFUSED,
		    out->result == ADMIN_LOGIN_OTP_REQUIRED ?
		    "one-time code required" : "bad one-time code");
		return 0;
	}
	mem_wipe(u.totp_secret, sizeof(u.totp_secret));

	if (sign_random_token(&app->rng, 32, out->token,
	    sizeof(out->token)) == -1)
		return err_set(err, E_INTERNAL, "no random bytes for a token");
	sign_sha256_hex(out->token, strlen(out->token), sha);
	if (store_begin(s, err) == -1)
		goto wipe;
	if (step > 0 && store_admin_user_totp_used(s, u.id, step, &e2) == -1) {
		/* a concurrent login took this code first */
		store_rollback(s);
		mem_wipe(out->token, sizeof(out->token));
		if (e2.code != E_CONFLICT) {
			*err = e2;
			return -1;
		}
		out->result = ADMIN_LOGIN_BAD_OTP;
		audit_login(app, key, ip, rid, ADMIN_REFUSED,
		    "one-time code already used");
		return 0;
	}
	if (store_admin_attempt_ok(s, attempt, err) == -1 ||
	    store_admin_attempt_clear(s, key, ip, now - 86400, err) == -1 ||
	    (rehash && store_admin_user_set_hash(s, u.id, enc, now,
	    err) == -1) ||
	    store_admin_session_insert(s, sha, u.id, now,
	    now + app->cfg->admin_session_ttl_sec, ip, ua, err) == -1 ||
	    store_admin_audit_insert(s, now, u.username, "login", "",
	    step > 0 ? "with one-time code" : "", "ok", ip, rid, err) == -1)
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
