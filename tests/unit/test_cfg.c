/*
 * test_cfg.c - configuration parsing and validation: every refusal names
 * the key, defaults apply, secret files must not be group/world readable.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "cfg.h"
#include "t.h"
#include "util.h"

static char dir[] = "/tmp/h5pay-test-cfg-XXXXXX";

static void
write_file(const char *name, const char *text, mode_t mode)
{
	char p[512];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd == -1 || write(fd, text, strlen(text)) < 0)
		abort();
	close(fd);
	chmod(p, mode);
}

/* A valid base config; `extra` lines are appended, `drop` removes a key. */
static int
parse(const char *drop, const char *extra, struct cfg *c, struct err *err)
{
	static const char *base[] = {
		"listen_web = run/web.sock",
		"listen_notify = run/notify.sock",
		"public_base_url = https://shop.example.com",
		"db_path = h5pay.db",
		"useepay_base_url = https://pay-gateway.useepay.com",
		"useepay_merchant_no = 500000000007362",
		"useepay_app_id = shop.example.com",
		"useepay_sign_type = MD5",
		"useepay_md5_key_file = md5.key",
		"wechat_appid = wx1234567890abcdef",
		"wechat_secret_file = wechat.secret",
	};
	struct buf b;
	size_t i;
	int rc;

	buf_init(&b, 65536);
	for (i = 0; i < sizeof(base) / sizeof(base[0]); i++) {
		if (drop && strncmp(base[i], drop, strlen(drop)) == 0 &&
		    base[i][strlen(drop)] == ' ')
			continue;
		buf_printf(&b, "%s\n", base[i]);
	}
	if (extra)
		buf_printf(&b, "%s\n", extra);
	rc = cfg_parse(c, buf_str(&b), dir, err);
	buf_cleanup(&b);
	return rc;
}

static void
test_valid_and_defaults(void)
{
	struct cfg c;
	struct err err;
	char want[600];

	T_EQ_INT(parse(NULL, "# comment\n\n  web_threads = 3  # trailing", &c, &err), 0);
	T_EQ_INT(c.web_threads, 3);
	T_EQ_INT(c.web_workers, 2);
	T_EQ_STR(c.db_synchronous, "FULL");
	T_EQ_INT(c.socket_mode, 0660);
	T_EQ_STR(c.useepay_currency, "HKD");
	T_EQ_STR(c.useepay_notify_url, "https://shop.example.com/notify");
	snprintf(want, sizeof(want), "%s/h5pay.db", dir);
	T_EQ_STR(c.db_path, want);	/* relative to the config's dir */
	T_OK(c.cookie_secure);
	T_OK(!c.http_allow_plain);
	T_EQ_STR(c.shop_name, "H5 Shop");
	T_EQ_STR(c.shop_logo_url, "/shop/img/logo.svg");
	T_EQ_STR(c.merchant_timezone, "Asia/Hong_Kong");
	cfg_cleanup(&c);
	T_EQ_INT(parse(NULL, "merchant_timezone = UTC\nshop_name = 茶舖\n"
	    "shop_logo_url = /shop/img/tea.png", &c, &err), 0);
	T_EQ_STR(c.merchant_timezone, "UTC");
	T_EQ_STR(c.shop_name, "茶舖");
	cfg_cleanup(&c);
}

static void
expect_fail(const char *drop, const char *extra, const char *needle)
{
	struct cfg c;
	struct err err;

	err_clear(&err);
	T_EQ_INT(parse(drop, extra, &c, &err), -1);
	if (strstr(err.msg, needle) == NULL) {
		fprintf(stderr, "  message \"%s\" lacks \"%s\"\n", err.msg,
		    needle);
		T_OK(strstr(err.msg, needle) != NULL);
	}
}

