/*
 * cfg.c - parse and validate the configuration file.
 *
 * One table describes every key: type, default, range, whether required.
 * Validation that spans keys (the sign type decides which key files are
 * required) runs after the table. Messages always name the key, so an
 * operator can fix the file from `h5payd -t` output alone.
 * This file does not read secret contents except through cfg_read_secret().
 * URLs are checked with libcurl's own parser (CURLU), the one that will
 * connect to them. The file reader, line splitter and octal-mode parser
 * also serve sim_cfg.c (h5pay-sim's table).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "buf.h"
#include "cfg.h"
#include "tz.h"
#include "lim.h"
#include "log.h"
#include "util.h"
#include "valid.h"

enum cfg_type {
	T_STR,		/* any non-empty string */
	T_INT,		/* decimal in [min, max] */
	T_OCTAL,	/* octal file mode */
	T_BOOL,		/* yes/no/true/false/on/off/1/0 */
	T_URL,		/* https:// (or http:// where noted) absolute URL */
	T_PATH,		/* a path; made absolute against the config dir */
	T_FILE,		/* an existing readable file */
	T_SECRET,	/* an existing file, not group/world readable */
	T_SIGNTYPE,	/* MD5 | RSA */
	T_SYNC,		/* FULL | NORMAL */
	T_LOGLEVEL,	/* error | warn | info | debug */
	T_CURRENCY,	/* three upper-case letters */
};

struct cfg_key {
	const char *name;
	enum cfg_type type;
	size_t off;
	bool required;
	const char *def;	/* default as it would be written in the file */
	int64_t min, max;	/* T_INT; T_STR: max length (0 = 1024) */
	const char *help;
};

#define F(x) offsetof(struct cfg, x)

