/*
 * test_admin_pw.c - sign_pw: scrypt hash/verify, encoding, bounds.
 */
#include <string.h>

#include "sign_pw.h"
#include "t.h"

static const struct sign_pw_params fast = { 10, 8, 1 };

static void
test_roundtrip(void)
{
	char enc[SIGN_PW_ENCODED_MAX], enc2[SIGN_PW_ENCODED_MAX];
	struct err err;

	T_EQ_INT(sign_pw_hash("correct horse", NULL, enc, sizeof(enc), &err),
	    0);
	T_OK(strncmp(enc, "$scrypt$ln=15,r=8,p=1$", 22) == 0);
	T_EQ_INT(strlen(enc), 22 + 32 + 1 + 64);
	T_OK(sign_pw_verify("correct horse", enc));
	T_OK(!sign_pw_verify("correct horsE", enc));
	T_OK(!sign_pw_verify("", enc));
	T_OK(!sign_pw_needs_rehash(enc));
	/* a fresh salt each time */
	T_EQ_INT(sign_pw_hash("correct horse", NULL, enc2, sizeof(enc2), &err),
	    0);
	T_OK(strcmp(enc, enc2) != 0);
	T_OK(sign_pw_verify("correct horse", enc2));
}

static void
test_deterministic(void)
{
	/* Pinned against an independent scrypt (Python's hashlib.scrypt,
	 * P="password", S="NaClNaCl", N=1024, r=8, p=16, 32 bytes): proves
	 * the parameters reach OpenSSL as documented. */
	const unsigned char salt[8] = { 'N', 'a', 'C', 'l', 'N', 'a', 'C',
		'l' };
	char a[SIGN_PW_ENCODED_MAX], b[SIGN_PW_ENCODED_MAX];
	struct sign_pw_params p16 = { 10, 8, 16 }, p1 = { 10, 8, 1 };
	struct err err;

	T_EQ_INT(sign_pw_hash_salt("password", &p16, salt, sizeof(salt), a,
	    sizeof(a), &err), 0);
	T_EQ_INT(sign_pw_hash_salt("password", &p1, salt, sizeof(salt), b,
	    sizeof(b), &err), 0);
	T_EQ_STR(a, "$scrypt$ln=10,r=8,p=16$4e61436c4e61436c$5ec0b6653757278c"
	    "ec7f355d46d4d034d497313a2a7feb5c4b189317953f116e");
	/* same salt and password, different p: different keys */
	T_OK(strcmp(strrchr(a, '$'), strrchr(b, '$')) != 0);
	/* deterministic */
	T_EQ_INT(sign_pw_hash_salt("password", &p1, salt, sizeof(salt), a,
	    sizeof(a), &err), 0);
	T_EQ_STR(a, b);
	T_OK(sign_pw_verify("password", a));
	T_OK(sign_pw_needs_rehash(a));
}

static void
test_tamper_and_bounds(void)
{
	char enc[SIGN_PW_ENCODED_MAX], bad[SIGN_PW_ENCODED_MAX];
	struct err err;
	struct sign_pw_params huge = { 30, 8, 1 }, zero = { 10, 0, 1 };
	char *last;

	T_EQ_INT(sign_pw_hash("pw12345678", &fast, enc, sizeof(enc), &err), 0);
	T_OK(sign_pw_verify("pw12345678", enc));
	/* flip one hex digit of the key */
	memcpy(bad, enc, sizeof(bad));
	last = bad + strlen(bad) - 1;
	*last = *last == '0' ? '1' : '0';
	T_OK(!sign_pw_verify("pw12345678", bad));
	/* parameters raised past the bounds: refused before any work */
	T_OK(!sign_pw_verify("x", "$scrypt$ln=30,r=8,p=1$00112233445566778899"
	    "aabbccddeeff$00112233445566778899aabbccddeeff"));
	T_OK(!sign_pw_verify("x", "$scrypt$ln=15,r=8$0011223344556677$0011"));
	T_OK(!sign_pw_verify("x", "$pbkdf2$ln=15,r=8,p=1$00$00"));
	T_OK(!sign_pw_verify("x", "$scrypt$ln=15,r=8,p=1$0011223344556677"
	    "$0011223344556677$00"));
	T_OK(!sign_pw_verify("x", "$scrypt$ln=15,r=8,p=1$00112233445566XX"
	    "$00112233445566778899aabbccddeeff"));
	T_OK(!sign_pw_verify("x", NULL));
	T_EQ_INT(sign_pw_hash("x", &huge, enc, sizeof(enc), &err), -1);
	T_EQ_INT(sign_pw_hash("x", &zero, enc, sizeof(enc), &err), -1);
	T_EQ_INT(sign_pw_hash("", NULL, enc, sizeof(enc), &err), -1);
	T_EQ_INT(err.code, E_INPUT);
	T_EQ_INT(sign_pw_hash("x", &fast, enc, 20, &err), -1);
}

static void
test_dummy(void)
{
	struct sign_pw_params p;
	unsigned char salt[64], h[64];
	size_t sl, hl;

	/* the dummy costs what a default hash costs */
	T_EQ_INT(sign_pw_parse(sign_pw_dummy(), &p, salt, &sl, h, &hl), 0);
	T_EQ_INT(p.ln, SIGN_PW_LN);
	T_EQ_INT(p.r, SIGN_PW_R);
	T_EQ_INT(p.p, SIGN_PW_P);
	T_EQ_INT(sl, SIGN_PW_SALT);
	T_EQ_INT(hl, SIGN_PW_OUT);
	T_OK(!sign_pw_verify("password", sign_pw_dummy()));
	T_OK(!sign_pw_verify("", sign_pw_dummy()));
}

int
main(void)
{
	T_RUN(test_roundtrip);
	T_RUN(test_deterministic);
	T_RUN(test_tamper_and_bounds);
	T_RUN(test_dummy);
	return t_done();
}
