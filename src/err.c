/*
 * err.c - struct err helpers and the err_code -> HTTP status table.
 * The table is the only place that decides what status a failure gets.
 */
#include <stdarg.h>
#include <stdio.h>

#include "err.h"

static const struct {
	int status;
	const char *name;
	const char *text;
} err_table[E__COUNT] = {
	[E_OK] = {200, "ok", "ok"},
	[E_INPUT] = {400, "bad_request", "The request is not valid."},
	[E_AUTH] = {401, "unauthorized", "Authentication required."},
	[E_FORBIDDEN] = {403, "forbidden", "Not allowed."},
	[E_NOTFOUND] = {404, "not_found", "Not found."},
	[E_METHOD] = {405, "method_not_allowed", "Method not allowed."},
	[E_CONFLICT] = {409, "conflict", "The request conflicts with the "
					 "current state."},
	[E_TOOBIG] = {413, "too_large", "The request is too large."},
	[E_RATE] = {429, "too_many_requests", "Too many requests; "
					      "try again later."},
	[E_SIG] = {401, "bad_signature", "Signature verification failed."},
	[E_UPSTREAM] = {502, "upstream_error", "The payment provider "
					       "refused or failed."},
	[E_UPSTREAM_SIG] = {502, "upstream_bad_signature", "The payment "
					 "provider's answer could not be "
					 "verified."},
	[E_UNKNOWN] = {504, "upstream_unknown", "The payment provider did "
						"not answer in time."},
	[E_STORE] = {500, "internal_error", "Internal error."},
	[E_INTERNAL] = {500, "internal_error", "Internal error."},
};

int
err_set(struct err *err, enum err_code code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return -1;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

void
err_clear(struct err *err)
{
	err->code = E_OK;
	err->msg[0] = '\0';
}

int
err_http_status(enum err_code code)
{
	if (code < 0 || code >= E__COUNT)
		return 500;
	return err_table[code].status;
}

const char *
err_name(enum err_code code)
{
	if (code < 0 || code >= E__COUNT)
		return "internal_error";
	return err_table[code].name;
}

const char *
err_public(enum err_code code)
{
	if (code < 0 || code >= E__COUNT)
		return "Internal error.";
	return err_table[code].text;
}
