/*
 * log.c - one-line structured logging. Thread-safe: each line is built in a
 * stack buffer and written with one write(2) to fd 2.
 *
 * The one escaper of the project's logs: log_write() formats the caller's
 * printf format itself and passes every string argument (%s, %.Ns, %.*s)
 * through log_escape(), so no value -- request text included -- can add
 * a key, end a line or break a reader's UTF-8. A value inside the
 * format's own quotes (msg="%s") is escaped in place; a bare one
 * (path=%s) is quoted when it holds anything but plain printable ASCII.
 * Numbers and the format's literal text are written as they are.
 *
 * It does not: check what is logged (never pass secrets, see log.h).
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

static enum log_level log_level = LOG_INFO;
static _Thread_local char log_rid[64] = "-";

static const char *const log_names[] = {"error", "warn", "info", "debug"};

void
log_set_level(enum log_level l)
{
	log_level = l;
}

int
log_level_parse(const char *s, enum log_level *out)
{
	size_t i;

	for (i = 0; i < sizeof(log_names) / sizeof(log_names[0]); i++)
		if (strcmp(s, log_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	return -1;
}

const char *
log_get_rid(void)
{
	return log_rid;
}

void
log_set_rid(const char *rid)
{
	size_t i, n = 0;

	if (rid == NULL || *rid == '\0')
		rid = "-";
	/* keep only safe characters: the rid comes from a header */
	for (i = 0; rid[i] && n < sizeof(log_rid) - 1; i++) {
		char c = rid[i];
		if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z') || c == '-' || c == '_')
			log_rid[n++] = c;
	}
	if (n == 0)
		log_rid[n++] = '-';
	log_rid[n] = '\0';
}

/* Length of the valid UTF-8 character at s[0..n), 0 if invalid. */
static size_t
utf8_char_len(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t len, i;
	uint32_t c, min;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2, c = s[0] & 0x1f, min = 0x80;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3, c = s[0] & 0x0f, min = 0x800;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4, c = s[0] & 0x07, min = 0x10000;
	} else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* A byte a bare (unquoted) value may hold as it is. */
static bool
bare_ok(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '"' && c != '=' && c != '\\';
}

