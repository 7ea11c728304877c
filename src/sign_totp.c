/*
 * sign_totp.c - HOTP (RFC 4226) and TOTP (RFC 6238) with OpenSSL's HMAC,
 * and base32 for the otpauth:// secrets. Pure: the caller supplies the
 * time and stores the last used step (replay protection).
 *
 * Invariants: codes are compared in constant time; the HMAC output and
 * decoded secrets on the stack are wiped.
 */
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "sign_totp.h"
#include "util.h"

static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

int
sign_hotp(enum totp_alg alg, const unsigned char *key, size_t keylen,
    uint64_t counter, int digits, char *out)
{
	static const uint32_t pow10[] = { 1, 10, 100, 1000, 10000, 100000,
	    1000000, 10000000, 100000000 };
	const EVP_MD *md = alg == TOTP_SHA256 ? EVP_sha256() :
	    alg == TOTP_SHA512 ? EVP_sha512() : EVP_sha1();
	unsigned char msg[8], mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0, off;
	uint32_t bin;
	int i;

	if (digits < 6 || digits > 8)
		return -1;
	for (i = 7; i >= 0; i--) {
		msg[i] = (unsigned char)(counter & 0xff);
		counter >>= 8;
	}
	if (HMAC(md, key, (int)keylen, msg, sizeof(msg), mac, &maclen) ==
	    NULL || maclen < 20)
		return -1;
	/* RFC 4226 §5.3: dynamic truncation */
	off = mac[maclen - 1] & 0x0f;
	bin = ((uint32_t)(mac[off] & 0x7f) << 24) |
	    ((uint32_t)mac[off + 1] << 16) | ((uint32_t)mac[off + 2] << 8) |
	    mac[off + 3];
	bin %= pow10[digits];
	for (i = digits - 1; i >= 0; i--) {
		out[i] = (char)('0' + bin % 10);
		bin /= 10;
	}
	out[digits] = '\0';
	mem_wipe(mac, sizeof(mac));
	return 0;
}

bool
sign_totp_verify(const unsigned char *key, size_t keylen, int64_t now,
    const char *code, int64_t *last_step)
{
	char want[TOTP_DIGITS + 1];
	int64_t step, d, hit = -1;
	size_t i;

	if (code == NULL || strlen(code) != TOTP_DIGITS || now < 0)
		return false;
	for (i = 0; i < TOTP_DIGITS; i++)
		if (code[i] < '0' || code[i] > '9')
			return false;
	step = now / TOTP_STEP_SEC;
	for (d = -TOTP_SKEW_STEPS; d <= TOTP_SKEW_STEPS; d++) {
		if (step + d < 0 || sign_hotp(TOTP_SHA1, key, keylen,
		    (uint64_t)(step + d), TOTP_DIGITS, want) == -1)
			continue;
		/* every step is computed and compared: no early exit */
		if (ct_equal(want, TOTP_DIGITS, code, TOTP_DIGITS) &&
		    step + d > *last_step && hit < 0)
			hit = step + d;
	}
	mem_wipe(want, sizeof(want));
	if (hit < 0)
		return false;
	*last_step = hit;
	return true;
}

void
sign_base32_encode(const unsigned char *p, size_t n, struct buf *out)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t i;
	char c;

	for (i = 0; i < n; i++) {
		acc = (acc << 8) | p[i];
		bits += 8;
		while (bits >= 5) {
			c = b32[(acc >> (bits - 5)) & 31];
			buf_add(out, &c, 1);
			bits -= 5;
		}
	}
	if (bits > 0) {
		c = b32[(acc << (5 - bits)) & 31];
		buf_add(out, &c, 1);
	}
}

int
sign_base32_decode(const char *s, unsigned char *out, size_t cap)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t o = 0;
	const char *q;
	char c;

	for (; *s; s++) {
		c = *s >= 'a' && *s <= 'z' ? (char)(*s - 32) : *s;
		if ((q = strchr(b32, c)) == NULL || c == '\0')
			return -1;
		acc = (acc << 5) | (uint32_t)(q - b32);
		bits += 5;
		if (bits >= 8) {
			if (o >= cap)
				return -1;
			out[o++] = (unsigned char)(acc >> (bits - 8));
			bits -= 8;
		}
	}
	return (int)o;
}
