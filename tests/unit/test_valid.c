/*
 * test_valid.c - the identifier shapes every layer shares (valid.c):
 * lengths at and past each bound, each character class, embedded NUL,
 * NULL.
 */
#include "t.h"

#include "valid.h"

static void
test_token(void)
{
	T_OK(valid_token("abcXYZ019", 9, 1, 9, ""));
	T_OK(!valid_token("abcXYZ019", 9, 1, 8, ""));
	T_OK(!valid_token("", 0, 1, 8, ""));
	T_OK(valid_token("", 0, 0, 8, ""));
	T_OK(valid_token("a_b-c.d", 7, 1, 64, "_.-"));
	T_OK(!valid_token("a_b-c.d", 7, 1, 64, "_-"));
	T_OK(!valid_token("a b", 3, 1, 64, "_-"));
	T_OK(!valid_token("a\0b", 3, 1, 64, "_-"));	/* NUL is never extra */
	T_OK(!valid_token(NULL, 0, 0, 64, ""));
	T_OK(!valid_token("\xe4\xb8\xad", 3, 1, 64, "_-"));
}

static void
test_openid_order_no_currency(void)
{
	char big[130];

	T_OK(valid_openid("oAbCdEfGhIjKlMnOpQrStUvWxYz0", 28));
	T_OK(valid_openid("o-_x", 4));
	T_OK(!valid_openid("o.x", 3));
	memset(big, 'a', sizeof(big));
	T_OK(valid_openid(big, VALID_OPENID_MAX));
	T_OK(!valid_openid(big, VALID_OPENID_MAX + 1));
	T_OK(valid_order_no("H520261202010203abcDEF", 22));
	T_OK(valid_order_no(big, VALID_ORDER_NO_MAX));
	T_OK(!valid_order_no(big, VALID_ORDER_NO_MAX + 1));
	T_OK(!valid_order_no("H5-1", 4));
	T_OK(!valid_order_no("", 0));
	T_OK(valid_currency("HKD", 3));
	T_OK(!valid_currency("hkd", 3));
	T_OK(!valid_currency("HKDX", 4));
	T_OK(!valid_currency("HK", 2));
	T_OK(!valid_currency(NULL, 3));
}

int
main(void)
{
	T_RUN(test_token);
	T_RUN(test_openid_order_no_currency);
	return t_done();
}