static const struct cfg_key cfg_keys[] = {
	{"listen_web", T_PATH, F(listen_web), true, NULL, 0, 0,
	    "unix socket for the web pool (buyer API, OAuth, admin)"},
	{"listen_notify", T_PATH, F(listen_notify), true, NULL, 0, 0,
	    "unix socket for the notify pool (UseePay callbacks)"},
	{"socket_mode", T_OCTAL, F(socket_mode), false, "0660", 0, 0777,
	    "permissions of both sockets"},
	{"web_workers", T_INT, F(web_workers), false, "2", 1, 64,
	    "processes in the web pool"},
	{"web_threads", T_INT, F(web_threads), false, "128", 1, 1024,
	    "threads per web process"},
	{"notify_workers", T_INT, F(notify_workers), false, "1", 1, 64,
	    "processes in the notify pool"},
	{"notify_threads", T_INT, F(notify_threads), false, "8", 1, 256,
	    "threads per notify process"},
	{"drain_timeout_sec", T_INT, F(drain_timeout_sec), false, "30", 1,
	    600, "how long in-flight requests may take after SIGTERM/HUP"},
	{"log_level", T_LOGLEVEL, F(log_level), false, "info", 0, 0,
	    "error | warn | info | debug"},
	{"max_body_bytes", T_INT, F(max_body_bytes), false, "65536", 1024,
	    1048576, "cap on web request bodies (413 past it)"},
	{"public_base_url", T_URL, F(public_base_url), true, NULL, 0, 0,
	    "https origin buyers and UseePay reach, e.g. https://shop.example.com"},

	{"db_path", T_PATH, F(db_path), false, NULL, 0, 0,
	    "SQLite database file (WAL); required unless db_url is set"},
	{"db_url", T_STR, F(db_url), false, NULL, 0, 1024,
	    "PostgreSQL instead of db_path: postgresql://user@host/db"
	    "?sslmode=verify-full (docs/scale-out.md); no password in it"},
	{"db_password_file", T_SECRET, F(db_password_file), false, NULL, 0,
	    0, "file holding db_url's password (default: PGPASSFILE or "
	    "~/.pgpass)"},
	{"db_synchronous", T_SYNC, F(db_synchronous), false, "FULL", 0, 0,
	    "FULL (durable acknowledgements) | NORMAL"},
	{"db_busy_timeout_ms", T_INT, F(db_busy_timeout_ms), false, "5000",
	    10, 60000, "SQLite busy timeout"},

	{"http_ca_file", T_FILE, F(http_ca_file), false, NULL, 0, 0,
	    "CA bundle for outbound HTTPS (default: the system's)"},
	{"http_connect_timeout_ms", T_INT, F(http_connect_timeout_ms), false,
	    "3000", 100, 60000, "outbound connect timeout"},
	{"http_timeout_ms", T_INT, F(http_timeout_ms), false, "10000", 200,
	    120000, "outbound total timeout per request"},
	{"http_max_response_bytes", T_INT, F(http_max_response_bytes), false,
	    "262144", 1024, 16777216, "cap on an outbound response body"},
	{"http_allow_plain", T_BOOL, F(http_allow_plain), false, "no", 0, 0,
	    "allow http:// upstreams (tests only; never in production)"},

	{"useepay_base_url", T_URL, F(useepay_base_url), true, NULL, 0, 0,
	    "UseePay gateway base; requests go to {base}/api"},
	{"useepay_merchant_no", T_STR, F(useepay_merchant_no), true, NULL, 0,
	    16, "UseePay merchant number"},
	{"useepay_app_id", T_STR, F(useepay_app_id), true, NULL, 0, 128,
	    "the shop domain registered with UseePay (not the WeChat appid)"},
	{"useepay_sign_type", T_SIGNTYPE, F(useepay_sign_type), false, "MD5",
	    0, 0, "MD5 | RSA"},
	{"useepay_md5_key_file", T_SECRET, F(useepay_md5_key_file), false,
	    NULL, 0, 0, "file holding the MD5 key (required for MD5)"},
	{"useepay_private_key_file", T_SECRET, F(useepay_private_key_file),
	    false, NULL, 0, 0, "merchant RSA private key PEM (required for RSA)"},
	{"useepay_public_key_file", T_FILE, F(useepay_public_key_file), false,
	    NULL, 0, 0, "UseePay RSA public key PEM (required for RSA)"},
	{"useepay_currency", T_CURRENCY, F(useepay_currency), false, "HKD", 0,
	    0, "ISO 4217 currency of the catalog and orders"},
	{"useepay_expiration_min", T_INT, F(useepay_expiration_min), false,
	    "15", 1, 20, "minutes a created order stays payable"},
	{"useepay_notify_url", T_URL, F(useepay_notify_url), false, NULL, 0, 0,
	    "notifyUrl sent to UseePay (default: public_base_url + /notify)"},
	{"useepay_md5_key_next_file", T_SECRET, F(useepay_md5_key_next_file),
	    false, NULL, 0, 0, "second MD5 key accepted for verification "
	    "during a key change (docs/going-live.md)"},
	{"useepay_public_key_next_file", T_FILE,
	    F(useepay_public_key_next_file), false, NULL, 0, 0,
	    "second UseePay public key accepted for verification during a "
	    "key change"},
	{"useepay_send_user_info", T_BOOL, F(useepay_send_user_info), false,
	    "yes", 0, 0, "send userInfo {\"ip\": buyer address} with pay"},
	{"useepay_terminal_type", T_STR, F(useepay_terminal_type), false,
	    NULL, 0, 16, "terminalType sent with pay (default: not sent)"},
	{"useepay_pay_timeout_ms", T_INT, F(useepay_pay_timeout_ms), false,
	    "30000", 1000, 120000, "total time a pay call may take (below "
	    "nginx's fastcgi_read_timeout; docs/going-live.md)"},
	{"useepay_query_timeout_ms", T_INT, F(useepay_query_timeout_ms),
	    false, "10000", 1000, 120000, "total time a query call may take"},
	{"useepay_refund_timeout_ms", T_INT, F(useepay_refund_timeout_ms),
	    false, "30000", 1000, 120000, "total time a refund call may take"},

	{"wechat_appid", T_STR, F(wechat_appid), true, NULL, 0, 32,
	    "Official Account appid (sub_appid)"},
	{"wechat_secret_file", T_SECRET, F(wechat_secret_file), true, NULL, 0,
	    0, "file holding the Official Account AppSecret"},
	{"wechat_authorize_url", T_URL, F(wechat_authorize_url), false,
	    "https://open.weixin.qq.com/connect/oauth2/authorize", 0, 0,
	    "WeChat OAuth authorize page"},
	{"wechat_api_base_url", T_URL, F(wechat_api_base_url), false,
	    "https://api.weixin.qq.com", 0, 0, "WeChat API base"},
	{"wechat_oauth_timeout_ms", T_INT, F(wechat_oauth_timeout_ms), false,
	    "5000", 1000, 60000, "total time a WeChat code exchange may take"},

	{"session_ttl_sec", T_INT, F(session_ttl_sec), false, "604800", 60,
	    31536000, "buyer session lifetime"},
	{"admin_session_ttl_sec", T_INT, F(admin_session_ttl_sec), false,
	    "28800", 60, 604800, "admin session lifetime"},
	{"cookie_secure", T_BOOL, F(cookie_secure), false, "yes", 0, 0,
	    "mark cookies Secure (__Host- prefix needs it)"},
	{"reconcile_interval_sec", T_INT, F(reconcile_interval_sec), false,
	    "60", 0, 86400, "period of the in-daemon reconciler (0: off)"},
	{"status_query_interval_sec", T_INT, F(status_query_interval_sec),
	    false, "5", 1, 600,
	    "min seconds between provider queries from status polls"},
	{"pay_max_open_orders_per_buyer", T_INT,
	    F(pay_max_open_orders_per_buyer), false, "5", 1, 1000,
	    "unpaid, unexpired orders one buyer may hold (POST /pay: 429)"},

	{"shop_name", T_STR, F(shop_name), false, "H5 Shop", 0, 64,
	    "the shop's name on its pages (GET /api/products)"},
	{"shop_logo_url", T_STR, F(shop_logo_url), false,
	    "/shop/img/logo.svg", 0, 256,
	    "the shop's logo: a path on this site"},
	{"merchant_timezone", T_STR, F(merchant_timezone), false,
	    "Asia/Hong_Kong", 0, 64,
	    "IANA time zone the shop and admin pages show times in"},

	{"events_endpoint_url", T_URL, F(events_endpoint_url), false, NULL,
	    0, 0, "where merchant events are POSTed (unset: kept, not sent)"},
	{"events_secret_file", T_SECRET, F(events_secret_file), false, NULL,
	    0, 0, "file holding the events HMAC key (required with the URL)"},
	{"events_retry_base_sec", T_INT, F(events_retry_base_sec), false,
	    "10", 1, 600, "first retry delay; then x3, x6, x30, x90, x360"},
	{"events_poll_ms", T_INT, F(events_poll_ms), false, "1000", 50,
	    60000, "how often the delivery worker looks for due events"},
	{"api_return_origins", T_STR, F(api_return_origins), false, NULL, 0,
	    2048, "space-separated https origins a payment's returnUrl may "
	    "point at (payments API)"},
	{"api_return_secret_file", T_SECRET, F(api_return_secret_file), false,
	    NULL, 0, 0, "file holding the HMAC key that signs checkout's "
	    "return URLs (payments API; at least 32 bytes)"},
	{"api_rate_limit_per_min", T_INT, F(api_rate_limit_per_min), false,
	    "600", 1, 1000000, "API requests one key may make per minute "
	    "(fixed window; 429 past it)"},
};

