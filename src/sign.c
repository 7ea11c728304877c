/*
 * sign.c - UseePay signatures (docs/protocol.md §3) and the project's only
 * OpenSSL use: key loading, the canonical string, MD5 and RSA-SHA256
 * sign/verify, Base64, SHA-256 and random tokens.
 *
 * What it does not do: decide which fields a message has (useepay.c) or
 * what a failed verification means (the callers).
 *
 * Invariants: the canonical string covers every field received but
 * "sign" and blank ones (never a fixed list); duplicate field names are
 * refused, not resolved; MD5 compares in constant time; RSA is valid only
 * when EVP_DigestVerifyFinal() returns exactly 1; the MD5 key goes to the
 * digest directly, never into a buffer of ours.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "app.h"
#include "lim.h"
#include "sign.h"
#include "util.h"

/* Largest key file we read (a PEM of an 8192-bit key is ~6.5 KiB). */
#define LIM_KEY_FILE (64 * 1024)

static int b64_decode(const char *s, size_t n, unsigned char *out,
    size_t outsz, size_t *outlen);

/*
 * The digests, fetched from the default provider once per process. Given
 * EVP_md5() or EVP_sha256() instead, OpenSSL 3 fetches the implementation
 * again on every init (name lookups, property queries, locks): ~9,000 of
 * the ~10,000 instructions of a SHA-256 over a 300-byte notification
 * (callgrind, tests/bench/notify_cost.py).
 */
static EVP_MD *md_md5_p, *md_sha256_p;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;

static void
md_fetch(void)
{
	md_md5_p = EVP_MD_fetch(NULL, "MD5", NULL);
	md_sha256_p = EVP_MD_fetch(NULL, "SHA2-256", NULL);
}

/* A broken installation (no default provider) gets the legacy objects,
 * whose every use then fails like before. */
static const EVP_MD *
md_md5(void)
{
	(void)pthread_once(&md_once, md_fetch);
	return md_md5_p ? md_md5_p : EVP_md5();
}

static const EVP_MD *
md_sha256(void)
{
	(void)pthread_once(&md_once, md_fetch);
	return md_sha256_p ? md_sha256_p : EVP_sha256();
}

/*
 * The forms merchants get keys in (docs/going-live.md): PEM (PKCS#8,
 * PKCS#1, SubjectPublicKeyInfo), the same as DER, and the console's one
 * line of Base64 (DER without the PEM armour, line breaks allowed).
 * OpenSSL's decoder tells the structures apart; we only strip the Base64.
 */
