/*
 * cli_apikey.c - h5pay apikey add|list|revoke -c FILE [NAME] [--scope
 * S,...]: the payments API's keys (api.h, docs/integration.md).
 *
 * add prints the token once, on stdout, and nothing else there: only its
 * SHA-256 is stored, so a lost token is revoked and replaced, never shown
 * again. list prints one JSON object per line (no token, no hash).
 */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "api.h"
#include "app.h"
#include "cli.h"
#include "httpc.h"
#include "store.h"
#include "store_api.h"
#include "util.h"

static int
usage(void)
{
	fprintf(stderr, "usage: h5pay apikey add -c FILE NAME [--scope %s]"
	    "\n       h5pay apikey list -c FILE\n       h5pay apikey revoke "
	    "-c FILE NAME\n", API_SCOPES_ALL);
	return 2;
}

static int
key_print(void *ctx, const struct api_key *k)
{
	struct json_object *j = json_object_new_object();

	(void)ctx;
	json_object_object_add(j, "name", json_object_new_string(k->name));
	json_object_object_add(j, "scopes", json_object_new_string(k->scopes));
	json_object_object_add(j, "createdAt",
	    json_object_new_int64(k->created_at));
	json_object_object_add(j, "lastUsedAt", k->last_used_at ?
	    json_object_new_int64(k->last_used_at) : NULL);
	json_object_object_add(j, "revokedAt", k->revoked_at ?
	    json_object_new_int64(k->revoked_at) : NULL);
	printf("%s\n", json_object_to_json_string_ext(j,
	    JSON_C_TO_STRING_PLAIN));
	json_object_put(j);
	return 0;
}

static int
apikey_run(struct app *app, int argc, char **argv, struct err *err)
{
	char token[API_TOKEN_LEN + 1];
	const char *scope = NULL;
	int applied;

	if (store_migrate(app->store, &applied, err) == -1)
		return -1;
	if (strcmp(argv[0], "list") == 0 && argc == 1)
		return store_apikey_each(app->store, key_print, NULL, err);
	if (strcmp(argv[0], "revoke") == 0 && argc == 2) {
		if (store_apikey_revoke(app->store, argv[1], app_now_s(app),
		    err) == -1)
			return -1;
		fprintf(stderr, "h5pay apikey: %s revoked\n", argv[1]);
		return 0;
	}
	if (strcmp(argv[0], "add") != 0 || (argc != 2 && argc != 4))
		return err_set(err, E_INPUT, "usage");
	if (argc == 4) {
		if (strcmp(argv[2], "--scope") != 0)
			return err_set(err, E_INPUT, "usage");
		scope = argv[3];
	}
	if (api_key_add(app, argv[1], scope, token, err) == -1)
		return -1;
	printf("%s\n", token);
	fflush(stdout);
	mem_wipe(token, sizeof(token));
	fprintf(stderr, "h5pay apikey: key %s added; the token above is shown "
	    "only now\n", argv[1]);
	return 0;
}

int
cli_apikey(int argc, char **argv)
{
	char *args[4];
	struct app app;
	struct cfg c;
	struct err err;
	int i, n, rc = 1;

	if (argc < 2)
		return usage();
	/* "apikey CMD -c FILE REST...": i indexes argv + 1 */
	if (cli_load_cfg(argc - 1, argv + 1, &c, &i) == -1)
		return 1;
	i++;
	if (argc - i > 3) {
		cfg_cleanup(&c);
		return usage();
	}
	args[0] = argv[1];
	for (n = 1; i < argc; i++)
		args[n++] = argv[i];
	err_clear(&err);
	if (httpc_global_init() == -1 ||
	    app_thread_init(&app, &c, NULL, POOL_TASKS, &err) == -1) {
		fprintf(stderr, "h5pay apikey: %s\n", err.msg);
		cfg_cleanup(&c);
		return 1;
	}
	if (apikey_run(&app, n, args, &err) == 0)
		rc = 0;
	else if (err.code == E_INPUT && strcmp(err.msg, "usage") == 0)
		rc = usage();
	else
		fprintf(stderr, "h5pay apikey: %s\n", err.msg);
	app_thread_cleanup(&app);
	cfg_cleanup(&c);
	return rc;
}
