/*
 * api.h - the payments API (issue 11, docs/integration.md): API keys
 * (created by the CLI, shown once, stored as SHA-256 hashes, scoped,
 * rate limited), payments the merchant's backend creates for its own
 * order references, their refunds and cancellation, and hosted checkout
 * (the buyer pays an API payment; the return URL is signed).
 *
 * An API payment is a row of its own until the buyer taps pay in hosted
 * checkout; then it gets one order (the orders table, the one state
 * machine), created and sent to UseePay by pay.c's pay_submit(), the
 * built-in shop's own path. Every state change goes through order_apply()
 * (cancel: OIN_EXPIRE, source "admin", actor "api:KEYNAME") or
 * refund_create(); nothing here writes an order's state.
 */
#ifndef H5PAY_API_H
#define H5PAY_API_H

#include <stdbool.h>
#include <stdint.h>

#include "admin.h"
#include "buf.h"
#include "err.h"
#include "pay.h"
#include "refund.h"
#include "store_api.h"

struct app;
struct json_object;

enum api_scope {
	API_PAYMENTS_WRITE = 1 << 0,	/* "payments:write" */
	API_PAYMENTS_READ = 1 << 1,	/* "payments:read" */
	API_REFUNDS_WRITE = 1 << 2,	/* "refunds:write" */
};
#define API_SCOPES_ALL "payments:write,payments:read,refunds:write"

#define API_TOKEN_PREFIX "h5k_"
#define API_TOKEN_LEN 47		/* "h5k_" + base64url of 32 bytes */
#define API_RATE_WINDOW_SEC 60
#define API_EXPIRES_MIN 60		/* expiresIn bounds, seconds */
#define API_EXPIRES_MAX 86400
#define API_EXPIRES_DEFAULT 1800
#define API_META_KEYS_MAX 20
#define API_META_KEY_MAX 40
#define API_META_VALUE_MAX 500

/* The key a request authenticated with (r->apikey). */
struct api_caller {
	struct api_key key;
	unsigned scopes;		/* enum api_scope bits */
};

/*
 * "a,b" into scope bits: each word one of the names above, none twice.
 * -1 with E_INPUT naming the first unknown word.
 */
int api_scopes_parse(const char *s, unsigned *mask, struct err *);

/*
 * A new key NAME (1..64 of [0-9A-Za-z_.-]) with scopes (api_scopes_parse;
 * NULL: all): the token "h5k_" + base64url(32 random bytes) into
 * token[API_TOKEN_LEN + 1], to be shown once; only its SHA-256 is stored.
 * -1 with E_INPUT, E_CONFLICT (name taken), E_STORE.
 */
int api_key_add(struct app *, const char *name, const char *scopes,
    char token[API_TOKEN_LEN + 1], struct err *);

/*
 * Authenticate an Authorization header value ("Bearer h5k_..."; NULL when
 * absent): the key is found by the SHA-256 of the token (an index lookup:
 * no secret is compared in C, so there is no timing difference to
 * measure between a wrong and a missing key; a missing one is looked up
 * as the empty token). 0 with *c; -1 with E_AUTH (missing, malformed,
 * unknown or revoked), E_RATE (the key's cfg->api_rate_limit_per_min in
 * its current 60 s window is used up), E_STORE.
 */
int api_key_auth(struct app *, const char *authorization,
    struct api_caller *c, struct err *);

/* What POST /api/v1/payments asks for. */
struct api_pay_req {
	int64_t amount;
	char currency[4];
	char subject[API_SUBJECT_MAX + 1];
	char reference[API_REFERENCE_MAX + 1];
	char return_url[API_RETURN_URL_MAX + 1];
	int64_t expires_in;		/* seconds; 0: API_EXPIRES_DEFAULT */
	char metadata[API_METADATA_MAX + 1];	/* JSON object text */
};

/*
 * Read a create body strictly: "amount" a JSON integer 1..999999999999,
 * "currency" three upper-case letters, "subject" 1..128 bytes of UTF-8
 * without control characters or edge white space, "reference" 1..64 of
 * [0-9A-Za-z_.:-], "returnUrl" a string of at most 512 printable ASCII
 * bytes without '#', optional "expiresIn" an integer 60..86400 and
 * "metadata" an object of at most 20 members, names 1..40 of
 * [0-9A-Za-z_.-], values strings of at most 500 bytes, 4096 bytes in
 * all. Any other member is refused. -1 with E_INPUT (E_TOOBIG for a cap
 * of metadata) naming the first problem.
 */
int api_pay_req_from_json(struct json_object *, struct api_pay_req *,
    struct err *);

/*
 * True when url lies on one of the space-separated origins (exact scheme,
 * host and port; host case-insensitive): url's origin (valid_origin_len)
 * is followed by '/', '?' or nothing.
 */
