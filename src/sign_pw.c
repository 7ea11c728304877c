/*
 * sign_pw.c - admin password hashing: scrypt via OpenSSL 3's EVP_KDF
 * "SCRYPT", PHC-like encoded strings (format in sign_pw.h).
 *
 * What it does not do: store, throttle or decide anything about logins
 * (admin.c does). It is one of the sign*.c files, the only OpenSSL users.
 *
 * Invariants: the derived key is compared in constant time; parameters
 * read back from a stored string are bounded before any work is done (a
 * tampered row cannot ask for gigabytes); password bytes given to OpenSSL
 * are never copied into buffers of ours.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "sign_pw.h"
#include "util.h"

#define LN_MIN 10
#define LN_MAX 20
#define R_MAX 32
#define P_MAX 16
#define SALT_MAX 64
#define OUT_MAX 64

static const struct sign_pw_params pw_default = {
	SIGN_PW_LN, SIGN_PW_R, SIGN_PW_P
};

static bool
params_ok(const struct sign_pw_params *p)
{
	return p->ln >= LN_MIN && p->ln <= LN_MAX && p->r >= 1 &&
	    p->r <= R_MAX && p->p >= 1 && p->p <= P_MAX;
}

/* scrypt(password, salt) with p into out[0..outlen). 0 or -1. */
static int
pw_derive(const char *password, const struct sign_pw_params *p,
    const unsigned char *salt, size_t saltlen, unsigned char *out,
    size_t outlen)
{
	EVP_KDF *kdf = NULL;
	EVP_KDF_CTX *ctx = NULL;
	OSSL_PARAM prm[7], *q = prm;
	uint64_t n = (uint64_t)1 << p->ln;
	uint32_t r = (uint32_t)p->r, par = (uint32_t)p->p;
	/* 128 * r * N for V plus the same again for B and slack */
	uint64_t maxmem = (uint64_t)256 * r * n * par + (1u << 20);
	int rc = -1;

	if ((kdf = EVP_KDF_fetch(NULL, "SCRYPT", NULL)) == NULL)
		goto out;
	if ((ctx = EVP_KDF_CTX_new(kdf)) == NULL)
		goto out;
	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD,
	    (void *)(uintptr_t)password, strlen(password));
	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
	    (void *)(uintptr_t)salt, saltlen);
	*q++ = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n);
	*q++ = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r);
	*q++ = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &par);
	*q++ = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM,
	    &maxmem);
	*q = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(ctx, out, outlen, prm) != 1)
		goto out;
	rc = 0;
out:
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	ERR_clear_error();
	return rc;
}

int
sign_pw_hash_salt(const char *password, const struct sign_pw_params *params,
    const unsigned char *salt, size_t saltlen, char *out, size_t outsz,
    struct err *err)
{
	const struct sign_pw_params *p = params ? params : &pw_default;
	unsigned char dk[SIGN_PW_OUT];
	char salthex[2 * SALT_MAX + 1], dkhex[2 * SIGN_PW_OUT + 1];
	size_t plen = strlen(password);
	int n;

	if (plen == 0 || plen > SIGN_PW_MAX_PASSWORD)
		return err_set(err, E_INPUT, "password: %zu bytes (1..%d)",
		    plen, SIGN_PW_MAX_PASSWORD);
	if (!params_ok(p))
		return err_set(err, E_INPUT, "scrypt parameters out of range");
	if (saltlen < 8 || saltlen > SALT_MAX)
		return err_set(err, E_INPUT, "salt: %zu bytes", saltlen);
	if (pw_derive(password, p, salt, saltlen, dk, sizeof(dk)) == -1)
		return err_set(err, E_INTERNAL, "scrypt derivation failed");
	hex_encode(salt, saltlen, salthex);
	hex_encode(dk, sizeof(dk), dkhex);
	mem_wipe(dk, sizeof(dk));
	n = snprintf(out, outsz, "$scrypt$ln=%d,r=%d,p=%d$%s$%s", p->ln, p->r,
	    p->p, salthex, dkhex);
	mem_wipe(dkhex, sizeof(dkhex));
	if (n < 0 || (size_t)n >= outsz)
		return err_set(err, E_INTERNAL, "encoded hash does not fit");
	return 0;
}

