/*
 * fuzz_sim.c - libFuzzer: hostile requests through h5pay-sim's handlers,
 * as nginx would hand them over: the gateway (raw, and re-signed with the
 * MD5 key so the input reaches every field check past the signature), the
 * payer's JSON check and confirm, the OAuth authorize and token
 * endpoints, and the control endpoint. Nothing may crash, leak or read
 * out of bounds; every answer must be a complete response.
 *
 * The first input byte picks the endpoint; the rest is the body or the
 * query string. The sim's database is a scratch file, its "WeChat" key
 * the provider test key from $H5PAY_TEST_DATA/vectors (ctest sets it).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "form.h"
#include "req.h"
#include "sim.h"
#include "store.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct sim sim;
static struct app app;

static int64_t
fuzz_now(void *ctx)
{
	(void)ctx;
	return 1700000000000LL;
}

static int
fuzz_rand(void *ctx, unsigned char *b, size_t n)
{
	static unsigned char x;

	(void)ctx;
	while (n--)
		*b++ = x++;
	return 0;
}

static char dir[] = "/tmp/h5pay-fuzz-sim-XXXXXX";

/* Remove the scratch database when the fuzzer exits. */
static void
fuzz_cleanup(void)
{
	static const char *const ext[] = {"", "-wal", "-shm", ".lock"};
	char path[4096];
	size_t i;

	store_close(app.store);
	app.store = NULL;
	for (i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		snprintf(path, sizeof(path), "%s/sim.db%s", dir, ext[i]);
		unlink(path);
	}
	rmdir(dir);
}

static void
fuzz_init(void)
{
	struct store_opts so = {"NORMAL", 1000, false};
	const char *d = getenv("H5PAY_TEST_DATA");
	char path[4096];
	struct err err;

	if (mkdtemp(dir) == NULL)
		exit(2);
	atexit(fuzz_cleanup);
	snprintf(path, sizeof(path), "%s/vectors/provider_test_key.pem",
	    d ? d : "tests");
	pthread_mutex_init(&sim.mu, NULL);
	pthread_cond_init(&sim.wake, NULL);
	if ((sim.wechat_priv = sign_key_load_private(path, &err)) == NULL ||
	    (sim.provider_priv = sign_key_load_private(path, &err)) == NULL) {
		fprintf(stderr, "fuzz_sim: %s (set H5PAY_TEST_DATA to the "
		    "tests/ dir)\n", err.msg);
		exit(2);
	}
	sim.md5_key = xstrdup("TESTKEY0123456789");
	sim.wechat_secret = xstrdup("secret");
	sim.cfg.merchant_no = xstrdup("500000000007362");
	sim.cfg.currencies = xstrdup("HKD,CNY");
	sim.cfg.merchant_name = xstrdup("fuzz");
	sim.cfg.wechat_appid = xstrdup("wx1234567890abcdef");
	sim.cfg.cors_origin = xstrdup("https://127.0.0.1:1");
	sim.cfg.oauth_code_ttl_sec = 300;
	sim.cfg.notify_minute_ms = 1;
	sim.cfg.http_timeout_ms = 1000;
	snprintf(path, sizeof(path), "%s/sim.db", dir);
	sim.cfg.db_path = xstrdup(path);
	app.ext = &sim;
	app.clock.now_ms = fuzz_now;
	app.rng.bytes = fuzz_rand;
	app.pool = POOL_WEB;
	if (store_open(&app.store, path, &so, &err) == -1 ||
	    sim_store_migrate(app.store, &err) == -1) {
		fprintf(stderr, "fuzz_sim: %s\n", err.msg);
		exit(2);
	}
}

/* Decode, add a valid MD5 signature, re-encode (mode 1). */
static void
resign(const char *p, size_t n, struct buf *out)
{
	struct kvlist l;
	struct buf sig;
	struct err err;

	kvlist_init(&l);
	buf_init(&sig, 64);
	if (form_decode(p, n, &l, &err) == 0 &&
	    sign_md5(&l, sim.md5_key, &sig, &err) == 0) {
		kvlist_add(&l, "sign", 4, sig.data, sig.len);
		form_encode(out, &l);
	} else {
		buf_add(out, p, n);
	}
	buf_cleanup(&sig);
	kvlist_cleanup(&l);
}

static int
sink(void *ctx, const char *p, size_t n)
{
	(void)ctx;
	(void)p;
	(void)n;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct {
		const char *method, *path, *ctype;
		bool query;
	} ep[] = {
		{"POST", "/api", "application/x-www-form-urlencoded", false},
		{"POST", "/api", "application/x-www-form-urlencoded", false},
		{"POST", "/sim/pay/check", "application/json", false},
		{"POST", "/sim/pay/confirm", "application/json", false},
		{"GET", "/connect/oauth2/authorize", "", true},
		{"GET", "/sns/oauth2/access_token", "", true},
		{"POST", "/sim/control", "application/json", false},
	};
	struct req r;
	struct resp w;
	struct buf body, q;
	struct err err;
	unsigned k;

	if (app.store == NULL)
		fuzz_init();
	if (size < 1)
		return 0;
	k = data[0] % (sizeof(ep) / sizeof(ep[0]));
	data++;
	size--;
	buf_init(&body, 1 << 20);
	buf_init(&q, LIM_QUERY);
	if (k == 1)
		resign((const char *)data, size, &body);
	else if (!ep[k].query)
		buf_add(&body, data, size);
	else if (memchr(data, '\0', size) == NULL)
		buf_add(&q, data, size);
	req_init(&r, 64 * 1024);
	resp_init(&w);
	req_set_param(&r, "REQUEST_METHOD", ep[k].method);
	req_set_param(&r, "DOCUMENT_URI", ep[k].path);
	req_set_param(&r, "CONTENT_TYPE", ep[k].ctype);
	req_set_param(&r, "QUERY_STRING", buf_str(&q));
	req_set_param(&r, "REMOTE_ADDR", "127.0.0.1");
	if (req_set_body(&r, body.data ? body.data : "", body.len, &err) ==
	    0 && req_prepare(&r, &err) == 0) {
		route_dispatch(sim_routes, sim_route_count, POOL_WEB, &app, &r,
		    &w);
		if (w.status < 100 || w.status > 599)
			abort();
		(void)resp_write(&w, sink, NULL);
	}
	/* the control endpoint may have switched faults on: off again, so
	 * no input sleeps */
	memset(&sim.faults, 0, sizeof(sim.faults));
	resp_cleanup(&w);
	req_cleanup(&r);
	buf_cleanup(&body);
	buf_cleanup(&q);
	return 0;
}
