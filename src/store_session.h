/*
 * store_session.h - the SQL of WeChat OAuth states, the code -> openid
 * cache and buyer sessions (store_session.c, sql/002_sessions.sql). Every
 * *_hash is the lowercase hex SHA-256 of a secret value: the values
 * themselves are never stored. Each write runs in its own
 * store_begin()/store_commit().
 */
#ifndef H5PAY_STORE_SESSION_H
#define H5PAY_STORE_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct store;

#define STORE_RET_MAX 512
#define STORE_OPENID_MAX 128
#define STORE_APPID_MAX 32

struct store_oauth_state {
	char browser_hash[65];
	char ret[STORE_RET_MAX + 1];
	int restarts;			/* 0, or 1 for a restarted login */
	int64_t expires_at;
	bool was_used;			/* already taken before this call */
};

struct store_oauth_code {
	char state_hash[65];
	char browser_hash[65];		/* "" if the callback had no cookie */
	char appid[STORE_APPID_MAX + 1];
	char openid[STORE_OPENID_MAX + 1];
	char ret[STORE_RET_MAX + 1];
};

struct store_session {
	char appid[STORE_APPID_MAX + 1];
	char openid[STORE_OPENID_MAX + 1];
	int64_t created_at, expires_at;
};

int store_oauth_state_insert(struct store *, const char *state_hash,
    const char *browser_hash, const char *ret, int restarts, int64_t now,
    int64_t expires_at, struct err *);
/*
 * Read the state and, if it is unused and not expired, mark it used, in one
 * transaction. 0 with *out filled and *taken telling whether this call took
 * it (else out->was_used / out->expires_at say why); -1 with E_NOTFOUND
 * for an unknown state, E_STORE on failure.
 */
int store_oauth_state_take(struct store *, const char *state_hash,
    int64_t now, struct store_oauth_state *out, bool *taken, struct err *);
int store_oauth_code_put(struct store *, const char *code_hash,
    const struct store_oauth_code *, int64_t now, int64_t expires_at,
    struct err *);
/* 0 with *out, or -1 with E_NOTFOUND when absent or expired. */
int store_oauth_code_get(struct store *, const char *code_hash, int64_t now,
    struct store_oauth_code *out, struct err *);
int store_session_insert(struct store *, const char *token_hash,
    const char *appid, const char *openid, int64_t now, int64_t expires_at,
    struct err *);
/* 0 with *out, or -1 with E_NOTFOUND when absent or expired. */
int store_session_get(struct store *, const char *token_hash, int64_t now,
    struct store_session *out, struct err *);
/* Delete one session (absent is not an error). */
int store_session_delete(struct store *, const char *token_hash,
    struct err *);
/*
 * Delete expired sessions and cached codes, and states expired more than
 * state_grace seconds ago (kept a while so "expired" and the restart
 * marker outlive the TTL). *deleted gets the number of rows removed.
 */
int store_oauth_purge(struct store *, int64_t now, int64_t state_grace,
    int64_t *deleted, struct err *);

#endif
