/*
 * sim.h - h5pay-sim, the local simulator of UseePay v1 and WeChat
 * (docs/protocol.md; docs/simulator.md).
 *
 * One process: a few FastCGI threads (serve.c's loop, started by
 * sim_serve.c) and one notifier thread (sim_notify.c), each with its own
 * SQLite connection to the sim's own database (sim_store*.c). The shared
 * context, struct sim, is reached from a handler through app->ext; its
 * fault switches are guarded by a mutex (sim_control.c).
 */
#ifndef H5PAY_SIM_H
#define H5PAY_SIM_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "app.h"
#include "buf.h"
#include "cfg.h"
#include "err.h"
#include "kv.h"
#include "req.h"
#include "route.h"
#include "sign.h"

struct json_object;
struct store;

/* ---- configuration (sim_cfg.c) ------------------------------------- */

struct sim_cfg {
	char *listen;			/* unix socket path */
	int64_t socket_mode;
	int64_t threads;
	char *log_level;
	char *db_path;

	char *merchant_no;
	char *md5_key_file;		/* secret: verifies/signs MD5 */
	char *merchant_public_key_file;	/* verifies RSA requests */
	char *provider_private_key_file;/* signs RSA answers/notifies */
	char *shop_app_id;		/* NULL: any appId accepted */
	char *currencies;		/* "HKD,CNY" */
	char *merchant_name;		/* shown on the payment sheet */

	char *wechat_appid;
	char *wechat_secret_file;	/* secret: the AppSecret */
	char *wechat_private_key_file;	/* signs paySign */
	char *oauth_domain;		/* NULL: any redirect_uri host */
	int64_t oauth_code_ttl_sec;

	char *cors_origin;		/* the shop origin, or NULL */

	int64_t notify_minute_ms;	/* how long a retry "minute" lasts */
	int64_t refund_delay_ms;	/* pending -> final for refunds */
	char *http_ca_file;
	int64_t http_connect_timeout_ms;
	int64_t http_timeout_ms;
};

/* Read and validate FILE (key = value lines; unknown keys refused). */
int sim_cfg_load(struct sim_cfg *, const char *path, struct err *);
void sim_cfg_cleanup(struct sim_cfg *);
/* One markdown table row per key, for docs/simulator.md. */
void sim_cfg_print_reference(void);

/* ---- faults (sim_control.c) ----------------------------------------- */

struct sim_faults {
	int64_t latency_ms;		/* before handling a request */
	char latency_path[64];		/* path prefix; "" = every path */
	int64_t error_count;		/* next N answer error_status */
	int64_t error_status;
	char error_path[64];
	int64_t hang_count;		/* /api: handle, sleep hang_ms */
	int64_t hang_ms;
	int64_t malformed_count;	/* /api: answer broken JSON */
	int64_t bad_sign_count;		/* /api: a wrong sign */
	bool notify_duplicate;		/* each notification twice */
	bool notify_out_of_order;	/* hold, then send newest first */
	int64_t notify_drop_count;	/* next N notifications never sent */
	int64_t notify_bad_sign_count;
	bool notify_first;		/* refunds: notify before answering */
	int64_t oauth_errcode;		/* next _count exchanges */
	int64_t oauth_errcode_count;
	char oauth_auto_user[65];	/* authorize: 302 as this user */
	bool refund_fail;		/* refunds end failed, not succeed */
	/* answer shapes UseePay may send (docs/simulator.md "profiles"):
	 * "" plain strings; "settlement": transactionInfo text carries a
	 * settlement list, numbers and booleans; "nested": transactionInfo
	 * is a JSON object in the answer, plus non-string members;
	 * "wrong_key": answers signed with a key that is not UseePay's;
	 * "unsigned_refusal": every /api call refused unsigned (what
	 * UseePay answers a wrong key or merchant number); "no_allowlist":
	 * HTTP 403, unsigned (the server's IP is not allow-listed);
	 * "bad_clock": answers dated two hours in the past; "no_amount":
	 * payment notifications without amount and currency (optional in
	 * UseePay's docs) */
	char profile[32];
};
/* The profile names control_faults accepts (NULL-terminated). */
extern const char *const sim_profiles[];

/* ---- the shared context ---------------------------------------------- */

struct sim {
	struct sim_cfg cfg;
	struct cfg hcfg;		/* what httpc_curl_new reads */
	char *md5_key;			/* NULL when not configured */
	sign_key *merchant_pub;		/* NULL when not configured */
	sign_key *provider_priv;	/* NULL when not configured */
	sign_key *wechat_priv;		/* paySign (and its check) */
	char *wechat_secret;

	pthread_mutex_t mu;		/* guards faults and wake */
	pthread_cond_t wake;		/* the notifier waits on it */
	struct sim_faults faults;
	volatile int stopping;
};

static inline struct sim *
sim_of(struct app *app)
{
	return app->ext;
}

