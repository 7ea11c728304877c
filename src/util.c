/*
 * util.c - leaf helpers. Nothing here knows about HTTP, SQL or money.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "util.h"
#include "valid.h"

static void
oom(void)
{
	static const char msg[] = "h5pay: out of memory\n";
	fwrite(msg, 1, sizeof(msg) - 1, stderr);
	abort();
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (p == NULL)
		oom();
	return p;
}

void *
xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz ? sz : 1);
	if (p == NULL)
		oom();
	return p;
}

void *
xrealloc(void *old, size_t n)
{
	void *p = realloc(old, n ? n : 1);
	if (p == NULL)
		oom();
	return p;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = xmalloc(len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

void
secret_free(char *s)
{
	volatile char *v = s;

	if (s == NULL)
		return;
	while (*v)
		*v++ = 0;
	free(s);
}

void
mem_wipe(void *p, size_t n)
{
	volatile unsigned char *v = p;

	while (n--)
		*v++ = 0;
}

int
parse_i64(const char *s, size_t n, int64_t min, int64_t max, int64_t *out)
{
	uint64_t acc = 0, lim;
	size_t i = 0;
	int neg = 0;

	if (n == 0 || n > 20)
		return -1;
	if (s[0] == '-') {
		if (min >= 0 || n == 1)
			return -1;
		neg = 1;
		i = 1;
	}
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; i < n; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9')
			return -1;
		d = (unsigned)(s[i] - '0');
		if (acc > (lim - d) / 10)
			return -1;
		acc = acc * 10 + d;
	}
	if (neg) {
		int64_t v = acc == (uint64_t)INT64_MAX + 1 ? INT64_MIN
							     : -(int64_t)acc;
		if (v < min || v > max)
			return -1;
		*out = v;
	} else {
		if ((int64_t)acc < min || (int64_t)acc > max)
			return -1;
		*out = (int64_t)acc;
	}
	return 0;
}

int
parse_i64z(const char *s, int64_t min, int64_t max, int64_t *out)
{
	if (s == NULL)
		return -1;
	return parse_i64(s, strlen(s), min, max, out);
}

int
parse_i64_canon(const char *s, int64_t min, int64_t max, int64_t *out)
{
	if (s == NULL)
		return -1;
	if (s[0] == '-' && s[1] == '0')
		return -1;
	if (s[0] == '0' && s[1] != '\0')
		return -1;
	return parse_i64z(s, min, max, out);
}

bool
ct_equal(const void *a, size_t alen, const void *b, size_t blen)
{
	const volatile unsigned char *x = a, *y = b;
	unsigned char acc = 0;
	size_t i;

	if (alen != blen)
		return false;
	for (i = 0; i < alen; i++)
		acc |= x[i] ^ y[i];
	return acc == 0;
}

bool
str_is_alnum(const char *s, size_t n)
{
	return valid_token(s, n, 1, n, "");
}

size_t
str_lcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (size) {
		size_t n = len < size - 1 ? len : size - 1;
		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

void
hex_encode(const unsigned char *in, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hx[in[i] >> 4];
		out[2 * i + 1] = hx[in[i] & 15];
	}
	out[2 * n] = '\0';
}

int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
now_s(void)
{
	return (int64_t)time(NULL);
}

int64_t
mono_ms(void)
{
	return mono_us() / 1000;
}

int64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int
random_bytes(void *ctx, unsigned char *buf, size_t n)
{
	size_t off = 0;

	(void)ctx;
	while (off < n) {
		ssize_t r = getrandom(buf + off, n - off, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		off += (size_t)r;
	}
	return 0;
}