#define NKEYS (sizeof(cfg_keys) / sizeof(cfg_keys[0]))

static char **
cfg_str(struct cfg *c, const struct cfg_key *k)
{
	return (char **)((char *)c + k->off);
}

static int64_t *
cfg_int(struct cfg *c, const struct cfg_key *k)
{
	return (int64_t *)((char *)c + k->off);
}

static bool *
cfg_bool(struct cfg *c, const struct cfg_key *k)
{
	return (bool *)((char *)c + k->off);
}

static int
cfg_check_url(const struct cfg_key *k, const char *v, struct err *err)
{
	CURLU *u;
	char *part = NULL;
	CURLUcode uc;
	size_t i;
	int rc = -1;

	if (strncmp(v, "https://", 8) != 0 && strncmp(v, "http://", 7) != 0)
		return err_set(err, E_INPUT,
		    "%s: \"%s\" is not an http(s) URL", k->name, v);
	for (i = 0; v[i]; i++)
		if ((unsigned char)v[i] <= 0x20 || v[i] == '"' ||
		    v[i] == '<' || v[i] == '>' || v[i] == '\\' ||
		    (unsigned char)v[i] >= 0x7f)
			return err_set(err, E_INPUT,
			    "%s: URL has a space or invalid character",
			    k->name);
	/* the parser that will connect decides what the URL means */
	if ((u = curl_url()) == NULL)
		abort();
	if ((uc = curl_url_set(u, CURLUPART_URL, v, 0)) != CURLUE_OK) {
		if (uc == CURLUE_NO_HOST)
			err_set(err, E_INPUT, "%s: URL has no host", k->name);
		else
			err_set(err, E_INPUT, "%s: not a valid URL (%s)",
			    k->name, curl_url_strerror(uc));
		goto out;
	}
	if (curl_url_get(u, CURLUPART_HOST, &part, 0) != CURLUE_OK ||
	    part[0] == '\0') {
		err_set(err, E_INPUT, "%s: URL has no host", k->name);
		goto out;
	}
	curl_free(part);
	part = NULL;
	if (curl_url_get(u, CURLUPART_USER, &part, 0) == CURLUE_OK) {
		err_set(err, E_INPUT, "%s: URL must not carry credentials "
		    "(use a *_file key)", k->name);
		goto out;
	}
	if (curl_url_get(u, CURLUPART_QUERY, &part, 0) == CURLUE_OK ||
	    curl_url_get(u, CURLUPART_FRAGMENT, &part, 0) == CURLUE_OK ||
	    strchr(v, '#') || strchr(v, '?')) {
		err_set(err, E_INPUT, "%s: URL must not have a query or "
		    "fragment", k->name);
		goto out;
	}
	rc = 0;
out:
	curl_free(part);
	curl_url_cleanup(u);
	return rc;
}