static void
test_refusals_name_the_key(void)
{
	expect_fail("db_path", NULL, "db_path: exactly one of db_path");
	/* issue 16: PostgreSQL instead, never both, no password in the URL */
	expect_fail(NULL, "db_url = postgresql://db.example/h5pay",
	    "db_path: exactly one of db_path");
	expect_fail("db_path", "db_url = mysql://db.example/h5pay",
	    "db_url: must start with postgresql://");
	expect_fail("db_path", "db_url = postgresql://h5pay:pw@db.example/"
	    "h5pay", "db_url: holds a password");
	expect_fail("db_path", "db_url = postgresql://db.example/h5pay?"
	    "password=pw", "db_url: holds a password");
	/* issue 13: a zone this system knows; the logo a same-origin path */
	expect_fail(NULL, "merchant_timezone = Asia/Nowhere",
	    "merchant_timezone");
	expect_fail(NULL, "merchant_timezone = ../../etc/passwd",
	    "merchant_timezone");
	expect_fail(NULL, "shop_logo_url = https://evil.example/x.png",
	    "shop_logo_url");
	expect_fail(NULL, "shop_logo_url = //evil.example/x.png",
	    "shop_logo_url");
	expect_fail("wechat_appid", NULL, "wechat_appid");
	expect_fail("useepay_base_url", "useepay_base_url = ftp://x",
	    "useepay_base_url");
	expect_fail("public_base_url", "public_base_url = https://",
	    "public_base_url: URL has no host");
	expect_fail("public_base_url", "public_base_url = http://shop.example",
	    "public_base_url: must be https://");
	/* libcurl's parser (CURLU) decides: what it refuses, we refuse */
	expect_fail("useepay_base_url", "useepay_base_url = "
	    "https://user:pw@gw.example", "useepay_base_url: URL must not "
	    "carry credentials");
	expect_fail("useepay_base_url", "useepay_base_url = "
	    "https://gw.example:99999", "useepay_base_url: not a valid URL");
	expect_fail("useepay_base_url", "useepay_base_url = https://gw.example/"
	    "api?x=1", "useepay_base_url: URL must not have a query");
	expect_fail(NULL, "web_workers = 0", "web_workers");
	expect_fail(NULL, "web_workers = 12x", "web_workers");
	expect_fail(NULL, "useepay_expiration_min = 21",
	    "useepay_expiration_min");
	expect_fail(NULL, "no_such_key = 1", "no_such_key: unknown key");
	expect_fail(NULL, "web_threads = 2\nweb_threads = 3", "given twice");
	expect_fail(NULL, "just words", "expected key = value");
	expect_fail("useepay_sign_type", "useepay_sign_type = SHA1",
	    "useepay_sign_type");
	expect_fail("useepay_sign_type", "useepay_sign_type = RSA",
	    "useepay_private_key_file: required");
	expect_fail(NULL, "listen_notify = run/web.sock", "listen_notify");
	expect_fail(NULL, "useepay_currency = hkd", "useepay_currency");
}

static void
test_secret_files(void)
{
	struct cfg c;
	struct err err;
	char *s;
	char p[512];

	write_file("md5.key", "k", 0644);
	expect_fail(NULL, NULL, "useepay_md5_key_file");
	expect_fail(NULL, NULL, "readable by group or others");
	write_file("md5.key", "k", 0640);
	expect_fail(NULL, NULL, "useepay_md5_key_file");
	write_file("md5.key", "TESTKEY\n", 0600);
	/* db_password_file: a secret file like the keys, only with db_url */
	write_file("db.pw", "pw", 0644);
	expect_fail("db_path", "db_url = postgresql://h5pay@db.example/h5pay\n"
	    "db_password_file = db.pw", "db_password_file: ");
	write_file("db.pw", "pw", 0600);
	expect_fail(NULL, "db_password_file = db.pw",
	    "db_password_file: only with db_url");
	T_EQ_INT(parse("db_path", "db_url = postgresql://h5pay@db.example/"
	    "h5pay?sslmode=verify-full\ndb_password_file = db.pw", &c, &err),
	    0);
	T_EQ_STR(c.db_url, "postgresql://h5pay@db.example/h5pay?"
	    "sslmode=verify-full");
	T_OK(c.db_path == NULL);
	T_OK(c.db_password_file != NULL);
	cfg_cleanup(&c);
	snprintf(p, sizeof(p), "%s/db.pw", dir);
	unlink(p);
	T_EQ_INT(parse(NULL, NULL, &c, &err), 0);
	s = cfg_read_secret(c.useepay_md5_key_file, "useepay_md5_key_file",
	    64, &err);
	T_EQ_STR(s, "TESTKEY");
	secret_free(s);
	cfg_cleanup(&c);
	snprintf(p, sizeof(p), "%s/md5.key", dir);
	unlink(p);
	expect_fail(NULL, NULL, "useepay_md5_key_file");
	write_file("md5.key", "TESTKEY\n", 0600);
}

int
main(void)
{
	if (mkdtemp(dir) == NULL)
		return 1;
	write_file("md5.key", "TESTKEY\n", 0600);
	write_file("wechat.secret", "secret\n", 0600);
	T_RUN(test_valid_and_defaults);
	T_RUN(test_refusals_name_the_key);
	T_RUN(test_secret_files);
	return t_done();
}