static sign_key *
key_load(const char *path, bool private, struct err *err)
{
	static const char *const what[] = {"public", "private"};
	OSSL_DECODER_CTX *dctx = NULL;
	EVP_PKEY *k = NULL;
	unsigned char *raw = NULL, *der = NULL;
	const unsigned char *p;
	const char *form;
	size_t n = 0, i, m = 0, dlen = 0;
	FILE *f;
	int bits;

	if ((f = fopen(path, "rb")) == NULL) {
		err_set(err, E_INPUT, "%s: %s", path, strerror(errno));
		return NULL;
	}
	raw = xmalloc(LIM_KEY_FILE + 1);
	n = fread(raw, 1, LIM_KEY_FILE + 1, f);
	fclose(f);
	if (n == 0 || n > LIM_KEY_FILE) {
		err_set(err, E_INPUT, "%s: empty or over %d bytes", path,
		    LIM_KEY_FILE);
		goto out;
	}
	raw[n] = '\0';
	if (memmem(raw, n, "-----BEGIN", 10) != NULL) {
		form = "PEM";
		p = raw;
		dlen = n;
	} else if (raw[0] == 0x30) {
		form = "DER";
		p = raw;
		dlen = n;
	} else {
		/* one-line Base64: drop white space, restore padding */
		form = "DER";
		for (i = 0; i < n; i++)
			if (raw[i] != ' ' && raw[i] != '\t' && raw[i] != '\r' &&
			    raw[i] != '\n')
				raw[m++] = raw[i];
		while (m % 4 != 0 && m < n)
			raw[m++] = '=';
		der = xmalloc(m / 4 * 3 + 3);
		if (b64_decode((const char *)raw, m, der, m / 4 * 3 + 3,
		    &dlen) == -1) {
			err_set(err, E_INPUT, "%s: not a PEM, DER or Base64 "
			    "RSA %s key", path, what[private]);
			goto out;
		}
		p = der;
	}
	dctx = OSSL_DECODER_CTX_new_for_pkey(&k, form, NULL, "RSA",
	    private ? EVP_PKEY_KEYPAIR :
	    EVP_PKEY_PUBLIC_KEY, NULL, NULL);
	if (dctx == NULL || OSSL_DECODER_from_data(dctx, &p, &dlen) != 1 ||
	    k == NULL) {
		EVP_PKEY_free(k);
		k = NULL;
		err_set(err, E_INPUT, "%s: not a PEM, DER or Base64 RSA %s key "
		    "(%s)", path, what[private], private ? "PKCS#8 or PKCS#1" :
		    "SubjectPublicKeyInfo");
		goto out;
	}
	bits = EVP_PKEY_get_bits(k);
	if (EVP_PKEY_get_base_id(k) != EVP_PKEY_RSA || bits < SIGN_MIN_BITS) {
		EVP_PKEY_free(k);
		k = NULL;
		err_set(err, E_INPUT, "%s: need an RSA key of %d bits or more "
		    "(this one: %d)", path, SIGN_MIN_BITS, bits);
		goto out;
	}
out:
	ERR_clear_error();
	OSSL_DECODER_CTX_free(dctx);
	if (raw != NULL) {
		OPENSSL_cleanse(raw, LIM_KEY_FILE + 1);
		free(raw);
	}
	if (der != NULL) {
		OPENSSL_cleanse(der, m / 4 * 3 + 3);
		free(der);
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

int
sign_key_bits(sign_key *k)
{
	return k == NULL ? 0 : EVP_PKEY_get_bits(k);
}

bool
sign_key_same_public(sign_key *a, sign_key *b)
{
	bool same = a != NULL && b != NULL && EVP_PKEY_eq(a, b) == 1;

	ERR_clear_error();
	return same;
}

void
sign_key_free(sign_key *k)
{
	EVP_PKEY_free(k);
}

/*
 * White space for the "empty after trimming" rule (§3): the ASCII set C's
 * isspace() uses in the C locale. Only decides whether a field is dropped;
 * the values that stay are never trimmed.
 */
static bool
val_is_blank(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!(p[i] == ' ' || p[i] == '\t' || p[i] == '\n' ||
			p[i] == '\v' || p[i] == '\f' || p[i] == '\r'))
			return false;
	return true;
}

static int
kv_cmp(const void *a, const void *b)
{
	const struct kv *x = *(const struct kv *const *)a;
	const struct kv *y = *(const struct kv *const *)b;
	size_t n = x->klen < y->klen ? x->klen : y->klen;
	int c = memcmp(x->key, y->key, n);

	if (c != 0)
		return c;
	return x->klen < y->klen ? -1 : x->klen > y->klen;
}

static bool
key_is(const struct kv *e, const char *k)
{
	size_t n = strlen(k);

	return e->klen == n && memcmp(e->key, k, n) == 0;
}

/*
 * Field names are protocol identifiers: one holding '=' or '&' (or NUL)
 * would make the joined string ambiguous about where a key ends, so it is
 * refused rather than signed. Values may hold anything (§3: raw bytes).
 */
static bool
key_is_clean(const struct kv *e)
{
	size_t i;

	for (i = 0; i < e->klen; i++)
		if (e->key[i] == '=' || e->key[i] == '&' || e->key[i] == '\0')
			return false;
	return true;
}

int
sign_canonical(const struct kvlist *l, const char *md5_key, struct buf *out,
    struct err *err)
{
	const struct kv **v = NULL;
	size_t i, n = 0;
	int rc = -1;

	if (l->n > 0)
		v = xcalloc(l->n, sizeof(*v));
	for (i = 0; i < l->n; i++) {
		if (!key_is_clean(&l->v[i])) {
			err_set(err, E_INPUT, "sign: bad field name");
			goto out;
		}
		v[n++] = &l->v[i];
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), kv_cmp);
	/* Duplicates (sign and blank fields included) are refused: which
	 * copy was signed would be a guess. */
	for (i = 1; i < n; i++) {
		if (kv_cmp(&v[i - 1], &v[i]) == 0) {
			err_set(err, E_INPUT, "sign: duplicate field %.64s",
			    v[i]->key);
			goto out;
		}
	}
	{
		bool first = true;

		for (i = 0; i < n; i++) {
			if (key_is(v[i], "sign") ||
			    val_is_blank(v[i]->val, v[i]->vlen))
				continue;
			if ((!first && buf_addc(out, '&') == -1) ||
			    buf_add(out, v[i]->key, v[i]->klen) == -1 ||
			    buf_addc(out, '=') == -1 ||
			    buf_add(out, v[i]->val, v[i]->vlen) == -1)
				goto toobig;
			first = false;
		}
	}
	/* One buf_add for the key: a realloc then happens before the key's
	 * bytes are written, so no freed block holds them. */
	if (md5_key != NULL &&
	    (buf_adds(out, "&pkey=") == -1 || buf_adds(out, md5_key) == -1))
		goto toobig;
	rc = 0;
	goto out;
toobig:
	err_set(err, E_TOOBIG, "sign: canonical string over %zu bytes",
	    out->max);
out:
	free(v);
	return rc;
}

