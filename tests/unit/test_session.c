/*
 * test_session.c - buyer sessions: the cookie's attributes, lookup (hash
 * only in the database, expiry, appid binding), logout, purge, the R_BUYER
 * guard of route_dispatch and its 401 login_required answer.
 */
#include <sqlite3.h>
#include <stdbool.h>
#include <unistd.h>

#include "app.h"
#include "cfg.h"
#include "keys.h"
#include "oauth.h"
#include "req.h"
#include "route.h"
#include "session.h"
#include "sign.h"
#include "store.h"
#include "t.h"
#include "util.h"
#include "web.h"

#define SECRET "test-appsecret-0123456789abcdef"
#define APPID "wx1234567890abcdef"
#define OPENID "oBuyer_0123456789xyz"

/* ---- a test app: hand-made cfg, fake clock and random source ---- */
static int64_t t_now_ms = 1700000000000LL;
static uint64_t t_rng_state = 0x9e3779b97f4a7c15ULL;

static int64_t
t_clock(void *ctx)
{
	(void)ctx;
	return t_now_ms;
}

static int
t_rng(void *ctx, unsigned char *b, size_t n)
{
	size_t i;

	(void)ctx;
	/* xorshift64: deterministic, no short cycle */
	for (i = 0; i < n; i++) {
		t_rng_state ^= t_rng_state << 13;
		t_rng_state ^= t_rng_state >> 7;
		t_rng_state ^= t_rng_state << 17;
		b[i] = (unsigned char)(t_rng_state >> 24);
	}
	return 0;
}

static struct cfg t_cfg;
static struct keys t_keys;
static struct app t_app;
static char t_db[256];

static void
t_setup(void)
{
	struct store_opts so = {"NORMAL", 5000, false};
	struct err err;
	int applied;

	memset(&t_cfg, 0, sizeof(t_cfg));
	t_cfg.public_base_url = "https://shop.example.com";
	t_cfg.wechat_appid = APPID;
	t_cfg.wechat_authorize_url =
	    "https://open.weixin.qq.com/connect/oauth2/authorize";
	t_cfg.wechat_api_base_url = "https://api.weixin.qq.com";
	t_cfg.http_max_response_bytes = 65536;
	t_cfg.session_ttl_sec = 604800;
	t_cfg.cookie_secure = true;
	memset(&t_keys, 0, sizeof(t_keys));
	t_keys.wechat_secret = SECRET;
	memset(&t_app, 0, sizeof(t_app));
	t_app.cfg = &t_cfg;
	t_app.keys = &t_keys;
	t_app.httpc = NULL;
	t_app.clock.now_ms = t_clock;
	t_app.rng.bytes = t_rng;
	t_app.pool = POOL_WEB;
	snprintf(t_db, sizeof(t_db), "/tmp/h5pay-test-session-%d.db",
	    (int)getpid());
	unlink(t_db);
	if (store_open(&t_app.store, t_db, &so, &err) == -1 ||
	    store_migrate(t_app.store, &applied, &err) == -1) {
		fprintf(stderr, "store: %s\n", err.msg);
		exit(1);
	}
}

static void
t_teardown(void)
{
	char p[300];

	store_close(t_app.store);
	unlink(t_db);
	snprintf(p, sizeof(p), "%s.lock", t_db);
	unlink(p);
	snprintf(p, sizeof(p), "%s-wal", t_db);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", t_db);
	unlink(p);
}

/* ---- requests through the real route table ---- */
struct call {
	struct req r;
	struct resp w;
};

static void
call(struct call *c, const char *method, const char *path, const char *qs,
    const char *cookie)
{
	struct err err;

	req_init(&c->r, 65536);
	resp_init(&c->w);
	req_set_param(&c->r, "REQUEST_METHOD", method);
	req_set_param(&c->r, "DOCUMENT_URI", path);
	req_set_param(&c->r, "QUERY_STRING", qs ? qs : "");
	if (cookie)
		req_set_param(&c->r, "HTTP_COOKIE", cookie);
	if (req_prepare(&c->r, &err) == -1) {
		fprintf(stderr, "req_prepare: %s\n", err.msg);
		exit(1);
	}
	route_dispatch(route_table, route_count, POOL_WEB, &t_app, &c->r,
	    &c->w);
}