size_t
log_escape(const char *s, size_t n, bool in_quotes, char *out, size_t cap)
{
	const unsigned char *u = (const unsigned char *)s;
	bool wrap = false;
	size_t i, o = 0, k, len;
	char esc[16];
	uint32_t cp;

	if (cap == 0)
		return 0;
	if (!in_quotes) {
		wrap = n == 0;
		for (i = 0; i < n && !wrap; i++)
			wrap = !bare_ok(u[i]);
	}
	if (wrap) {
		if (cap < 3) {
			out[0] = '\0';
			return 0;
		}
		out[o++] = '"';
		cap--;		/* room for the closing quote */
	}
	for (i = 0; i < n; i += len) {
		len = utf8_char_len(u + i, n - i, &cp);
		if (len == 0) {
			snprintf(esc, sizeof(esc), "\\x%02x", u[i]);
			len = 1;
		} else if (cp == '"' || cp == '\\') {
			esc[0] = '\\', esc[1] = (char)cp, esc[2] = '\0';
		} else if (cp == '\n') {
			str_lcpy(esc, "\\n", sizeof(esc));
		} else if (cp == '\r') {
			str_lcpy(esc, "\\r", sizeof(esc));
		} else if (cp == '\t') {
			str_lcpy(esc, "\\t", sizeof(esc));
		} else if (cp < 0x20 || cp == 0x7f) {
			snprintf(esc, sizeof(esc), "\\x%02x", (unsigned)cp);
		} else if ((cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 ||
		    cp == 0x2029) {
			/* C1 controls and Unicode line breaks */
			snprintf(esc, sizeof(esc), "\\u%04x", (unsigned)cp);
		} else {
			memcpy(esc, s + i, len);
			esc[len] = '\0';
		}
		k = strlen(esc);
		if (o + k + 1 > cap)
			break;		/* truncated at a character boundary */
		memcpy(out + o, esc, k);
		o += k;
	}
	if (wrap)
		out[o++] = '"';
	out[o] = '\0';
	return o;
}

/* The line being built: at most LOG_LINE_MAX - 1 bytes before the '\n'. */
#define LOG_LINE_MAX 1024

struct line {
	char b[LOG_LINE_MAX];
	size_t n;
};

static void
line_add(struct line *l, const char *p, size_t n)
{
	if (n > sizeof(l->b) - 1 - l->n)
		n = sizeof(l->b) - 1 - l->n;
	memcpy(l->b + l->n, p, n);
	l->n += n;
}

/*
 * printf's format, one conversion at a time: string arguments through
 * log_escape(), everything else through snprintf with its own type.
 * %n is not supported (skipped, as an invalid conversion).
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static void
line_vformat(struct line *l, const char *fmt, va_list *ap)
{
	bool inq = false;
	const char *p = fmt, *q;
	char spec[32], tmp[64];
	size_t sl, room;
	int prec, width, m;
	char len[3], conv;

	while (*p) {
		if (*p != '%') {
			if (*p == '"')
				inq = !inq;
			line_add(l, p++, 1);
			continue;
		}
		q = p++;
		if (*p == '%') {
			line_add(l, p++, 1);
			continue;
		}
		prec = -1, width = -1;
		while (*p && strchr("-+ #0", *p))
			p++;
		if (*p == '*') {
			width = va_arg(*ap, int);
			p++;
		} else
			while (*p >= '0' && *p <= '9')
				p++;
		if (*p == '.') {
			p++;
			prec = 0;
			if (*p == '*') {
				prec = va_arg(*ap, int);
				p++;
			} else
				while (*p >= '0' && *p <= '9')
					prec = prec * 10 + (*p++ - '0');
		}
		memset(len, 0, sizeof(len));
		if (*p && strchr("hlzjtL", *p)) {
			len[0] = *p++;
			if ((len[0] == 'h' || len[0] == 'l') && *p == len[0])
				len[1] = *p++;
		}
		conv = *p ? *p++ : '\0';
		if (conv == 's') {
			const char *v = va_arg(*ap, const char *);
			char esc[LOG_LINE_MAX];

			if (v == NULL)
				v = "(null)";
			sl = prec >= 0 ? strnlen(v, (size_t)prec) : strlen(v);
			room = sizeof(l->b) - 1 - l->n;
			log_escape(v, sl, inq, esc, room + 1 < sizeof(esc) ?
			    room + 1 : sizeof(esc));
			line_add(l, esc, strlen(esc));
			continue;
		}
		/* rebuild the conversion with '*' resolved */
		sl = (size_t)(p - q);
		if (sl >= sizeof(spec) - 24 || conv == '\0' || conv == 'n')
			continue;
		{
			const char *a;
			size_t o = 0;

			for (a = q; a < p; a++) {
				if (*a == '*') {
					int v = a > q && a[-1] == '.' ? prec :
					    width;

					o += (size_t)snprintf(spec + o,
					    sizeof(spec) - o, "%d", v);
				} else
					spec[o++] = *a;
			}
			spec[o] = '\0';
		}
		m = -1;
		switch (conv) {
		case 'd':
		case 'i':
			if (len[0] == 'l' && len[1] == 'l')
				m = snprintf(tmp, sizeof(tmp), spec,
				    va_arg(*ap, long long));
			else if (len[0] == 'l')
				m = snprintf(tmp, sizeof(tmp), spec,
				    va_arg(*ap, long));
			else if (len[0] == 'z')
				m = snprintf(tmp, sizeof(tmp), spec,
				    va_arg(*ap, ssize_t));
			else if (len[0] == 'j')
				m = snprintf(tmp, sizeof(tmp), spec,
				    va_arg(*ap, intmax_t));
			else if (len[0] == 't')
				m = snprintf(tmp, sizeof(tmp), spec,
				    va_arg(*ap, ptrdiff_t));
			else
				m = snprintf(tmp, sizeof(tmp), spec,
				    va_arg(*ap, int));
			break;
		case 'u':
		case 'o':
		case 'x':
		case 'X':
			if (len[0] == 'l' && len[1] == 'l')
				m = snprintf(tmp, sizeof(tmp), spec,
				    va_arg(*ap, unsigned long long));
			else if (len[0] == 'l')
				m = snprintf(tmp, sizeof(tmp), spec,
				    va_arg(*ap, unsigned long));
			else if (len[0] == 'z')
				m = snprintf(tmp, sizeof(tmp), spec,
				    va_arg(*ap, size_t));
			else if (len[0] == 'j')
				m = snprintf(tmp, sizeof(tmp), spec,
				    va_arg(*ap, uintmax_t));
			else if (len[0] == 't')
				m = snprintf(tmp, sizeof(tmp), spec,
				    va_arg(*ap, size_t));
			else
				m = snprintf(tmp, sizeof(tmp), spec,
				    va_arg(*ap, unsigned));
			break;
		case 'c': {
			char c = (char)va_arg(*ap, int);

			log_escape(&c, 1, inq, tmp, sizeof(tmp));
			m = (int)strlen(tmp);
			break;
		}
		case 'p':
			m = snprintf(tmp, sizeof(tmp), spec,
			    va_arg(*ap, void *));
			break;
		case 'e':
		case 'E':
		case 'f':
		case 'F':
		case 'g':
		case 'G':
		case 'a':
		case 'A':
			if (len[0] == 'L')
				m = snprintf(tmp, sizeof(tmp), spec,
				    va_arg(*ap, long double));
			else
				m = snprintf(tmp, sizeof(tmp), spec,
				    va_arg(*ap, double));
			break;
		default:
			break;
		}
		if (m > 0)
			line_add(l, tmp, (size_t)m < sizeof(tmp) ? (size_t)m :
			    sizeof(tmp) - 1);
	}
}
#pragma GCC diagnostic pop

void
log_write(enum log_level lvl, const char *mod, const char *evt,
    const char *fmt, ...)
{
	struct line l;
	va_list ap;
	size_t i;
	int n;

	if (lvl > log_level)
		return;
	n = snprintf(l.b, sizeof(l.b), "lvl=%s rid=%s mod=%s evt=%s ",
	    log_names[lvl], log_rid, mod, evt);
	if (n < 0)
		return;
	l.n = (size_t)n < sizeof(l.b) - 1 ? (size_t)n : sizeof(l.b) - 1;
	va_start(ap, fmt);
	line_vformat(&l, fmt, &ap);
	va_end(ap);
	/* belt and braces: no raw control byte reaches the log */
	for (i = 0; i < l.n; i++)
		if ((unsigned char)l.b[i] < 0x20 || l.b[i] == 0x7f)
			l.b[i] = '?';
	l.b[l.n++] = '\n';
	if (write(2, l.b, l.n) < 0) {
		/* nowhere left to report it */
	}
}

const char *
log_mask(const char *id, char *out, size_t outsz)
{
	size_t n = id ? strlen(id) : 0;

	if (outsz < 16) {
		if (outsz)
			out[0] = '\0';
		return out;
	}
	if (n < 10) {
		str_lcpy(out, "***", outsz);
		return out;
	}
	snprintf(out, outsz, "%.4s***%s", id, id + n - 4);
	return out;
}
