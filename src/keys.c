/*
 * keys.c - load and wipe the secrets named by the configuration.
 * Secret contents never reach a log line; errors name the key and file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"
#include "lim.h"
#include "util.h"

/* Load an RSA key file (any form sign.c reads) and note a weak one. */
static int
keys_rsa(struct keys *k, sign_key **dst, const char *path, const char *key,
    bool private, struct err *err)
{
	size_t n = strlen(k->warn);
	int bits;

	*dst = private ? sign_key_load_private(path, err) :
	    sign_key_load_public(path, err);
	if (*dst == NULL)
		return -1;
	bits = sign_key_bits(*dst);
	if (bits < SIGN_WEAK_BITS)
		snprintf(k->warn + n, sizeof(k->warn) - n, "%s%s: RSA key of "
		    "%d bits is weak (ask UseePay for %d)", n ? "; " : "", key,
		    bits, SIGN_WEAK_BITS);
	return 0;
}

int
keys_load(struct keys **out, const struct cfg *c, struct err *err)
{
	struct keys *k = xcalloc(1, sizeof(*k));

	k->sign_type = c->useepay_sign_type;
	if (c->useepay_md5_key_file != NULL) {
		k->md5_key = cfg_read_secret(c->useepay_md5_key_file,
		    "useepay_md5_key_file", LIM_SECRET, err);
		if (k->md5_key == NULL)
			goto fail;
	}
	if (c->useepay_md5_key_next_file != NULL) {
		k->md5_key_next = cfg_read_secret(c->useepay_md5_key_next_file,
		    "useepay_md5_key_next_file", LIM_SECRET, err);
		if (k->md5_key_next == NULL)
			goto fail;
	}
	if (c->useepay_sign_type == SIGN_RSA && keys_rsa(k, &k->merchant_priv,
	    c->useepay_private_key_file, "useepay_private_key_file", true,
	    err) == -1)
		goto fail;
	if (c->useepay_public_key_file != NULL && keys_rsa(k, &k->provider_pub,
	    c->useepay_public_key_file, "useepay_public_key_file", false,
	    err) == -1)
		goto fail;
	if (c->useepay_public_key_next_file != NULL && keys_rsa(k,
	    &k->provider_pub_next, c->useepay_public_key_next_file,
	    "useepay_public_key_next_file", false, err) == -1)
		goto fail;
	k->wechat_secret = cfg_read_secret(c->wechat_secret_file,
	    "wechat_secret_file", LIM_SECRET, err);
	if (k->wechat_secret == NULL)
		goto fail;
	if (c->events_secret_file != NULL && (k->events_secret =
	    cfg_read_secret(c->events_secret_file, "events_secret_file",
	    LIM_SECRET, err)) == NULL)
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
	secret_free(k->md5_key_next);
	secret_free(k->wechat_secret);
	secret_free(k->events_secret);
	secret_free(k->api_return_secret);
	sign_key_free(k->merchant_priv);
	sign_key_free(k->provider_pub);
	sign_key_free(k->provider_pub_next);
	free(k);
}