static void
call_done(struct call *c)
{
	req_cleanup(&c->r);
	resp_cleanup(&c->w);
}

static const char *
header(const struct resp *w, const char *name)
{
	return kvlist_get(&w->headers, name);
}

/* The value of the Set-Cookie for name (into out), or NULL. */
static const char *
set_cookie(const struct resp *w, const char *name, char *out, size_t n)
{
	size_t i, nl = strlen(name);

	for (i = 0; i < w->headers.n; i++) {
		const struct kv *e = &w->headers.v[i];

		if (strcmp(e->key, "Set-Cookie") == 0 &&
		    strncmp(e->val, name, nl) == 0 && e->val[nl] == '=') {
			const char *v = e->val + nl + 1;
			size_t k = strcspn(v, ";");

			if (k >= n)
				k = n - 1;
			memcpy(out, v, k);
			out[k] = '\0';
			return out;
		}
	}
	return NULL;
}

static int
count_rows(const char *sql)
{
	sqlite3_stmt *st;
	int n = -1;

	if (sqlite3_prepare_v2(store_sqlite(t_app.store), sql, -1, &st, NULL) ==
	    SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}


/* Log in OPENID directly through the helper; the token into tok. */
static void
login(char *tok, size_t n)
{
	struct call c;
	struct err err;

	call(&c, "GET", "/nowhere", NULL, NULL);
	resp_cleanup(&c.w);
	resp_init(&c.w);
	T_EQ_INT(session_create(&t_app, &c.r, APPID, OPENID, &c.w, &err), 0);
	T_OK(set_cookie(&c.w, "__Host-h5s", tok, n) != NULL);
	call_done(&c);
}

static void
test_cookie_attributes(void)
{
	struct call c;
	struct err err;
	const char *sc;

	call(&c, "GET", "/nowhere", NULL, NULL);
	resp_cleanup(&c.w);
	resp_init(&c.w);
	T_EQ_INT(session_create(&t_app, &c.r, APPID, OPENID, &c.w, &err), 0);
	sc = header(&c.w, "Set-Cookie");
	T_OK(sc != NULL);
	if (sc) {
		T_EQ_INT(strncmp(sc, "__Host-h5s=", 11), 0);
		T_EQ_INT(strcspn(sc + 11, ";"), 43);
		T_EQ_STR(sc + 11 + 43, "; Path=/; Max-Age=604800; HttpOnly; "
		    "Secure; SameSite=Lax");
	}
	call_done(&c);

	/* plain-http test mode: no __Host- prefix (it requires Secure) */
	t_cfg.cookie_secure = false;
	T_EQ_STR(session_cookie_name(&t_cfg, SESSION_COOKIE_TOKEN), "h5s");
	t_cfg.cookie_secure = true;
	T_EQ_STR(session_cookie_name(&t_cfg, SESSION_COOKIE_TOKEN),
	    "__Host-h5s");
}

static void
test_lookup_and_expiry(void)
{
	char tok[128], cookie[256], q[512], th[65];
	struct session s;
	struct call c;
	struct err err;

	login(tok, sizeof(tok));
	snprintf(cookie, sizeof(cookie), "a=b; __Host-h5s=%s", tok);
	call(&c, "GET", "/nowhere", NULL, cookie);
	T_EQ_INT(session_lookup(&t_app, &c.r, &s, &err), 0);
	T_EQ_STR(s.openid, OPENID);
	T_EQ_STR(s.appid, APPID);
	T_EQ_INT(s.expires_at - s.created_at, 604800);

	/* only the hash is stored */
	snprintf(q, sizeof(q), "SELECT COUNT(*) FROM buyer_session WHERE "
	    "token_hash = '%s'", tok);
	T_EQ_INT(count_rows(q), 0);
	sign_sha256_hex(tok, strlen(tok), th);
	snprintf(q, sizeof(q), "SELECT COUNT(*) FROM buyer_session WHERE "
	    "token_hash = '%s' AND appid = '" APPID "' AND openid = '"
	    OPENID "'", th);
	T_EQ_INT(count_rows(q), 1);

	/* one second before expiry it works, at expiry it does not */
	t_now_ms += (604800 - 1) * 1000LL;
	T_EQ_INT(session_lookup(&t_app, &c.r, &s, &err), 0);
	t_now_ms += 1000;
	T_EQ_INT(session_lookup(&t_app, &c.r, &s, &err), -1);
	T_EQ_INT(err.code, E_AUTH);
	call_done(&c);

	/* unknown and malformed tokens */
	call(&c, "GET", "/nowhere", NULL,
	    "__Host-h5s=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
	T_EQ_INT(session_lookup(&t_app, &c.r, &s, &err), -1);
	T_EQ_INT(err.code, E_AUTH);
	call_done(&c);
	call(&c, "GET", "/nowhere", NULL, "__Host-h5s=x' OR 1=1 --");
	T_EQ_INT(session_lookup(&t_app, &c.r, &s, &err), -1);
	T_EQ_INT(err.code, E_AUTH);
	call_done(&c);
	call(&c, "GET", "/nowhere", NULL, NULL);
	T_EQ_INT(session_lookup(&t_app, &c.r, &s, &err), -1);
	T_EQ_INT(err.code, E_AUTH);
	call_done(&c);
}

static void
test_appid_binding(void)
{
	char tok[128], cookie[256];
	struct session s;
	struct call c;
	struct err err;

	login(tok, sizeof(tok));
	snprintf(cookie, sizeof(cookie), "__Host-h5s=%s", tok);
	call(&c, "GET", "/nowhere", NULL, cookie);
	T_EQ_INT(session_lookup(&t_app, &c.r, &s, &err), 0);
	/* the shop moved to another Official Account: old openids are
	 * meaningless there */
	t_cfg.wechat_appid = "wxOTHER0000000000";
	T_EQ_INT(session_lookup(&t_app, &c.r, &s, &err), -1);
	T_EQ_INT(err.code, E_AUTH);
	t_cfg.wechat_appid = APPID;
	call_done(&c);
}

static void
test_replace_and_logout(void)
{
	char tok[128], tok2[128], cookie[256], v[128];
	struct session s;
	struct call c;
	struct err err;

	login(tok, sizeof(tok));
	/* a new login in the same browser replaces the old session */
	snprintf(cookie, sizeof(cookie), "__Host-h5s=%s", tok);
	call(&c, "GET", "/nowhere", NULL, cookie);
	resp_cleanup(&c.w);
	resp_init(&c.w);
	T_EQ_INT(session_create(&t_app, &c.r, APPID, OPENID, &c.w, &err), 0);
	T_OK(set_cookie(&c.w, "__Host-h5s", tok2, sizeof(tok2)) != NULL);
	T_EQ_INT(session_lookup(&t_app, &c.r, &s, &err), -1);
	call_done(&c);

	snprintf(cookie, sizeof(cookie), "__Host-h5s=%s", tok2);
	call(&c, "GET", "/api/me", NULL, cookie);
	T_EQ_INT(c.w.status, 200);
	call_done(&c);
	call(&c, "POST", "/api/logout", NULL, cookie);
	T_EQ_INT(c.w.status, 200);
	T_OK(set_cookie(&c.w, "__Host-h5s", v, sizeof(v)) != NULL);
	T_EQ_STR(v, "");
	T_OK(strstr(header(&c.w, "Set-Cookie"), "Max-Age=0;") != NULL);
	call_done(&c);
	call(&c, "GET", "/api/me", NULL, cookie);
	T_EQ_INT(c.w.status, 401);
	call_done(&c);
	/* logging out without a session is fine */
	call(&c, "POST", "/api/logout", NULL, NULL);
	T_EQ_INT(c.w.status, 200);
	call_done(&c);
}

static void
test_buyer_guard(void)
{
	char tok[128], cookie[256];
	struct call c;
	size_t i;

	call(&c, "GET", "/api/me", NULL, NULL);
	T_EQ_INT(c.w.status, 401);
	T_EQ_STR(buf_str(&c.w.body), "{\"error\":\"login_required\","
	    "\"login\":\"/oauth/start?ret=/api/me\"}");
	call_done(&c);

	/* the guard is generic: every R_BUYER route of the table refuses a
	 * request without a session before its handler runs */
	for (i = 0; i < route_count; i++) {
		if (!(route_table[i].flags & R_BUYER))
			continue;
		call(&c, route_table[i].method, route_table[i].path, NULL,
		    "__Host-h5s=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
		T_EQ_INT(c.w.status, 401);
		T_OK(strstr(buf_str(&c.w.body), "login_required") != NULL);
		call_done(&c);
	}

	login(tok, sizeof(tok));
	snprintf(cookie, sizeof(cookie), "__Host-h5s=%s", tok);
	call(&c, "GET", "/api/me", NULL, cookie);
	T_EQ_INT(c.w.status, 200);
	T_OK(strstr(buf_str(&c.w.body), "\"openid\":\"oBuy***9xyz\""));
	T_OK(strstr(buf_str(&c.w.body), OPENID) == NULL);
	T_OK(c.r.buyer == NULL);	/* not left dangling */
	call_done(&c);
}

static void
test_login_required_encoding(void)
{
	struct req r;
	struct resp w;
	struct err err;

	req_init(&r, 1024);
	resp_init(&w);
	req_set_param(&r, "DOCUMENT_URI", "/api/orders/x&y=z#");
	req_prepare(&r, &err);
	session_login_required(&r, &w);
	T_EQ_STR(buf_str(&w.body), "{\"error\":\"login_required\","
	    "\"login\":\"/oauth/start?ret=/api/orders/x%26y%3Dz%23\"}");
	resp_cleanup(&w);
	req_cleanup(&r);

	/* a path that is no valid return path falls back to "/" */
	req_init(&r, 1024);
	resp_init(&w);
	req_set_param(&r, "DOCUMENT_URI", "/api/a b");
	req_prepare(&r, &err);
	session_login_required(&r, &w);
	T_EQ_STR(buf_str(&w.body), "{\"error\":\"login_required\","
	    "\"login\":\"/oauth/start?ret=/\"}");
	resp_cleanup(&w);
	req_cleanup(&r);
}

static void
test_state_and_code_store(void)
{
	struct store_oauth_state st;
	struct store_oauth_code c, got;
	struct err err;
	bool taken;
	int64_t now = t_now_ms / 1000;

	T_EQ_INT(store_oauth_state_take(t_app.store, "nope", now, &st, &taken,
	    &err), -1);
	T_EQ_INT(err.code, E_NOTFOUND);
	T_EQ_INT(store_oauth_state_insert(t_app.store, "s1", "b1", "/x", 0,
	    now, now + 600, &err), 0);
	T_EQ_INT(store_oauth_state_take(t_app.store, "s1", now, &st, &taken,
	    &err), 0);
	T_OK(taken);
	T_EQ_STR(st.ret, "/x");
	T_EQ_STR(st.browser_hash, "b1");
	T_EQ_INT(store_oauth_state_take(t_app.store, "s1", now, &st, &taken,
	    &err), 0);
	T_OK(!taken);
	T_OK(st.was_used);
	T_EQ_INT(store_oauth_state_insert(t_app.store, "s2", "b1", "/y", 1,
	    now, now + 600, &err), 0);
	T_EQ_INT(store_oauth_state_take(t_app.store, "s2", now + 600, &st,
	    &taken, &err), 0);
	T_OK(!taken);
	T_OK(!st.was_used);
	T_EQ_INT(st.restarts, 1);

	memset(&c, 0, sizeof(c));
	str_lcpy(c.state_hash, "s1", sizeof(c.state_hash));
	str_lcpy(c.appid, APPID, sizeof(c.appid));
	str_lcpy(c.openid, OPENID, sizeof(c.openid));
	str_lcpy(c.ret, "/x", sizeof(c.ret));
	T_EQ_INT(store_oauth_code_put(t_app.store, "c1", &c, now, now + 300,
	    &err), 0);
	T_EQ_INT(store_oauth_code_get(t_app.store, "c1", now + 299, &got,
	    &err), 0);
	T_EQ_STR(got.openid, OPENID);
	T_EQ_STR(got.browser_hash, "");
	T_EQ_INT(store_oauth_code_get(t_app.store, "c1", now + 300, &got,
	    &err), -1);
	T_EQ_INT(err.code, E_NOTFOUND);
}

static void
test_purge(void)
{
	char tok[128], cookie[256];
	struct session s;
	struct call c;
	struct err err;
	int64_t n = 0, now;

	/* a clean slate, then: one live session, one expired; one fresh
	 * state, one expired past the grace; one live code, one dead */
	store_exec(t_app.store, "DELETE FROM buyer_session; DELETE FROM "
	    "oauth_state; DELETE FROM oauth_code;", &err);
	now = t_now_ms / 1000;
	store_session_insert(t_app.store, "old", APPID, OPENID, now - 100,
	    now - 1, &err);
	login(tok, sizeof(tok));
	store_oauth_state_insert(t_app.store, "fresh", "b", "/", 0, now,
	    now + 600, &err);
	store_oauth_state_insert(t_app.store, "recent", "b", "/", 0, now - 700,
	    now - 100, &err);
	store_oauth_state_insert(t_app.store, "ancient", "b", "/", 0,
	    now - 9000, now - OAUTH_STATE_GRACE - 1, &err);
	{
		struct store_oauth_code cc;

		memset(&cc, 0, sizeof(cc));
		str_lcpy(cc.appid, APPID, sizeof(cc.appid));
		str_lcpy(cc.openid, OPENID, sizeof(cc.openid));
		store_oauth_code_put(t_app.store, "live", &cc, now, now + 300,
		    &err);
		store_oauth_code_put(t_app.store, "dead", &cc, now - 400,
		    now - 100, &err);
	}
	T_EQ_INT(session_purge(&t_app, &n, &err), 0);
	T_EQ_INT(n, 3);
	T_EQ_INT(count_rows("SELECT COUNT(*) FROM buyer_session"), 1);
	T_EQ_INT(count_rows("SELECT COUNT(*) FROM oauth_code"), 1);
	/* an expired state stays a while: "expired", not "unknown" */
	T_EQ_INT(count_rows("SELECT COUNT(*) FROM oauth_state"), 2);
	snprintf(cookie, sizeof(cookie), "__Host-h5s=%s", tok);
	call(&c, "GET", "/nowhere", NULL, cookie);
	T_EQ_INT(session_lookup(&t_app, &c.r, &s, &err), 0);
	call_done(&c);
}

int
main(void)
{
	t_setup();
	T_RUN(test_cookie_attributes);
	T_RUN(test_lookup_and_expiry);
	T_RUN(test_appid_binding);
	T_RUN(test_replace_and_logout);
	T_RUN(test_buyer_guard);
	T_RUN(test_login_required_encoding);
	T_RUN(test_state_and_code_store);
	T_RUN(test_purge);
	t_teardown();
	return t_done();
}
