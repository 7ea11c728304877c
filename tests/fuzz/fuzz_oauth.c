/*
 * fuzz_oauth.c - libFuzzer target for the untrusted inputs of the WeChat
 * login (docs/protocol.md §W1): the return path and code/state checks
 * (browser input), and WeChat's access_token answer (network input, fed
 * through a fake httpc into oauth_code_exchange).
 *
 * First byte: 0 = the input is a return path / code / state; else it is
 * the token endpoint's answer body. Invariants checked: a valid return
 * path is always a relative path on this site; an OK outcome always
 * carries a well-formed openid.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "cfg.h"
#include "httpc.h"
#include "keys.h"
#include "log.h"
#include "oauth.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t *f_body;
static size_t f_len;

static int
f_send(struct httpc *h, const struct httpc_req *rq, struct httpc_resp *rs,
    struct err *err)
{
	(void)h;
	(void)rq;
	(void)err;
	rs->status = 200;
	if (buf_add(&rs->body, f_body, f_len) == -1)
		return err_set(err, E_TOOBIG, "fuzz: body over the cap");
	return 0;
}

static int64_t
f_now(void *ctx)
{
	(void)ctx;
	return 1700000000000LL;
}

static void
check_ret(const char *s)
{
	size_t i;

	if (!oauth_ret_valid(s))
		return;
	if (s[0] != '/' || s[1] == '/' || s[1] == '\\')
		abort();
	for (i = 0; s[i]; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f ||
		    s[i] == '\\')
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cfg cfg;
	static struct keys keys;
	static struct httpc h = {.send = f_send};
	static int init;
	struct app app;
	struct oauth_user u;
	struct err err;

	if (!init) {
		log_set_level(LOG_ERROR);
		oauth_retry_backoff_set(0);
		cfg.public_base_url = "https://shop.example.com";
		cfg.wechat_appid = "wx1234567890abcdef";
		cfg.wechat_authorize_url = "https://open.weixin.qq.com/"
		    "connect/oauth2/authorize";
		cfg.wechat_api_base_url = "https://api.weixin.qq.com";
		cfg.http_max_response_bytes = 65536;
		keys.wechat_secret = "fuzz-secret";
		init = 1;
	}
	if (size == 0)
		return 0;
	if (data[0] == 0) {
		char *s = xstrndup((const char *)data + 1, size - 1);

		check_ret(s);
		(void)oauth_code_valid(s);
		(void)oauth_nonce_valid(s);
		free(s);
		return 0;
	}
	memset(&app, 0, sizeof(app));
	app.cfg = &cfg;
	app.keys = &keys;
	app.httpc = &h;
	app.clock.now_ms = f_now;
	f_body = data + 1;
	f_len = size - 1;
	if (oauth_code_exchange(&app, "FUZZCODE", &u, &err) == 0 &&
	    u.outcome == OAUTH_OK && (u.openid[0] == '\0' ||
	    strlen(u.openid) > STORE_OPENID_MAX))
		abort();
	return 0;
}
