/*
 * cli_doctor.c - h5pay doctor -c FILE: the go-live check an operator runs
 * on the production host (issue 10; docs/going-live.md). One line per
 * check, "PASS|WARN|FAIL <check>: <what> [; fix: <what to do>]", and the
 * exact strings to register in the consoles. Exit 1 on any FAIL.
 *
 * What it does, in order: the config and its file modes; the keys (form,
 * size, which is whose); a signed query for a random transactionId at
 * UseePay (TLS, DNS, the server's clock from the Date header, and a signed
 * "not found" that proves merchant number, key and IP allow-list); the
 * WeChat appid/AppSecret through a code exchange with a code that cannot
 * exist; our public notifyUrl answering our own signed self-test
 * notification (USEEPAY_SELFTEST_TYPE: stored, answered 200, no order
 * changes); the MP_verify_*.txt file served at the web root.
 * What it does not do: touch the database, create anything at UseePay,
 * print a key, secret, token or signature.
 */
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <json-c/json.h>

#include "app.h"
#include "cfg.h"
#include "cli.h"
#include "form.h"
#include "httpc.h"
#include "keys.h"
#include "log.h"
#include "sign.h"
#include "useepay.h"
#include "util.h"

/* Clock skew against UseePay's Date header: WARN past this, FAIL past
 * DOC_SKEW_FAIL_SEC (timestamps, expiries and TLS need a sane clock). */
#define DOC_SKEW_WARN_SEC 60
#define DOC_SKEW_FAIL_SEC 300
#define DOC_MP_VERIFY_DIR "/var/lib/h5pay/wechat-verify"
#define LIM_DOC_URL 4096

enum doc_level { DOC_PASS, DOC_WARN, DOC_FAIL };

struct doc {
	int fails, warns;
};