/* MD5 of canonical "&pkey=" key, as lowercase hex into hex[33]. The key
 * is fed to the digest directly so no buffer of ours holds a copy. */
static int
md5_hex(const struct buf *canon, const char *md5_key, char hex[33],
    struct err *err)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx;
	int rc = -1;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return err_set(err, E_INTERNAL, "sign: EVP_MD_CTX_new");
	if (EVP_DigestInit_ex(ctx, md_md5(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, canon->data ? canon->data : "",
		canon->len) != 1 ||
	    EVP_DigestUpdate(ctx, "&pkey=", 6) != 1 ||
	    EVP_DigestUpdate(ctx, md5_key, strlen(md5_key)) != 1 ||
	    EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen != 16) {
		ERR_clear_error();
		err_set(err, E_INTERNAL, "sign: MD5 failed");
		goto out;
	}
	hex_encode(md, 16, hex);
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);	/* cleanses the digest state */
	mem_wipe(md, sizeof(md));
	return rc;
}

int
sign_md5(const struct kvlist *l, const char *md5_key, struct buf *sig,
    struct err *err)
{
	struct buf canon;
	char hex[33];
	int rc = -1;

	if (md5_key == NULL || md5_key[0] == '\0')
		return err_set(err, E_INPUT, "sign: empty MD5 key");
	buf_init(&canon, LIM_CANON);
	if (sign_canonical(l, NULL, &canon, err) == -1 ||
	    md5_hex(&canon, md5_key, hex, err) == -1)
		goto out;
	if (buf_add(sig, hex, 32) == -1) {
		err_set(err, E_TOOBIG, "sign: signature buffer too small");
		goto out;
	}
	rc = 0;
out:
	buf_cleanup(&canon);
	return rc;
}

static int
b64_encode(struct buf *out, const unsigned char *p, size_t n,
    struct err *err)
{
	size_t need = 4 * ((n + 2) / 3);
	char *tmp;
	int rc = 0;

	if (n > INT_MAX / 2)
		return err_set(err, E_TOOBIG, "sign: base64 input too long");
	tmp = xmalloc(need + 1);
	if ((size_t)EVP_EncodeBlock((unsigned char *)tmp, p, (int)n) != need ||
	    buf_add(out, tmp, need) == -1)
		rc = err_set(err, E_TOOBIG, "sign: signature buffer too small");
	free(tmp);
	return rc;
}

static int
b64_val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == ' ')	/* ' ': a '+' lost to form decoding */
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * Strict standard Base64 (RFC 4648 §4, padded, no line breaks) into
 * out[outsz]; *outlen gets the decoded length. A ' ' counts as '+'
 * (§3: form decoding turned it into a space). -1 on anything else.
 */
static int
b64_decode(const char *s, size_t n, unsigned char *out, size_t outsz,
    size_t *outlen)
{
	size_t i, o = 0, pad = 0;

	if (n == 0 || n % 4 != 0 || n / 4 * 3 > outsz)
		return -1;
	if (s[n - 1] == '=')
		pad = s[n - 2] == '=' ? 2 : 1;
	for (i = 0; i < n; i += 4) {
		int a, b, c, d;
		bool last = i + 4 == n;

		a = b64_val((unsigned char)s[i]);
		b = b64_val((unsigned char)s[i + 1]);
		c = last && pad == 2 ? 0 : b64_val((unsigned char)s[i + 2]);
		d = last && pad >= 1 ? 0 : b64_val((unsigned char)s[i + 3]);
		if (a < 0 || b < 0 || c < 0 || d < 0)
			return -1;
		/* Non-canonical encodings (stray bits under the padding)
		 * are refused: one signature, one spelling. */
		if (last && pad == 2 && (b & 15) != 0)
			return -1;
		if (last && pad == 1 && (c & 3) != 0)
			return -1;
		out[o++] = (unsigned char)(a << 2 | b >> 4);
		if (!(last && pad == 2))
			out[o++] = (unsigned char)((b & 15) << 4 | c >> 2);
		if (!(last && pad >= 1))
			out[o++] = (unsigned char)((c & 3) << 6 | d);
	}
	*outlen = o;
	return 0;
}

