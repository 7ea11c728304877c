/*
 * useepay_int.h - what the three parts of the UseePay client share and
 * nobody else may use: the field limits, and the readers of verified
 * fields. useepay.c makes the calls, useepay_build.c builds and signs
 * requests, useepay_msg.c verifies and reads answers and notifications.
 * (The public contract is useepay.h; up_ is the client's internal prefix,
 * never used outside useepay*.c.)
 */
#ifndef H5PAY_USEEPAY_INT_H
#define H5PAY_USEEPAY_INT_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "kv.h"
#include "sign.h"
#include "useepay.h"

/* Field limits (docs/protocol.md §2, §4). */
#define UP_MAX_MERCHANT_NO 16
#define UP_MAX_ORDER_NO 32		/* what we send (§4: WeChat's limit) */
#define UP_MAX_TXN_ID 64		/* what we accept back */
#define UP_MAX_APP_ID 128
#define UP_MAX_AMOUNT INT64_C(999999999999)	/* 12 digits */
#define UP_MAX_NOTIFY_URL 512
#define UP_MAX_ECHO 256
#define UP_MAX_RESERVED 256
#define UP_MAX_TERMINAL_TYPE 16
#define UP_MAX_SUBJECT 128
#define UP_MAX_OPENID 128
#define UP_MAX_REFERENCE 32
#define UP_MAX_RESULT_CODE 32
#define UP_MAX_TXN_TYPE 64		/* §2: documented up to 64 */
#define UP_MAX_ERROR_CODE 16		/* spec: 4; a longer one is kept */
#define UP_MAX_ERROR_MSG 256		/* longer: truncated */
#define UP_MAX_SIGN 1024
/* redirectParam (WeChat's JSAPI invocation parameters, passed through) */
#define UP_MAX_JS_APPID 64
#define UP_MAX_JS_TIMESTAMP 20
#define UP_MAX_JS_NONCE 64
#define UP_MAX_JS_PACKAGE 256
#define UP_MAX_JS_SIGNTYPE 16
#define UP_MAX_JS_PAYSIGN 2048

#define UP_VERSION "1.0"
#define UP_SUCCESS "0000"

enum up_kind {
	UP_ID,		/* printable ASCII, no space: over max is malformed */
	UP_TEXT,	/* any text: over max is malformed */
	UP_DIAG,	/* diagnostics: over max is truncated */
};

/* "MD5" or "RSA" as the messages spell them. Static. */
const char *up_sign_type_name(enum sign_type);

/*
 * Copy field `key` of l into *dst (caller frees): NULL when absent or
 * empty. -1 with `bad` when the value breaks its kind or length.
 */
int up_take(const struct kvlist *l, const char *key,
    enum up_kind kind, size_t max, enum err_code bad, char **dst,
    struct err *);
/* When l carries `key`, it must equal want (an answer about something
 * else is malformed): -1 with `bad`. */
int up_expect(const struct kvlist *l, const char *key,
    const char *want, enum err_code bad, struct err *);
/* errorCode is 0000. */
bool up_is_success(const struct kvlist *l);
/* The outer result fields every answer has (§2); NULL pointers skip. */
int up_take_result(const struct kvlist *l, char **result_code,
    char **error_code, char **error_msg, char **reference, struct err *);
/* A transaction from query's transactionInfo or a notification (§5,
 * §6) into *t (useepay_txn_cleanup it); -1 with `bad`. */
int up_txn_fill(const struct kvlist *l, enum err_code bad,
    struct useepay_txn *t, struct err *);

#endif
