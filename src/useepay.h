/*
 * useepay.h - the UseePay v1 protocol (docs/protocol.md): build and
 * sign requests, verify and parse responses and notifications (pure
 * functions), and the three calls through struct httpc.
 *
 * Outcomes are explicit. A call returns 0 and fills *res whenever the
 * outcome is known; res->outcome says which:
 *   UP_OK       signature verified, the provider accepted (errorCode 0000)
 *   UP_FAILED   signature verified, the provider refused: error_code/msg
 *   UP_REFUSED  refused unsigned / HTTP 401 or 403 (see the enum)
 * and returns -1 with *err when it is not:
 *   E_UNKNOWN   timeout / transport failure: the caller must QUERY, never
 *               re-create (docs/protocol.md §4)
 *   E_UPSTREAM_SIG  the response signature did not verify: nothing in
 *               it is trusted (treat the outcome as unknown); 502, never
 *               E_SIG (that one is for inbound messages: 401)
 *   E_UPSTREAM  malformed answer (bad JSON, missing fields, HTTP != 200),
 *               or the request was certainly not delivered
 *   E_TOOBIG    the answer passed the size cap
 * Amounts are int64 minor units; every string field is copied (caller
 * owns the struct, frees with the matching _cleanup).
 */
#ifndef H5PAY_USEEPAY_H
#define H5PAY_USEEPAY_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "kv.h"
#include "lim.h"

struct app;
struct cfg;
struct keys;

/* UP_REFUSED (issue 10): refused unsigned or with HTTP 401/403 before
 * anything was created: a merchant configuration error (merchant number,
 * key, IP allow-list); error_code/error_msg are unverified diagnostics. */
enum useepay_outcome { UP_OK = 0, UP_FAILED = 1, UP_REFUSED = 2 };

/* A transaction's status as the provider reports it
 * (docs/protocol.md §5, §8). */
enum useepay_status {
	UPS_NONE = 0,		/* absent / not a final status */
	UPS_RECEIVED,		/* received, pending: non-final */
	UPS_PENDING,
	UPS_SUCCEED,
	UPS_FAILED,
	UPS_CLOSED,
	UPS_CANCELLED,
	UPS_OTHER		/* an unknown string: store it, treat as non-final */
};

/* "succeed" -> UPS_SUCCEED ... ; NULL/"" -> UPS_NONE; unknown -> UPS_OTHER */
enum useepay_status useepay_status_parse(const char *);
const char *useepay_status_name(enum useepay_status);

struct useepay_pay_req {
	const char *order_no;		/* transactionId, <=32 [0-9A-Za-z] */
	int64_t amount;			/* minor units, > 0 */
	const char *currency;
	const char *subject;		/* orderInfo.subject, <=128 bytes */
	const char *openid;		/* payerInfo.sub_openid */
	int expiration_min;		/* 1..20 */
	const char *echo;		/* echoParam; NULL = omit */
	const char *buyer_ip;		/* userInfo.ip; NULL/"" or not an
					   IP address = no userInfo */
	const char *reserved;		/* reserved (<=256); NULL = omit */
};

struct useepay_jsapi {			/* redirectParam, passed through */
	char *app_id, *time_stamp, *nonce_str, *package, *sign_type,
	    *pay_sign;
};

struct useepay_pay_res {
	enum useepay_outcome outcome;
	enum useepay_status status;	/* resultCode */
	char *result_code, *error_code, *error_msg, *reference;
	struct useepay_jsapi jsapi;	/* filled when UP_OK */
};

/* A transaction as reported by query's transactionInfo or a notify. */
struct useepay_txn {
	enum useepay_status status;
	char *result_code;		/* raw */
	char *transaction_type;		/* "pay" | "refund" | ... */
	char *transaction_id;
	char *original_transaction_id;	/* refunds */
	char *reference;
	int64_t amount;			/* -1 when absent/unparseable */
	char *currency;
	char *error_code, *error_msg;
	char *echo;
};

struct useepay_query_res {
	enum useepay_outcome outcome;	/* of the query call itself */
	char *error_code, *error_msg;
	bool found;			/* transactionInfo present */
	struct useepay_txn txn;
};

struct useepay_refund_req {
	const char *refund_no;		/* new unique transactionId */
	const char *order_no;		/* originalTransactionId */
	int64_t amount;
	const char *currency;
	const char *echo;		/* NULL = omit */
	const char *reserved;		/* NULL = omit */
};

struct useepay_refund_res {
	enum useepay_outcome outcome;	/* UP_OK = accepted (pending) */
	enum useepay_status status;
	char *result_code, *error_code, *error_msg, *reference;
};

/* The calls: build (§4/§6/§7), sign, send through app->httpc, verify the
 * response signature over every field, parse. */
int useepay_pay(struct app *, const struct useepay_pay_req *,
    struct useepay_pay_res *, struct err *);
int useepay_query(struct app *, const char *order_no,
    struct useepay_query_res *, struct err *);
int useepay_refund(struct app *, const struct useepay_refund_req *,
    struct useepay_refund_res *, struct err *);

