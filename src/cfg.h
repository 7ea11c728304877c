/*
 * cfg.h - the configuration: one file of "key = value" lines; '#' starts
 * a comment at the start of a line or after white space.
 *
 * Secrets (MD5 key, RSA private key, WeChat AppSecret, session keys) are
 * never values in this file: the file names them (*_file keys) and
 * cfg_load() checks they exist and are not group/world readable. The
 * contents are read by the modules that use them (sign.c for keys).
 * Every key, its default and its range is in the table in cfg.c, which is
 * also what `h5pay config-keys` prints for the README.
 */
#ifndef H5PAY_CFG_H
#define H5PAY_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

enum sign_type { SIGN_MD5 = 0, SIGN_RSA = 1 };

struct cfg {
	/* daemon */
	char *listen_web;		/* unix socket path */
	char *listen_notify;		/* unix socket path */
	int64_t socket_mode;		/* octal in the file, e.g. 0660 */
	int64_t web_workers, web_threads;
	int64_t notify_workers, notify_threads;
	int64_t drain_timeout_sec;
	char *log_level;
	int64_t max_body_bytes;		/* cap for web request bodies */
	char *public_base_url;		/* https://shop.example.com */

	/* store */
	char *db_path;			/* SQLite; or db_url */
	char *db_url;			/* postgresql://... (PostgreSQL) */
	char *db_password_file;		/* secret: db_url's password */
	char *db_synchronous;		/* FULL | NORMAL */
	int64_t db_busy_timeout_ms;

	/* outbound HTTP */
	char *http_ca_file;		/* NULL: the system bundle */
	int64_t http_connect_timeout_ms;
	int64_t http_timeout_ms;
	int64_t http_max_response_bytes;
	bool http_allow_plain;		/* tests only: allow http:// */

	/* UseePay */
	char *useepay_base_url;
	char *useepay_merchant_no;
	char *useepay_app_id;		/* the shop's registered domain */
	enum sign_type useepay_sign_type;
	char *useepay_md5_key_file;	/* secret, when MD5 */
	char *useepay_private_key_file;	/* secret, when RSA */
	char *useepay_public_key_file;	/* UseePay's key, when RSA */
	char *useepay_currency;
	int64_t useepay_expiration_min;
	char *useepay_notify_url;	/* default: public_base_url/notify */
	/* issue 10: key rotation (verification only, during an overlap) */
	char *useepay_md5_key_next_file;	/* a second MD5 key */
	char *useepay_public_key_next_file;	/* a second UseePay key */
	/* issue 10: optional request fields */
	bool useepay_send_user_info;	/* userInfo {"ip": buyer} on pay */
	char *useepay_terminal_type;	/* terminalType; NULL = omit */
	/* issue 10: a timeout per call (total, connect included) */
	int64_t useepay_pay_timeout_ms;
	int64_t useepay_query_timeout_ms;
	int64_t useepay_refund_timeout_ms;
	int64_t wechat_oauth_timeout_ms;

	/* WeChat */
	char *wechat_appid;
	char *wechat_secret_file;	/* secret: the AppSecret */
	char *wechat_authorize_url;
	char *wechat_api_base_url;

	/* sessions and tasks */
	int64_t session_ttl_sec;
	int64_t admin_session_ttl_sec;
	bool cookie_secure;		/* false only for plain-http tests */
	int64_t reconcile_interval_sec;	/* 0: no periodic reconciler */
	int64_t status_query_interval_sec;
	int64_t pay_max_open_orders_per_buyer;

	/* the payments API (issue 11) */
	char *api_return_origins;	/* space-separated origins, or NULL */
	char *api_return_secret_file;	/* secret: the return-URL HMAC key */
	int64_t api_rate_limit_per_min;	/* requests per key per minute */
	/* what the pages show */
	char *shop_name;
	char *shop_logo_url;		/* a same-origin path */
	char *merchant_timezone;	/* IANA name, e.g. Asia/Hong_Kong */

	/* events to the merchant (docs/integration.md) */
	char *events_endpoint_url;	/* NULL: rows kept, nothing sent */
	char *events_secret_file;	/* secret: the HMAC key */
	int64_t events_retry_base_sec;	/* first back-off step */
	int64_t events_poll_ms;		/* delivery worker's idle wait */
};

/* Read and validate FILE into *cfg (which cfg_load initialises). On error
 * *err names the file, line and key. Free with cfg_cleanup(). */
int cfg_load(struct cfg *, const char *path, struct err *);

/* Same, from a string (tests). base_dir resolves relative file paths. */
int cfg_parse(struct cfg *, const char *text, const char *base_dir,
    struct err *);

void cfg_cleanup(struct cfg *);

/* One line per key: name, default, what it is. For docs and --help. */
void cfg_print_reference(void);

/*
 * Read a secret file whole (it must be a regular file of mode 0600 or
 * stricter, at most max bytes), strip one trailing newline. Returns a
 * string the caller frees with secret_free(), or NULL with *err set.
 */
char *cfg_read_secret(const char *path, const char *key, size_t max,
    struct err *);

/*
 * The file machinery, shared with sim_cfg.c (h5pay-sim's own key table).
 *
 * cfg_file_read: read path whole into *b (initialised here with cap max;
 * the caller cleans it up) and put the directory relative paths resolve
 * against into dir[dirsz] (the file's directory, "/" for a file in /, the
 * working directory for a bare name). -1 with *err (naming path) and *b
 * cleaned up: E_INPUT if it cannot be opened, E_TOOBIG over max.
 */
struct buf;
int cfg_file_read(const char *path, size_t max, struct buf *b, char *dir,
    size_t dirsz, struct err *);
/*
 * Take the next "key = value" line off *cursor (the text is modified in
 * place; *cursor becomes NULL at the end). Blank lines and lines whose
 * first non-blank is '#' are skipped; *lineno counts every line taken.
 * value_comments: a '#' after white space in the value starts a comment
 * (h5payd's file); false: the value runs to the end of the line. Returns
 * 1 with *key and *val (pointing into the text, trimmed of blanks; *val
 * may be ""), 0 when no line is left, -1 with E_INPUT "line N: expected
 * key = value".
 */
int cfg_line_next(char **cursor, int *lineno, bool value_comments,
    char **key, char **val, struct err *);
/* An octal file mode in 0..max for key: 0 with *mode, or -1 with E_INPUT
 * naming key and v. */
int cfg_octal_parse(const char *key, const char *v, int64_t max,
    int64_t *mode, struct err *);

#endif
