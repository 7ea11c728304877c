/*
 * test_admin_login.c - the login policy of admin.c against a real SQLite
 * store with an injected clock: per (user, address) throttle after 3
 * failures (one attempt per 30 s) and lock at 8 for 15 minutes (also the
 * right password), but never the user name from everywhere (issue 12
 * item 5: a stranger cannot lock the merchant out), a user under attack
 * slows only the addresses that failed, failures before a served lockout
 * spent, per address limits, unknown and disabled users refused like a
 * wrong password, TOTP (RFC 6238) required once enrolled, each code once,
 * sessions expire and are revoked, the CSRF token is bound to the session.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "admin.h"
#include "app.h"
#include "cfg.h"
#include "sign_pw.h"
#include "sign_totp.h"
#include "store.h"
#include "store_admin.h"
#include "util.h"
#include "t.h"

static struct store *st;
static char dbpath[] = "/tmp/h5pay-test-admin-XXXXXX";
static int64_t clock_ms = 1800000000000LL;
static struct cfg cfg;
static struct app app;

static int64_t
fake_now(void *ctx)
{
	(void)ctx;
	return clock_ms;
}

static void
setup(void)
{
	struct store_opts so = {.synchronous = "NORMAL",
	    .busy_timeout_ms = 1000};
	struct err err;
	int applied = 0, fd;

	fd = mkstemp(dbpath);
	T_OK(fd != -1);
	close(fd);
	T_OK(store_open(&st, dbpath, &so, &err) == 0);
	T_OK(store_migrate(st, &applied, &err) == 0);
	memset(&cfg, 0, sizeof(cfg));
	cfg.admin_session_ttl_sec = 3600;
	memset(&app, 0, sizeof(app));
	app.cfg = &cfg;
	app.store = st;
	app.clock.now_ms = fake_now;
	app.rng.bytes = random_bytes;
	T_EQ_INT(admin_user_add(st, "alice", "right-password", 1, &err), 0);
	T_EQ_INT(admin_user_add(st, "bob", "right-password", 1, &err), 0);
	T_EQ_INT(admin_user_add(st, "alice", "other-password", 1, &err), -1);
	T_EQ_INT(err.code, E_CONFLICT);
	T_EQ_INT(admin_user_add(st, "x y", "right-password", 1, &err), -1);
	T_EQ_INT(admin_user_add(st, "carol", "short", 1, &err), -1);
}

static void
teardown(void)
{
	char p[64];

	store_close(st);
	unlink(dbpath);
	snprintf(p, sizeof(p), "%s-wal", dbpath);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", dbpath);
	unlink(p);
	snprintf(p, sizeof(p), "%s.lock", dbpath);
	unlink(p);
}

/* True when the user's stored hash has weaker than default parameters. */
static bool
stored_weak(const char *name)
{
	struct store_admin_user u;
	struct err err;

	if (store_admin_user_get(st, name, &u, &err) == -1)
		return true;
	return sign_pw_needs_rehash(u.pw_hash);
}

static enum admin_login_result
login_otp(const char *user, const char *pw, const char *otp, const char *ip,
    struct admin_login *out)
{
	struct admin_login tmp;
	struct err err;

	if (out == NULL)
		out = &tmp;
	T_EQ_INT(admin_login(&app, user, pw, otp, ip, "ua", "rid", out, &err),
	    0);
	return out->result;
}

static enum admin_login_result
login(const char *user, const char *pw, const char *ip,
    struct admin_login *out)
{
	return login_otp(user, pw, NULL, ip, out);
}

