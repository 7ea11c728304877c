/*
 * cli_cfg.c - h5pay check-config, migrate, config-keys.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "keys.h"
#include "store.h"

int
cli_load_cfg(int argc, char **argv, struct cfg *c, int *argi)
{
	const char *path = NULL;
	struct err err;
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			path = argv[++i];
		else
			break;
	}
	*argi = i;
	if (path == NULL) {
		fprintf(stderr, "h5pay %s: -c FILE is required\n", argv[0]);
		return -1;
	}
	if (cfg_load(c, path, &err) == -1) {
		fprintf(stderr, "h5pay: %s\n", err.msg);
		return -1;
	}
	return 0;
}

int
cli_check_config(int argc, char **argv)
{
	struct keys *k = NULL;
	struct cfg c;
	struct err err;
	int i;

	if (cli_load_cfg(argc, argv, &c, &i) == -1)
		return 1;
	if (keys_load(&k, &c, &err) == -1) {
		fprintf(stderr, "h5pay: %s\n", err.msg);
		cfg_cleanup(&c);
		return 1;
	}
	if (k->warn[0] != '\0')
		fprintf(stderr, "h5pay: warning: %s\n", k->warn);
	keys_free(k);
	cfg_cleanup(&c);
	printf("configuration is valid\n");
	return 0;
}

int
cli_migrate(int argc, char **argv)
{
	struct store *s;
	struct cfg c;
	struct err err;
	struct store_opts so;
	int i, applied = 0, version = 0, rc = 1;

	if (cli_load_cfg(argc, argv, &c, &i) == -1)
		return 1;
	so.synchronous = c.db_synchronous;
	so.busy_timeout_ms = (int)c.db_busy_timeout_ms;
	so.readonly = false;
	if (store_open_cfg(&s, &c, &so, &err) == -1) {
		fprintf(stderr, "h5pay migrate: %s\n", err.msg);
		goto out;
	}
	if (store_migrate(s, &applied, &err) == -1 ||
	    store_schema_version(s, &version, &err) == -1) {
		fprintf(stderr, "h5pay migrate: %s\n", err.msg);
		store_close(s);
		goto out;
	}
	store_close(s);
	printf("applied %d migration(s); schema version %d\n", applied,
	    version);
	rc = 0;
out:
	cfg_cleanup(&c);
	return rc;
}

int
cli_config_keys(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cfg_print_reference();
	return 0;
}