int
sign_rsa_bytes(sign_key *priv, const void *p, size_t n, struct buf *sig,
    struct err *err)
{
	unsigned char *raw = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	EVP_MD_CTX *ctx;
	size_t rawlen = 0;
	int rc = -1;

	if (priv == NULL)
		return err_set(err, E_INPUT, "sign: no private key");
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return err_set(err, E_INTERNAL, "sign: EVP_MD_CTX_new");
	if (EVP_DigestSignInit(ctx, &pctx, md_sha256(), NULL, priv) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1 ||
	    EVP_DigestSign(ctx, NULL, &rawlen, p, n) != 1) {
		err_set(err, E_INTERNAL, "sign: RSA sign setup failed");
		goto out;
	}
	raw = xmalloc(rawlen);
	if (EVP_DigestSign(ctx, raw, &rawlen, p, n) != 1) {
		err_set(err, E_INTERNAL, "sign: RSA sign failed");
		goto out;
	}
	if (b64_encode(sig, raw, rawlen, err) == -1)
		goto out;
	rc = 0;
out:
	ERR_clear_error();
	free(raw);
	EVP_MD_CTX_free(ctx);
	return rc;
}

/*
 * The spellings of one Base64 signature UseePay may send (issue 10): line
 * breaks (MIME-style, every 64 or 76 characters) are dropped and missing
 * '=' padding is restored, into out[outsz]. -1 when it is too long.
 */
static int
b64_sig_normalize(const char *s, char *out, size_t outsz, size_t *outlen)
{
	size_t i, o = 0;

	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] == '\r' || s[i] == '\n')
			continue;
		if (o + 1 >= outsz)
			return -1;
		out[o++] = s[i];
	}
	if (o % 4 == 2 || o % 4 == 3)
		while (o % 4 != 0) {
			if (o + 1 >= outsz)
				return -1;
			out[o++] = '=';
		}
	out[o] = '\0';
	*outlen = o;
	return 0;
}

int
sign_verify_rsa_bytes(sign_key *pub, const void *p, size_t n,
    const char *b64sig, struct err *err)
{
	unsigned char raw[LIM_RSA_SIG];
	char norm[LIM_RSA_SIG / 3 * 4 + 8];
	EVP_PKEY_CTX *pctx = NULL;
	EVP_MD_CTX *ctx;
	size_t rawlen, nlen;
	int rc = -1, r;

	if (pub == NULL)
		return err_set(err, E_INPUT, "sign: no public key");
	if (b64sig == NULL || b64sig[0] == '\0')
		return err_set(err, E_SIG, "sign: no signature");
	if (b64_sig_normalize(b64sig, norm, sizeof(norm), &nlen) == -1 ||
	    b64_decode(norm, nlen, raw, sizeof(raw), &rawlen) == -1)
		return err_set(err, E_SIG, "sign: signature is not Base64");
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return err_set(err, E_INTERNAL, "sign: EVP_MD_CTX_new");
	if (EVP_DigestVerifyInit(ctx, &pctx, md_sha256(), NULL, pub) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1 ||
	    EVP_DigestVerifyUpdate(ctx, p, n) != 1) {
		err_set(err, E_INTERNAL, "sign: RSA verify setup failed");
		goto out;
	}
	/* 1 is valid; 0 is a bad signature, <0 an error: both refused. */
	r = EVP_DigestVerifyFinal(ctx, raw, rawlen);
	if (r != 1) {
		err_set(err, E_SIG, "sign: RSA signature does not verify");
		goto out;
	}
	rc = 0;
out:
	ERR_clear_error();
	EVP_MD_CTX_free(ctx);
	return rc;
}

int
sign_rsa(const struct kvlist *l, sign_key *priv, struct buf *sig,
    struct err *err)
{
	struct buf canon;
	int rc = -1;

	buf_init(&canon, LIM_CANON);
	if (sign_canonical(l, NULL, &canon, err) == -1 ||
	    sign_rsa_bytes(priv, canon.data ? canon.data : "", canon.len, sig,
		err) == -1)
		goto out;
	rc = 0;
out:
	buf_cleanup(&canon);
	return rc;
}

/*
 * What both verifications check first: the canonical string can be built
 * (no duplicates), the message's own signType is `type`, and a sign is
 * present. *sig is borrowed from l.
 */
