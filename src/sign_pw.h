/*
 * sign_pw.h - admin password hashing (scrypt through OpenSSL 3's EVP_KDF).
 *
 * Encoded form, PHC-like, self-describing so the cost can be raised later
 * without invalidating stored hashes:
 *	$scrypt$ln=15,r=8,p=1$<salt: 32 hex>$<hash: 64 hex>
 * ln = log2(N). Defaults (SIGN_PW_LN/R/P): N=2^15, r=8, p=1, 16-byte salt
 * from the kernel CSPRNG, 32-byte output: 32 MiB of memory and about
 * 0.1 s of one core per hash on this class of machine. OWASP's minimum for
 * N=2^15, r=8 is p=3 (or N=2^17, p=1): raise SIGN_PW_P / SIGN_PW_LN when
 * the login latency allows; admin_login() rehashes a user's password with
 * the new parameters at the next successful login (sign_pw_needs_rehash).
 */
#ifndef H5PAY_SIGN_PW_H
#define H5PAY_SIGN_PW_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

#define SIGN_PW_LN 15
#define SIGN_PW_R 8
#define SIGN_PW_P 1
#define SIGN_PW_SALT 16
#define SIGN_PW_OUT 32
#define SIGN_PW_ENCODED_MAX 160	/* bytes, NUL included */
#define SIGN_PW_MAX_PASSWORD 1024

struct sign_pw_params {
	int ln, r, p;	/* N = 2^ln */
};

/*
 * Hash password (NUL-terminated, 1..SIGN_PW_MAX_PASSWORD bytes) with the
 * default parameters (params == NULL) or the given ones, a fresh random
 * salt, into out (>= SIGN_PW_ENCODED_MAX). 0, or -1 with E_INPUT for an
 * unusable password/params, E_INTERNAL if OpenSSL fails.
 */
int sign_pw_hash(const char *password, const struct sign_pw_params *,
    char *out, size_t outsz, struct err *);

/*
 * Same with a caller-given salt (tests: deterministic output).
 */
int sign_pw_hash_salt(const char *password, const struct sign_pw_params *,
    const unsigned char *salt, size_t saltlen, char *out, size_t outsz,
    struct err *);

/*
 * True when password matches encoded. The comparison of the derived key is
 * constant-time. A malformed encoded string or parameters outside the
 * accepted bounds (ln 10..20, r 1..32, p 1..16) never match. The cost is
 * the encoded string's, so verifying against sign_pw_dummy() costs the
 * same as against a real default-parameter hash.
 */
bool sign_pw_verify(const char *password, const char *encoded);

/* A fixed, valid encoded hash with the default parameters that no
 * password of ours produces: verify against it when the user is unknown so
 * that the answer takes as long as for a known user. Static. */
const char *sign_pw_dummy(void);

/* True when encoded uses weaker parameters than the defaults. */
bool sign_pw_needs_rehash(const char *encoded);

/* Parse the parameters and sizes of encoded; 0 or -1. */
int sign_pw_parse(const char *encoded, struct sign_pw_params *,
    unsigned char *salt, size_t *saltlen, unsigned char *hash,
    size_t *hashlen);

#endif