bool api_origin_allowed(const char *origins, const char *url, bool plain);

/* An Idempotency-Key header: 1..64 of [0-9A-Za-z_.:-]. */
bool api_idem_key_valid(const char *);

/*
 * Create the payment of rq (currency must be cfg->useepay_currency;
 * returnUrl on cfg->api_return_origins), or find the one it repeats: the
 * same reference, or the same Idempotency-Key idem (NULL: none), with the
 * same request is the same payment (*created false); with another
 * request it is E_CONFLICT. 0 with *p; -1 with E_INPUT, E_CONFLICT,
 * E_STORE.
 */
int api_payment_create(struct app *, const struct api_caller *,
    const struct api_pay_req *rq, const char *idem, struct api_payment *p,
    bool *created, struct err *);

/* The payment by its id / by the merchant's reference: -1 with E_NOTFOUND
 * (also for a malformed one), E_STORE. */
int api_payment_get(struct app *, const char *payment_id,
    struct api_payment *, struct err *);
int api_payment_by_reference(struct app *, const char *reference,
    struct api_payment *, struct err *);

/*
 * The payment's state in the order vocabulary: its order's state, or
 * without an order "CREATED" until it is cancelled or expires, "CLOSED"
 * then. Static string.
 */
const char *api_payment_state(const struct app *, const struct api_payment *);

/*
 * Cancel payment_id locally: without an order it is marked cancelled
 * (checkout refuses it from then on); with an open order, the order is
 * closed through order_apply (OIN_EXPIRE, source admin, actor
 * "api:NAME") in one transaction. A succeed UseePay reports later still
 * makes it PAID, with an anomaly (order.c). 0 with *p re-read; -1 with
 * E_NOTFOUND, E_CONFLICT (already paid or failed), E_STORE.
 */
int api_payment_cancel(struct app *, const struct api_caller *,
    const char *payment_id, struct api_payment *p, struct err *);

/* A refund as the API shows it. */
struct api_refund_view {
	char refund_no[33];
	enum refund_state state;
	int64_t amount;
	char currency[4];
};

/*
 * Refund amount of payment_id through refund_create() (the admin's
 * reservation rules: never beyond what is left), idempotent by idem
 * (required; api_idem_key_valid): the same key with the same amount and
 * reason answers the refund it made (or the refusal it got); another body
 * is E_CONFLICT; a twin still in flight is E_CONFLICT too (retry later).
 * who is audited ("api:NAME"). 0 with *v; -1 with E_INPUT, E_NOTFOUND,
 * E_CONFLICT, E_STORE.
 */
int api_refund_create(struct app *, const struct api_caller *,
    const char *payment_id, int64_t amount, const char *reason,
    const char *idem, const struct admin_who *who,
    struct api_refund_view *v, struct err *);

/* Refund refund_no of payment_id: -1 with E_NOTFOUND when it is not one
 * of that payment's, E_STORE. */
int api_refund_get(struct app *, const char *payment_id,
    const char *refund_no, struct api_refund_view *, struct err *);

/*
 * Hosted checkout's read of payment_id (no session: the id is the
 * credential): like api_payment_get, and an open order whose last
 * provider check is older than status_query_interval_sec is queried first
 * (pay_status(), the shop's poll).
 */
int api_checkout_get(struct app *, const char *payment_id,
    struct api_payment *, struct err *);

/*
 * The buyer openid (session appid, address client_ip or "") taps pay in
 * hosted checkout: the
 * payment's order is created on the first tap (amount, currency, subject
 * from the payment; expiry the payment's, at most useepay_expiration_min
 * away; idempotency key the payment id) and sent to UseePay by
 * pay_submit(); a later tap of the same buyer is pay_existing(). 0 with
 * *res and *o as pay_create's; -1 with E_NOTFOUND, E_CONFLICT (cancelled,
 * expired, or being paid by another buyer), E_STORE.
 */
int api_checkout_pay(struct app *, const char *payment_id,
    const char *openid, const char *appid, const char *client_ip,
    enum pay_result *res, struct buyer_order *o, struct err *);

/*
 * What the return URL says: "paid" (PAID, PARTIALLY_REFUNDED, REFUNDED),
 * "failed", "closed" (CLOSED, cancelled, expired) or "open" (the buyer
 * came back without paying; it may still be paid until it expires).
 */
const char *api_return_status(const struct app *, const struct api_payment *);

/*
 * The return URL for p: its returnUrl + "?" (or "&") +
 * "payment_id=ID&status=S&sig=HEX", HEX the HMAC-SHA256 under the
 * api_return_secret_file key of "payment_id=ID&status=S". Into out.
 * -1 with E_INTERNAL when no key is configured.
 */
int api_return_url(const struct app *, const struct api_payment *p,
    struct buf *out, struct err *);

#endif
