/*
 * test_oauth.c - WeChat web authorization (docs/protocol.md §W1): the exact
 * authorize URL, return-path validation, errcode mapping, the code
 * exchange through a fake httpc (exact request, retry on -1), and the
 * /oauth/start + /oauth/callback handlers against a real SQLite store.
 */
#include <sqlite3.h>
#include <stdbool.h>
#include <unistd.h>

#include "app.h"
#include "cfg.h"
#include "httpc.h"
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

/* ---- fake httpc: records each request URL, replays canned replies ---- */
struct fake_reply {
	long status;
	const char *body;
	enum err_code fail;	/* E_OK: reply; else send() fails with it */
};

struct fake {
	struct httpc h;
	int n;			/* requests seen */
	char urls[8][1024];
	char methods[8][8];
	struct fake_reply replies[8];
	int nreplies;
};

static int
fake_send(struct httpc *h, const struct httpc_req *rq, struct httpc_resp *rs,
    struct err *err)
{
	struct fake *f = h->impl;
	const struct fake_reply *rep;
	int i = f->n++;

	if (i < 8) {
		str_lcpy(f->urls[i], rq->url, sizeof(f->urls[i]));
		str_lcpy(f->methods[i], rq->method, sizeof(f->methods[i]));
	}
	if (i >= f->nreplies)
		return err_set(err, E_UPSTREAM, "fake: no reply %d", i);
	rep = &f->replies[i];
	if (rep->fail != E_OK)
		/* like a careless transport quoting the URL */
		return err_set(err, rep->fail, "fake: failed %s", rq->url);
	rs->status = rep->status;
	buf_adds(&rs->body, rep->body);
	return 0;
}

static void
fake_init(struct fake *f)
{
	memset(f, 0, sizeof(*f));
	f->h.send = fake_send;
	f->h.impl = f;
}