static void
test_login_session_csrf(void)
{
	struct admin_login lg;
	struct admin_session s;
	struct err err;
	char csrf[65];

	T_EQ_INT(login("alice", "right-password", "10.0.0.1", &lg),
	    ADMIN_LOGIN_OK);
	T_OK(strlen(lg.token) >= 43);
	T_EQ_STR(lg.session.username, "alice");
	T_EQ_INT(admin_session_get(&app, lg.token, &s, &err), 0);
	T_EQ_STR(s.username, "alice");
	admin_csrf_derive(lg.token, csrf);
	T_EQ_STR(s.csrf, csrf);
	T_EQ_STR(lg.session.csrf, csrf);
	/* a token differing in one character is no session */
	lg.token[5] = lg.token[5] == 'A' ? 'B' : 'A';
	T_EQ_INT(admin_session_get(&app, lg.token, &s, &err), -1);
	T_EQ_INT(err.code, E_AUTH);
	T_EQ_INT(admin_session_get(&app, "short", &s, &err), -1);
	T_EQ_INT(admin_session_get(&app, NULL, &s, &err), -1);
	T_EQ_INT(admin_session_get(&app, "'; DROP TABLE x; --aaaaaaaaaaaaaaa"
	    "aaaaaaaaaaa", &s, &err), -1);

	/* expiry */
	T_EQ_INT(login("alice", "right-password", "10.0.0.1", &lg),
	    ADMIN_LOGIN_OK);
	clock_ms += 3599 * 1000LL;
	T_EQ_INT(admin_session_get(&app, lg.token, &s, &err), 0);
	clock_ms += 1000;
	T_EQ_INT(admin_session_get(&app, lg.token, &s, &err), -1);

	/* revoke; disable ends every session */
	T_EQ_INT(login("alice", "right-password", "10.0.0.1", &lg),
	    ADMIN_LOGIN_OK);
	T_EQ_INT(admin_session_revoke(&app, lg.token, &err), 0);
	T_EQ_INT(admin_session_get(&app, lg.token, &s, &err), -1);
	T_EQ_INT(login("bob", "right-password", "10.0.0.1", &lg),
	    ADMIN_LOGIN_OK);
	T_EQ_INT(admin_user_disable(st, "bob", 2, &err), 0);
	T_EQ_INT(admin_session_get(&app, lg.token, &s, &err), -1);
	T_EQ_INT(login("bob", "right-password", "10.0.0.1", NULL),
	    ADMIN_LOGIN_BAD);
	T_EQ_INT(admin_user_disable(st, "nobody", 2, &err), -1);
	T_EQ_INT(err.code, E_NOTFOUND);
}

static void
test_rehash_at_login(void)
{
	char weak[SIGN_PW_ENCODED_MAX], sql[512];
	struct sign_pw_params p = { 10, 8, 1 };
	struct err err;

	clock_ms += 86400 * 1000LL;
	T_EQ_INT(admin_user_add(st, "erin", "right-password", 1, &err), 0);
	T_EQ_INT(sign_pw_hash("right-password", &p, weak, sizeof(weak), &err),
	    0);
	snprintf(sql, sizeof(sql), "UPDATE admin_users SET pw_hash = '%s' "
	    "WHERE username = 'erin'", weak);
	T_EQ_INT(store_exec(st, sql, &err), 0);
	T_OK(stored_weak("erin"));
	T_EQ_INT(login("erin", "wrong", "10.3.0.1", NULL), ADMIN_LOGIN_BAD);
	T_OK(stored_weak("erin"));	/* a failure changes nothing */
	T_EQ_INT(login("erin", "right-password", "10.3.0.1", NULL),
	    ADMIN_LOGIN_OK);
	/* the stored hash now has today's parameters and still verifies */
	T_EQ_INT(login("erin", "right-password", "10.3.0.1", NULL),
	    ADMIN_LOGIN_OK);
	T_OK(!stored_weak("erin"));
}

