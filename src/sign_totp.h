/*
 * sign_totp.h - time-based one-time passwords for admin accounts (RFC 6238
 * over RFC 4226's HOTP): HMAC (OpenSSL, so it lives with sign*.c), 30 s
 * steps, 6 digits, one step of clock skew either way, and the base32
 * secrets of otpauth:// URIs (RFC 4648 §6).
 */
#ifndef H5PAY_SIGN_TOTP_H
#define H5PAY_SIGN_TOTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define TOTP_STEP_SEC 30
#define TOTP_DIGITS 6
#define TOTP_SKEW_STEPS 1
#define TOTP_SECRET_BYTES 20	/* 160 bits, RFC 4226's recommendation */
#define TOTP_SECRET_B32_MAX 64	/* base32 text of a stored secret */

enum totp_alg { TOTP_SHA1 = 0, TOTP_SHA256, TOTP_SHA512 };

/*
 * The HOTP value (RFC 4226 §5.3, dynamic truncation) of key for counter,
 * with digits (6..8) decimal digits, zero-padded, into out[digits + 1].
 * 0, or -1 when digits is out of range or HMAC fails.
 */
int sign_hotp(enum totp_alg, const unsigned char *key, size_t keylen,
    uint64_t counter, int digits, char *out);

/*
 * Check a TOTP code typed at unix time now against key (SHA-1, 6 digits,
 * 30 s). Steps now-1 .. now+1 are tried in constant time per step; a
 * step at or below *last_step (already used) never matches, so a code
 * works once. True with *last_step set to the matching step.
 */
bool sign_totp_verify(const unsigned char *key, size_t keylen, int64_t now,
    const char *code, int64_t *last_step);

/* Base32 (RFC 4648, upper case, no padding) of n bytes into out. */
void sign_base32_encode(const unsigned char *p, size_t n, struct buf *out);
/*
 * Decode base32 text (upper or lower case, no padding, no spaces) into
 * out (cap bytes); the decoded length, or -1 when s is not base32 or
 * does not fit.
 */
int sign_base32_decode(const char *s, unsigned char *out, size_t cap);

#endif