/* sim_control.c: fault helpers (each takes and drops sim->mu). */
void sim_faults_snapshot(struct sim *, struct sim_faults *out);
/* Consume one unit of a counted fault; true if it fired. */
bool sim_fault_take(struct sim *, int64_t *counter);
/* Apply the latency / error faults for path; true when w is answered. */
bool sim_fault_before(struct sim *, const char *path, struct resp *);
/* Wake the notifier (a new notification or task is due). */
void sim_notifier_kick(struct sim *);

/* ---- the store (sim_store*.c, the sim's only SQLite users) ---------- */

enum sim_kind { SIM_PAY = 0, SIM_REFUND = 1 };

struct sim_txn {
	int64_t id;
	enum sim_kind kind;
	char merchant_no[17];
	char transaction_id[65];
	char original_id[65];		/* refunds */
	char reference[33];
	int64_t amount;
	char currency[4];
	char status[16];		/* pending succeed failed closed ... */
	char error_code[8];
	char error_msg[128];
	char sign_type[4];		/* the creating request's */
	char notify_url[513];
	char echo[257];
	char reserved[257];
	char app_id[129];
	char subject[129];
	char openid[129];
	char sub_appid[33];
	char prepay_id[65];
	char time_stamp[24];
	char nonce[33];
	int64_t refunded;		/* pays: pending + succeeded refunds */
	int64_t created_ms, expires_ms, updated_ms;
};

int sim_store_migrate(struct store *, struct err *);
/* Insert t (id, reference set by the caller). E_CONFLICT on a reused
 * transactionId for the merchant. */
int sim_txn_insert(struct store *, struct sim_txn *, struct err *);
/* 0 found, -1 E_NOTFOUND / E_STORE. */
int sim_txn_get(struct store *, const char *merchant_no,
    const char *transaction_id, struct sim_txn *, struct err *);
int sim_txn_get_ref(struct store *, const char *reference, struct sim_txn *,
    struct err *);
int sim_txn_get_prepay(struct store *, const char *prepay_id,
    struct sim_txn *, struct err *);
/* Set status/error of a txn whose status is `from` (NULL: any).
 * E_CONFLICT when the status was not `from`. */
int sim_txn_set_status(struct store *, int64_t id, const char *from,
    const char *to, const char *code, const char *msg, int64_t now,
    struct err *);
int sim_txn_add_refunded(struct store *, int64_t id, int64_t delta,
    struct err *);
int sim_txn_set_expires(struct store *, int64_t id, int64_t ms,
    struct err *);
/* Ids of pays pending past expiry / refunds pending past delay. */
int sim_txn_due(struct store *, int64_t now, int64_t refund_delay_ms,
    int64_t *ids, int max, int *n, struct err *);
int sim_txn_get_id(struct store *, int64_t id, struct sim_txn *,
    struct err *);
/* JSON array of txns of one kind, newest first (caller puts). */
struct json_object *sim_txn_list(struct store *, enum sim_kind,
    struct err *);

/* Notifications: queued signed bodies, and every delivery attempt. */
int sim_notif_insert(struct store *, int64_t txn_id, const char *url,
    const char *body, int64_t due_ms, int64_t now, int64_t *id,
    struct err *);
struct sim_notif {
	int64_t id, txn_id, due_ms;
	int attempts;
	char url[513];
	char *body;			/* caller frees */
};
/* Up to max due notifications, oldest (or newest) first. */
int sim_notif_due(struct store *, int64_t now, bool newest_first,
    struct sim_notif *out, int max, int *n, struct err *);
/* Record an attempt; state becomes delivered/failed/pending(next_due). */
int sim_notif_attempt(struct store *, int64_t id, int attempt, int64_t at,
    long status, const char *error, const char *excerpt,
    const char *state, int64_t next_due, struct err *);
/* Lease a due notification until `until` (so one sender has it):
 * E_CONFLICT when another sender has it or it is not due. */
int sim_notif_claim(struct store *, int64_t id, int64_t now, int64_t until,
    struct err *);
/* A pending notification by id (E_NOTFOUND when gone or not pending). */
int sim_notif_get(struct store *, int64_t id, struct sim_notif *,
    struct err *);
struct json_object *sim_notif_list(struct store *, struct err *);

/* OAuth codes and users (sim_store_oauth.c). */
int sim_code_insert(struct store *, const char *code, const char *openid,
    const char *scope, int64_t now, struct err *);
/* Take a code once: 0 with openid/scope; E_NOTFOUND unknown, E_CONFLICT
 * already used, E_INPUT issued before not_before (expired; not used up). */
int sim_code_take(struct store *, const char *code, int64_t not_before,
    char *openid, size_t osz, char *scope, size_t ssz, struct err *);
int sim_code_age(struct store *, int64_t ms, struct err *);
int sim_user_set(struct store *, const char *openid, int snapshot,
    struct err *);
int sim_user_snapshot(struct store *, const char *openid, int *snapshot,
    struct err *);
