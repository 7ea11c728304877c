/*
 * sign.h - UseePay signatures (docs/protocol.md §3) and every other use
 * of OpenSSL: key loading, SHA-256, Base64. sign.c is the only OpenSSL user.
 *
 * Canonical string (§3): every field of the message but "sign", minus
 * fields whose value is empty after trimming white space, sorted by key in
 * byte order, joined "k=v" with '&', values raw (decoded, not re-encoded).
 * MD5 appends "&pkey=<key>" and takes lowercase hex MD5; RSA is Base64 of
 * RSASSA-PKCS1-v1_5 / SHA-256 over the string.
 */
#ifndef H5PAY_SIGN_H
#define H5PAY_SIGN_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "cfg.h"
#include "err.h"
#include "kv.h"

struct evp_pkey_st;	/* OpenSSL's EVP_PKEY */
typedef struct evp_pkey_st sign_key;

/*
 * Load an RSA key file: PEM (PKCS#8, PKCS#1; SubjectPublicKeyInfo for a
 * public key), the same as DER, or one line of Base64 of the DER (what
 * UseePay's console shows; line breaks and missing padding allowed). At
 * least SIGN_MIN_BITS (UseePay's signing page says "1024 PKCS8"; callers
 * warn below SIGN_WEAK_BITS). Returns a key the caller frees with
 * sign_key_free(), or NULL with *err naming the file.
 */
#define SIGN_MIN_BITS 1024
#define SIGN_WEAK_BITS 2048
sign_key *sign_key_load_private(const char *path, struct err *);
sign_key *sign_key_load_public(const char *path, struct err *);
int sign_key_bits(sign_key *);	/* modulus bits; 0 for NULL */
/* True when both keys have the same public key (a private key counts
 * as its public half): h5pay doctor's "is this UseePay's key?". */
bool sign_key_same_public(sign_key *, sign_key *);
void sign_key_free(sign_key *);	/* NULL ok */

/*
 * Append the canonical string of l to out. With md5_key != NULL the
 * "&pkey=" suffix is appended too (the caller must then wipe out).
 * Duplicate keys are an error (E_INPUT): a signature over them is ambiguous.
 */
int sign_canonical(const struct kvlist *l, const char *md5_key,
    struct buf *out, struct err *);

/* Sign l (its "sign" field, if any, ignored) and put the signature in
 * sig (32 hex chars for MD5, Base64 for RSA). */
int sign_md5(const struct kvlist *l, const char *md5_key, struct buf *sig,
    struct err *);
int sign_rsa(const struct kvlist *l, sign_key *priv, struct buf *sig,
    struct err *);

/*
 * Verify the "sign" field of a received message over every other field.
 * The message's own "signType" must equal `type`. 0 when it verifies; -1
 * with E_SIG when it does not (or sign/signType is missing or disagrees),
 * E_INPUT when the message is unusable. Constant-time for MD5; RSA valid
 * only when OpenSSL returns exactly 1. A '+' turned into ' ' by form
 * decoding of a Base64 sign is restored before decoding (§3).
 */
int sign_verify_md5(const struct kvlist *l, const char *md5_key,
    struct err *);
int sign_verify_rsa(const struct kvlist *l, sign_key *pub, struct err *);

/* RSA-SHA256 over raw bytes, Base64 signature (WeChat paySign format). */
int sign_rsa_bytes(sign_key *priv, const void *p, size_t n, struct buf *sig,
    struct err *);
int sign_verify_rsa_bytes(sign_key *pub, const void *p, size_t n,
    const char *b64sig, struct err *);

/* Lowercase hex SHA-256 of p[0..n) into out[65]. */
void sign_sha256_hex(const void *p, size_t n, char out[65]);

/* base64url (no padding) of n random bytes into out (>= 4*n/3+4 bytes):
 * session tokens. The bytes come from rng (the app's injected source, so
 * tests are deterministic) or, rng NULL, the kernel CSPRNG. 0 or -1. */
struct app_rng;
int sign_random_token(const struct app_rng *rng, size_t n, char *out,
    size_t outsz);

#endif