static int
cfg_check_file(const struct cfg_key *k, const char *path, bool secret,
    struct err *err)
{
	struct stat st;

	if (stat(path, &st) == -1)
		return err_set(err, E_INPUT, "%s: %s: %s", k->name, path,
		    strerror(errno));
	if (!S_ISREG(st.st_mode))
		return err_set(err, E_INPUT, "%s: %s is not a regular file",
		    k->name, path);
	if (secret && (st.st_mode & 077))
		return err_set(err, E_INPUT,
		    "%s: %s is readable by group or others (mode %03o); "
		    "chmod 600 it", k->name, path,
		    (unsigned)(st.st_mode & 0777));
	if (access(path, R_OK) == -1)
		return err_set(err, E_INPUT, "%s: %s is not readable",
		    k->name, path);
	return 0;
}

/* Make a relative path absolute against dir. Caller frees. */
static char *
cfg_abs(const char *dir, const char *v)
{
	struct buf b;

	if (v[0] == '/' || dir == NULL)
		return xstrdup(v);
	buf_init(&b, 8192);
	if (buf_printf(&b, "%s/%s", dir, v) == -1) {
		buf_cleanup(&b);
		return xstrdup(v);
	}
	return buf_detach(&b);
}

static int
cfg_set(struct cfg *c, const struct cfg_key *k, const char *v,
    const char *dir, struct err *err)
{
	int64_t n;
	enum log_level lvl;
	size_t len = strlen(v);

	switch (k->type) {
	case T_STR:
		if (len == 0 || len > (size_t)(k->max ? k->max : 1024))
			return err_set(err, E_INPUT,
			    "%s: length must be 1..%lld", k->name,
			    (long long)(k->max ? k->max : 1024));
		break;
	case T_INT:
		if (parse_i64z(v, k->min, k->max, &n) == -1)
			return err_set(err, E_INPUT,
			    "%s: \"%s\" is not an integer in %lld..%lld",
			    k->name, v, (long long)k->min, (long long)k->max);
		*cfg_int(c, k) = n;
		return 0;
	case T_OCTAL:
		return cfg_octal_parse(k->name, v, k->max, cfg_int(c, k), err);
	case T_BOOL:
		if (!strcmp(v, "yes") || !strcmp(v, "true") ||
		    !strcmp(v, "on") || !strcmp(v, "1"))
			*cfg_bool(c, k) = true;
		else if (!strcmp(v, "no") || !strcmp(v, "false") ||
		    !strcmp(v, "off") || !strcmp(v, "0"))
			*cfg_bool(c, k) = false;
		else
			return err_set(err, E_INPUT,
			    "%s: \"%s\" is not yes/no", k->name, v);
		return 0;
	case T_URL:
		if (cfg_check_url(k, v, err) == -1)
			return -1;
		break;
	case T_PATH:
	case T_FILE:
	case T_SECRET: {
		char *p = cfg_abs(dir, v);
		char **slot = cfg_str(c, k);

		free(*slot);
		*slot = p;
		return 0;
	}
	case T_SIGNTYPE:
		if (!strcmp(v, "MD5"))
			*(enum sign_type *)((char *)c + k->off) = SIGN_MD5;
		else if (!strcmp(v, "RSA"))
			*(enum sign_type *)((char *)c + k->off) = SIGN_RSA;
		else
			return err_set(err, E_INPUT,
			    "%s: \"%s\" must be MD5 or RSA", k->name, v);
		return 0;
	case T_SYNC:
		if (strcmp(v, "FULL") && strcmp(v, "NORMAL"))
			return err_set(err, E_INPUT,
			    "%s: \"%s\" must be FULL or NORMAL", k->name, v);
		break;
	case T_LOGLEVEL:
		if (log_level_parse(v, &lvl) == -1)
			return err_set(err, E_INPUT,
			    "%s: \"%s\" must be error|warn|info|debug",
			    k->name, v);
		break;
	case T_CURRENCY:
		if (len != 3 || !isupper((unsigned char)v[0]) ||
		    !isupper((unsigned char)v[1]) ||
		    !isupper((unsigned char)v[2]))
			return err_set(err, E_INPUT,
			    "%s: \"%s\" is not an ISO 4217 code", k->name, v);
		break;
	}
	free(*cfg_str(c, k));
	*cfg_str(c, k) = xstrdup(v);
	return 0;
}