static void
fake_reply(struct fake *f, long status, const char *body)
{
	f->replies[f->nreplies].status = status;
	f->replies[f->nreplies].body = body;
	f->replies[f->nreplies].fail = E_OK;
	f->nreplies++;
}

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
static struct fake t_fake;
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
	fake_init(&t_fake);
	memset(&t_app, 0, sizeof(t_app));
	t_app.cfg = &t_cfg;
	t_app.keys = &t_keys;
	t_app.httpc = &t_fake.h;
	t_app.clock.now_ms = t_clock;
	t_app.rng.bytes = t_rng;
	t_app.pool = POOL_WEB;
	snprintf(t_db, sizeof(t_db), "/tmp/h5pay-test-oauth-%d.db",
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

/* ---- pure functions ---- */
static void
test_authorize_url_exact(void)
{
	struct buf b;
	struct err err;

	buf_init(&b, 4096);
	T_EQ_INT(oauth_authorize_url(&t_cfg, "0123456789abcdef0123456789abcdef",
	    &b, &err), 0);
	T_EQ_STR(buf_str(&b), "https://open.weixin.qq.com/connect/oauth2/"
	    "authorize?appid=wx1234567890abcdef&redirect_uri=https%3A%2F%2F"
	    "shop.example.com%2Foauth%2Fcallback&response_type=code&scope="
	    "snsapi_base&state=0123456789abcdef0123456789abcdef"
	    "&connect_redirect=1#wechat_redirect");
	buf_cleanup(&b);

	/* a trailing slash on the base does not double the slash */
	t_cfg.public_base_url = "https://127.0.0.1:8443/";
	t_cfg.wechat_authorize_url = "https://127.0.0.1:9443/connect/oauth2/"
	    "authorize";
	buf_init(&b, 4096);
	T_EQ_INT(oauth_authorize_url(&t_cfg, "ab", &b, &err), 0);
	T_EQ_STR(buf_str(&b), "https://127.0.0.1:9443/connect/oauth2/"
	    "authorize?appid=wx1234567890abcdef&redirect_uri=https%3A%2F%2F"
	    "127.0.0.1%3A8443%2Foauth%2Fcallback&response_type=code&scope="
	    "snsapi_base&state=ab&connect_redirect=1#wechat_redirect");
	buf_cleanup(&b);
	t_cfg.public_base_url = "https://shop.example.com";
	t_cfg.wechat_authorize_url =
	    "https://open.weixin.qq.com/connect/oauth2/authorize";
}

static void
test_ret_valid(void)
{
	char longp[STORE_RET_MAX + 2];

	T_OK(oauth_ret_valid("/"));
	T_OK(oauth_ret_valid("/shop/"));
	T_OK(oauth_ret_valid("/shop/item.html?id=3&q=a%20b#top"));
	T_OK(oauth_ret_valid("/shop/%2F%2Fevil.example"));
	T_OK(!oauth_ret_valid(NULL));
	T_OK(!oauth_ret_valid(""));
	T_OK(!oauth_ret_valid("https://evil.example/"));
	T_OK(!oauth_ret_valid("//evil.example"));
	T_OK(!oauth_ret_valid("///evil.example"));
	T_OK(!oauth_ret_valid("/\\evil.example"));
	T_OK(!oauth_ret_valid("\\\\evil.example"));
	T_OK(!oauth_ret_valid("/shop\\..\\x"));
	T_OK(!oauth_ret_valid("evil.example"));
	T_OK(!oauth_ret_valid("javascript:alert(1)"));
	T_OK(!oauth_ret_valid("/\t/evil.example"));
	T_OK(!oauth_ret_valid("/x\r\nSet-Cookie: a=b"));
	T_OK(!oauth_ret_valid("/a b"));
	T_OK(!oauth_ret_valid("/x\x7f"));
	T_OK(!oauth_ret_valid("/\xc3\xa9"));
	T_OK(!oauth_ret_valid("/oauth/start?ret=/"));
	T_OK(!oauth_ret_valid("/oauth/callback"));
	T_OK(!oauth_ret_valid("/oauth"));
	T_OK(oauth_ret_valid("/oauthx"));
	memset(longp, 'a', sizeof(longp));
	longp[0] = '/';
	longp[STORE_RET_MAX] = '\0';
	T_OK(oauth_ret_valid(longp));
	longp[STORE_RET_MAX] = 'a';
	longp[STORE_RET_MAX + 1] = '\0';
	T_OK(!oauth_ret_valid(longp));
}

static void
test_formats(void)
{
	T_OK(oauth_nonce_valid("0123456789abcdef0123456789abcdef"));
	T_OK(!oauth_nonce_valid("0123456789ABCDEF0123456789abcdef"));
	T_OK(!oauth_nonce_valid("0123456789abcdef0123456789abcde"));
	T_OK(!oauth_nonce_valid(NULL));
	T_OK(oauth_code_valid("061Abc-_x9"));
	T_OK(!oauth_code_valid(""));
	T_OK(!oauth_code_valid("a b"));
	T_OK(!oauth_code_valid("a&secret=x"));
}

static void
test_errcode_map(void)
{
	T_EQ_INT(oauth_errcode_map(0), OAUTH_OK);
	T_EQ_INT(oauth_errcode_map(40163), OAUTH_CODE_USED);
	T_EQ_INT(oauth_errcode_map(40029), OAUTH_CODE_INVALID);
	T_EQ_INT(oauth_errcode_map(41008), OAUTH_CODE_INVALID);
	T_EQ_INT(oauth_errcode_map(40125), OAUTH_CONFIG);
	T_EQ_INT(oauth_errcode_map(40013), OAUTH_CONFIG);
	T_EQ_INT(oauth_errcode_map(40164), OAUTH_CONFIG);
	T_EQ_INT(oauth_errcode_map(-1), OAUTH_BUSY);
	T_EQ_INT(oauth_errcode_map(45011), OAUTH_UPSTREAM);
	T_EQ_INT(oauth_errcode_map(12345), OAUTH_UPSTREAM);
}

/* ---- the exchange ---- */
#define OK_ANSWER "{\"access_token\":\"ACCESS_TOKEN_X\",\"expires_in\":7200," \
	"\"refresh_token\":\"REFRESH_X\",\"openid\":\"oUser_0123456789abc\"," \
	"\"scope\":\"snsapi_base\"}"

static void
test_exchange_ok_exact_request(void)
{
	struct oauth_user u;
	struct err err;

	fake_init(&t_fake);
	fake_reply(&t_fake, 200, OK_ANSWER);
	T_EQ_INT(oauth_code_exchange(&t_app, "CODE_1", &u, &err), 0);
	T_EQ_INT(u.outcome, OAUTH_OK);
	T_EQ_STR(u.openid, "oUser_0123456789abc");
	T_EQ_INT(u.attempts, 1);
	T_EQ_INT(t_fake.n, 1);
	T_EQ_STR(t_fake.methods[0], "GET");
	T_EQ_STR(t_fake.urls[0], "https://api.weixin.qq.com/sns/oauth2/"
	    "access_token?appid=wx1234567890abcdef&secret=" SECRET
	    "&code=CODE_1&grant_type=authorization_code");
}

static void
test_exchange_retry_busy(void)
{
	struct oauth_user u;
	struct err err;

	/* -1 once, then success: two requests, same URL, a login */
	fake_init(&t_fake);
	fake_reply(&t_fake, 200, "{\"errcode\":-1,\"errmsg\":\"system error\"}");
	fake_reply(&t_fake, 200, OK_ANSWER);
	T_EQ_INT(oauth_code_exchange(&t_app, "CODE_2", &u, &err), 0);
	T_EQ_INT(u.outcome, OAUTH_OK);
	T_EQ_INT(u.attempts, 2);
	T_EQ_INT(t_fake.n, 2);
	T_EQ_STR(t_fake.urls[0], t_fake.urls[1]);

	/* -1 twice: busy after exactly one retry */
	fake_init(&t_fake);
	fake_reply(&t_fake, 200, "{\"errcode\":-1,\"errmsg\":\"busy\"}");
	fake_reply(&t_fake, 200, "{\"errcode\":-1,\"errmsg\":\"busy\"}");
	fake_reply(&t_fake, 200, OK_ANSWER);
	T_EQ_INT(oauth_code_exchange(&t_app, "CODE_3", &u, &err), 0);
	T_EQ_INT(u.outcome, OAUTH_BUSY);
	T_EQ_INT(u.errcode, -1);
	T_EQ_INT(t_fake.n, 2);
}

static void
test_exchange_errcodes_no_retry(void)
{
	static const struct {
		const char *body;
		enum oauth_outcome want;
		long errcode;
	} cases[] = {
		{"{\"errcode\":40163,\"errmsg\":\"code been used\"}",
		    OAUTH_CODE_USED, 40163},
		{"{\"errcode\":40029,\"errmsg\":\"invalid code\"}",
		    OAUTH_CODE_INVALID, 40029},
		{"{\"errcode\":40125,\"errmsg\":\"invalid appsecret\"}",
		    OAUTH_CONFIG, 40125},
		{"{\"errcode\":40013,\"errmsg\":\"invalid appid\"}",
		    OAUTH_CONFIG, 40013},
		{"{\"errcode\":48001,\"errmsg\":\"api unauthorized\"}",
		    OAUTH_UPSTREAM, 48001},
	};
	struct oauth_user u;
	struct err err;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fake_init(&t_fake);
		fake_reply(&t_fake, 200, cases[i].body);
		fake_reply(&t_fake, 200, OK_ANSWER);
		T_EQ_INT(oauth_code_exchange(&t_app, "C", &u, &err), 0);
		T_EQ_INT(u.outcome, cases[i].want);
		T_EQ_INT(u.errcode, cases[i].errcode);
		T_EQ_INT(t_fake.n, 1);
		T_EQ_STR(u.openid, "");
	}
}

