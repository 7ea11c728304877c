/*
 * fixture.h - a handler-level test fixture (after curl's tests/data): a
 * migrated SQLite file in /tmp, a hand-made config, MD5 keys, a fixed
 * clock and random source, and a fake provider that replays a queue of
 * canned answers (signed UseePay JSON, an HTTP status, or a transport
 * error) and records every request it was handed. fx_call() builds a
 * struct req by hand (no FastCGI), runs the real route_dispatch() over
 * the real route table, and leaves the answer in fx.w.
 * Everything is static: one fixture per test program.
 */
#ifndef H5PAY_FIXTURE_H
#define H5PAY_FIXTURE_H

#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

#include <json-c/json.h>
#include <sqlite3.h>

#include "app.h"
#include "buf.h"
#include "cfg.h"
#include "form.h"
#include "httpc.h"
#include "keys.h"
#include "kv.h"
#include "req.h"
#include "route.h"
#include "sign.h"
#include "store.h"
#include "store_session.h"
#include "t.h"
#include "util.h"

#define FX_KEY "HANDLER-TEST-MD5-KEY"
#define FX_MERCHANT "500000000007362"
#define FX_APPID "wx1234567890abcdef"
#define FX_OPENID "oFixtureBuyerOpenid000001"
#define FX_SESSION "fixtureSessionToken0123456789abcdefghijklmn" /* 43 */
#define FX_MAX_ANSWERS 8

/* One canned provider answer: an error, or a status and a body. */
struct fx_answer {
	enum err_code fail;		/* E_OK: answer status + body */
	long status;
	char body[4096];
};

static struct {
	char path[64];
	struct store *st;
	struct cfg cfg;
	struct keys keys;
	struct app app;
	struct httpc http;
	int64_t now_s;
	uint64_t rng;
	/* the provider */
	struct fx_answer answers[FX_MAX_ANSWERS];
	int nanswers, next_answer;
	int calls;
	struct kvlist last;		/* the last request's decoded form */
	/* the last call */
	struct req r;
	struct resp w;
} fx;

static inline int64_t
fx_now_ms(void *ctx)
{
	(void)ctx;
	return fx.now_s * 1000;
}

static inline int
fx_rng(void *ctx, unsigned char *b, size_t n)
{
	size_t i;

	(void)ctx;
	for (i = 0; i < n; i++) {
		fx.rng ^= fx.rng << 13;
		fx.rng ^= fx.rng >> 7;
		fx.rng ^= fx.rng << 17;
		b[i] = (unsigned char)(fx.rng >> 24);
	}
	return 0;
}

static inline int
fx_send(struct httpc *h, const struct httpc_req *rq, struct httpc_resp *rs,
    struct err *err)
{
	struct fx_answer *a;

	(void)h;
	fx.calls++;
	kvlist_cleanup(&fx.last);
	kvlist_init(&fx.last);
	if (form_decode(rq->body, rq->body_len, &fx.last, err) == -1)
		return -1;
	if (fx.next_answer >= fx.nanswers)
		return err_set(err, E_UNKNOWN, "fixture: no answer scripted");
	a = &fx.answers[fx.next_answer++];
	if (a->fail != E_OK)
		return err_set(err, a->fail, "fixture: scripted failure");
	rs->status = a->status;
	str_lcpy(rs->content_type, "application/json",
	    sizeof(rs->content_type));
	buf_reset(&rs->body);
	return buf_adds(&rs->body, a->body) == -1 ?
	    err_set(err, E_TOOBIG, "fixture: answer over the cap") : 0;
}

static inline void
fx_http_free(struct httpc *h)
{
	(void)h;
}

/* Run one SQL statement (test set-up). */
static inline void
fx_exec(const char *sql)
{
	struct err err;

	if (store_exec(fx.st, sql, &err) == -1)
		fprintf(stderr, "fx_exec: %s\n", err.msg);
}

/* The first column of the first row of sql (with one text argument, or
 * none), as a number; -1 when there is no row. */
