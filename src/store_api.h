/*
 * store_api.h - the SQL of the payments API (store_api.c,
 * sql/010_api.sql): API keys (hashes only), API payments and the
 * idempotency records of their refunds. Functions that say "inside the
 * caller's store_begin()" write in the caller's transaction; the others
 * take their own. -1 with E_NOTFOUND for a missing row, E_CONFLICT for a
 * uniqueness violation, E_STORE otherwise. Nothing here decides: the rules
 * are api.c's, state changes of orders are order_apply()'s.
 */
#ifndef H5PAY_STORE_API_H
#define H5PAY_STORE_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct store;

#define API_KEY_NAME_MAX 64
#define API_SCOPES_MAX 128
#define API_PAYMENT_ID_LEN 36		/* "pay_" + 32 alphanumerics */
#define API_REFERENCE_MAX 64
#define API_IDEM_KEY_MAX 64
#define API_SUBJECT_MAX 128
#define API_RETURN_URL_MAX 512
#define API_METADATA_MAX 4096		/* serialised JSON object */

struct api_key {
	int64_t id;
	char name[API_KEY_NAME_MAX + 1];
	char scopes[API_SCOPES_MAX + 1];	/* "a,b,c" */
	int64_t created_at, revoked_at, last_used_at;	/* 0: never */
};

/* An API payment row, with its order's columns when it has one. */
struct api_payment {
	int64_t id;
	char payment_id[API_PAYMENT_ID_LEN + 1];
	int64_t key_id;
	char reference[API_REFERENCE_MAX + 1];
	char idempotency_key[API_IDEM_KEY_MAX + 1];	/* "" = none */
	char body_sha256[65];
	int64_t amount;
	char currency[4];
	char subject[API_SUBJECT_MAX + 1];
	char return_url[API_RETURN_URL_MAX + 1];
	char metadata[API_METADATA_MAX + 1];
	int64_t expires_at, cancelled_at, created_at;	/* cancelled 0: no */
	int64_t order_id;				/* 0: none yet */
	/* the order's, when order_id != 0 */
	char order_no[33];
	char order_state[24];
	char openid[129];
	int64_t refunded_amount, paid_at;
};

/* The idempotency record of one API refund request. */
struct api_refund {
	char body_sha256[65];
	char refund_no[33];		/* "" while the first request runs */
	char error[257];		/* "" unless refund_create said no */
};

typedef int (*api_key_each_fn)(void *ctx, const struct api_key *);

/* A new key (own transaction): E_CONFLICT when the name exists. */
int store_apikey_insert(struct store *, const char *name,
    const char *token_sha256, const char *scopes, int64_t now, struct err *);
/* Every key, oldest first. */
int store_apikey_each(struct store *, api_key_each_fn, void *ctx,
    struct err *);
/* Revoke the unrevoked key name: E_NOTFOUND when there is none. */
int store_apikey_revoke(struct store *, const char *name, int64_t now,
    struct err *);

/*
 * The key whose token hashes to token_sha256, used at now: E_NOTFOUND
 * when no key has that hash (answered from a read, no write). A revoked
 * key is returned as it is (revoked_at != 0) and not counted. Otherwise,
 * in its own transaction, its fixed window (window_sec long) counts this
 * request (*limited: more than limit in the window), and last_used_at
 * moves to now when it is at least 60 s old.
 */
int store_apikey_use(struct store *, const char *token_sha256, int64_t now,
    int64_t window_sec, int64_t limit, struct api_key *, bool *limited,
    struct err *);

/* An API payment by its public id, by reference, or by Idempotency-Key:
 * 0 with *p, -1 with E_NOTFOUND / E_STORE. */
int store_api_payment_get(struct store *, const char *payment_id,
    struct api_payment *, struct err *);
int store_api_payment_by_reference(struct store *, const char *reference,
    struct api_payment *, struct err *);
int store_api_payment_by_idem(struct store *, const char *idempotency_key,
    struct api_payment *, struct err *);
/* Inside the caller's store_begin(): insert p (every column but id,
 * cancelled_at, order_id); E_CONFLICT on a taken id, reference or key. */
int store_api_payment_insert(struct store *, const struct api_payment *p,
    struct err *);
/* Inside the caller's store_begin(): p's order is order_id / p is
 * cancelled at now. */
int store_api_payment_bind(struct store *, int64_t id, int64_t order_id,
    struct err *);
int store_api_payment_cancel(struct store *, int64_t id, int64_t now,
    struct err *);

/* The refund record (payment row id, key): E_NOTFOUND when none. */
int store_api_refund_get(struct store *, int64_t payment_rowid,
    const char *idempotency_key, struct api_refund *, struct err *);
/* Inside the caller's store_begin(): reserve (payment, key) for a request
 * of body hash body_sha256; E_CONFLICT when it is taken. */
int store_api_refund_reserve(struct store *, int64_t payment_rowid,
    const char *idempotency_key, const char *body_sha256, int64_t now,
    struct err *);
/* Own transaction: record what the reserved request became (refund_no,
 * or error when no refund exists); both NULL drops the reservation (a
 * failure that a retry may not repeat). */
int store_api_refund_finish(struct store *, int64_t payment_rowid,
    const char *idempotency_key, const char *refund_no, const char *error,
    struct err *);

#endif