static void
test_exchange_snapshot(void)
{
	struct oauth_user u;
	struct err err;

	fake_init(&t_fake);
	fake_reply(&t_fake, 200, "{\"access_token\":\"T\",\"expires_in\":7200,"
	    "\"openid\":\"oSnap_0123456789abc\",\"scope\":\"snsapi_base\","
	    "\"is_snapshotuser\":1}");
	T_EQ_INT(oauth_code_exchange(&t_app, "C", &u, &err), 0);
	T_EQ_INT(u.outcome, OAUTH_SNAPSHOT);
	T_EQ_STR(u.openid, "");
}

static void
test_exchange_garbage(void)
{
	static const char *bodies[] = {
		"", "not json", "[1,2]", "{\"openid\":5}",
		"{\"access_token\":\"T\"}", "{\"openid\":\"a b\"}",
		"{\"errcode\":\"x\"}", "{\"openid\":\"ok_id_123\"} trailing",
	};
	struct oauth_user u;
	struct err err;
	size_t i;

	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		fake_init(&t_fake);
		fake_reply(&t_fake, 200, bodies[i]);
		err_clear(&err);
		T_EQ_INT(oauth_code_exchange(&t_app, "C", &u, &err), -1);
		T_EQ_INT(err.code, E_UPSTREAM);
	}
	fake_init(&t_fake);
	fake_reply(&t_fake, 500, OK_ANSWER);
	T_EQ_INT(oauth_code_exchange(&t_app, "C", &u, &err), -1);
	T_EQ_INT(err.code, E_UPSTREAM);

	/* a transport error that quotes the URL loses its message */
	fake_init(&t_fake);
	t_fake.replies[0].fail = E_UNKNOWN;
	t_fake.nreplies = 1;
	T_EQ_INT(oauth_code_exchange(&t_app, "SECRETCODE9", &u, &err), -1);
	T_EQ_INT(err.code, E_UNKNOWN);
	T_OK(strstr(err.msg, SECRET) == NULL);
	T_OK(strstr(err.msg, "SECRETCODE9") == NULL);

	/* a malformed code is never sent */
	fake_init(&t_fake);
	T_EQ_INT(oauth_code_exchange(&t_app, "a&b", &u, &err), -1);
	T_EQ_INT(t_fake.n, 0);
}

