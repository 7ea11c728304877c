/*
 * sign_hmac.h - HMAC-SHA256 (OpenSSL, so it lives with sign*.c): the
 * signature on hosted checkout's return URLs (api.c, docs/integration.md).
 */
#ifndef H5PAY_SIGN_HMAC_H
#define H5PAY_SIGN_HMAC_H

#include <stddef.h>

/* Lowercase hex HMAC-SHA256 of msg[0..n) under key[0..keylen) into
 * out[65]. 0, or -1 (out "") when OpenSSL fails. */
int sign_hmac_sha256_hex(const void *key, size_t keylen, const void *msg,
    size_t n, char out[65]);

#endif