static inline long long
fx_q_int(const char *sql, const char *arg)
{
	sqlite3_stmt *s;
	long long v = -1;

	if (sqlite3_prepare_v2(store_sqlite(fx.st), sql, -1, &s, NULL) !=
	    SQLITE_OK)
		return -2;
	if (arg)
		sqlite3_bind_text(s, 1, arg, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

static char fx_qbuf[512];

static inline const char *
fx_q_text(const char *sql, const char *arg)
{
	sqlite3_stmt *s;

	fx_qbuf[0] = '\0';
	if (sqlite3_prepare_v2(store_sqlite(fx.st), sql, -1, &s, NULL) !=
	    SQLITE_OK)
		return "?";
	if (arg)
		sqlite3_bind_text(s, 1, arg, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
		snprintf(fx_qbuf, sizeof(fx_qbuf), "%s",
		    (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	return fx_qbuf;
}

/* A fresh database, config and app for the given pool. */
static inline void
fx_init(enum pool pool)
{
	struct store_opts so = {.synchronous = "NORMAL",
	    .busy_timeout_ms = 1000};
	struct err err;
	char th[65];
	int applied, fd;

	memset(&fx, 0, sizeof(fx));
	str_lcpy(fx.path, "/tmp/h5pay-test-handlers-XXXXXX", sizeof(fx.path));
	fd = mkstemp(fx.path);
	close(fd);
	T_OK(store_open(&fx.st, fx.path, &so, &err) == 0);
	T_OK(store_migrate(fx.st, &applied, &err) == 0);
	fx.cfg.public_base_url = (char *)"https://shop.test";
	fx.cfg.useepay_base_url = (char *)"https://pay.test";
	fx.cfg.useepay_merchant_no = (char *)FX_MERCHANT;
	fx.cfg.useepay_app_id = (char *)"shop.test";
	fx.cfg.useepay_notify_url = (char *)"https://shop.test/notify";
	fx.cfg.useepay_sign_type = SIGN_MD5;
	fx.cfg.useepay_currency = (char *)"HKD";
	fx.cfg.useepay_expiration_min = 15;
	fx.cfg.wechat_appid = (char *)FX_APPID;
	fx.cfg.http_max_response_bytes = 65536;
	fx.cfg.http_connect_timeout_ms = 100;
	fx.cfg.http_timeout_ms = 100;
	fx.cfg.status_query_interval_sec = 5;
	fx.cfg.session_ttl_sec = 3600;
	fx.cfg.cookie_secure = true;
	fx.cfg.max_body_bytes = 65536;
	fx.cfg.pay_max_open_orders_per_buyer = 5;
	fx.keys.sign_type = SIGN_MD5;
	fx.keys.md5_key = (char *)FX_KEY;
	fx.http.send = fx_send;
	fx.http.free = fx_http_free;
	fx.now_s = 1800000000;
	fx.rng = 0x9e3779b97f4a7c15ULL;
	fx.app.cfg = &fx.cfg;
	fx.app.keys = &fx.keys;
	fx.app.store = fx.st;
	fx.app.httpc = &fx.http;
	fx.app.clock.now_ms = fx_now_ms;
	fx.app.rng.bytes = fx_rng;
	fx.app.pool = pool;
	kvlist_init(&fx.last);
	req_init(&fx.r, 0);
	resp_init(&fx.w);
	/* the buyer FX_OPENID has a live session with token FX_SESSION */
	sign_sha256_hex(FX_SESSION, strlen(FX_SESSION), th);
	T_OK(store_session_insert(fx.st, th, FX_APPID, FX_OPENID, fx.now_s,
	    fx.now_s + 3600, &err) == 0);
}

static inline void
fx_cleanup(void)
{
	req_cleanup(&fx.r);
	resp_cleanup(&fx.w);
	kvlist_cleanup(&fx.last);
	store_close(fx.st);
	unlink(fx.path);
	{
		char p[80];

		snprintf(p, sizeof(p), "%s-wal", fx.path);
		unlink(p);
		snprintf(p, sizeof(p), "%s-shm", fx.path);
		unlink(p);
		snprintf(p, sizeof(p), "%s.lock", fx.path);
		unlink(p);
	}
}

/* Forget the scripted answers and the recorded calls. */
static inline void
fx_provider_reset(void)
{
	fx.nanswers = fx.next_answer = fx.calls = 0;
}

static inline void
fx_provider_fail(enum err_code code)
{
	struct fx_answer *a = &fx.answers[fx.nanswers++];

	memset(a, 0, sizeof(*a));
	a->fail = code;
}

/*
 * Script a signed JSON answer (docs/protocol.md §2, §3) from NULL-ended
 * name/value pairs; key NULL signs with FX_KEY, another key forges it.
 */
static inline void
fx_provider_answer(const char *key, ...)
{
	struct fx_answer *a = &fx.answers[fx.nanswers++];
	struct json_object *o = json_object_new_object();
	struct kvlist l;
	struct buf sig;
	struct err err;
	const char *k, *v;
	va_list ap;
	size_t i;

	memset(a, 0, sizeof(*a));
	a->status = 200;
	kvlist_init(&l);
	va_start(ap, key);
	while ((k = va_arg(ap, const char *)) != NULL) {
		v = va_arg(ap, const char *);
		kvlist_adds(&l, k, v);
	}
	va_end(ap);
	buf_init(&sig, 256);
	T_OK(sign_md5(&l, key ? key : FX_KEY, &sig, &err) == 0);
	kvlist_adds(&l, "sign", buf_str(&sig));
	buf_cleanup(&sig);
	for (i = 0; i < l.n; i++)
		json_object_object_add(o, l.v[i].key,
		    json_object_new_string(l.v[i].val));
	str_lcpy(a->body, json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN), sizeof(a->body));
	json_object_put(o);
	kvlist_cleanup(&l);
}

/*
 * One request through route_dispatch: method, path, an optional body of
 * content type ctype, then NULL-ended (FastCGI param, value) pairs (e.g.
 * "HTTP_COOKIE", "__Host-h5s=..."). The answer is in fx.w.
 */
static inline void
fx_call(const char *method, const char *path, const char *ctype,
    const char *body, size_t len, ...)
{
	struct err err;
	const char *k, *v;
	va_list ap;

	req_cleanup(&fx.r);
	resp_cleanup(&fx.w);
	req_init(&fx.r, fx.app.pool == POOL_NOTIFY ? LIM_NOTIFY_BODY :
	    (size_t)fx.cfg.max_body_bytes);
	resp_init(&fx.w);
	req_set_param(&fx.r, "REQUEST_METHOD", method);
	req_set_param(&fx.r, "DOCUMENT_URI", path);
	req_set_param(&fx.r, "REMOTE_ADDR", "203.0.113.7");
	req_set_param(&fx.r, "REQUEST_ID", "fixture-rid");
	if (ctype)
		req_set_param(&fx.r, "CONTENT_TYPE", ctype);
	va_start(ap, len);
	while ((k = va_arg(ap, const char *)) != NULL) {
		v = va_arg(ap, const char *);
		req_set_param(&fx.r, k, v);
	}
	va_end(ap);
	if (body && req_set_body(&fx.r, body, len, &err) == -1) {
		resp_error(&fx.w, &fx.r, &err);
		return;
	}
	if (req_prepare(&fx.r, &err) == -1) {
		resp_error(&fx.w, &fx.r, &err);
		return;
	}
	route_dispatch(route_table, route_count, fx.app.pool, &fx.app, &fx.r,
	    &fx.w);
}

/* The answer's body as a NUL-terminated string (borrowed). */
static inline const char *
fx_body(void)
{
	return buf_str(&fx.w.body);
}

/* Member k of the answer's JSON object as a string, or "" (a static
 * copy, valid until the next call). */
static inline const char *
fx_json(const char *k)
{
	static char out[512];
	struct json_object *o = json_tokener_parse(fx_body()), *v;

	out[0] = '\0';
	if (o && json_object_object_get_ex(o, k, &v) && v)
		str_lcpy(out, json_object_get_string(v), sizeof(out));
	json_object_put(o);
	return out;
}

#endif
