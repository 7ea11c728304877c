/*
 * fuzz_notify.c - libFuzzer over the whole /notify path: form decoding,
 * signature verification, field checks (useepay_notify_parse), then, for
 * what verifies, the transaction that stores and applies it
 * (notify_process) against a scratch SQLite file.
 *
 * The first input byte picks the mode: even = the body as received (the
 * forged-notification surface: must never verify); odd = the harness
 * decodes the body, signs it with the test key and re-encodes it, so the
 * verified path (field parsing, order lookup, state machine, SQL) sees
 * hostile values too. An order with a fixed number is seeded so some
 * inputs reach it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cfg.h"
#include "form.h"
#include "keys.h"
#include "log.h"
#include "notify.h"
#include "order.h"
#include "req.h"
#include "sign.h"
#include "store.h"
#include "useepay.h"

#define KEY "FUZZKEY0123456789"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct store *st;
static struct cfg cfg;
static struct keys keys;
static int64_t now = 1800000000;

static void
init_once(void)
{
	static char path[] = "/tmp/h5pay-fuzz-notify-XXXXXX";
	struct store_opts so = {.synchronous = "OFF", .busy_timeout_ms = 100};
	struct err err;
	int applied, fd;

	log_set_level(LOG_ERROR);
	fd = mkstemp(path);
	if (fd == -1)
		abort();
	close(fd);
	if (store_open(&st, path, &so, &err) == -1 ||
	    store_migrate(st, &applied, &err) == -1 ||
	    store_exec(st, "INSERT INTO orders (order_no, openid, appid, "
	    "amount, currency, subject, state, expires_at, created_at, "
	    "updated_at) VALUES ('F1', 'o', 'a', 1000, 'HKD', 's', 'PENDING', "
	    "1, 1, 1); INSERT INTO refunds (refund_no, order_id, amount, "
	    "currency, state, admin, created_at, updated_at) VALUES ('R1', 1, "
	    "100, 'HKD', 'PENDING', 'a', 1, 1)", &err) == -1) {
		fprintf(stderr, "fuzz init: %s\n", err.msg);
		abort();
	}
	/* the files go when the process does (one connection: SQLite keeps
	 * its open descriptors) */
	{
		static const char *const sfx[] = {"", "-wal", "-shm", ".lock"};
		char p[64];
		size_t i;

		for (i = 0; i < 4; i++) {
			snprintf(p, sizeof(p), "%s%s", path, sfx[i]);
			unlink(p);
		}
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.useepay_merchant_no = (char *)"500000000007362";
	cfg.useepay_sign_type = SIGN_MD5;
	memset(&keys, 0, sizeof(keys));
	keys.sign_type = SIGN_MD5;
	keys.md5_key = (char *)KEY;
}

/* Decode, sign with the key, re-encode: NULL when it does not decode. */
static char *
resign(const char *p, size_t n, size_t *outlen)
{
	struct kvlist l, signed_l;
	struct buf sig, out;
	struct err err;
	size_t i;
	char *r = NULL;

	kvlist_init(&l);
	kvlist_init(&signed_l);
	buf_init(&sig, 512);
	buf_init(&out, 4 * LIM_NOTIFY_BODY);
	if (form_decode(p, n, &l, &err) == -1)
		goto done;
	for (i = 0; i < l.n; i++)
		if (strcmp(l.v[i].key, "sign") != 0)
			kvlist_add(&signed_l, l.v[i].key, l.v[i].klen,
			    l.v[i].val, l.v[i].vlen);
	if (kvlist_find(&signed_l, "signType") == NULL)
		kvlist_adds(&signed_l, "signType", "MD5");
	if (kvlist_find(&signed_l, "merchantNo") == NULL)
		kvlist_adds(&signed_l, "merchantNo", "500000000007362");
	if (sign_md5(&signed_l, KEY, &sig, &err) == -1)
		goto done;
	kvlist_adds(&signed_l, "sign", buf_str(&sig));
	if (form_encode(&out, &signed_l) == -1)
		goto done;
	*outlen = out.len;
	r = buf_detach(&out);
done:
	buf_cleanup(&out);
	buf_cleanup(&sig);
	kvlist_cleanup(&signed_l);
	kvlist_cleanup(&l);
	return r;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct useepay_txn txn;
	struct order_outcome oo;
	enum notify_outcome res;
	struct kvlist fields;
	struct err err;
	const char *body;
	char *owned = NULL, sha[65];
	size_t len;

	if (st == NULL)
		init_once();
	if (size < 1 || size > LIM_NOTIFY_BODY + 1)
		return 0;
	body = (const char *)data + 1;
	len = size - 1;
	if (data[0] & 1) {
		owned = resign(body, len, &len);
		if (owned == NULL)
			return 0;
		body = owned;
	}
	kvlist_init(&fields);
	if (useepay_notify_parse(&cfg, &keys, body, len, &fields, &txn,
	    &err) == 0) {
		/* a raw input that verifies is a forged signature */
		if (!(data[0] & 1))
			abort();
		sign_sha256_hex(body, len, sha);
		if (notify_process(st, now++, body, len, sha, &txn, &res,
		    &oo, &err) == -1) {
			fprintf(stderr, "store failed: %s\n", err.msg);
			abort();
		}
		useepay_txn_cleanup(&txn);
	}
	kvlist_cleanup(&fields);
	free(owned);
	return 0;
}
