/*
 * sign.c - UseePay signatures (spec §3) and the project's only OpenSSL use.
 *
 * What it does not do: decide which fields a message has (useepay.c) or
 * what a failed verification means (the callers).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "sign.h"
#include "util.h"

static sign_key *
key_load(const char *path, bool private, struct err *err)
{
	EVP_PKEY *k;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL) {
		err_set(err, E_INPUT, "%s: %s", path, strerror(errno));
		return NULL;
	}
	k = private ? PEM_read_PrivateKey(f, NULL, NULL, NULL) :
	    PEM_read_PUBKEY(f, NULL, NULL, NULL);
	fclose(f);
	ERR_clear_error();
	if (k == NULL) {
		err_set(err, E_INPUT, "%s: not a PEM %s key", path,
		    private ? "private" : "public (SubjectPublicKeyInfo)");
		return NULL;
	}
	if (EVP_PKEY_get_base_id(k) != EVP_PKEY_RSA ||
	    EVP_PKEY_get_bits(k) < 2048) {
		EVP_PKEY_free(k);
		err_set(err, E_INPUT, "%s: need an RSA key of 2048 bits or "
		    "more", path);
		return NULL;
	}
	return k;
}

sign_key *
sign_key_load_private(const char *path, struct err *err)
{
	return key_load(path, true, err);
}

sign_key *
sign_key_load_public(const char *path, struct err *err)
{
	return key_load(path, false, err);
}

void
sign_key_free(sign_key *k)
{
	EVP_PKEY_free(k);
}