static int
verify_prepare(const struct kvlist *l, const char *type, struct buf *canon,
    const struct kv **sig, struct err *err)
{
	const struct kv *st;

	if (sign_canonical(l, NULL, canon, err) == -1)
		return -1;
	st = kvlist_find(l, "signType");
	if (st == NULL)
		return err_set(err, E_SIG, "sign: no signType");
	if (st->vlen != strlen(type) || memcmp(st->val, type, st->vlen) != 0)
		return err_set(err, E_SIG, "sign: signType is not %s", type);
	*sig = kvlist_find(l, "sign");
	if (*sig == NULL || (*sig)->vlen == 0)
		return err_set(err, E_SIG, "sign: no sign field");
	return 0;
}

int
sign_verify_md5(const struct kvlist *l, const char *md5_key,
    struct err *err)
{
	const struct kv *sig;
	struct buf canon;
	char want[33], got[33];
	size_t i;
	int rc = -1;

	if (md5_key == NULL || md5_key[0] == '\0')
		return err_set(err, E_INPUT, "sign: empty MD5 key");
	buf_init(&canon, LIM_CANON);
	if (verify_prepare(l, "MD5", &canon, &sig, err) == -1)
		goto out;
	if (sig->vlen != 32) {
		err_set(err, E_SIG, "sign: MD5 signature does not verify");
		goto out;
	}
	/* Hex case carries no information: accept upper case too. */
	for (i = 0; i < 32; i++) {
		char c = sig->val[i];

		got[i] = (c >= 'A' && c <= 'F') ? (char)(c - 'A' + 'a') : c;
	}
	got[32] = '\0';
	if (md5_hex(&canon, md5_key, want, err) == -1)
		goto out;
	if (!ct_equal(want, 32, got, 32)) {
		err_set(err, E_SIG, "sign: MD5 signature does not verify");
		goto out;
	}
	rc = 0;
out:
	buf_cleanup(&canon);
	return rc;
}

int
sign_verify_rsa(const struct kvlist *l, sign_key *pub, struct err *err)
{
	const struct kv *sig;
	struct buf canon;
	int rc = -1;

	if (pub == NULL)
		return err_set(err, E_INPUT, "sign: no public key");
	buf_init(&canon, LIM_CANON);
	if (verify_prepare(l, "RSA", &canon, &sig, err) == -1)
		goto out;
	if (memchr(sig->val, '\0', sig->vlen) != NULL) {
		err_set(err, E_SIG, "sign: signature is not Base64");
		goto out;
	}
	if (sign_verify_rsa_bytes(pub, canon.data ? canon.data : "",
		canon.len, sig->val, err) == -1)
		goto out;
	rc = 0;
out:
	buf_cleanup(&canon);
	return rc;
}

void
sign_sha256_hex(const void *p, size_t n, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	/* Fails only without memory or a default provider: a broken
	 * installation, not bad input. */
	if (EVP_Digest(p, n, md, &mdlen, md_sha256(), NULL) != 1 ||
	    mdlen != 32)
		abort();
	hex_encode(md, 32, out);
}

void
sign_hmac_sha256_hex(const void *key, size_t klen, const void *p, size_t n,
    char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (klen > INT_MAX ||
	    HMAC(md_sha256(), key, (int)klen, p, n, md, &mdlen) == NULL ||
	    mdlen != 32)
		abort();	/* a broken installation, not input */
	hex_encode(md, 32, out);
	OPENSSL_cleanse(md, sizeof(md));
}

int
sign_random_token(const struct app_rng *rng, size_t n, char *out,
    size_t outsz)
{
	static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_";
	unsigned char raw[256];
	size_t i, o = 0;

	if (n == 0 || n > sizeof(raw) || outsz < (4 * n + 2) / 3 + 1)
		return -1;
	if ((rng ? rng->bytes(rng->ctx, raw, n) : random_bytes(NULL, raw,
	    n)) == -1)
		return -1;
	for (i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)raw[i] << 16;
		size_t left = n - i;

		if (left > 1)
			v |= (uint32_t)raw[i + 1] << 8;
		if (left > 2)
			v |= raw[i + 2];
		out[o++] = b64url[v >> 18 & 63];
		out[o++] = b64url[v >> 12 & 63];
		if (left > 1)
			out[o++] = b64url[v >> 6 & 63];
		if (left > 2)
			out[o++] = b64url[v & 63];
	}
	out[o] = '\0';
	mem_wipe(raw, sizeof(raw));
	return 0;
}