int
cfg_octal_parse(const char *key, const char *v, int64_t max, int64_t *mode,
    struct err *err)
{
	char *end;
	long m;

	errno = 0;
	m = strtol(v, &end, 8);
	if (errno || *end || end == v || m < 0 || m > max)
		return err_set(err, E_INPUT, "%s: \"%s\" is not an octal mode",
		    key, v);
	*mode = m;
	return 0;
}

static const struct cfg_key *
cfg_find(const char *name)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		if (strcmp(cfg_keys[i].name, name) == 0)
			return &cfg_keys[i];
	return NULL;
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

int
cfg_line_next(char **cursor, int *lineno, bool value_comments, char **key,
    char **val, struct err *err)
{
	char *line, *eq;

	while ((line = *cursor) != NULL) {
		(*lineno)++;
		*cursor = strchr(line, '\n');
		if (*cursor)
			*(*cursor)++ = '\0';
		line = trim(line);
		if (*line == '\0' || *line == '#')
			continue;
		if ((eq = strchr(line, '=')) == NULL)
			return err_set(err, E_INPUT,
			    "line %d: expected key = value", *lineno);
		*eq = '\0';
		*key = trim(line);
		*val = eq + 1;
		/* a comment may follow a value after white space */
		for (char *h = *val; value_comments && *h; h++)
			if (*h == '#' && h > *val && (h[-1] == ' ' ||
			    h[-1] == '\t')) {
				*h = '\0';
				break;
			}
		*val = trim(*val);
		return 1;
	}
	return 0;
}

