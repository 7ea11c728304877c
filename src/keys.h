/*
 * keys.h - the secrets h5payd loads once at start-up (and on reload):
 * UseePay MD5 key or RSA keys, the WeChat AppSecret, the events key. Wiped on free.
 * Shared read-only by every thread of a worker (inherited over fork).
 */
#ifndef H5PAY_KEYS_H
#define H5PAY_KEYS_H

#include "cfg.h"
#include "err.h"
#include "sign.h"

/*
 * Signing uses the configured sign type's key only. Verification (answers
 * and notifications) accepts a message signed with any key loaded here
 * (docs/going-live.md "Rotation"): the MD5 key and its _next, UseePay's
 * public key and its _next. A key of the other sign type is loaded only
 * when its file is named: that is the overlap window of a switch
 * MD5 <-> RSA, ended by removing the line.
 */
struct keys {
	enum sign_type sign_type;
	char *md5_key;			/* useepay_md5_key_file (MD5: set) */
	char *md5_key_next;		/* useepay_md5_key_next_file */
	sign_key *merchant_priv;	/* SIGN_RSA: our private key */
	sign_key *provider_pub;		/* useepay_public_key_file (RSA: set) */
	sign_key *provider_pub_next;	/* useepay_public_key_next_file */
	char *wechat_secret;		/* Official Account AppSecret */
	char *api_return_secret;	/* return-URL HMAC key, or NULL */
	char warn[512];			/* weak RSA keys, for -t; "" = none */
	char *events_secret;		/* HMAC key of merchant events, or
					 * NULL (no events_secret_file) */
};

/* Load every key the config names. *err names the key on failure. An RSA
 * key under SIGN_WEAK_BITS loads and is named in k->warn. */
int keys_load(struct keys **, const struct cfg *, struct err *);
void keys_free(struct keys *);	/* NULL ok */

#endif
