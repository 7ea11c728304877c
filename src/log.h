/*
 * log.h - a tiny format-checked logger (after OpenBSD httpd's log.c).
 *
 * One line per event, written with a single write(2) to stderr (systemd's
 * journal or the demo's log file):
 *	lvl=warn rid=<request id> mod=notify evt=verify_fail order=X msg="..."
 * The caller's fmt supplies the trailing key=value pairs. Every string
 * argument is escaped by log_escape() (log.c is the one place that does
 * it): inside the format's quotes (msg="%s") in place, bare (path=%s)
 * quoted when needed, so a hostile value cannot add a key or a line.
 * Pass key=value text only in the format, never as a %s argument.
 * Never pass keys, secrets, tokens, OAuth codes, cookies or signatures;
 * mask openids with log_mask().
 */
#ifndef H5PAY_LOG_H
#define H5PAY_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum log_level { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };

void log_set_level(enum log_level);
/* Parse "error|warn|info|debug"; -1 if unknown. */
int log_level_parse(const char *, enum log_level *);

/* Request id of the calling thread ("-" when none). Copied; thread-local. */
void log_set_rid(const char *rid);
/* This thread's request id ("-" when none). */
const char *log_get_rid(void);

void log_write(enum log_level, const char *mod, const char *evt,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#define log_error(mod, evt, ...) log_write(LOG_ERROR, mod, evt, __VA_ARGS__)
#define log_warn(mod, evt, ...) log_write(LOG_WARN, mod, evt, __VA_ARGS__)
#define log_info(mod, evt, ...) log_write(LOG_INFO, mod, evt, __VA_ARGS__)
#define log_debug(mod, evt, ...) log_write(LOG_DEBUG, mod, evt, __VA_ARGS__)

/*
 * Escape n bytes of s as one log value into out (cap bytes; always
 * NUL-terminated; cut at a character boundary when it does not fit).
 * '"' and '\\' get a backslash, \n \r \t their escapes, other control
 * bytes, bytes that are not valid UTF-8 "\xNN", C1 controls and U+2028/9
 * "\uNNNN". in_quotes: the value sits inside "..." already; otherwise it
 * is wrapped in quotes when empty or when it holds anything but printable
 * ASCII other than space, '"', '=' and '\\'. Returns the length written.
 */
size_t log_escape(const char *s, size_t n, bool in_quotes, char *out,
    size_t cap);

/*
 * Mask an identifier for logs and the admin: keep the first 4 and last 4
 * characters ("oAbC…Yz0"); short values become "***". out must hold 16.
 */
const char *log_mask(const char *id, char *out, size_t outsz);

#endif
