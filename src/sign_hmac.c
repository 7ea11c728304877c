/*
 * sign_hmac.c - HMAC-SHA256 in lowercase hex (sign_hmac.h).
 * Invariants: the MAC buffer is wiped after use; nothing is logged.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "sign_hmac.h"

int
sign_hmac_sha256_hex(const void *key, size_t keylen, const void *msg,
    size_t n, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0, i;

	out[0] = '\0';
	if (keylen > 1024 || HMAC(EVP_sha256(), key, (int)keylen, msg, n,
	    mac, &maclen) == NULL || maclen != 32)
		return -1;
	for (i = 0; i < maclen; i++) {
		out[2 * i] = hex[mac[i] >> 4];
		out[2 * i + 1] = hex[mac[i] & 15];
	}
	out[64] = '\0';
	OPENSSL_cleanse(mac, sizeof(mac));
	return 0;
}
