/*
 * log.h - a tiny format-checked logger (after OpenBSD httpd's log.c).
 *
 * One line per event, written with a single write(2) to stderr (systemd's
 * journal or the demo's log file):
 *	lvl=warn rid=<request id> mod=notify evt=verify_fail order=X msg="..."
 * The caller's fmt supplies the trailing key=value pairs. Control bytes in
 * the result are replaced so a hostile value cannot forge a line.
 * Never pass keys, secrets, tokens, OAuth codes, cookies or signatures;
 * mask openids with log_mask().
 */
#ifndef H5PAY_LOG_H
#define H5PAY_LOG_H

#include <stddef.h>

enum log_level { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };

void log_set_level(enum log_level);
/* Parse "error|warn|info|debug"; -1 if unknown. */
int log_level_parse(const char *, enum log_level *);

/* Request id of the calling thread ("-" when none). Copied; thread-local. */
void log_set_rid(const char *rid);

void log_write(enum log_level, const char *mod, const char *evt,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#define log_error(mod, evt, ...) log_write(LOG_ERROR, mod, evt, __VA_ARGS__)
#define log_warn(mod, evt, ...) log_write(LOG_WARN, mod, evt, __VA_ARGS__)
#define log_info(mod, evt, ...) log_write(LOG_INFO, mod, evt, __VA_ARGS__)
#define log_debug(mod, evt, ...) log_write(LOG_DEBUG, mod, evt, __VA_ARGS__)

/*
 * Mask an identifier for logs and the admin: keep the first 4 and last 4
 * characters ("oAbC…Yz0"); short values become "***". out must hold 16.
 */
const char *log_mask(const char *id, char *out, size_t outsz);

#endif
