/*
 * test_admin_login.c - the login policy of admin.c against a real SQLite
 * store with an injected clock: throttle after 5 failures (one attempt per
 * 30 s), lock at 10 for 15 minutes (also the right password), failures
 * before a served lockout spent, per address limits, unknown and disabled
 * users refused like a wrong password, sessions expire and are revoked,
 * the CSRF token is bound to the session.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "admin.h"
#include "app.h"
#include "cfg.h"
#include "sign_pw.h"
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
login(const char *user, const char *pw, const char *ip,
    struct admin_login *out)
{
	struct admin_login tmp;
	struct err err;

	if (out == NULL)
		out = &tmp;
	T_EQ_INT(admin_login(&app, user, pw, ip, "ua", "rid", out, &err), 0);
	return out->result;
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
	for (i = 0; i < 5; i++)
		T_EQ_INT(login("alice", "wrong", "10.0.0.2", NULL),
		    ADMIN_LOGIN_BAD);
	/* 6th at once: throttled, with a wait */
	T_EQ_INT(login("alice", "right-password", "10.0.0.2", &lg),
	    ADMIN_LOGIN_THROTTLED);
	T_EQ_INT(lg.retry_after, 30);
	/* from another address too: the user name is throttled */
	T_EQ_INT(login("alice", "right-password", "10.0.0.3", NULL),
	    ADMIN_LOGIN_THROTTLED);
	/* after 30 s one attempt goes through (7 failures so far) */
	clock_ms += 30 * 1000LL;
	T_EQ_INT(login("alice", "wrong", "10.0.0.2", NULL), ADMIN_LOGIN_BAD);
	T_EQ_INT(login("alice", "wrong", "10.0.0.2", NULL),
	    ADMIN_LOGIN_THROTTLED);
	T_EQ_INT(login("alice", "wrong", "10.0.0.2", NULL),
	    ADMIN_LOGIN_THROTTLED);
	/* 10 failures: locked, even with the right password */
	T_EQ_INT(login("alice", "right-password", "10.0.0.2", &lg),
	    ADMIN_LOGIN_LOCKED);
	T_EQ_INT(lg.retry_after, ADMIN_LOCK_SEC);
	clock_ms += 60 * 1000LL;
	T_EQ_INT(login("alice", "right-password", "10.0.0.9", &lg),
	    ADMIN_LOGIN_LOCKED);
	T_EQ_INT(lg.retry_after, ADMIN_LOCK_SEC - 60);
	/* another user is not affected */
	T_EQ_INT(admin_user_add(st, "dave", "right-password", 1, &err), 0);
	T_EQ_INT(login("dave", "right-password", "10.0.0.2", NULL),
	    ADMIN_LOGIN_OK);
	/* the lock ends; failures before it are spent */
	clock_ms += ADMIN_LOCK_SEC * 1000LL;
	T_EQ_INT(login("alice", "wrong", "10.0.0.2", NULL), ADMIN_LOGIN_BAD);
	T_EQ_INT(login("alice", "right-password", "10.0.0.2", NULL),
	    ADMIN_LOGIN_OK);
	/* a success forgets the user's failures */
	for (i = 0; i < 4; i++)
		T_EQ_INT(login("alice", "wrong", "10.0.0.2", NULL),
		    ADMIN_LOGIN_BAD);
	T_EQ_INT(login("alice", "right-password", "10.0.0.2", NULL),
	    ADMIN_LOGIN_OK);
}

static void
test_unknown_user_and_address_limit(void)
{
	char name[32];
	int i, bad = 0, thr = 0, locked = 0;

	clock_ms += 86400 * 1000LL;
	/* an unknown user is throttled like a known one (no enumeration) */
	for (i = 0; i < 5; i++)
		T_EQ_INT(login("ghost", "x", "10.1.0.1", NULL),
		    ADMIN_LOGIN_BAD);
	T_EQ_INT(login("ghost", "x", "10.1.0.1", NULL),
	    ADMIN_LOGIN_THROTTLED);
	/* a garbage name is one key ("-"), not a way around the limit */
	T_EQ_INT(login("<script>", "x", "10.1.0.1", NULL), ADMIN_LOGIN_BAD);
	/* spraying user names from one address: throttled at 30, locked at
	 * 100 failures of that address */
	clock_ms += 86400 * 1000LL;
	for (i = 0; i < ADMIN_IP_LOCK + 2; i++) {
		snprintf(name, sizeof(name), "spray%d", i);
		switch (login(name, "x", "10.2.0.1", NULL)) {
		case ADMIN_LOGIN_BAD:
			bad++;
			break;
		case ADMIN_LOGIN_THROTTLED:
			thr++;
			break;
		case ADMIN_LOGIN_LOCKED:
			locked++;
			break;
		default:
			T_OK(0);
		}
	}
	T_EQ_INT(bad, ADMIN_IP_THROTTLE);
	T_EQ_INT(thr, ADMIN_IP_LOCK - ADMIN_IP_THROTTLE);
	T_EQ_INT(locked, 2);
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
	T_RUN(test_unknown_user_and_address_limit);
	teardown();
	return t_done();
}
