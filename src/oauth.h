/*
 * oauth.h - WeChat web authorization, snsapi_base (docs/protocol.md §W1): the
 * authorize URL, the server-side code exchange and its errcode mapping,
 * the single-use states and the code -> openid cache.
 *
 * Never logged or stored in clear: the AppSecret, codes, access tokens,
 * states and browser binders (only their SHA-256 reach the database).
 */
#ifndef H5PAY_OAUTH_H
#define H5PAY_OAUTH_H

#include <stdbool.h>
#include <stdint.h>

#include "app.h"
#include "buf.h"
#include "cfg.h"
#include "err.h"
#include "store_session.h"

#define OAUTH_STATE_TTL 600	/* s: a silent snsapi_base round trip */
#define OAUTH_CODE_TTL 300	/* s: a WeChat code lives 5 minutes (§W1) */
#define OAUTH_STATE_GRACE 3600	/* s: expired states kept, then purged */
#define OAUTH_RETRY_BACKOFF_MS 300	/* default pause before the retry */
#define OAUTH_NONCE_LEN 32	/* hex chars of a state / browser binder */
#define OAUTH_CODE_MAX 128

enum oauth_outcome {
	OAUTH_OK = 0,		/* openid known */
	OAUTH_SNAPSHOT,		/* is_snapshotuser=1: no session (§W1) */
	OAUTH_CODE_USED,	/* 40163 */
	OAUTH_CODE_INVALID,	/* 40029, 41008: bad or expired code */
	OAUTH_CONFIG,		/* 40125, 40013, 40164, 41002, 41004 */
	OAUTH_BUSY,		/* -1, still after the one retry */
	OAUTH_UPSTREAM,		/* any other errcode */
};

struct oauth_user {
	enum oauth_outcome outcome;
	long errcode;			/* 0 on success */
	char openid[STORE_OPENID_MAX + 1];
	int attempts;			/* exchanges sent (1 or 2) */
};

/*
 * True if ret is a relative path on this site that is safe to redirect
 * to: starts with one '/', not "//" or "/\", printable ASCII without
 * spaces or backslashes, at most STORE_RET_MAX bytes, and not under
 * /oauth/ (which would loop).
 */
bool oauth_ret_valid(const char *ret);

/* True if s is a state or browser binder we issue ([0-9a-f]{32}). */
bool oauth_nonce_valid(const char *s);
/* True if s looks like a WeChat code: [A-Za-z0-9_-]{1,128}. */
bool oauth_code_valid(const char *s);

/*
 * Append the authorize URL for state to out (§W1), parameters in WeChat's
 * order: appid, redirect_uri (public_base_url + "/oauth/callback",
 * percent-encoded whole), response_type=code, scope=snsapi_base, state,
 * connect_redirect=1, then "#wechat_redirect".
 */
int oauth_authorize_url(const struct cfg *, const char *state,
    struct buf *out, struct err *);

/* The outcome for a WeChat errcode (0 is OAUTH_OK). */
enum oauth_outcome oauth_errcode_map(long errcode);
/* Short static name of an outcome, for logs. */
const char *oauth_outcome_name(enum oauth_outcome);

/*
 * Exchange code for the openid through app->httpc (§W1 step 2), AppSecret
 * from app->keys. On errcode -1 waits (OAUTH_RETRY_BACKOFF_MS) and tries
 * once more. 0 with u->outcome set whenever WeChat gave a parseable answer; -1
 * with *err when it did not (transport failure, HTTP status other than
 * 200, not JSON, no valid openid). The request URL and the response body
 * (which hold the secret and the access token) are wiped after use.
 */
int oauth_code_exchange(struct app *, const char *code, struct oauth_user *u,
    struct err *);

/* The pause before the retry on -1 (default OAUTH_RETRY_BACKOFF_MS).
 * For tests and fuzzing; set once, before threads start. */
void oauth_retry_backoff_set(unsigned ms);

/*
 * A new state for a login returning to ret (valid), bound to browser (a
 * valid binder), with restarts 0 or 1. Writes the state into
 * state[OAUTH_NONCE_LEN + 1].
 */
int oauth_state_new(struct app *, const char *browser, const char *ret,
    int restarts, char *state, struct err *);

/*
 * Take a state (single use). 0 with *taken and *out as
 * store_oauth_state_take(); -1 E_NOTFOUND when unknown.
 */
int oauth_state_take(struct app *, const char *state,
    struct store_oauth_state *out, bool *taken, struct err *);

/* A fresh random binder (OAUTH_NONCE_LEN hex) into out. */
int oauth_nonce_new(struct app *, char *out, struct err *);

/* Remember code -> c for OAUTH_CODE_TTL; look it up (-1 E_NOTFOUND). */
int oauth_code_cache_put(struct app *, const char *code,
    const struct store_oauth_code *c, struct err *);
int oauth_code_cache_get(struct app *, const char *code,
    struct store_oauth_code *c, struct err *);

#endif
