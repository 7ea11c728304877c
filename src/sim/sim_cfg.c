/*
 * sim_cfg.c - h5pay-sim's configuration: "key = value" lines, one table.
 *
 * What it does: parse, apply defaults, check ranges, make paths absolute
 * against the file's directory, check the cross-key rules (at least one
 * way to verify merchant requests). What it does not do: read key or
 * secret contents (sim_serve.c does, once, at start-up). The file reader,
 * the line syntax and the octal-mode parser are cfg.c's (cfg_file_read,
 * cfg_line_next, cfg_octal_parse); only the table and its rules are here.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "lim.h"
#include "log.h"
#include "sim.h"
#include "util.h"

enum sk_type { SK_STR, SK_INT, SK_OCTAL, SK_PATH, SK_ORIGIN };

struct sim_key {
	const char *name;
	enum sk_type type;
	size_t off;
	bool required;
	const char *def;
	int64_t min, max;	/* SK_INT range; SK_STR max length */
	const char *help;
};

#define S(x) offsetof(struct sim_cfg, x)

static const struct sim_key sim_keys[] = {
	{"listen", SK_PATH, S(listen), true, NULL, 0, 0,
	    "unix socket the sim's FastCGI threads accept on"},
	{"socket_mode", SK_OCTAL, S(socket_mode), false, "0660", 0, 0777,
	    "permissions of the socket"},
	{"threads", SK_INT, S(threads), false, "4", 1, 512,
	    "FastCGI threads (plus one notifier thread)"},
	{"log_level", SK_STR, S(log_level), false, "info", 0, 8,
	    "error, warn, info or debug"},
	{"db_path", SK_PATH, S(db_path), true, NULL, 0, 0,
	    "the sim's own SQLite file"},
	{"merchant_no", SK_STR, S(merchant_no), true, NULL, 0, 16,
	    "the only merchantNo the gateway accepts"},
	{"md5_key_file", SK_PATH, S(md5_key_file), false, NULL, 0, 0,
	    "merchant MD5 key (mode 0600): verifies and signs signType=MD5"},
	{"merchant_public_key_file", SK_PATH, S(merchant_public_key_file),
	    false, NULL, 0, 0, "merchant RSA public key: verifies RSA"},
	{"provider_private_key_file", SK_PATH, S(provider_private_key_file),
	    false, NULL, 0, 0,
	    "\"UseePay\" RSA private key (PEM): signs RSA answers/notifies"},
	{"shop_app_id", SK_STR, S(shop_app_id), false, NULL, 0, 128,
	    "registered shop domain; pay's appId must equal it (unset: any)"},
	{"currencies", SK_STR, S(currencies), false, "HKD,CNY", 0, 256,
	    "comma-separated currencies the gateway accepts"},
	{"merchant_name", SK_STR, S(merchant_name), false, "h5pay demo shop",
	    0, 128, "merchant name on the payment sheet"},
	{"wechat_appid", SK_STR, S(wechat_appid), true, NULL, 0, 32,
	    "the Official Account appid (sub_appid, OAuth appid)"},
	{"wechat_secret_file", SK_PATH, S(wechat_secret_file), true, NULL, 0,
	    0, "its AppSecret (mode 0600)"},
	{"wechat_private_key_file", SK_PATH, S(wechat_private_key_file), true,
	    NULL, 0, 0, "\"WeChat\" RSA private key (PEM): makes paySign"},
	{"oauth_domain", SK_STR, S(oauth_domain), false, NULL, 0, 255,
	    "host[:port] redirect_uri must have (unset: any; else 10003)"},
	{"oauth_code_ttl_sec", SK_INT, S(oauth_code_ttl_sec), false, "300", 1,
	    86400, "OAuth code lifetime (WeChat: 5 minutes)"},
	{"cors_origin", SK_ORIGIN, S(cors_origin), false, NULL, 0, 0,
	    "the shop origin allowed to call /sim/pay/* (jsbridge.js)"},
	{"notify_minute_ms", SK_INT, S(notify_minute_ms), false, "60000", 1,
	    3600000, "length of one \"minute\" of the retry schedule (tests: "
	    "a few ms)"},
	{"refund_delay_ms", SK_INT, S(refund_delay_ms), false, "1000", 0,
	    86400000, "how long a refund stays pending before its result"},
	{"http_ca_file", SK_PATH, S(http_ca_file), false, NULL, 0, 0,
	    "CA bundle that verifies notifyUrl servers (default: system)"},
	{"http_connect_timeout_ms", SK_INT, S(http_connect_timeout_ms), false,
	    "3000", 100, 60000, "notification connect timeout"},
	{"http_timeout_ms", SK_INT, S(http_timeout_ms), false, "10000", 200,
	    120000, "notification total timeout"},
};

