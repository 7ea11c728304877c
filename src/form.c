/*
 * form.c - form/query decoding and encoding (RFC 3986 unreserved set kept,
 * everything else %XX, space as '+', matching what UseePay's clients send
 * and the shared vectors' formBody).
 */
#include <stdlib.h>
#include <string.h>

#include "form.h"
#include "util.h"

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode s[0..n) into out (which has room for n bytes). Returns the
 * decoded length, or -1 on a bad escape. */
static long
form_unescape(const char *s, size_t n, char *out)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == '+') {
			out[o++] = ' ';
		} else if (s[i] == '%') {
			int hi, lo;

			if (n - i < 3)
				return -1;
			hi = hexval(s[i + 1]);
			lo = hexval(s[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			out[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else {
			out[o++] = s[i];
		}
	}
	return (long)o;
}

int
form_decode(const char *s, size_t n, struct kvlist *out, struct err *err)
{
	size_t pos = 0, fields = 0;
	char *kbuf, *vbuf;
	int rc = -1;

	kbuf = xmalloc(n + 1);
	vbuf = xmalloc(n + 1);
	while (pos < n) {
		const char *pair = s + pos, *amp, *eq;
		size_t plen, klen_raw, vlen_raw;
		long kl, vl;

		amp = memchr(pair, '&', n - pos);
		plen = amp ? (size_t)(amp - pair) : n - pos;
		pos += plen + (amp ? 1 : 0);
		if (plen == 0)
			continue;	/* "a=1&&b=2" and a trailing '&' */
		if (++fields > LIM_FORM_FIELDS) {
			err_set(err, E_TOOBIG, "form: more than %d fields",
			    LIM_FORM_FIELDS);
			goto out;
		}
		eq = memchr(pair, '=', plen);
		klen_raw = eq ? (size_t)(eq - pair) : plen;
		vlen_raw = eq ? plen - klen_raw - 1 : 0;
		kl = form_unescape(pair, klen_raw, kbuf);
		vl = eq ? form_unescape(eq + 1, vlen_raw, vbuf) : 0;
		if (kl < 0 || vl < 0) {
			err_set(err, E_INPUT, "form: bad percent-escape");
			goto out;
		}
		if (kl == 0) {
			err_set(err, E_INPUT, "form: empty field name");
			goto out;
		}
		kvlist_add(out, kbuf, (size_t)kl, vbuf, (size_t)vl);
	}
	rc = 0;
out:
	free(kbuf);
	free(vbuf);
	return rc;
}

int
form_encode_component(struct buf *b, const char *p, size_t n)
{
	static const char hx[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    c == '.' || c == '~') {
			if (buf_addc(b, (char)c) == -1)
				return -1;
		} else if (c == ' ') {
			if (buf_addc(b, '+') == -1)
				return -1;
		} else {
			char e[3] = {'%', hx[c >> 4], hx[c & 15]};
			if (buf_add(b, e, 3) == -1)
				return -1;
		}
	}
	return 0;
}

int
form_encode(struct buf *b, const struct kvlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		if (i && buf_addc(b, '&') == -1)
			return -1;
		if (form_encode_component(b, l->v[i].key, l->v[i].klen) == -1 ||
		    buf_addc(b, '=') == -1 ||
		    form_encode_component(b, l->v[i].val, l->v[i].vlen) == -1)
			return -1;
	}
	return 0;
}