static void
test_throttle_then_lock(void)
{
	struct admin_login lg;
	struct err err;
	int i;

	clock_ms += 86400 * 1000LL;
	for (i = 0; i < ADMIN_PAIR_THROTTLE; i++)
		T_EQ_INT(login("alice", "wrong", "10.0.0.2", NULL),
		    ADMIN_LOGIN_BAD);
	/* 4th at once from there: throttled, with a wait and its scope */
	T_EQ_INT(login("alice", "right-password", "10.0.0.2", &lg),
	    ADMIN_LOGIN_THROTTLED);
	T_EQ_INT(lg.retry_after, 30);
	T_EQ_STR(lg.scope, "user+address");
	/* from an address that has not failed: not slowed */
	T_EQ_INT(login("alice", "right-password", "10.0.0.3", NULL),
	    ADMIN_LOGIN_OK);
	/* one attempt per 30 s from the failing address, up to the lock */
	for (i = ADMIN_PAIR_THROTTLE; i < ADMIN_PAIR_LOCK - 1; i++) {
		clock_ms += 30 * 1000LL;
		T_EQ_INT(login("alice", "wrong", "10.0.0.2", NULL),
		    ADMIN_LOGIN_BAD);
		T_EQ_INT(login("alice", "wrong", "10.0.0.2", NULL),
		    ADMIN_LOGIN_THROTTLED);
	}
	clock_ms += 30 * 1000LL;
	T_EQ_INT(login("alice", "wrong", "10.0.0.2", NULL), ADMIN_LOGIN_BAD);
	/* 8 failures: that pair is locked, even with the right password */
	T_EQ_INT(login("alice", "right-password", "10.0.0.2", &lg),
	    ADMIN_LOGIN_LOCKED);
	T_EQ_INT(lg.retry_after, ADMIN_LOCK_SEC);
	T_EQ_STR(lg.scope, "user+address");
	clock_ms += 60 * 1000LL;
	T_EQ_INT(login("alice", "right-password", "10.0.0.2", &lg),
	    ADMIN_LOGIN_LOCKED);
	T_EQ_INT(lg.retry_after, ADMIN_LOCK_SEC - 60);
	/* alice elsewhere, and another user from there, are not affected */
	T_EQ_INT(login("alice", "right-password", "10.0.0.9", NULL),
	    ADMIN_LOGIN_OK);
	T_EQ_INT(admin_user_add(st, "dave", "right-password", 1, &err), 0);
	T_EQ_INT(login("dave", "right-password", "10.0.0.2", NULL),
	    ADMIN_LOGIN_OK);
	/* the lock ends; failures before it are spent */
	clock_ms += ADMIN_LOCK_SEC * 1000LL;
	T_EQ_INT(login("alice", "wrong", "10.0.0.2", NULL), ADMIN_LOGIN_BAD);
	T_EQ_INT(login("alice", "right-password", "10.0.0.2", NULL),
	    ADMIN_LOGIN_OK);
	/* a success forgets that address's failures */
	for (i = 0; i < ADMIN_PAIR_THROTTLE - 1; i++)
		T_EQ_INT(login("alice", "wrong", "10.0.0.2", NULL),
		    ADMIN_LOGIN_BAD);
	T_EQ_INT(login("alice", "right-password", "10.0.0.2", NULL),
	    ADMIN_LOGIN_OK);
	T_EQ_INT(login("alice", "wrong", "10.0.0.2", NULL), ADMIN_LOGIN_BAD);
	T_EQ_INT(login("alice", "wrong", "10.0.0.2", NULL), ADMIN_LOGIN_BAD);
}

static void
test_stranger_cannot_lock_out(void)
{
	char ip[32];
	int i;

	/* issue 12 item 5: many wrong passwords for the merchant's name,
	 * from one address and then from many: the merchant, from an
	 * address that has not failed, logs in at once */
	clock_ms += 86400 * 1000LL;
	for (i = 0; i < 20; i++)
		login("alice", "wrong", "203.0.113.7", NULL);
	T_EQ_INT(login("alice", "right-password", "10.9.0.1", NULL),
	    ADMIN_LOGIN_OK);
	for (i = 0; i < 40; i++) {
		snprintf(ip, sizeof(ip), "198.51.100.%d", i);
		T_EQ_INT(login("alice", "wrong", ip, NULL), ADMIN_LOGIN_BAD);
	}
	T_EQ_INT(login("alice", "right-password", "10.9.0.2", NULL),
	    ADMIN_LOGIN_OK);
	/* the user is under attack: an address that failed waits the gap,
	 * even below its own pair threshold */
	{
		struct admin_login lg;

		T_EQ_INT(login("alice", "wrong", "198.51.100.3", &lg),
		    ADMIN_LOGIN_THROTTLED);
		T_EQ_STR(lg.scope, "user");
		T_OK(lg.retry_after > 0 && lg.retry_after <= 30);
		clock_ms += 30 * 1000LL;
		T_EQ_INT(login("alice", "right-password", "198.51.100.3",
		    NULL), ADMIN_LOGIN_OK);
	}
}