/* ---- handlers: /oauth/start and /oauth/callback ---- */
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

/* Start a login for ret (with cookie); the state from the Location. */
static void
start(const char *qs, const char *cookie, char *state, char *binder)
{
	struct call c;
	const char *loc, *p;
	char tmp[128];

	call(&c, "GET", "/oauth/start", qs, cookie);
	T_EQ_INT(c.w.status, 302);
	loc = header(&c.w, "Location");
	T_OK(loc != NULL);
	p = loc ? strstr(loc, "&state=") : NULL;
	T_OK(p != NULL);
	if (p) {
		str_lcpy(state, p + 7, OAUTH_NONCE_LEN + 1);
		T_OK(oauth_nonce_valid(state));
	}
	if (binder) {
		T_OK(set_cookie(&c.w, "__Host-h5o", tmp, sizeof(tmp)) != NULL);
		str_lcpy(binder, tmp, OAUTH_NONCE_LEN + 1);
	}
	call_done(&c);
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

#define AUTH_PREFIX "https://open.weixin.qq.com/connect/oauth2/authorize?" \
	"appid=wx1234567890abcdef&redirect_uri=https%3A%2F%2Fshop.example.com" \
	"%2Foauth%2Fcallback&response_type=code&scope=snsapi_base&state="

static void
test_start_sets_state_and_binder(void)
{
	struct call c;
	char state[64], v[128];
	const char *loc;

	call(&c, "GET", "/oauth/start", "ret=%2Fshop%2Fcart.html%3Fa%3D1",
	    NULL);
	T_EQ_INT(c.w.status, 302);
	loc = header(&c.w, "Location");
	T_OK(loc && strncmp(loc, AUTH_PREFIX, strlen(AUTH_PREFIX)) == 0);
	T_OK(loc && strstr(loc, "&connect_redirect=1#wechat_redirect"));
	T_OK(set_cookie(&c.w, "__Host-h5o", v, sizeof(v)) != NULL);
	T_OK(oauth_nonce_valid(v));
	/* the state is stored hashed, never in clear */
	str_lcpy(state, strstr(loc, "&state=") + 7, OAUTH_NONCE_LEN + 1);
	T_EQ_INT(count_rows("SELECT COUNT(*) FROM oauth_state WHERE "
	    "ret = '/shop/cart.html?a=1' AND used_at IS NULL"), 1);
	{
		char q[512];

		snprintf(q, sizeof(q), "SELECT COUNT(*) FROM oauth_state "
		    "WHERE state_hash = '%s' OR browser_hash = '%s'", state,
		    v);
		T_EQ_INT(count_rows(q), 0);
	}
	call_done(&c);

	/* open redirects refused, no state stored */
	{
		static const char *bad[] = {"ret=https%3A%2F%2Fevil.example%2F",
		    "ret=%2F%2Fevil.example", "ret=%2F%5Cevil.example",
		    "ret=%2Fx%0d%0aLocation%3A%20x", "ret=%2Foauth%2Fstart"};
		size_t i;
		int before = count_rows("SELECT COUNT(*) FROM oauth_state");

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			call(&c, "GET", "/oauth/start", bad[i], NULL);
			T_EQ_INT(c.w.status, 400);
			T_OK(header(&c.w, "Location") == NULL);
			T_OK(strstr(buf_str(&c.w.body), "oauth-bad-return"));
			call_done(&c);
		}
		T_EQ_INT(count_rows("SELECT COUNT(*) FROM oauth_state"),
		    before);
	}
}