int
sign_pw_hash(const char *password, const struct sign_pw_params *params,
    char *out, size_t outsz, struct err *err)
{
	unsigned char salt[SIGN_PW_SALT];

	if (random_bytes(NULL, salt, sizeof(salt)) == -1)
		return err_set(err, E_INTERNAL, "no random bytes for a salt");
	return sign_pw_hash_salt(password, params, salt, sizeof(salt), out,
	    outsz, err);
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decode lowercase hex s[0..n) into out (max bytes); -1 when malformed. */
static int
hex_decode(const char *s, size_t n, unsigned char *out, size_t max,
    size_t *outlen)
{
	size_t i;

	if (n == 0 || n % 2 || n / 2 > max)
		return -1;
	for (i = 0; i < n; i += 2) {
		int hi = hexval(s[i]), lo = hexval(s[i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i / 2] = (unsigned char)(hi << 4 | lo);
	}
	*outlen = n / 2;
	return 0;
}

/* Parse "NAME=<int>" at s[0..n) into *v. */
static int
kv_int(const char *s, size_t n, const char *name, int *v)
{
	size_t nl = strlen(name);
	int64_t x;

	if (n <= nl + 1 || strncmp(s, name, nl) != 0 || s[nl] != '=')
		return -1;
	if (parse_i64(s + nl + 1, n - nl - 1, 0, 1000, &x) == -1)
		return -1;
	*v = (int)x;
	return 0;
}

int
sign_pw_parse(const char *enc, struct sign_pw_params *p, unsigned char *salt,
    size_t *saltlen, unsigned char *hash, size_t *hashlen)
{
	static const char pfx[] = "$scrypt$";
	const char *s, *c1, *c2, *d1, *d2;

	if (enc == NULL || strncmp(enc, pfx, sizeof(pfx) - 1) != 0)
		return -1;
	s = enc + sizeof(pfx) - 1;
	if ((d1 = strchr(s, '$')) == NULL || (d2 = strchr(d1 + 1, '$')) ==
	    NULL || strchr(d2 + 1, '$') != NULL)
		return -1;
	if ((c1 = memchr(s, ',', (size_t)(d1 - s))) == NULL ||
	    (c2 = memchr(c1 + 1, ',', (size_t)(d1 - c1 - 1))) == NULL)
		return -1;
	if (kv_int(s, (size_t)(c1 - s), "ln", &p->ln) == -1 ||
	    kv_int(c1 + 1, (size_t)(c2 - c1 - 1), "r", &p->r) == -1 ||
	    kv_int(c2 + 1, (size_t)(d1 - c2 - 1), "p", &p->p) == -1)
		return -1;
	if (!params_ok(p))
		return -1;
	if (hex_decode(d1 + 1, (size_t)(d2 - d1 - 1), salt, SALT_MAX,
	    saltlen) == -1 || *saltlen < 8)
		return -1;
	if (hex_decode(d2 + 1, strlen(d2 + 1), hash, OUT_MAX, hashlen) ==
	    -1 || *hashlen < 16)
		return -1;
	return 0;
}

bool
sign_pw_verify(const char *password, const char *encoded)
{
	struct sign_pw_params p;
	unsigned char salt[SALT_MAX], want[OUT_MAX], got[OUT_MAX];
	size_t saltlen, wantlen, plen = password ? strlen(password) : 0;
	bool ok = false;

	if (sign_pw_parse(encoded, &p, salt, &saltlen, want, &wantlen) == -1)
		return false;
	/*
	 * Derive even for an unusable password so the time does not say
	 * which check failed; the result is then ignored.
	 */
	if (pw_derive(plen > 0 && plen <= SIGN_PW_MAX_PASSWORD ? password :
	    "-", &p, salt, saltlen, got, wantlen) == -1)
		goto out;
	ok = ct_equal(got, wantlen, want, wantlen) && plen > 0 &&
	    plen <= SIGN_PW_MAX_PASSWORD;
out:
	mem_wipe(got, sizeof(got));
	return ok;
}

const char *
sign_pw_dummy(void)
{
	/* default parameters; salt and key are arbitrary constants */
	return "$scrypt$ln=15,r=8,p=1$5a1b2c3d4e5f60718293a4b5c6d7e8f9"
	    "$00f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f";
}

bool
sign_pw_needs_rehash(const char *encoded)
{
	struct sign_pw_params p;
	unsigned char salt[SALT_MAX], h[OUT_MAX];
	size_t sl, hl;

	if (sign_pw_parse(encoded, &p, salt, &sl, h, &hl) == -1)
		return true;
	return p.ln < pw_default.ln || p.r < pw_default.r ||
	    p.p < pw_default.p || sl < SIGN_PW_SALT || hl < SIGN_PW_OUT;
}