/* Checks that span keys, and file checks (after all values are known). */
/* api_return_origins: each word an origin alone, and the API's other
 * key with it (a return URL is signed, so no origins without a key). */
static int
cfg_check_origins(const struct cfg *c, struct err *err)
{
	const char *p = c->api_return_origins, *e;

	if ((p == NULL) != (c->api_return_secret_file == NULL))
		return err_set(err, E_INPUT, "%s: required with %s",
		    p ? "api_return_secret_file" : "api_return_origins",
		    p ? "api_return_origins" : "api_return_secret_file");
	while (p != NULL && *p) {
		while (*p == ' ' || *p == '\t')
			p++;
		e = p;
		while (*e && *e != ' ' && *e != '\t')
			e++;
		if (e > p && valid_origin_len(p, (size_t)(e - p),
		    c->http_allow_plain) != (size_t)(e - p))
			return err_set(err, E_INPUT, "api_return_origins: "
			    "\"%.*s\" is not an origin (https://host[:port], "
			    "no path)", (int)(e - p > 64 ? 64 : e - p), p);
		p = e;
	}
	return 0;
}

/* A libpq URI without a password in it (the config file is not a secret
 * file: the password lives in db_password_file or PGPASSFILE). */
static int
cfg_check_db_url(const char *v, struct err *err)
{
	const char *rest, *at, *slash, *colon;

	if (strncmp(v, "postgresql://", 13) == 0)
		rest = v + 13;
	else if (strncmp(v, "postgres://", 11) == 0)
		rest = v + 11;
	else
		return err_set(err, E_INPUT, "db_url: must start with "
		    "postgresql://");
	at = strchr(rest, '@');
	slash = strchr(rest, '/');
	colon = strchr(rest, ':');
	if (at && (slash == NULL || at < slash) && colon && colon < at)
		return err_set(err, E_INPUT, "db_url: holds a password; put "
		    "it in db_password_file (mode 0600)");
	if (strstr(v, "password=") != NULL)
		return err_set(err, E_INPUT, "db_url: holds a password; put "
		    "it in db_password_file (mode 0600)");
	return 0;
}