static void
test_callback_happy_refresh_and_me(void)
{
	struct call c;
	char state[64], binder[64], cookie[256], qs[256], tok[128], tok2[128];
	char me[512];

	start("ret=%2Fshop%2F", NULL, state, binder);
	snprintf(cookie, sizeof(cookie), "__Host-h5o=%s", binder);
	snprintf(qs, sizeof(qs), "code=CODE_OK1&state=%s", state);
	fake_init(&t_fake);
	fake_reply(&t_fake, 200, OK_ANSWER);
	call(&c, "GET", "/oauth/callback", qs, cookie);
	T_EQ_INT(c.w.status, 302);
	T_EQ_STR(header(&c.w, "Location"), "/shop/");
	T_OK(set_cookie(&c.w, "__Host-h5s", tok, sizeof(tok)) != NULL);
	T_EQ_INT(strlen(tok), 43);
	{
		size_t i;
		const char *sc = NULL;

		for (i = 0; i < c.w.headers.n; i++)
			if (strncmp(c.w.headers.v[i].val, "__Host-h5s=", 11) ==
			    0)
				sc = c.w.headers.v[i].val;
		T_OK(sc && strstr(sc, "; Path=/; Max-Age=604800; HttpOnly; "
		    "Secure; SameSite=Lax"));
	}
	T_EQ_INT(t_fake.n, 1);
	call_done(&c);

	/* refresh: same URL, same browser -> a session, no exchange */
	call(&c, "GET", "/oauth/callback", qs, cookie);
	T_EQ_INT(c.w.status, 302);
	T_EQ_STR(header(&c.w, "Location"), "/shop/");
	T_OK(set_cookie(&c.w, "__Host-h5s", tok2, sizeof(tok2)) != NULL);
	T_OK(strcmp(tok, tok2) != 0);
	T_EQ_INT(t_fake.n, 1);
	call_done(&c);

	/* the same callback from another browser: refused */
	call(&c, "GET", "/oauth/callback", qs,
	    "__Host-h5o=ffffffffffffffffffffffffffffffff");
	T_EQ_INT(c.w.status, 403);
	T_OK(set_cookie(&c.w, "__Host-h5s", tok2, sizeof(tok2)) == NULL);
	call_done(&c);
	/* ... or without any cookie (a leaked link, issue 12 item 2): the
	 * code cache is not reused, the login restarts from this browser */
	call(&c, "GET", "/oauth/callback", qs, NULL);
	T_EQ_INT(c.w.status, 302);
	T_EQ_STR(header(&c.w, "Location"), "/oauth/start?ret=%2Fshop%2F&"
	    "restart=1");
	T_OK(set_cookie(&c.w, "__Host-h5s", tok2, sizeof(tok2)) == NULL);
	call_done(&c);
	T_EQ_INT(t_fake.n, 1);

	/* /api/me with the session; masked openid */
	snprintf(cookie, sizeof(cookie), "__Host-h5s=%s", tok);
	call(&c, "GET", "/api/me", NULL, cookie);
	T_EQ_INT(c.w.status, 200);
	str_lcpy(me, buf_str(&c.w.body), sizeof(me));
	T_OK(strstr(me, "\"openid\":\"oUse***9abc\""));
	T_OK(strstr(me, "oUser_0123456789abc") == NULL);
	call_done(&c);

	/* only hashes stored */
	{
		char q[512];

		snprintf(q, sizeof(q), "SELECT COUNT(*) FROM buyer_session "
		    "WHERE token_hash = '%s'", tok);
		T_EQ_INT(count_rows(q), 0);
		T_EQ_INT(count_rows("SELECT COUNT(*) FROM oauth_code WHERE "
		    "code_hash = 'CODE_OK1'"), 0);
		T_EQ_INT(count_rows("SELECT COUNT(*) FROM oauth_code WHERE "
		    "appid = '" APPID "' AND openid = 'oUser_0123456789abc'"),
		    1);
	}
}

