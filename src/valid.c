/*
 * valid.c - identifier shapes (valid.h): the one copy of each character
 * class and length rule that handlers, the domain and the store share.
 */
#include <string.h>

#include "valid.h"

bool
valid_token(const char *s, size_t n, size_t min, size_t max,
    const char *extra)
{
	size_t i;

	if (s == NULL || n < min || n > max)
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z') || (c != '\0' && extra != NULL &&
		    strchr(extra, c) != NULL)))
			return false;
	}
	return true;
}

bool
valid_openid(const char *s, size_t n)
{
	return valid_token(s, n, 1, VALID_OPENID_MAX, "_-");
}

bool
valid_order_no(const char *s, size_t n)
{
	return valid_token(s, n, 1, VALID_ORDER_NO_MAX, "");
}

bool
valid_currency(const char *s, size_t n)
{
	return s != NULL && n == 3 && s[0] >= 'A' && s[0] <= 'Z' &&
	    s[1] >= 'A' && s[1] <= 'Z' && s[2] >= 'A' && s[2] <= 'Z';
}
