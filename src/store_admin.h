/*
 * store_admin.h - the SQL of the admin (sql/004_admin.sql and the admin's
 * reads of the order schema). store_admin.c is a store*.c file: the only
 * place with this SQL. Writers run inside the caller's store_begin().
 * -1 with E_NOTFOUND for a missing row, E_CONFLICT for a duplicate,
 * E_STORE for a database failure.
 */
#ifndef H5PAY_STORE_ADMIN_H
#define H5PAY_STORE_ADMIN_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"

struct store;
struct json_object;

struct store_admin_user {
	int64_t id;
	char username[65];
	char pw_hash[257];
	bool disabled;
	char totp_secret[65];		/* base32; "" when not enrolled */
	int64_t totp_last_step;		/* last TOTP step accepted */
};

int store_admin_user_insert(struct store *, const char *name,
    const char *pw_hash, int64_t now, struct err *);
int store_admin_user_get(struct store *, const char *name,
    struct store_admin_user *, struct err *);
int store_admin_user_set_hash(struct store *, int64_t id,
    const char *pw_hash, int64_t now, struct err *);
/* Enrol (base32 secret) or remove (NULL) the user's TOTP secret. */
int store_admin_user_set_totp(struct store *, int64_t id,
    const char *secret_b32, int64_t now, struct err *);
/* Record step as the user's last accepted TOTP step; -1 E_CONFLICT when
 * a step at or past it was already recorded (a concurrent replay). */
int store_admin_user_totp_used(struct store *, int64_t id, int64_t step,
    struct err *);
int store_admin_user_set_disabled(struct store *, int64_t id, bool disabled,
    int64_t now, struct err *);

int store_admin_session_insert(struct store *, const char *token_sha256,
    int64_t user_id, int64_t now, int64_t expires_at, const char *ip,
    const char *ua, struct err *);
/* A live session (not revoked, not expired at now, user enabled). */
int store_admin_session_find(struct store *, const char *token_sha256,
    int64_t now, int64_t *id, int64_t *user_id, char *username,
    size_t usz, int64_t *expires_at, struct err *);
int store_admin_session_revoke(struct store *, const char *token_sha256,
    int64_t now, struct err *);
int store_admin_sessions_revoke_user(struct store *, int64_t user_id,
    int64_t now, struct err *);

/* kind: "user" (by username typed) or "ip". */
int store_admin_attempt_insert(struct store *, int64_t now,
    const char *username, const char *ip, int64_t *id, struct err *);
int store_admin_attempt_ok(struct store *, int64_t id, struct err *);
/* Failures of key since `since`: count and the latest time (0 if none). */
int store_admin_attempt_fails(struct store *, const char *kind,
    const char *key, int64_t since, int64_t *count, int64_t *last,
    struct err *);
/* Failures of one (user name, address) pair since `since`: count, last. */
int store_admin_attempt_fails_pair(struct store *, const char *username,
    const char *ip, int64_t since, int64_t *count, int64_t *last,
    struct err *);
/* Forget the failures of a user name from one address (after a
 * successful login from it) and attempts older than `before`. Failures
 * from other addresses stay: they are someone else's. */
int store_admin_attempt_clear(struct store *, const char *username,
    const char *ip, int64_t before, struct err *);
/* Lockout end of (kind, key), 0 when none. */
int store_admin_lockout_get(struct store *, const char *kind,
    const char *key, int64_t *until, struct err *);
int store_admin_lockout_set(struct store *, const char *kind,
    const char *key, int64_t until, int64_t now, struct err *);

int store_admin_audit_insert(struct store *, int64_t at, const char *admin,
    const char *action, const char *target, const char *detail,
    const char *result, const char *ip, const char *rid, struct err *);

/* The newest audit records (id < before_id when before_id > 0), at most
 * limit, as a JSON array of rows (keys = column names in camelCase).
 * Caller puts. (store_admin_orders.c) */
int store_admin_audit_list(struct store *, int64_t before_id, int64_t limit,
    struct json_object **out, struct err *);

#endif