static void
test_totp(void)
{
	struct admin_login lg;
	struct store_admin_user u;
	unsigned char key[64];
	char code[8], other[8];
	struct buf uri;
	struct err err;
	int64_t step;
	int n;

	clock_ms += 86400 * 1000LL;
	T_EQ_INT(admin_user_add(st, "tina", "right-password", 1, &err), 0);
	buf_init(&uri, 512);
	T_EQ_INT(admin_user_totp(st, "tina", 1, &uri, &err), 0);
	T_OK(strncmp(buf_str(&uri), "otpauth://totp/h5pay:tina?secret=", 33)
	    == 0);
	T_OK(strstr(buf_str(&uri), "&issuer=h5pay&algorithm=SHA1&digits=6&"
	    "period=30") != NULL);
	T_EQ_INT(store_admin_user_get(st, "tina", &u, &err), 0);
	T_EQ_INT(strlen(u.totp_secret), 32);		/* 160 bits */
	T_OK(strstr(buf_str(&uri), u.totp_secret) != NULL);
	n = sign_base32_decode(u.totp_secret, key, sizeof(key));
	T_EQ_INT(n, TOTP_SECRET_BYTES);
	buf_cleanup(&uri);
	step = clock_ms / 1000 / 30;
	sign_hotp(TOTP_SHA1, key, (size_t)n, (uint64_t)step, 6, code);
	sign_hotp(TOTP_SHA1, key, (size_t)n, (uint64_t)step + 5, 6, other);

	/* right password, no code: asked for one, no session */
	T_EQ_INT(login("tina", "right-password", "10.5.0.1", &lg),
	    ADMIN_LOGIN_OTP_REQUIRED);
	T_EQ_INT(lg.token[0], '\0');
	/* a wrong code, or a code with a wrong password */
	T_EQ_INT(login_otp("tina", "right-password", other, "10.5.0.1", NULL),
	    ADMIN_LOGIN_BAD_OTP);
	T_EQ_INT(login_otp("tina", "wrong", code, "10.5.0.1", NULL),
	    ADMIN_LOGIN_BAD);
	/* those three count as failures: the pair is now throttled */
	T_EQ_INT(login_otp("tina", "right-password", code, "10.5.0.1", NULL),
	    ADMIN_LOGIN_THROTTLED);
	T_EQ_INT(login_otp("tina", "right-password", code, "10.5.0.2", &lg),
	    ADMIN_LOGIN_OK);
	/* the same code again: refused (single use) */
	T_EQ_INT(login_otp("tina", "right-password", code, "10.5.0.3", NULL),
	    ADMIN_LOGIN_BAD_OTP);
	/* removed: the password alone works again */
	T_EQ_INT(admin_user_totp_off(st, "tina", 2, &err), 0);
	T_EQ_INT(login("tina", "right-password", "10.5.0.4", NULL),
	    ADMIN_LOGIN_OK);
	T_EQ_INT(admin_user_totp(st, "nobody", 2, &uri, &err), -1);
	T_EQ_INT(err.code, E_NOTFOUND);
}

static void
test_unknown_user_and_address_limit(void)
{
	char name[32];
	int i, bad = 0, thr = 0, locked = 0;

	clock_ms += 86400 * 1000LL;
	/* an unknown user is throttled like a known one (no enumeration) */
	for (i = 0; i < ADMIN_PAIR_THROTTLE; i++)
		T_EQ_INT(login("ghost", "x", "10.1.0.1", NULL),
		    ADMIN_LOGIN_BAD);
	T_EQ_INT(login("ghost", "x", "10.1.0.1", NULL),
	    ADMIN_LOGIN_THROTTLED);
	/* a garbage name is one key ("-"), not a way around the limit */
	T_EQ_INT(login("<script>", "x", "10.1.0.1", NULL), ADMIN_LOGIN_BAD);
	/* spraying user names from one address: throttled at 30 failures
	 * (one attempt per 30 s), locked at 40 failures of that address */
	clock_ms += 86400 * 1000LL;
	for (i = 0; i < 200 && locked == 0; i++) {
		snprintf(name, sizeof(name), "spray%d", i);
		switch (login(name, "x", "10.2.0.1", NULL)) {
		case ADMIN_LOGIN_BAD:
			bad++;
			break;
		case ADMIN_LOGIN_THROTTLED:
			thr++;
			clock_ms += 30 * 1000LL;
			break;
		case ADMIN_LOGIN_LOCKED:
			locked++;
			break;
		default:
			T_OK(0);
		}
	}
	T_EQ_INT(bad, ADMIN_IP_LOCK);
	T_EQ_INT(thr, ADMIN_IP_LOCK - ADMIN_IP_THROTTLE);
	T_EQ_INT(locked, 1);
	/* a known user with the right password from that address: locked */
	T_EQ_INT(login("dave", "right-password", "10.2.0.1", NULL),
	    ADMIN_LOGIN_LOCKED);
	T_EQ_INT(login("dave", "right-password", "10.2.0.2", NULL),
	    ADMIN_LOGIN_OK);
}

int
main(void)
{
	setup();
	T_RUN(test_login_session_csrf);
	T_RUN(test_rehash_at_login);
	T_RUN(test_throttle_then_lock);
	T_RUN(test_stranger_cannot_lock_out);
	T_RUN(test_totp);
	T_RUN(test_unknown_user_and_address_limit);
	teardown();
	return t_done();
}