static void
test_callback_refusals(void)
{
	struct call c;
	char state[64], binder[64], cookie[256], qs[256], v[128];
	const char *loc;

	/* missing code: refused page, state consumed, no session */
	start("ret=%2Fshop%2F", NULL, state, binder);
	snprintf(qs, sizeof(qs), "state=%s", state);
	call(&c, "GET", "/oauth/callback", qs, NULL);
	T_EQ_INT(c.w.status, 403);
	T_OK(strstr(buf_str(&c.w.body), "oauth-refused"));
	T_OK(strstr(buf_str(&c.w.body), "<script") == NULL);
	T_OK(set_cookie(&c.w, "__Host-h5s", v, sizeof(v)) == NULL);
	call_done(&c);

	/* unknown state: restart once (marker), then a page */
	fake_init(&t_fake);
	call(&c, "GET", "/oauth/callback",
	    "code=C1&state=00000000000000000000000000000000", NULL);
	T_EQ_INT(c.w.status, 302);
	loc = header(&c.w, "Location");
	T_EQ_STR(loc, "/oauth/start?ret=%2F&restart=1");
	T_OK(set_cookie(&c.w, "__Host-h5r", v, sizeof(v)) != NULL);
	T_OK(set_cookie(&c.w, "__Host-h5s", v, sizeof(v)) == NULL);
	call_done(&c);
	call(&c, "GET", "/oauth/callback",
	    "code=C1&state=00000000000000000000000000000000", "__Host-h5r=1");
	T_EQ_INT(c.w.status, 400);
	T_OK(strstr(buf_str(&c.w.body), "oauth-expired"));
	T_OK(header(&c.w, "Location") == NULL);
	call_done(&c);
	T_EQ_INT(t_fake.n, 0);

	/* malformed state: same as unknown */
	call(&c, "GET", "/oauth/callback", "code=C1&state=%3Cx%3E", NULL);
	T_EQ_INT(c.w.status, 302);
	call_done(&c);

	/* expired state: restart keeps ret; the restarted one fails hard */
	start("ret=%2Fshop%2Fx", NULL, state, binder);
	t_now_ms += (OAUTH_STATE_TTL + 1) * 1000LL;
	snprintf(qs, sizeof(qs), "code=C2&state=%s", state);
	call(&c, "GET", "/oauth/callback", qs, NULL);
	T_EQ_INT(c.w.status, 302);
	T_EQ_STR(header(&c.w, "Location"),
	    "/oauth/start?ret=%2Fshop%2Fx&restart=1");
	call_done(&c);
	/* the restarted login (cookie marker lost) is marked server-side */
	start("ret=%2Fshop%2Fx&restart=1", NULL, state, binder);
	t_now_ms += (OAUTH_STATE_TTL + 1) * 1000LL;
	snprintf(qs, sizeof(qs), "code=C3&state=%s", state);
	call(&c, "GET", "/oauth/callback", qs, NULL);
	T_EQ_INT(c.w.status, 400);
	T_OK(strstr(buf_str(&c.w.body), "oauth-expired"));
	call_done(&c);
	T_EQ_INT(t_fake.n, 0);

	/* state started by another browser: refused, no exchange */
	start("ret=%2F", NULL, state, binder);
	snprintf(qs, sizeof(qs), "code=C4&state=%s", state);
	call(&c, "GET", "/oauth/callback", qs,
	    "__Host-h5o=0123456789abcdef0123456789abcdef");
	T_EQ_INT(c.w.status, 403);
	T_OK(strstr(buf_str(&c.w.body), "oauth-other-browser"));
	call_done(&c);
	T_EQ_INT(t_fake.n, 0);

	/*
	 * A lost cookie (or an attacker's link, issue 12 item 1): no
	 * session, no exchange; the state is spent and a no-store page
	 * with a fresh binder restarts the login from this browser.
	 */
	start("ret=%2F", NULL, state, binder);
	snprintf(qs, sizeof(qs), "code=C5&state=%s", state);
	call(&c, "GET", "/oauth/callback", qs, NULL);
	T_EQ_INT(c.w.status, 200);
	T_OK(strstr(buf_str(&c.w.body), "oauth-restart"));
	T_OK(strstr(buf_str(&c.w.body), "url=/oauth/start?ret=%2F&amp;"
	    "restart=1\""));
	T_OK(strstr(buf_str(&c.w.body), "C5") == NULL);
	T_OK(strstr(buf_str(&c.w.body), "no-referrer"));
	T_EQ_STR(header(&c.w, "Cache-Control"), "no-store");
	T_OK(set_cookie(&c.w, "__Host-h5s", v, sizeof(v)) == NULL);
	T_OK(set_cookie(&c.w, "__Host-h5r", v, sizeof(v)) != NULL);
	T_OK(set_cookie(&c.w, "__Host-h5o", v, sizeof(v)) != NULL);
	T_OK(oauth_nonce_valid(v));
	call_done(&c);
	T_EQ_INT(t_fake.n, 0);
	/* the restart, with the page's binder, is bound and logs in */
	{
		char b2[64], st2[64];

		str_lcpy(b2, v, sizeof(b2));
		snprintf(cookie, sizeof(cookie), "__Host-h5r=1; __Host-h5o=%s",
		    b2);
		start("ret=%2F&restart=1", cookie, st2, NULL);
		fake_reply(&t_fake, 200, OK_ANSWER);
		snprintf(qs, sizeof(qs), "code=C5b&state=%s", st2);
		call(&c, "GET", "/oauth/callback", qs, cookie);
		T_EQ_INT(c.w.status, 302);
		T_EQ_STR(header(&c.w, "Location"), "/");
		T_OK(set_cookie(&c.w, "__Host-h5s", v, sizeof(v)) != NULL);
		call_done(&c);
		T_EQ_INT(t_fake.n, 1);
		/* the cookie lost again on a restarted login: a page */
		start("ret=%2F&restart=1", NULL, st2, NULL);
		snprintf(qs, sizeof(qs), "code=C5c&state=%s", st2);
		call(&c, "GET", "/oauth/callback", qs, NULL);
		T_EQ_INT(c.w.status, 400);
		T_OK(strstr(buf_str(&c.w.body), "oauth-no-cookie"));
		T_OK(strstr(buf_str(&c.w.body), "http-equiv") == NULL);
		T_OK(set_cookie(&c.w, "__Host-h5s", v, sizeof(v)) == NULL);
		call_done(&c);
		T_EQ_INT(t_fake.n, 1);
	}

	/* reused state with another code (WeChat's double call): restart */
	snprintf(qs, sizeof(qs), "code=C6&state=%s", state);
	call(&c, "GET", "/oauth/callback", qs, NULL);
	T_EQ_INT(c.w.status, 302);
	T_EQ_STR(header(&c.w, "Location"), "/oauth/start?ret=%2F&restart=1");
	T_OK(set_cookie(&c.w, "__Host-h5s", v, sizeof(v)) == NULL);
	call_done(&c);
	T_EQ_INT(t_fake.n, 1);

	/* a fresh, user-initiated start clears a stale marker */
	snprintf(cookie, sizeof(cookie), "__Host-h5r=1; __Host-h5o=%s",
	    binder);
	call(&c, "GET", "/oauth/start", "ret=%2F", cookie);
	T_EQ_INT(c.w.status, 302);
	T_OK(set_cookie(&c.w, "__Host-h5r", v, sizeof(v)) != NULL);
	T_EQ_STR(v, "");
	/* and keeps the browser's binder */
	T_OK(set_cookie(&c.w, "__Host-h5o", v, sizeof(v)) != NULL);
	T_EQ_STR(v, binder);
	call_done(&c);
}

