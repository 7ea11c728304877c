/*
 * test_totp.c - RFC 6238 Appendix B (TOTP, SHA-1/256/512, 8 digits),
 * RFC 4226 Appendix D (HOTP, 6 digits), the ±1 step window, single use,
 * and RFC 4648's base32 vectors.
 */
#include "sign_totp.h"
#include "t.h"

static const char seed1[] = "12345678901234567890";
static const char seed256[] = "12345678901234567890123456789012";
static const char seed512[] = "1234567890123456789012345678901234567890"
    "123456789012345678901234";

static void
test_rfc6238_appendix_b(void)
{
	static const struct {
		int64_t t;
		const char *sha1, *sha256, *sha512;
	} v[] = {
		{ 59, "94287082", "46119246", "90693936" },
		{ 1111111109, "07081804", "68084774", "25091201" },
		{ 1111111111, "14050471", "67062674", "99943326" },
		{ 1234567890, "89005924", "91819424", "93441116" },
		{ 2000000000, "69279037", "90698825", "38618901" },
		{ 20000000000LL, "65353130", "77737706", "47863826" },
	};
	char out[16];
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint64_t step = (uint64_t)(v[i].t / 30);

		T_EQ_INT(sign_hotp(TOTP_SHA1, (const unsigned char *)seed1,
		    20, step, 8, out), 0);
		T_EQ_STR(out, v[i].sha1);
		T_EQ_INT(sign_hotp(TOTP_SHA256, (const unsigned char *)seed256,
		    32, step, 8, out), 0);
		T_EQ_STR(out, v[i].sha256);
		T_EQ_INT(sign_hotp(TOTP_SHA512, (const unsigned char *)seed512,
		    64, step, 8, out), 0);
		T_EQ_STR(out, v[i].sha512);
	}
}

static void
test_rfc4226_appendix_d(void)
{
	static const char *const want[] = { "755224", "287082", "359152",
	    "969429", "338314", "254676", "287922", "162583", "399871",
	    "520489" };
	char out[16];
	uint64_t c;

	for (c = 0; c < 10; c++) {
		T_EQ_INT(sign_hotp(TOTP_SHA1, (const unsigned char *)seed1, 20,
		    c, 6, out), 0);
		T_EQ_STR(out, want[c]);
	}
	T_EQ_INT(sign_hotp(TOTP_SHA1, (const unsigned char *)seed1, 20, 0, 5,
	    out), -1);
}

static void
test_verify_window_and_single_use(void)
{
	const unsigned char *k = (const unsigned char *)seed1;
	int64_t now = 1111111111, last = 0;
	char code[16], prev[16], next[16], old[16];

	/* 6-digit codes of the step now, one before, one after, two before */
	sign_hotp(TOTP_SHA1, k, 20, (uint64_t)(now / 30), 6, code);
	sign_hotp(TOTP_SHA1, k, 20, (uint64_t)(now / 30 - 1), 6, prev);
	sign_hotp(TOTP_SHA1, k, 20, (uint64_t)(now / 30 + 1), 6, next);
	sign_hotp(TOTP_SHA1, k, 20, (uint64_t)(now / 30 - 2), 6, old);
	T_OK(!sign_totp_verify(k, 20, now, old, &last));
	T_OK(sign_totp_verify(k, 20, now, prev, &last));
	T_EQ_INT(last, now / 30 - 1);
	T_OK(!sign_totp_verify(k, 20, now, prev, &last));	/* replay */
	T_OK(sign_totp_verify(k, 20, now, code, &last));
	T_EQ_INT(last, now / 30);
	T_OK(!sign_totp_verify(k, 20, now, code, &last));	/* replay */
	T_OK(sign_totp_verify(k, 20, now, next, &last));
	T_OK(!sign_totp_verify(k, 20, now, "12345", &last));
	T_OK(!sign_totp_verify(k, 20, now, "12345a", &last));
	T_OK(!sign_totp_verify(k, 20, now, "", &last));
	T_OK(!sign_totp_verify(k, 20, now, NULL, &last));
}

static void
test_base32(void)
{
	static const struct { const char *in, *out; } v[] = {
		{ "", "" }, { "f", "MY" }, { "fo", "MZXQ" }, { "foo", "MZXW6" },
		{ "foob", "MZXW6YQ" }, { "fooba", "MZXW6YTB" },
		{ "foobar", "MZXW6YTBOI" },
	};
	unsigned char raw[32];
	struct buf b;
	size_t i;
	int n;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		buf_init(&b, 64);
		sign_base32_encode((const unsigned char *)v[i].in,
		    strlen(v[i].in), &b);
		T_EQ_STR(buf_str(&b), v[i].out);
		n = sign_base32_decode(v[i].out, raw, sizeof(raw));
		T_EQ_INT(n, strlen(v[i].in));
		T_OK(memcmp(raw, v[i].in, (size_t)n) == 0);
		buf_cleanup(&b);
	}
	T_EQ_INT(sign_base32_decode("mzxw6ytboi", raw, sizeof(raw)), 6);
	T_EQ_INT(sign_base32_decode("MZXW6YTBOI=", raw, sizeof(raw)), -1);
	T_EQ_INT(sign_base32_decode("MZ1", raw, sizeof(raw)), -1);
	T_EQ_INT(sign_base32_decode("MZXW6YTBOI", raw, 3), -1);
}

int
main(void)
{
	T_RUN(test_rfc6238_appendix_b);
	T_RUN(test_rfc4226_appendix_d);
	T_RUN(test_verify_window_and_single_use);
	T_RUN(test_base32);
	return t_done();
}