static void doc_line(struct doc *, enum doc_level, const char *check,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
doc_line(struct doc *d, enum doc_level lvl, const char *check,
    const char *fmt, ...)
{
	static const char *const names[] = {"PASS", "WARN", "FAIL"};
	va_list ap;

	if (lvl == DOC_FAIL)
		d->fails++;
	else if (lvl == DOC_WARN)
		d->warns++;
	printf("%s %s: ", names[lvl], check);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static int64_t
doc_now_ms(void *ctx)
{
	(void)ctx;
	return now_ms();
}

/* The host part of an absolute URL into out (no port). */
static void
doc_host(const char *url, char *out, size_t sz)
{
	const char *p = strstr(url, "://"), *e;
	size_t n;

	out[0] = '\0';
	if (p == NULL)
		return;
	p += 3;
	for (e = p; *e && *e != '/' && *e != ':' && *e != '?'; e++)
		;
	n = (size_t)(e - p) < sz - 1 ? (size_t)(e - p) : sz - 1;
	memcpy(out, p, n);
	out[n] = '\0';
}

/* ---- config and keys ------------------------------------------------- */

static void
doc_config_mode(struct doc *d, const char *path)
{
	struct stat st;

	if (stat(path, &st) == -1) {
		doc_line(d, DOC_FAIL, "config", "cannot stat %s", path);
		return;
	}
	if (st.st_mode & 022)
		doc_line(d, DOC_FAIL, "config", "%s is writable by group or "
		    "others (mode %03o); fix: chmod 640 %s", path,
		    (unsigned)(st.st_mode & 0777), path);
	else
		doc_line(d, DOC_PASS, "config", "%s is valid, mode %03o; "
		    "secret files are mode 0600 or stricter", path,
		    (unsigned)(st.st_mode & 0777));
}

static void
doc_keys(struct doc *d, const struct cfg *c, const struct keys *k)
{
	if (c->useepay_sign_type == SIGN_MD5)
		doc_line(d, DOC_PASS, "keys", "MD5 key loaded (%zu bytes)",
		    strlen(k->md5_key));
	else if (k->warn[0] != '\0')
		doc_line(d, DOC_WARN, "keys", "%s; fix: make a 2048-bit key "
		    "(openssl genpkey -algorithm RSA -pkeyopt "
		    "rsa_keygen_bits:2048 -out merchant.pem), upload its "
		    "public half (openssl pkey -in merchant.pem -pubout) in "
		    "the UseePay console", k->warn);
	else
		doc_line(d, DOC_PASS, "keys", "RSA: merchant private key %d "
		    "bits, UseePay public key %d bits",
		    sign_key_bits(k->merchant_priv),
		    sign_key_bits(k->provider_pub));
	if (k->merchant_priv != NULL && k->provider_pub != NULL &&
	    sign_key_same_public(k->merchant_priv, k->provider_pub))
		doc_line(d, DOC_FAIL, "keys", "useepay_public_key_file is the "
		    "public half of your own key, not UseePay's; fix: copy "
		    "UseePay's public key from the merchant console");
	if (k->md5_key_next != NULL || k->provider_pub_next != NULL ||
	    (c->useepay_sign_type == SIGN_RSA && k->md5_key != NULL) ||
	    (c->useepay_sign_type == SIGN_MD5 && k->provider_pub != NULL))
		doc_line(d, DOC_WARN, "keys", "a rotation overlap is open "
		    "(a second key verifies notifications); fix: remove the "
		    "old key's line once UseePay signs with the new one");
}

/* ---- UseePay ----------------------------------------------------------- */

/* Parse an HTTP date (RFC 7231 IMF-fixdate) into *t. */
static int
doc_http_date(const char *s, time_t *t)
{
	struct tm tm;
	const char *e;

	memset(&tm, 0, sizeof(tm));
	e = strptime(s, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (e == NULL || *e != '\0')
		return -1;
	*t = timegm(&tm);
	return 0;
}

static void
doc_clock(struct doc *d, const struct httpc_resp *rs)
{
	time_t them, us = time(NULL);
	long long skew;

	if (rs->date[0] == '\0' || doc_http_date(rs->date, &them) == -1) {
		doc_line(d, DOC_WARN, "clock", "UseePay's answer carried no "
		    "usable Date header: cannot compare clocks");
		return;
	}
	skew = (long long)us - (long long)them;
	if (skew < 0)
		skew = -skew;
	if (skew <= DOC_SKEW_WARN_SEC)
		doc_line(d, DOC_PASS, "clock", "within %lld s of UseePay's",
		    skew);
	else
		doc_line(d, skew > DOC_SKEW_FAIL_SEC ? DOC_FAIL : DOC_WARN,
		    "clock", "%lld s away from UseePay's (%s); fix: "
		    "synchronise the clock (timedatectl set-ntp true)", skew,
		    rs->date);
}

/* A short, printable excerpt of an answer body for a FAIL line. */
static void
doc_excerpt(const struct buf *b, char *out, size_t sz)
{
	size_t i, o = 0;

	for (i = 0; i < b->len && o + 1 < sz; i++)
		out[o++] = (b->data[i] >= ' ' && b->data[i] <= '~' &&
		    b->data[i] != '"') ? b->data[i] : '.';
	out[o] = '\0';
}

static void
doc_useepay_refused(struct doc *d, const struct kvlist *l, long status)
{
	const char *ec = kvlist_get(l, "errorCode");
	const char *em = kvlist_get(l, "errorMsg");

	doc_line(d, DOC_FAIL, "useepay query", "UseePay refused us, unsigned "
	    "(HTTP %ld, errorCode %.16s, errorMsg \"%.128s\"): this is a "
	    "merchant configuration error, not an outage; fix: check "
	    "useepay_merchant_no, the key (the MD5 key or the RSA public "
	    "key uploaded in the UseePay console must match "
	    "useepay_%s_file), and ask UseePay to allow-list this server's "
	    "outbound IP", status, ec ? ec : "-", em ? em : "-",
	    "md5_key or private_key");
}

static void
doc_useepay(struct doc *d, struct app *a)
{
	const struct cfg *c = a->cfg;
	struct kvlist fields, raw, reply;
	struct httpc_req rq;
	struct httpc_resp rs;
	struct buf body, url;
	struct err err;
	unsigned char rnd[8];
	char id[32], host[256], ex[160];
	size_t blen = strlen(c->useepay_base_url);

	kvlist_init(&fields);
	kvlist_init(&raw);
	kvlist_init(&reply);
	buf_init(&body, LIM_USEEPAY_REQUEST);
	buf_init(&url, LIM_DOC_URL);
	httpc_resp_init(&rs, (size_t)c->http_max_response_bytes);
	doc_host(c->useepay_base_url, host, sizeof(host));
	memcpy(id, "DOCTOR", 6);
	if (random_bytes(NULL, rnd, sizeof(rnd)) == -1)
		memset(rnd, 0, sizeof(rnd));
	hex_encode(rnd, sizeof(rnd), id + 6);
	err_clear(&err);
	if (useepay_query_build(c, a->keys, id, &fields, &err) == -1 ||
	    form_encode(&body, &fields) == -1 ||
	    buf_printf(&url, "%s%s", c->useepay_base_url, blen > 0 &&
	    c->useepay_base_url[blen - 1] == '/' ? "api" : "/api") == -1) {
		doc_line(d, DOC_FAIL, "useepay query", "cannot build the "
		    "query: %s", err.msg);
		goto out;
	}
	memset(&rq, 0, sizeof(rq));
	rq.method = "POST";
	rq.url = buf_str(&url);
	rq.content_type = "application/x-www-form-urlencoded";
	rq.body = buf_str(&body);
	rq.body_len = body.len;
	rq.timeout_ms = (long)c->useepay_query_timeout_ms;
	if (httpc_send(a->httpc, &rq, &rs, &err) == -1) {
		doc_line(d, DOC_FAIL, "useepay tls", "%s: %s; fix: check DNS "
		    "for %s, outbound HTTPS (443) from this host, the CA "
		    "bundle (http_ca_file) and the clock (certificate "
		    "validity)", host, err.msg, host);
		goto out;
	}
	doc_line(d, DOC_PASS, "useepay tls", "%s answered over HTTPS, "
	    "certificate verified", host);
	doc_clock(d, &rs);
	/* unsigned or not JSON at all: read it without trusting it, only to
	 * say what is wrong */
	if (useepay_json_fields(buf_str(&rs.body), rs.body.len, "answer",
	    &raw, &err) == -1) {
		doc_excerpt(&rs.body, ex, sizeof(ex));
		doc_line(d, DOC_FAIL, "useepay query", "HTTP %ld, not a JSON "
		    "answer (\"%.120s\"); fix: %s", rs.status, ex,
		    rs.status == 403 ? "ask UseePay to allow-list this "
		    "server's outbound IP" : "check useepay_base_url "
		    "(the gateway, e.g. https://pay-gateway.useepay.com)");
		goto out;
	}
	if (kvlist_get(&raw, "sign") == NULL || rs.status != 200) {
		if (rs.status == 403)
			doc_line(d, DOC_FAIL, "useepay query", "HTTP 403 "
			    "(errorMsg \"%.128s\"): the server's outbound IP "
			    "is likely not allow-listed; fix: ask UseePay to "
			    "allow-list it", kvlist_get(&raw, "errorMsg") ?
			    kvlist_get(&raw, "errorMsg") : "-");
		else
			doc_useepay_refused(d, &raw, rs.status);
		goto out;
	}
	if (useepay_response_decode(c, a->keys, buf_str(&rs.body),
	    rs.body.len, &reply, &err) == -1) {
		doc_line(d, DOC_FAIL, "useepay query", "the answer is signed "
		    "but does not verify (%s); fix: %s", err.msg,
		    c->useepay_sign_type == SIGN_MD5 ? "useepay_md5_key_file "
		    "must hold the MD5 key shown in the UseePay console" :
		    "useepay_public_key_file must hold UseePay's public key "
		    "from the UseePay console");
		goto out;
	}
	doc_line(d, DOC_PASS, "useepay query", "a signed answer for the "
	    "random transactionId %s (errorCode %.16s): merchant number, "
	    "key and IP allow-list are accepted", id,
	    kvlist_get(&reply, "errorCode") ? kvlist_get(&reply,
	    "errorCode") : "-");
out:
	httpc_resp_cleanup(&rs);
	buf_cleanup(&url);
	buf_cleanup(&body);
	kvlist_cleanup(&fields);
	kvlist_cleanup(&raw);
	kvlist_cleanup(&reply);
}

/* ---- WeChat ------------------------------------------------------------ */

/* Never print the AppSecret, even inside a transport error. */
static void
doc_scrub(char *msg, const char *secret)
{
	size_t n = strlen(secret);
	char *p;

	if (n == 0)
		return;
	while ((p = strstr(msg, secret)) != NULL)
		memset(p, '*', n);
}

static void
doc_wechat(struct doc *d, struct app *a)
{
	const struct cfg *c = a->cfg;
	const char *secret = a->keys->wechat_secret;
	struct httpc_req rq = {.method = "GET"};
	struct httpc_resp rs;
	struct json_object *o = NULL, *v;
	struct buf url;
	struct err err;
	char host[256];
	int64_t code = -1;

	buf_init(&url, LIM_DOC_URL);
	httpc_resp_init(&rs, (size_t)c->http_max_response_bytes);
	doc_host(c->wechat_api_base_url, host, sizeof(host));
	/* the exchange h5payd does, with a code that cannot exist: WeChat
	 * checks appid and AppSecret first */
	if (buf_printf(&url, "%s/sns/oauth2/access_token?appid=",
	    c->wechat_api_base_url) == -1 ||
	    form_encode_component(&url, c->wechat_appid,
	    strlen(c->wechat_appid)) == -1 ||
	    buf_adds(&url, "&secret=") == -1 ||
	    form_encode_component(&url, secret, strlen(secret)) == -1 ||
	    buf_adds(&url, "&code=h5paydoctor&grant_type="
	    "authorization_code") == -1) {
		doc_line(d, DOC_FAIL, "wechat", "exchange URL too long");
		goto out;
	}
	rq.url = buf_str(&url);
	rq.timeout_ms = (long)c->wechat_oauth_timeout_ms;
	err_clear(&err);
	if (httpc_send(a->httpc, &rq, &rs, &err) == -1) {
		doc_scrub(err.msg, secret);
		doc_line(d, DOC_FAIL, "wechat tls", "%s: %s; fix: check DNS "
		    "and outbound HTTPS to %s", host, err.msg, host);
		goto out;
	}
	doc_line(d, DOC_PASS, "wechat tls", "%s answered over HTTPS, "
	    "certificate verified", host);
	o = json_tokener_parse(buf_str(&rs.body));
	if (o != NULL && json_object_object_get_ex(o, "errcode", &v))
		code = json_object_get_int64(v);
	if (rs.status != 200 || o == NULL)
		doc_line(d, DOC_FAIL, "wechat", "HTTP %ld without a WeChat "
		    "answer; fix: check wechat_api_base_url", rs.status);
	else if (code == 40029 || code == 40163)
		doc_line(d, DOC_PASS, "wechat", "appid %s and its AppSecret "
		    "are accepted (the test code was refused, as expected)",
		    c->wechat_appid);
	else if (code == 40125 || code == 41004)
		doc_line(d, DOC_FAIL, "wechat", "the AppSecret is refused "
		    "(errcode %lld); fix: put the Official Account's "
		    "AppSecret (设置与开发 → 基本配置) in wechat_secret_file",
		    (long long)code);
	else if (code == 40013)
		doc_line(d, DOC_FAIL, "wechat", "appid %s is refused; fix: "
		    "wechat_appid is the Official Account's AppID",
		    c->wechat_appid);
	else if (code == 40164 || code == 61004)
		doc_line(d, DOC_FAIL, "wechat", "this server's IP is not in "
		    "the Official Account's IP whitelist (errcode %lld); fix: "
		    "add it under 设置与开发 → 基本配置", (long long)code);
	else
		doc_line(d, DOC_WARN, "wechat", "unexpected answer (errcode "
		    "%lld): cannot tell whether appid and AppSecret are right",
		    (long long)code);
out:
	json_object_put(o);
	if (url.data)
		mem_wipe(url.data, url.cap);
	if (rs.body.data)
		mem_wipe(rs.body.data, rs.body.cap);
	httpc_resp_cleanup(&rs);
	buf_cleanup(&url);
}

/* ---- our own public URLs ------------------------------------------------- */

static void
doc_notify(struct doc *d, struct app *a)
{
	const struct cfg *c = a->cfg;
	struct kvlist l;
	struct httpc_req rq;
	struct httpc_resp rs;
	struct buf body;
	struct err err;
	unsigned char rnd[8];
	char id[32];

	kvlist_init(&l);
	buf_init(&body, LIM_USEEPAY_REQUEST);
	httpc_resp_init(&rs, 4096);
	memcpy(id, "DOCTOR", 6);
	if (random_bytes(NULL, rnd, sizeof(rnd)) == -1)
		memset(rnd, 0, sizeof(rnd));
	hex_encode(rnd, sizeof(rnd), id + 6);
	err_clear(&err);
	if (useepay_selftest_build(c, a->keys, id, &l, &err) == -1 ||
	    form_encode(&body, &l) == -1) {
		doc_line(d, DOC_FAIL, "notify url", "cannot build the "
		    "self-test: %s", err.msg);
		goto out;
	}
	memset(&rq, 0, sizeof(rq));
	rq.method = "POST";
	rq.url = c->useepay_notify_url;
	rq.content_type = "application/x-www-form-urlencoded";
	rq.body = buf_str(&body);
	rq.body_len = body.len;
	if (httpc_send(a->httpc, &rq, &rs, &err) == -1)
		doc_line(d, DOC_FAIL, "notify url", "%s is unreachable from "
		    "here (%s): UseePay cannot reach it either; fix: DNS, "
		    "the certificate, nginx listening on 443 for this host",
		    c->useepay_notify_url, err.msg);
	else if (rs.status == 200)
		doc_line(d, DOC_PASS, "notify url", "%s answered our signed "
		    "self-test notification (%s, changes no order) with 200",
		    c->useepay_notify_url, id);
	else
		doc_line(d, DOC_FAIL, "notify url", "%s answered HTTP %ld to "
		    "our signed self-test; fix: %s", c->useepay_notify_url,
		    rs.status, rs.status == 401 ? "h5payd runs with other "
		    "keys than this config" : rs.status == 404 ? "nginx "
		    "must pass /notify to h5payd's notify socket" :
		    "look at h5payd's and nginx's logs");
out:
	httpc_resp_cleanup(&rs);
	buf_cleanup(&body);
	kvlist_cleanup(&l);
}

/* The first MP_verify_*.txt in dir into name[sz]; 0 if none. */
static int
doc_mp_find(const char *dir, char *name, size_t sz)
{
	struct dirent *e;
	DIR *dp = opendir(dir);
	int found = 0;

	if (dp == NULL)
		return 0;
	while ((e = readdir(dp)) != NULL)
		if (strncmp(e->d_name, "MP_verify_", 10) == 0 &&
		    strlen(e->d_name) > 14 && strlen(e->d_name) < sz &&
		    strcmp(e->d_name + strlen(e->d_name) - 4, ".txt") == 0) {
			str_lcpy(name, e->d_name, sz);
			found = 1;
			break;
		}
	closedir(dp);
	return found;
}

static void
doc_mp_verify(struct doc *d, struct app *a, const char *dir)
{
	const struct cfg *c = a->cfg;
	struct httpc_req rq = {.method = "GET"};
	struct httpc_resp rs;
	struct buf url, want;
	struct err err;
	char name[256], path[1024], dirbuf[1024];

	if (!doc_mp_find(dir, name, sizeof(name))) {
		doc_line(d, DOC_WARN, "mp verify", "no MP_verify_*.txt in %s; "
		    "fix: download it from the Official Account console "
		    "(设置与开发 → 公众号设置 → 功能设置 → 网页授权域名) "
		    "into %s",
		    dir, dir);
		return;
	}
	buf_init(&url, LIM_DOC_URL);
	httpc_resp_init(&rs, 4096);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (cfg_file_read(path, 4096, &want, dirbuf, sizeof(dirbuf),
	    &err) == -1) {
		doc_line(d, DOC_FAIL, "mp verify", "%s", err.msg);
		goto out;
	}
	buf_printf(&url, "%s/%s", c->public_base_url, name);
	rq.url = buf_str(&url);
	if (httpc_send(a->httpc, &rq, &rs, &err) == -1 || rs.status != 200 ||
	    rs.body.len != want.len || memcmp(rs.body.data, want.data,
	    want.len) != 0)
		doc_line(d, DOC_FAIL, "mp verify", "%s is not served with the "
		    "file's content (HTTP %ld); fix: nginx must serve %s at "
		    "the web root", buf_str(&url), rs.status, path);
	else
		doc_line(d, DOC_PASS, "mp verify", "%s is served", buf_str(
		    &url));
	buf_cleanup(&want);
out:
	httpc_resp_cleanup(&rs);
	buf_cleanup(&url);
}

/* What to type into the consoles, derived from the config. */
static void
doc_register(struct doc *d, const struct cfg *c)
{
	char host[256];

	doc_host(c->public_base_url, host, sizeof(host));
	doc_line(d, DOC_PASS, "register", "网页授权域名 (Official Account "
	    "console): %s", host);
	doc_line(d, DOC_PASS, "register", "支付授权目录 (JSAPI payment "
	    "directory, given to UseePay): %s/shop/", c->public_base_url);
	if (strcmp(c->useepay_app_id, host) != 0)
		doc_line(d, DOC_WARN, "register", "useepay_app_id is %s but "
		    "the shop's host is %s; fix: register the shop's host in "
		    "the UseePay console and set useepay_app_id to it",
		    c->useepay_app_id, host);
	else
		doc_line(d, DOC_PASS, "register", "site domain (UseePay "
		    "console, useepay_app_id): %s", host);
	doc_line(d, DOC_PASS, "register", "notifyUrl sent with every pay: %s",
	    c->useepay_notify_url);
}

int
cli_doctor(int argc, char **argv)
{
	const char *path = NULL, *mp_dir = DOC_MP_VERIFY_DIR;
	struct keys *keys = NULL;
	struct doc d = {0, 0};
	struct cfg c;
	struct app a;
	struct err err;
	int i;

	for (i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "-c") == 0)
			path = argv[i + 1];
		else if (strcmp(argv[i], "--mp-verify-dir") == 0)
			mp_dir = argv[i + 1];
		else
			break;
	}
	if (path == NULL || i != argc) {
		fprintf(stderr, "usage: h5pay doctor -c FILE "
		    "[--mp-verify-dir DIR]\n");
		return 2;
	}
	log_set_level(LOG_ERROR);
	if (httpc_global_init() == -1) {
		fprintf(stderr, "h5pay doctor: curl_global_init failed\n");
		return 1;
	}
	err_clear(&err);
	if (cfg_load(&c, path, &err) == -1) {
		doc_line(&d, DOC_FAIL, "config", "%s; fix: see `h5pay "
		    "config-keys` and docs/going-live.md", err.msg);
		return 1;
	}
	doc_config_mode(&d, path);
	if (c.http_allow_plain || !c.cookie_secure)
		doc_line(&d, DOC_WARN, "config", "%s is a test setting; fix: "
		    "remove it from a production config", c.http_allow_plain ?
		    "http_allow_plain = yes" : "cookie_secure = no");
	memset(&a, 0, sizeof(a));
	if (keys_load(&keys, &c, &err) == -1) {
		doc_line(&d, DOC_FAIL, "keys", "%s; fix: keys may be PEM, "
		    "PKCS#8 DER or the console's one-line Base64 as is; to "
		    "convert: openssl pkcs8 -topk8 -nocrypt -in KEY -out "
		    "key.pem (private), openssl pkey -pubin -in KEY -out "
		    "pub.pem (public); RSA needs 1024 bits or more", err.msg);
		goto out;
	}
	doc_keys(&d, &c, keys);
	a.cfg = &c;
	a.keys = keys;
	a.pool = POOL_TASKS;
	a.clock.now_ms = doc_now_ms;
	a.rng.bytes = random_bytes;
	if ((a.httpc = httpc_curl_new(&c, &err)) == NULL) {
		doc_line(&d, DOC_FAIL, "http", "%s", err.msg);
		goto out;
	}
	doc_useepay(&d, &a);
	doc_wechat(&d, &a);
	doc_notify(&d, &a);
	doc_mp_verify(&d, &a, mp_dir);
	doc_register(&d, &c);
out:
	printf("%d FAIL, %d WARN\n", d.fails, d.warns);
	httpc_free(a.httpc);
	keys_free(keys);
	cfg_cleanup(&c);
	return d.fails > 0 ? 1 : 0;
}
