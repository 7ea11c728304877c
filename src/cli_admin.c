/*
 * cli_admin.c - h5pay admin add|passwd|disable USER, h5pay routes (the
 * route table as JSON, for tests), h5pay dev-fill (fake orders for the
 * admin benchmark).
 *
 * Passwords come from the terminal without echo (asked twice), or from
 * the first line of stdin when it is not a terminal; never from argv
 * (visible in ps) or the environment.
 */
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <json-c/json.h>

#include "admin.h"
#include "cli.h"
#include "route.h"
#include "sign_pw.h"
#include "store.h"
#include "store_admin.h"
#include "store_dev.h"
#include "util.h"

/* Read one line (without its newline) into out; echo off on a tty. */
static int
read_line(const char *prompt, bool tty, char *out, size_t outsz)
{
	struct termios old, quiet;
	size_t n;
	int rc = -1;

	if (tty) {
		fprintf(stderr, "%s", prompt);
		if (tcgetattr(STDIN_FILENO, &old) == -1)
			return -1;
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		quiet.c_lflag |= ECHONL;
		if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == -1)
			return -1;
	}
	if (fgets(out, (int)outsz, stdin) != NULL) {
		n = strlen(out);
		if (n && out[n - 1] == '\n')
			out[--n] = '\0';
		if (n && out[n - 1] == '\r')
			out[--n] = '\0';
		rc = n + 1 < outsz ? 0 : -1;	/* a full buffer: too long */
	}
	if (tty)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	return rc;
}

static int
read_password(char *pw, size_t sz)
{
	bool tty = isatty(STDIN_FILENO) == 1;
	char again[SIGN_PW_MAX_PASSWORD + 2];
	int rc = -1;

	if (read_line("Password: ", tty, pw, sz) == -1) {
		fprintf(stderr, "h5pay admin: no password read (at most %d "
		    "bytes)\n", SIGN_PW_MAX_PASSWORD);
		return -1;
	}
	if (!tty)
		return 0;
	if (read_line("Again: ", tty, again, sizeof(again)) == -1 ||
	    strcmp(pw, again) != 0)
		fprintf(stderr, "h5pay admin: passwords differ\n");
	else
		rc = 0;
	mem_wipe(again, sizeof(again));
	return rc;
}

static int
open_store(const struct cfg *c, struct store **s)
{
	struct store_opts so;
	struct err err;
	int applied;

	so.synchronous = c->db_synchronous;
	so.busy_timeout_ms = (int)c->db_busy_timeout_ms;
	so.readonly = false;
	if (store_open_cfg(s, c, &so, &err) == -1 ||
	    store_migrate(*s, &applied, &err) == -1) {
		fprintf(stderr, "h5pay: %s\n", err.msg);
		return -1;
	}
	return 0;
}

