/*
 * valid.h - the shapes of the identifiers h5pay accepts, checked in one
 * place: tokens of a character set and length, openids, order numbers,
 * currencies. A leaf (no project includes). Every function takes
 * (pointer, length) so network bytes need no NUL; NULL is never valid.
 */
#ifndef H5PAY_VALID_H
#define H5PAY_VALID_H

#include <stdbool.h>
#include <stddef.h>

#define VALID_OPENID_MAX 128	/* WeChat openids are 28 today */
#define VALID_ORDER_NO_MAX 32	/* WeChat's limit on merchant order ids */

/* min..max bytes, each of [0-9A-Za-z] or one of the bytes of extra. */
bool valid_token(const char *s, size_t n, size_t min, size_t max,
    const char *extra);
/* An openid: 1..VALID_OPENID_MAX of [0-9A-Za-z_-]. */
bool valid_openid(const char *s, size_t n);
/* Our order or refund number: 1..VALID_ORDER_NO_MAX of [0-9A-Za-z]. */
bool valid_order_no(const char *s, size_t n);
/* An ISO 4217 code: three of [A-Z]. */
bool valid_currency(const char *s, size_t n);

#define VALID_ORIGIN_MAX 262	/* "https://" + 253 + ":65535" */

/*
 * The origin that starts s[0..n): "https://HOST[:PORT]" (or "http://"
 * when plain), HOST 1..253 of [0-9A-Za-z.-] not starting with '.' or '-',
 * PORT 1..65535 without a leading zero. The origin's length, or 0 when s
 * does not start with one. An origin alone is s when the length is n; a
 * URL on it continues with '/' or '?'.
 */
size_t valid_origin_len(const char *s, size_t n, bool plain);

#endif