static int
cfg_validate(struct cfg *c, const bool *seen, struct err *err)
{
	size_t i;

	if (!tz_valid(c->merchant_timezone))
		return err_set(err, E_INPUT, "merchant_timezone: \"%.64s\" is "
		    "not a time zone of this system", c->merchant_timezone);
	if (c->shop_logo_url[0] != '/' || c->shop_logo_url[1] == '/' ||
	    c->shop_logo_url[1] == '\\')
		return err_set(err, E_INPUT, "shop_logo_url: a path on this "
		    "site, e.g. /shop/img/logo.svg");

	for (i = 0; i < NKEYS; i++) {
		const struct cfg_key *k = &cfg_keys[i];

		if (k->required && !seen[i])
			return err_set(err, E_INPUT,
			    "%s: required key is missing", k->name);
		if (!seen[i])
			continue;
		if (k->type == T_FILE || k->type == T_SECRET)
			if (cfg_check_file(k, *cfg_str(c, k),
			    k->type == T_SECRET, err) == -1)
				return -1;
	}
	if ((c->db_path == NULL) == (c->db_url == NULL))
		return err_set(err, E_INPUT, "db_path: exactly one of db_path "
		    "(SQLite) and db_url (PostgreSQL) is required");
	if (c->db_url && cfg_check_db_url(c->db_url, err) == -1)
		return -1;
	if (c->db_password_file && !c->db_url)
		return err_set(err, E_INPUT, "db_password_file: only with "
		    "db_url");
	if (c->events_endpoint_url && !c->events_secret_file)
		return err_set(err, E_INPUT, "events_secret_file: required "
		    "with events_endpoint_url");
	if (c->useepay_sign_type == SIGN_MD5 && !c->useepay_md5_key_file)
		return err_set(err, E_INPUT, "useepay_md5_key_file: required "
		    "when useepay_sign_type = MD5");
	if (c->useepay_sign_type == SIGN_RSA && (!c->useepay_private_key_file ||
	    !c->useepay_public_key_file))
		return err_set(err, E_INPUT, "%s: required when "
		    "useepay_sign_type = RSA", !c->useepay_private_key_file ?
		    "useepay_private_key_file" : "useepay_public_key_file");
	if (!c->http_allow_plain) {
		for (i = 0; i < NKEYS; i++) {
			const struct cfg_key *k = &cfg_keys[i];
			const char *v;

			if (k->type != T_URL || (v = *cfg_str(c, k)) == NULL)
				continue;
			if (strncmp(v, "https://", 8) != 0)
				return err_set(err, E_INPUT, "%s: must be "
				    "https:// (http_allow_plain is off)",
				    k->name);
		}
	}
	if (cfg_check_origins(c, err) == -1)
		return -1;
	if (strcmp(c->listen_web, c->listen_notify) == 0)
		return err_set(err, E_INPUT, "listen_notify: must differ "
		    "from listen_web (two pools need two sockets)");
	if (c->useepay_notify_url == NULL) {
		struct buf b;

		buf_init(&b, 2048);
		if (buf_printf(&b, "%s/notify", c->public_base_url) == -1) {
			buf_cleanup(&b);
			return err_set(err, E_INPUT, "public_base_url: too long");
		}
		c->useepay_notify_url = buf_detach(&b);
	}
	return 0;
}

int
cfg_parse(struct cfg *c, const char *text, const char *dir, struct err *err)
{
	bool seen[NKEYS] = {0};
	char *copy, *cursor, *key = NULL, *val = NULL;
	int lineno = 0, more, rc = -1;
	size_t i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < NKEYS; i++)
		if (cfg_keys[i].def && cfg_set(c, &cfg_keys[i],
		    cfg_keys[i].def, dir, err) == -1)
			return -1;

	cursor = copy = xstrdup(text);
	while ((more = cfg_line_next(&cursor, &lineno, true, &key, &val,
	    err)) == 1) {
		const struct cfg_key *k;

		if ((k = cfg_find(key)) == NULL) {
			err_set(err, E_INPUT, "line %d: %s: unknown key",
			    lineno, key);
			goto out;
		}
		if (seen[k - cfg_keys]) {
			err_set(err, E_INPUT, "line %d: %s: given twice",
			    lineno, key);
			goto out;
		}
		seen[k - cfg_keys] = true;
		if (*val == '\0') {
			err_set(err, E_INPUT, "line %d: %s: empty value",
			    lineno, key);
			goto out;
		}
		if (cfg_set(c, k, val, dir, err) == -1) {
			char m[sizeof(err->msg)];

			str_lcpy(m, err->msg, sizeof(m));
			err_set(err, E_INPUT, "line %d: %s", lineno, m);
			goto out;
		}
	}
	if (more == -1)
		goto out;
	rc = cfg_validate(c, seen, err);