int sim_exchange_record(struct store *, int64_t now, long errcode,
    const char *openid, struct err *);
struct json_object *sim_oauth_stats(struct store *, struct err *);
struct json_object *sim_user_list(struct store *, struct err *);

/* ---- protocol helpers (sim_proto.c) ----------------------------------- */

/* Verify a request's sign with the key its signType names. */
int sim_verify(struct sim *, const struct kvlist *, struct err *);
/* Sign l in place (adds "signType" and "sign"). */
int sim_sign(struct sim *, struct kvlist *, const char *sign_type,
    struct err *);
/* Build the signed notification body for a txn (form-encoded). */
int sim_notify_body(struct sim *, const struct sim_txn *, struct buf *,
    struct err *);
/* Queue t's notification (inside the caller's transaction). With id,
 * *id gets its id and it is leased to the caller, who must deliver it
 * (sim_notif_deliver with leased): the notifier leaves it alone. */
int sim_notify_queue(struct app *, const struct sim_txn *, int64_t *id,
    struct err *);
/* Send one queued notification now and record the attempt(s): used by
 * the notifier (leased false: it takes the lease first) and by the
 * "notify before the answer" fault (leased true). */
void sim_notif_deliver(struct app *, struct sim_notif *, bool leased);
/* How long a sender holds a notification it is sending. */
static inline int64_t
sim_notif_lease_ms(const struct sim *sim)
{
	return 2 * sim->cfg.http_timeout_ms + 1000;
}
/* Minor-unit exponent of an ISO 4217 currency. */
int sim_currency_exponent(const char *);
/* n random bytes as 2n lowercase hex chars into out (2n+1). */
int sim_random_hex(struct app *, size_t n, char *out);
/* A new reference / prepay id. */
int sim_new_id(struct app *, const char *prefix, char *out, size_t sz);
/* Parse JSON text strictly: one object, nothing after it; caller puts it.
 * NULL when s is anything else. */
struct json_object *sim_json_object(const char *s);
/* A string member k of o, non-empty, at most max bytes, no NUL: borrowed
 * from o; else NULL. */
const char *sim_json_str(struct json_object *o, const char *k, size_t max);

/* A WeChat openid as the simulator hands them out: 1..64 of
 * [0-9A-Za-z_-] (stricter than the daemon's valid_openid). */
bool sim_openid_ok(const char *s);

/* Final-state changes shared by the payer, control, expiry and refund
 * settlement: move txn `id` from `from` to `to` and queue its
 * notification, in one transaction (E_CONFLICT when it was not `from`).
 * With notif_id, the notification is leased to the caller (see
 * sim_notify_queue). */
int sim_txn_finish(struct app *, int64_t id, const char *from,
    const char *to, const char *code, const char *msg, int64_t *notif_id,
    struct err *);

/* ---- handlers --------------------------------------------------------- */

int sim_api_post(struct app *, struct req *, struct resp *, struct err *);
int sim_oauth_authorize(struct app *, struct req *, struct resp *,
    struct err *);
int sim_oauth_token(struct app *, struct req *, struct resp *,
    struct err *);
int sim_pay_js(struct app *, struct req *, struct resp *, struct err *);
int sim_pay_check(struct app *, struct req *, struct resp *, struct err *);
int sim_pay_confirm(struct app *, struct req *, struct resp *,
    struct err *);
int sim_pay_options(struct app *, struct req *, struct resp *,
    struct err *);
int sim_control_post(struct app *, struct req *, struct resp *,
    struct err *);
int sim_control_get(struct app *, struct req *, struct resp *,
    struct err *);
int sim_inspect_txns(struct app *, struct req *, struct resp *,
    struct err *);
int sim_inspect_refunds(struct app *, struct req *, struct resp *,
    struct err *);
int sim_inspect_notifs(struct app *, struct req *, struct resp *,
    struct err *);
int sim_inspect_oauth(struct app *, struct req *, struct resp *,
    struct err *);
int sim_inspect_page(struct app *, struct req *, struct resp *,
    struct err *);
int sim_health(struct app *, struct req *, struct resp *, struct err *);

extern const struct route sim_routes[];
extern const size_t sim_route_count;

/* ---- process (sim_serve.c, sim_notify.c) ------------------------------ */

/* The real clock (ms since the epoch) for the sim's threads. */
int64_t sim_clock_now(void *ctx);
/* Load keys named by the config into sim. */
int sim_init(struct sim *, struct err *);
void sim_cleanup(struct sim *);
/* Serve on listen_fd with cfg.threads threads until SIGTERM/SIGINT, then
 * drain (serve_run()); the process exit status. */
int sim_serve(struct sim *, int listen_fd);
/* The notifier thread's body (arg: struct sim *). */
void *sim_notifier_main(void *arg);
/* One notifier pass (expiry, refunds, due notifications). */
void sim_notifier_pass(struct app *);

#endif