#define NSIMKEYS (sizeof(sim_keys) / sizeof(sim_keys[0]))

static char **
sk_str(struct sim_cfg *c, const struct sim_key *k)
{
	return (char **)((char *)c + k->off);
}

static int64_t *
sk_int(struct sim_cfg *c, const struct sim_key *k)
{
	return (int64_t *)((char *)c + k->off);
}

/* "https://host[:port]" with nothing after: an exact Origin. */
static bool
origin_valid(const char *v)
{
	const char *h;
	size_t i;

	if (strncmp(v, "https://", 8) == 0)
		h = v + 8;
	else if (strncmp(v, "http://", 7) == 0)
		h = v + 7;
	else
		return false;
	if (*h == '\0')
		return false;
	for (i = 0; h[i]; i++)
		if (!((h[i] >= 'a' && h[i] <= 'z') || (h[i] >= '0' &&
		    h[i] <= '9') || h[i] == '.' || h[i] == '-' ||
		    h[i] == ':' || (h[i] >= 'A' && h[i] <= 'Z')))
			return false;
	return true;
}

static int
sk_set(struct sim_cfg *c, const struct sim_key *k, const char *v,
    const char *dir, struct err *err)
{
	size_t len = strlen(v);
	int64_t n;

	switch (k->type) {
	case SK_INT:
		if (parse_i64z(v, k->min, k->max, &n) == -1)
			return err_set(err, E_INPUT, "%s: \"%s\" is not an "
			    "integer in %lld..%lld", k->name, v,
			    (long long)k->min, (long long)k->max);
		*sk_int(c, k) = n;
		return 0;
	case SK_OCTAL:
		return cfg_octal_parse(k->name, v, k->max, sk_int(c, k), err);
	case SK_STR:
		if (len == 0 || len > (size_t)(k->max ? k->max : 1024))
			return err_set(err, E_INPUT, "%s: length must be "
			    "1..%lld", k->name,
			    (long long)(k->max ? k->max : 1024));
		break;
	case SK_ORIGIN:
		if (!origin_valid(v))
			return err_set(err, E_INPUT, "%s: \"%s\" is not an "
			    "origin (scheme://host[:port])", k->name, v);
		break;
	case SK_PATH: {
		struct buf b;

		free(*sk_str(c, k));
		if (v[0] == '/' || dir == NULL) {
			*sk_str(c, k) = xstrdup(v);
			return 0;
		}
		buf_init(&b, 8192);
		if (buf_printf(&b, "%s/%s", dir, v) == -1) {
			buf_cleanup(&b);
			return err_set(err, E_INPUT, "%s: path too long",
			    k->name);
		}
		*sk_str(c, k) = buf_detach(&b);
		return 0;
	}
	}
	free(*sk_str(c, k));
	*sk_str(c, k) = xstrdup(v);
	return 0;
}

static int
sim_cfg_parse(struct sim_cfg *c, char *text, const char *dir,
    struct err *err)
{
	bool seen[NSIMKEYS] = {0};
	char *cursor = text, *key, *val, m[sizeof(err->msg)];
	enum log_level lvl;
	int lineno = 0, more;
	size_t i;

