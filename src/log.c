/*
 * log.c - one-line structured logging. Thread-safe: each line is built in a
 * stack buffer and written with one write(2) to fd 2.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
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

void
log_write(enum log_level lvl, const char *mod, const char *evt,
    const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n, m;
	size_t i;

	if (lvl > log_level)
		return;
	n = snprintf(line, sizeof(line), "lvl=%s rid=%s mod=%s evt=%s ",
	    log_names[lvl], log_rid, mod, evt);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	if (m > 0)
		n += m;
	if ((size_t)n >= sizeof(line) - 1)
		n = sizeof(line) - 2;
	for (i = 0; i < (size_t)n; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			line[i] = '?';
	line[n++] = '\n';
	if (write(2, line, (size_t)n) < 0) {
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
