/*
 * form.h - application/x-www-form-urlencoded decoding and encoding
 * (also used for query strings).
 *
 * Decoding is strict: a '%' not followed by two hex digits is an error,
 * '+' becomes a space, an empty key is an error, a pair without '=' is a
 * key with an empty value. Nothing is trimmed: the canonical string for
 * signatures (sign.c) needs the raw decoded values.
 */
#ifndef H5PAY_FORM_H
#define H5PAY_FORM_H

#include <stddef.h>

#include "buf.h"
#include "err.h"
#include "kv.h"
#include "lim.h"

/* Decode s[0..n) and append the fields to *out in order. -1 on E_INPUT or
 * E_TOOBIG; *out may then hold a prefix of the fields. */
int form_decode(const char *s, size_t n, struct kvlist *out, struct err *);

/* Append the percent-encoding of p[0..n): RFC 3986 unreserved bytes kept,
 * space as '+', everything else %XX. -1 past the buf's ceiling. */
int form_encode_component(struct buf *, const char *p, size_t n);

/* Append "k1=v1&k2=v2..." for every field of l, in list order. */
int form_encode(struct buf *, const struct kvlist *l);

#endif