out:
	free(copy);
	if (rc == -1)
		cfg_cleanup(c);
	return rc;
}

int
cfg_file_read(const char *path, size_t max, struct buf *b, char *dir,
    size_t dirsz, struct err *err)
{
	const char *slash;
	char tmp[512];
	FILE *f;
	size_t n;

	if ((f = fopen(path, "r")) == NULL)
		return err_set(err, E_INPUT, "%s: %s", path, strerror(errno));
	buf_init(b, max);
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		if (buf_add(b, tmp, n) == -1) {
			fclose(f);
			buf_cleanup(b);
			return err_set(err, E_TOOBIG, "%s: file too large",
			    path);
		}
	fclose(f);
	if ((slash = strrchr(path, '/')) != NULL) {
		snprintf(dir, dirsz, "%.*s", (int)(slash - path), path);
		if (dir[0] == '\0')
			str_lcpy(dir, "/", dirsz);
	} else if (getcwd(dir, dirsz) == NULL) {
		str_lcpy(dir, ".", dirsz);
	}
	return 0;
}

int
cfg_load(struct cfg *c, const char *path, struct err *err)
{
	struct buf b;
	char dir[4096];
	int rc;

	memset(c, 0, sizeof(*c));
	if (cfg_file_read(path, LIM_CFG_FILE, &b, dir, sizeof(dir), err) == -1)
		return -1;
	rc = cfg_parse(c, buf_str(&b), dir, err);
	buf_cleanup(&b);
	if (rc == -1) {
		char m[sizeof(err->msg)];

		str_lcpy(m, err->msg, sizeof(m));
		err_set(err, E_INPUT, "%s: %s", path, m);
	}
	return rc;
}

void
cfg_cleanup(struct cfg *c)
{
	size_t i;

	for (i = 0; i < NKEYS; i++) {
		switch (cfg_keys[i].type) {
		case T_INT:
		case T_OCTAL:
		case T_BOOL:
		case T_SIGNTYPE:
			break;
		default:
			free(*cfg_str(c, &cfg_keys[i]));
			*cfg_str(c, &cfg_keys[i]) = NULL;
		}
	}
	free(c->useepay_notify_url);
	c->useepay_notify_url = NULL;
}

void
cfg_print_reference(void)
{
	size_t i;

	printf("| key | default | meaning |\n|---|---|---|\n");
	for (i = 0; i < NKEYS; i++)
		printf("| `%s` | %s%s%s | %s |\n", cfg_keys[i].name,
		    cfg_keys[i].def ? "`" : "",
		    cfg_keys[i].def ? cfg_keys[i].def :
		    (cfg_keys[i].required ? "**required**" : "—"),
		    cfg_keys[i].def ? "`" : "", cfg_keys[i].help);
}

char *
cfg_read_secret(const char *path, const char *key, size_t max,
    struct err *err)
{
	struct stat st;
	struct buf b;
	char tmp[512];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		err_set(err, E_INPUT, "%s: %s: %s", key, path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    (st.st_mode & 077)) {
		close(fd);
		err_set(err, E_INPUT, "%s: %s must be a regular file of mode "
		    "0600 or stricter", key, path);
		return NULL;
	}
	buf_init(&b, max);
	while ((n = read(fd, tmp, sizeof(tmp))) > 0)
		if (buf_add(&b, tmp, (size_t)n) == -1)
			break;
	mem_wipe(tmp, sizeof(tmp));
	close(fd);
	if (n != 0) {
		secret_free(buf_detach(&b));
		err_set(err, E_INPUT, "%s: %s: unreadable or over %zu bytes",
		    key, path, max);
		return NULL;
	}
	while (b.len && (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == '\r'))
		b.data[--b.len] = '\0';
	if (b.len == 0) {
		buf_cleanup(&b);
		err_set(err, E_INPUT, "%s: %s is empty", key, path);
		return NULL;
	}
	return buf_detach(&b);
}
