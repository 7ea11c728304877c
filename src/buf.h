/*
 * buf.h - a growing byte buffer with a ceiling (after curl's dynbuf).
 *
 * Every buffer fed from the network gets a named cap (LIM_*); appending past
 * it fails with -1 and leaves the buffer unchanged. The content is always
 * NUL-terminated so it can be handed to string functions, but may also hold
 * NUL bytes: use b.len, not strlen().
 */
#ifndef H5PAY_BUF_H
#define H5PAY_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data;	/* NULL until the first append; NUL-terminated after */
	size_t len;
	size_t cap;	/* allocated bytes */
	size_t max;	/* ceiling for len; 0 is not allowed */
};

/* Start empty with ceiling max (bytes of content). No allocation. */
void buf_init(struct buf *, size_t max);

/* Free the storage; the buf may be reused after buf_init(). */
void buf_cleanup(struct buf *);

/* Drop content, keep storage. */
void buf_reset(struct buf *);

/* Append n bytes. -1 if that would pass the ceiling (nothing appended). */
int buf_add(struct buf *, const void *, size_t n);
int buf_adds(struct buf *, const char *s);
int buf_addc(struct buf *, char c);
/* v in decimal, as printf's %lld writes it (without printf). */
int buf_add_int(struct buf *, long long v);
int buf_printf(struct buf *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *, const char *fmt, va_list)
    __attribute__((format(printf, 2, 0)));

/* Append s with the five HTML-significant characters (& < > " ') as
 * entities: for text and attribute values in generated pages. */
int buf_add_html(struct buf *, const char *s);

/* The content as a C string ("" when empty). Borrowed: valid until the next
 * append, reset or cleanup. */
const char *buf_str(const struct buf *);

/* Take ownership of the content (caller frees); the buf becomes empty. */
char *buf_detach(struct buf *);

#endif
