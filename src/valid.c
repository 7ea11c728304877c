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

size_t
valid_origin_len(const char *s, size_t n, bool plain)
{
	size_t i, h, port = 0, digits = 0;

	if (s == NULL)
		return 0;
	if (n >= 8 && strncmp(s, "https://", 8) == 0)
		i = 8;
	else if (plain && n >= 7 && strncmp(s, "http://", 7) == 0)
		i = 7;
	else
		return 0;
	h = i;
	while (i < n && ((s[i] >= '0' && s[i] <= '9') ||
	    (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
	    s[i] == '.' || s[i] == '-'))
		i++;
	if (i == h || i - h > 253 || s[h] == '.' || s[h] == '-')
		return 0;
	if (i < n && s[i] == ':') {
		i++;
		if (i >= n || s[i] == '0')
			return 0;
		while (i < n && s[i] >= '0' && s[i] <= '9' && digits < 6) {
			port = port * 10 + (size_t)(s[i] - '0');
			digits++;
			i++;
		}
		if (digits == 0 || port > 65535)
			return 0;
	}
	if (i < n && s[i] != '/' && s[i] != '?')
		return 0;
	return i;
}
