/*
 * keys.h - the secrets h5payd loads once at start-up (and on reload):
 * UseePay MD5 key or RSA keys, the WeChat AppSecret. Wiped on free.
 * Shared read-only by every thread of a worker (inherited over fork).
 */
#ifndef H5PAY_KEYS_H
#define H5PAY_KEYS_H

#include "cfg.h"
#include "err.h"
#include "sign.h"

struct keys {
	enum sign_type sign_type;
	char *md5_key;			/* SIGN_MD5 */
	sign_key *merchant_priv;	/* SIGN_RSA: our private key */
	sign_key *provider_pub;		/* SIGN_RSA: UseePay's public key */
	char *wechat_secret;		/* Official Account AppSecret */
	char *api_return_secret;	/* return-URL HMAC key, or NULL */
};

/* Load every key the config names. *err names the key on failure. */
int keys_load(struct keys **, const struct cfg *, struct err *);
void keys_free(struct keys *);	/* NULL ok */

#endif