void useepay_pay_res_cleanup(struct useepay_pay_res *);
void useepay_query_res_cleanup(struct useepay_query_res *);
void useepay_refund_res_cleanup(struct useepay_refund_res *);
void useepay_txn_cleanup(struct useepay_txn *);

/*
 * A notification (docs/protocol.md §5): decode the form body (at most
 * LIM_NOTIFY_BODY), verify its signature over every received field with
 * the configured sign type (another signType is refused), check
 * merchantNo, and parse it into *txn. The decoded fields are left in
 * *fields (for storage and diagnostics) even on failure.
 * -1 with E_SIG (bad/missing signature, wrong signType or merchantNo),
 * E_INPUT (malformed form) or E_TOOBIG.
 */
int useepay_notify_parse(const struct cfg *, const struct keys *,
    const char *body, size_t len, struct kvlist *fields,
    struct useepay_txn *txn, struct err *);

/*
 * h5pay doctor's self-test notification (issue 10): a notification of
 * transactionType USEEPAY_SELFTEST_TYPE for transactionId `id`, signed like
 * a request (MD5 key, or our RSA private key: we do not hold UseePay's).
 * useepay_notify_parse verifies that type with our own key; being an
 * unknown type it is stored and answered 200 and changes no order.
 */
#define USEEPAY_SELFTEST_TYPE "h5payDoctorTest"
int useepay_selftest_build(const struct cfg *, const struct keys *,
    const char *id, struct kvlist *out, struct err *);

/* --- pure building blocks (the calls above use them; tests and tools too) */

/*
 * Build the signed field list of a request in send order, "sign" last
 * (docs/protocol.md §3; fields §4 pay, §6 query, §7 refund), appended to *out
 * (the caller kvlist_init()s and cleans it). Optional fields that are NULL or
 * empty are omitted. -1 with E_INPUT for a value we must not send (empty
 * required field, white space at an edge, "0" in an optional field, over its
 * spec length, a bad id, amount or currency), E_INTERNAL when the keys do not
 * match the configured sign type.
 */
int useepay_pay_build(const struct cfg *, const struct keys *,
    const struct useepay_pay_req *, struct kvlist *out, struct err *);
int useepay_query_build(const struct cfg *, const struct keys *,
    const char *order_no, struct kvlist *out, struct err *);
int useepay_refund_build(const struct cfg *, const struct keys *,
    const struct useepay_refund_req *, struct kvlist *out, struct err *);

/*
 * Decode a synchronous answer (docs/protocol.md §2): one JSON object, into
 * *out in the object's order (caller inits and cleans; values per
 * useepay_json_fields),
 * then verify its signature over every field with the configured sign
 * type (§3), then apply the field-boundary rule (useepay_fold_check).
 * -1 with E_UPSTREAM (not such an object) or E_UPSTREAM_SIG.
 */
int useepay_response_decode(const struct cfg *, const struct keys *,
    const char *body, size_t len, struct kvlist *out, struct err *);

/*
 * useepay_json.c: one JSON object (p[0..n), strict, valid UTF-8) into *out
 * as the fields its signature covers (§3): a string member as its decoded
 * value, null as absent, any other member (object, array, number,
 * boolean) as its JSON text exactly as received. Caller inits and cleans
 * *out (it may hold some fields after a failure). -1 with E_UPSTREAM
 * naming `what` (not one object, a repeated or empty key, a NUL in a
 * string, nesting over LIM_UP_JSON_DEPTH, a member over
 * LIM_UP_JSON_VALUE, more than LIM_FORM_FIELDS members).
 */
#define LIM_UP_JSON_DEPTH 32
#define LIM_UP_JSON_VALUE (64 * 1024)
int useepay_json_fields(const char *p, size_t n, const char *what,
    struct kvlist *out, struct err *err);

/*
 * The field-boundary rule (security): UseePay's canonical string has no
 * escaping, so "errorCode=0000&errorMsg=Success" sent as ONE value of
 * errorCode signs like the two fields it came from. A verified message is
 * therefore refused (-1, E_SIG; useepay_response_decode reports it as
 * E_UPSTREAM_SIG) when
 *   - a token field (merchantNo, transactionId, originalTransactionId,
 *     reference, transactionType, amount, currency, resultCode, errorCode,
 *     signType, version: none can hold them per §2/§4) holds '&' or '=';
 *   - notify: any other field (errorMsg, echoParam, reserved, unknown
 *     ones; not sign) holds "&NAME=" with NAME a field of the spec: a
 *     fold that swallowed a field we read. Free text such as "A & B",
 *     "x=1" or "e&c=h" stays accepted: a fold that swallows only fields
 *     we never read changes nothing we store but the body (its row is
 *     applied like the genuine one: the state machine is idempotent).
 * JSON answers (notify = false) skip the second test: their JSON text
 * fields (redirectParam's package=prepay_id=..., transactionInfo) hold
 * '&'/'=' legitimately and members are delimited by JSON, not '&'.
 */
int useepay_fold_check(const struct kvlist *, bool notify, struct err *);

#endif
