/*
 * fuzz_form_verify.c - libFuzzer: a received form body through
 * form_decode, sign_canonical and both verifiers, as /notify and the
 * response check see it. Nothing may crash, leak or read out of bounds,
 * and no input may verify (it would need the key or a forged RSA
 * signature).
 *
 * The RSA public key is the provider test key, loaded once from
 * $H5PAY_TEST_DATA/vectors (ctest sets it; default ./tests). Without it the
 * target stops at once rather than silently fuzzing half the path.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "buf.h"
#include "form.h"
#include "sign.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static sign_key *
fuzz_pub(void)
{
	static sign_key *pub;

	if (pub == NULL) {
		const char *d = getenv("H5PAY_TEST_DATA");
		char path[4096];
		struct err err;

		snprintf(path, sizeof(path), "%s/vectors/provider_test_pub.pem",
		    d ? d : "tests");
		pub = sign_key_load_public(path, &err);
		if (pub == NULL) {
			fprintf(stderr, "fuzz_form_verify: %s (set "
			    "H5PAY_TEST_DATA to the tests/ dir)\n", err.msg);
			exit(2);
		}
	}
	return pub;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kvlist l;
	struct buf canon;
	struct err err;
	sign_key *pub = fuzz_pub();

	kvlist_init(&l);
	buf_init(&canon, 1 << 20);
	if (form_decode((const char *)data, size, &l, &err) == 0) {
		(void)sign_canonical(&l, "fuzzkey", &canon, &err);
		/* A random key: a hit would be an MD5 collision or a bug. */
		if (sign_verify_md5(&l, "3f9a1c0be2d54877", &err) == 0)
			abort();
		/* The real test key: the corpus has valid RSA messages, and
		 * the fuzzer cannot forge one, only mutate them. */
		if (sign_verify_rsa(&l, pub, &err) == 0) {
			/* Still valid means the signed content is unchanged:
			 * re-encoding must verify too. */
			struct buf b;
			struct kvlist l2;

			buf_init(&b, 4 << 20);
			kvlist_init(&l2);
			if (form_encode(&b, &l) != 0 ||
			    form_decode(b.data, b.len, &l2, &err) != 0 ||
			    sign_verify_rsa(&l2, pub, &err) != 0)
				abort();
			kvlist_cleanup(&l2);
			buf_cleanup(&b);
		}
	}
	buf_cleanup(&canon);
	kvlist_cleanup(&l);
	return 0;
}