static void
test_callback_upstream_outcomes(void)
{
	struct call c;
	char state[64], binder[64], cookie[128], qs[256], v[128];

	/* 40163 without a cache entry: restart */
	start("ret=%2F", NULL, state, binder);
	snprintf(cookie, sizeof(cookie), "__Host-h5o=%s", binder);
	fake_init(&t_fake);
	fake_reply(&t_fake, 200, "{\"errcode\":40163,\"errmsg\":\"used\"}");
	snprintf(qs, sizeof(qs), "code=U1&state=%s", state);
	call(&c, "GET", "/oauth/callback", qs, cookie);
	T_EQ_INT(c.w.status, 302);
	T_EQ_STR(header(&c.w, "Location"), "/oauth/start?ret=%2F&restart=1");
	call_done(&c);

	/* snapshot user: a page, no session */
	start("ret=%2F", NULL, state, binder);
	snprintf(cookie, sizeof(cookie), "__Host-h5o=%s", binder);
	fake_init(&t_fake);
	fake_reply(&t_fake, 200, "{\"openid\":\"oSnap_0123456789abc\","
	    "\"is_snapshotuser\":1,\"access_token\":\"T\"}");
	snprintf(qs, sizeof(qs), "code=U2&state=%s", state);
	call(&c, "GET", "/oauth/callback", qs, cookie);
	T_EQ_INT(c.w.status, 403);
	T_OK(strstr(buf_str(&c.w.body), "oauth-snapshot"));
	T_OK(strstr(buf_str(&c.w.body), "使用完整服务"));
	T_OK(set_cookie(&c.w, "__Host-h5s", v, sizeof(v)) == NULL);
	call_done(&c);

	/* 40125: configuration page */
	start("ret=%2F", NULL, state, binder);
	snprintf(cookie, sizeof(cookie), "__Host-h5o=%s", binder);
	fake_init(&t_fake);
	fake_reply(&t_fake, 200, "{\"errcode\":40125,\"errmsg\":\"invalid "
	    "appsecret\"}");
	snprintf(qs, sizeof(qs), "code=U3&state=%s", state);
	call(&c, "GET", "/oauth/callback", qs, cookie);
	T_EQ_INT(c.w.status, 500);
	T_OK(strstr(buf_str(&c.w.body), "oauth-config"));
	T_OK(strstr(buf_str(&c.w.body), SECRET) == NULL);
	call_done(&c);

	/* -1 then success: logged in after one retry */
	start("ret=%2F", NULL, state, binder);
	snprintf(cookie, sizeof(cookie), "__Host-h5o=%s", binder);
	fake_init(&t_fake);
	fake_reply(&t_fake, 200, "{\"errcode\":-1,\"errmsg\":\"busy\"}");
	fake_reply(&t_fake, 200, OK_ANSWER);
	snprintf(qs, sizeof(qs), "code=U4&state=%s", state);
	call(&c, "GET", "/oauth/callback", qs, cookie);
	T_EQ_INT(c.w.status, 302);
	T_OK(set_cookie(&c.w, "__Host-h5s", v, sizeof(v)) != NULL);
	T_EQ_INT(t_fake.n, 2);
	call_done(&c);
}

int
main(void)
{
	t_setup();
	T_RUN(test_authorize_url_exact);
	T_RUN(test_ret_valid);
	T_RUN(test_formats);
	T_RUN(test_errcode_map);
	T_RUN(test_exchange_ok_exact_request);
	T_RUN(test_exchange_retry_busy);
	T_RUN(test_exchange_errcodes_no_retry);
	T_RUN(test_exchange_snapshot);
	T_RUN(test_exchange_garbage);
	T_RUN(test_start_sets_state_and_binder);
	T_RUN(test_callback_happy_refresh_and_me);
	T_RUN(test_callback_refusals);
	T_RUN(test_callback_upstream_outcomes);
	t_teardown();
	return t_done();
}
