/*
 * admin.h - the merchant admin's security core (issue 7): users, login
 * with throttling and lockout, sessions, CSRF, the audit log, and the
 * route guard route_dispatch() applies to R_ADMIN / R_CSRF routes.
 *
 * Policy (constants below; windows in seconds; issue 12 item 5):
 *   - every login attempt whose password is checked is recorded (as a
 *     failure) before the check, so parallel guesses all count; refused
 *     attempts (throttled, locked) guess nothing and are not counted;
 *   - failures in the last ADMIN_FAIL_WINDOW count, per (user name,
 *     client address) pair and per address: from *_THROTTLE failures on,
 *     one attempt per ADMIN_THROTTLE_GAP (else 429 "throttled"); at
 *     *_LOCK failures the pair / the address is locked for ADMIN_LOCK_SEC
 *     (429 "locked", even with the right password). A user name alone is
 *     never locked: a stranger's guesses cannot lock the merchant out;
 *   - a user name with ADMIN_USER_GUARD failures from all addresses is
 *     under attack: each address that has failed for it gets one attempt
 *     per ADMIN_THROTTLE_GAP; an address without failures is not slowed;
 *   - every 429 says how long to wait (retry_after, Retry-After) and is
 *     audited with its scope; a lockout is logged;
 *   - an account enrolled for TOTP (RFC 6238, `h5pay admin totp USER`)
 *     needs a code after the right password (401 "otp_required" without
 *     one); each code works once; a wrong code counts as a failure;
 *   - an unknown user, a disabled user and a wrong password get the same
 *     401 after the same scrypt work (sign_pw_dummy());
 *   - the session token (cookie ADMIN_COOKIE, 256 random bits) is stored
 *     only as its SHA-256; the CSRF token is SHA-256 over a label and the
 *     session token, so it is bound to the session and stored nowhere.
 */
#ifndef H5PAY_ADMIN_H
#define H5PAY_ADMIN_H

#include <stdbool.h>
#include <stdarg.h>
#include <stdint.h>

#include "app.h"
#include "buf.h"
#include "err.h"

#define ADMIN_COOKIE "__Host-h5a"
#define ADMIN_CSRF_HEADER "HTTP_X_CSRF_TOKEN"	/* X-CSRF-Token */
#define ADMIN_FAIL_WINDOW 900
#define ADMIN_PAIR_THROTTLE 3
#define ADMIN_PAIR_LOCK 8
#define ADMIN_USER_GUARD 10
#define ADMIN_IP_THROTTLE 30
#define ADMIN_IP_LOCK 40
#define ADMIN_THROTTLE_GAP 30
#define ADMIN_LOCK_SEC 900
#define ADMIN_USER_MAX 64
#define ADMIN_TOKEN_MAX 64
#define ADMIN_DETAIL_MAX 1024	/* bytes of an audit detail (the column) */

struct admin_session {
	int64_t id;
	int64_t user_id;
	char username[ADMIN_USER_MAX + 1];
	int64_t expires_at;
	char csrf[65];
};

enum admin_login_result {
	ADMIN_LOGIN_OK = 0,
	ADMIN_LOGIN_BAD,	/* unknown user, disabled, wrong password */
	ADMIN_LOGIN_THROTTLED,
	ADMIN_LOGIN_LOCKED,
	ADMIN_LOGIN_OTP_REQUIRED,	/* right password, TOTP code missing */
	ADMIN_LOGIN_BAD_OTP		/* right password, wrong/used code */
};

struct admin_login {
	enum admin_login_result result;
	char token[ADMIN_TOKEN_MAX + 1];	/* OK: the cookie value */
	struct admin_session session;		/* OK */
	int64_t retry_after;			/* THROTTLED/LOCKED, seconds */
	const char *scope;	/* THROTTLED/LOCKED: "address", "user+address"
				 * or "user" (static) */
};

/* True when name is a valid admin user name (1..64 of [0-9A-Za-z_.@-]). */
bool admin_username_ok(const char *name);

/*
 * Log in: apply the throttle, check the password (and the TOTP code otp,
 * NULL when none was typed, for an enrolled user), create a session. 0
 * with *out filled (also for every refusal, each audited); -1 only on a
 * store or internal failure. ip/ua/rid are for the record (may be NULL).
 */
int admin_login(struct app *, const char *username, const char *password,
    const char *otp, const char *ip, const char *ua, const char *rid,
    struct admin_login *out, struct err *);

/* The session of cookie token, or -1 with E_AUTH (none, expired, revoked,
 * user disabled) / E_STORE. */
int admin_session_get(struct app *, const char *token,
    struct admin_session *, struct err *);

/* Revoke the session of token (logout). */
int admin_session_revoke(struct app *, const char *token, struct err *);

/* CSRF token of a session token: 64 hex chars into out[65]. */
void admin_csrf_derive(const char *token, char out[65]);

enum admin_result { ADMIN_OK = 0, ADMIN_REFUSED, ADMIN_FAILED };

/* Who did it, for the audit log: the admin user name (or "cli", "api"),
 * the client address and the request id. Fields may be NULL. */
struct admin_who {
	const char *admin, *ip, *request_id;
};

/* One audit record, in its own transaction (in_txn false) or the
 * caller's (in_txn true). Fields may be NULL (stored as ""). */
struct admin_audit {
	const char *admin, *action, *target, *detail;
	enum admin_result result;
	const char *ip, *request_id;
};
int admin_audit(struct app *, const struct admin_audit *, bool in_txn,
    struct err *);
/* A successful action by who (may be NULL), audited inside the caller's
 * write transaction (so it commits or rolls back with the action). */
int admin_audit_ok_tx(struct app *, const struct admin_who *who,
    const char *action, const char *target, const char *detail,
    struct err *);
/* One audit record by who (may be NULL), in its own transaction, the
 * detail formatted. Failures are logged, not returned. A detail longer
 * than ADMIN_DETAIL_MAX is cut on a character boundary and marked
 * "...(truncated, N bytes)". */
void admin_auditf(struct app *, const struct admin_who *who,
    const char *action, const char *target, enum admin_result,
    const char *detail_fmt, ...) __attribute__((format(printf, 6, 7)));
void admin_vauditf(struct app *, const struct admin_who *who,
    const char *action, const char *target, enum admin_result,
    const char *detail_fmt, va_list) __attribute__((format(printf, 6, 0)));

/* User management (the CLI): -1 with E_CONFLICT (exists), E_NOTFOUND,
 * E_INPUT (bad name/password). passwd and disable revoke the user's
 * sessions. */
int admin_user_add(struct store *, const char *name, const char *password,
    int64_t now, struct err *);
int admin_user_passwd(struct store *, const char *name, const char *password,
    int64_t now, struct err *);
int admin_user_disable(struct store *, const char *name, int64_t now,
    struct err *);
/*
 * Enrol name for TOTP with a fresh secret (replacing any): the
 * otpauth://totp/ URI to show once is appended to uri. Audited ("cli").
 * admin_user_totp_off removes it. -1 E_NOTFOUND for an unknown user.
 */
int admin_user_totp(struct store *, const char *name, int64_t now,
    struct buf *uri, struct err *);
int admin_user_totp_off(struct store *, const char *name, int64_t now,
    struct err *);

#endif