	for (i = 0; i < NSIMKEYS; i++)
		if (sim_keys[i].def && sk_set(c, &sim_keys[i], sim_keys[i].def,
		    dir, err) == -1)
			return -1;
	/* no comment after a value here: a '#' is part of it */
	while ((more = cfg_line_next(&cursor, &lineno, false, &key, &val,
	    err)) == 1) {
		const struct sim_key *k = NULL;

		for (i = 0; i < NSIMKEYS; i++)
			if (strcmp(sim_keys[i].name, key) == 0)
				k = &sim_keys[i];
		if (k == NULL)
			return err_set(err, E_INPUT, "line %d: %s: unknown "
			    "key", lineno, key);
		if (seen[k - sim_keys])
			return err_set(err, E_INPUT, "line %d: %s: given "
			    "twice", lineno, key);
		seen[k - sim_keys] = true;
		if (*val == '\0')
			return err_set(err, E_INPUT, "line %d: %s: empty "
			    "value", lineno, key);
		if (sk_set(c, k, val, dir, err) == -1) {
			str_lcpy(m, err->msg, sizeof(m));
			return err_set(err, E_INPUT, "line %d: %s", lineno, m);
		}
	}
	if (more == -1)
		return -1;
	for (i = 0; i < NSIMKEYS; i++)
		if (sim_keys[i].required && !seen[i])
			return err_set(err, E_INPUT, "%s: required key is "
			    "missing", sim_keys[i].name);
	if (c->md5_key_file == NULL && c->merchant_public_key_file == NULL)
		return err_set(err, E_INPUT, "md5_key_file or "
		    "merchant_public_key_file: at least one is required");
	if (c->merchant_public_key_file && !c->provider_private_key_file)
		return err_set(err, E_INPUT, "provider_private_key_file: "
		    "required with merchant_public_key_file (RSA answers)");
	if (log_level_parse(c->log_level, &lvl) == -1)
		return err_set(err, E_INPUT, "log_level: \"%s\" must be "
		    "error|warn|info|debug", c->log_level);
	return 0;
}

int
sim_cfg_load(struct sim_cfg *c, const char *path, struct err *err)
{
	char dir[4096], m[sizeof(err->msg)];
	struct buf b;
	int rc = -1;

	memset(c, 0, sizeof(*c));
	if (cfg_file_read(path, LIM_SIM_CFG, &b, dir, sizeof(dir), err) == -1)
		return -1;
	if (b.len == 0)
		buf_adds(&b, "");
	if (sim_cfg_parse(c, b.data, dir, err) == -1) {
		str_lcpy(m, err->msg, sizeof(m));
		err_set(err, E_INPUT, "%s: %s", path, m);
		goto out;
	}
	rc = 0;
out:
	buf_cleanup(&b);
	if (rc == -1)
		sim_cfg_cleanup(c);
	return rc;
}

void
sim_cfg_cleanup(struct sim_cfg *c)
{
	size_t i;

	for (i = 0; i < NSIMKEYS; i++) {
		if (sim_keys[i].type == SK_INT || sim_keys[i].type == SK_OCTAL)
			continue;
		free(*sk_str(c, &sim_keys[i]));
		*sk_str(c, &sim_keys[i]) = NULL;
	}
}

void
sim_cfg_print_reference(void)
{
	size_t i;

	printf("| key | default | meaning |\n|---|---|---|\n");
	for (i = 0; i < NSIMKEYS; i++)
		printf("| `%s` | %s%s%s | %s |\n", sim_keys[i].name,
		    sim_keys[i].def ? "`" : "", sim_keys[i].def ?
		    sim_keys[i].def : (sim_keys[i].required ? "**required**" :
		    "—"), sim_keys[i].def ? "`" : "", sim_keys[i].help);
}