int
cli_admin(int argc, char **argv)
{
	char pw[SIGN_PW_MAX_PASSWORD + 2];
	struct store *s = NULL;
	const char *cmd, *user;
	struct err err;
	struct cfg c;
	int i, rc = 1, r = -1;

	if (cli_load_cfg(argc, argv, &c, &i) == -1)
		return 2;
	if (argc - i != 2) {
		fprintf(stderr, "usage: h5pay admin -c FILE add|passwd|disable|"
		    "totp|totp-off USER\n");
		cfg_cleanup(&c);
		return 2;
	}
	cmd = argv[i];
	user = argv[i + 1];
	if (strcmp(cmd, "add") != 0 && strcmp(cmd, "passwd") != 0 &&
	    strcmp(cmd, "disable") != 0 && strcmp(cmd, "totp") != 0 &&
	    strcmp(cmd, "totp-off") != 0) {
		fprintf(stderr, "h5pay admin: unknown command %s\n", cmd);
		cfg_cleanup(&c);
		return 2;
	}
	if ((strcmp(cmd, "add") == 0 || strcmp(cmd, "passwd") == 0) &&
	    read_password(pw, sizeof(pw)) == -1)
		goto out;
	if (open_store(&c, &s) == -1)
		goto out;
	if (strcmp(cmd, "add") == 0)
		r = admin_user_add(s, user, pw, now_s(), &err);
	else if (strcmp(cmd, "passwd") == 0)
		r = admin_user_passwd(s, user, pw, now_s(), &err);
	else if (strcmp(cmd, "disable") == 0)
		r = admin_user_disable(s, user, now_s(), &err);
	else if (strcmp(cmd, "totp-off") == 0)
		r = admin_user_totp_off(s, user, now_s(), &err);
	else {
		/* shown once: the secret is in it; add it to an authenticator
		 * app (or turn it into a QR code) now */
		struct buf uri;

		buf_init(&uri, 512);
		r = admin_user_totp(s, user, now_s(), &uri, &err);
		if (r == 0)
			printf("%s\n", buf_str(&uri));
		mem_wipe(uri.data, uri.len);
		buf_cleanup(&uri);
	}
	if (r == -1) {
		fprintf(stderr, "h5pay admin %s: %s\n", cmd, err.code ==
		    E_NOTFOUND ? "no such user" : err.msg);
		goto out;
	}
	/* totp: stdout is the URI alone */
	fprintf(strcmp(cmd, "totp") == 0 ? stderr : stdout,
	    "admin %s %s: ok\n", cmd, user);
	rc = 0;
out:
	mem_wipe(pw, sizeof(pw));
	store_close(s);
	cfg_cleanup(&c);
	return rc;
}

int
cli_routes(int argc, char **argv)
{
	static const struct {
		unsigned flag;
		const char *name;
	} fl[] = {
		{R_PREFIX, "prefix"}, {R_WEB, "web"}, {R_NOTIFY, "notify"},
		{R_BUYER, "buyer"}, {R_ADMIN, "admin"}, {R_CSRF, "csrf"},
		{R_SAMEORIGIN, "sameorigin"}, {R_APIKEY, "apikey"},
	};
	struct json_object *arr = json_object_new_array();
	size_t i, j;

	(void)argc;
	(void)argv;
	for (i = 0; i < route_count; i++) {
		struct json_object *o = json_object_new_object();
		struct json_object *f = json_object_new_array();

		json_object_object_add(o, "method",
		    json_object_new_string(route_table[i].method));
		json_object_object_add(o, "path",
		    json_object_new_string(route_table[i].path));
		for (j = 0; j < sizeof(fl) / sizeof(fl[0]); j++)
			if (route_table[i].flags & fl[j].flag)
				json_object_array_add(f,
				    json_object_new_string(fl[j].name));
		json_object_object_add(o, "flags", f);
		json_object_array_add(arr, o);
	}
	printf("%s\n", json_object_to_json_string_ext(arr,
	    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(arr);
	return 0;
}

int
cli_dev_fill(int argc, char **argv)
{
	struct store *s = NULL;
	struct err err;
	struct cfg c;
	int64_t n = 0, days = 90;
	int i, rc = 1;

	if (cli_load_cfg(argc, argv, &c, &i) == -1)
		return 2;
	for (; i < argc; i++) {
		if (strcmp(argv[i], "--orders") == 0 && i + 1 < argc &&
		    parse_i64z(argv[i + 1], 1, 10000000, &n) == 0)
			i++;
		else if (strcmp(argv[i], "--days") == 0 && i + 1 < argc &&
		    parse_i64z(argv[i + 1], 1, 3650, &days) == 0)
			i++;
		else {
			n = 0;
			break;
		}
	}
	if (n == 0) {
		fprintf(stderr, "usage: h5pay dev-fill -c FILE --orders N "
		    "[--days D]\n");
		cfg_cleanup(&c);
		return 2;
	}
	if (open_store(&c, &s) == -1)
		goto out;
	if (store_dev_fill(s, n, days, now_s(), c.useepay_currency,
	    &err) == -1) {
		fprintf(stderr, "h5pay dev-fill: %s\n", err.msg);
		goto out;
	}
	printf("dev-fill: %lld orders over %lld days\n", (long long)n,
	    (long long)days);
	rc = 0;
out:
	store_close(s);
	cfg_cleanup(&c);
	return rc;
}
