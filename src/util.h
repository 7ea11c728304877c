/*
 * util.h - leaf helpers: allocation that aborts on OOM, checked number
 * parsing (atoi and friends are banned), constant-time comparison,
 * small string predicates. No project dependencies.
 */
#ifndef H5PAY_UTIL_H
#define H5PAY_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

void *xmalloc(size_t);
void *xcalloc(size_t, size_t);
void *xrealloc(void *, size_t);
char *xstrdup(const char *);		/* caller frees */
char *xstrndup(const char *, size_t);	/* caller frees; stops at n or NUL */

/* Free and wipe a secret string (OPENSSL_cleanse-equivalent). NULL ok. */
void secret_free(char *);

/* Overwrite n bytes with zeros in a way the compiler keeps. */
void mem_wipe(void *, size_t);

/*
 * Parse the whole of s[0..n) as a decimal integer in [min, max].
 * No sign unless min < 0, no spaces, no leading '+', no empty string.
 * Returns 0 and sets *out, or -1.
 */
int parse_i64(const char *s, size_t n, int64_t min, int64_t max,
    int64_t *out);
/* Same for a NUL-terminated string. */
int parse_i64z(const char *s, int64_t min, int64_t max, int64_t *out);
/* parse_i64z, and s must be the number's canonical spelling: no leading
 * zero ("0" itself is fine), no "-0". For signed amounts, where two
 * spellings of one value would be two messages. */
int parse_i64_canon(const char *s, int64_t min, int64_t max, int64_t *out);

/* Constant-time equality of two byte strings (length leaks, content not). */
bool ct_equal(const void *a, size_t alen, const void *b, size_t blen);

/* True if every byte of s[0..n) is in [0-9A-Za-z] (and n > 0). */
bool str_is_alnum(const char *s, size_t n);

/* strlcpy semantics: always terminates, returns strlen(src). */
size_t str_lcpy(char *dst, const char *src, size_t size);

/* Lowercase hex of n bytes into out (2n+1 bytes). */
void hex_encode(const unsigned char *in, size_t n, char *out);

/* Wall clock in milliseconds / seconds since the epoch (real clock). */
int64_t now_ms(void);
int64_t now_s(void);

/* n bytes from the kernel CSPRNG (getrandom); 0 or -1. */
int random_bytes(void *ctx, unsigned char *buf, size_t n);

/* Monotonic milliseconds, for timeouts. */
int64_t mono_ms(void);
int64_t mono_us(void);	/* monotonic clock, microseconds */

#endif
