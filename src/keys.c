/*
 * keys.c - load and wipe the secrets named by the configuration.
 * Secret contents never reach a log line; errors name the key and file.
 */
#include <stdlib.h>
#include <string.h>

#include "keys.h"
#include "lim.h"
#include "util.h"

int
keys_load(struct keys **out, const struct cfg *c, struct err *err)
{
	struct keys *k = xcalloc(1, sizeof(*k));

	k->sign_type = c->useepay_sign_type;
	if (c->useepay_sign_type == SIGN_MD5) {
		k->md5_key = cfg_read_secret(c->useepay_md5_key_file,
		    "useepay_md5_key_file", LIM_SECRET, err);
		if (k->md5_key == NULL)
			goto fail;
	} else {
		k->merchant_priv = sign_key_load_private(
		    c->useepay_private_key_file, err);
		if (k->merchant_priv == NULL)
			goto fail;
		k->provider_pub = sign_key_load_public(
		    c->useepay_public_key_file, err);
		if (k->provider_pub == NULL)
			goto fail;
	}
	k->wechat_secret = cfg_read_secret(c->wechat_secret_file,
	    "wechat_secret_file", LIM_SECRET, err);
	if (k->wechat_secret == NULL)
		goto fail;
	if (c->api_return_secret_file != NULL) {
		k->api_return_secret = cfg_read_secret(
		    c->api_return_secret_file, "api_return_secret_file",
		    LIM_SECRET, err);
		if (k->api_return_secret == NULL)
			goto fail;
		if (strlen(k->api_return_secret) < 32) {
			err_set(err, E_INPUT, "api_return_secret_file: at "
			    "least 32 bytes");
			goto fail;
		}
	}
	*out = k;
	return 0;
fail:
	keys_free(k);
	return -1;
}

void
keys_free(struct keys *k)
{
	if (k == NULL)
		return;
	secret_free(k->md5_key);
	secret_free(k->wechat_secret);
	secret_free(k->api_return_secret);
	sign_key_free(k->merchant_priv);
	sign_key_free(k->provider_pub);
	free(k);
}
