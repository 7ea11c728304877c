/*
 * cli_main.c - h5pay, the operator CLI: a table of subcommands.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct {
	const char *name;
	int (*fn)(int, char **);
	const char *usage;
} commands[] = {
	{"check-config", cli_check_config, "-c FILE        validate config "
	    "and keys"},
	{"migrate", cli_migrate, "-c FILE             apply database "
	    "migrations"},
	{"migrate-to-pg", cli_migrate_to_pg, "-c FILE SQLITE_DB   copy an "
	    "SQLite database into db_url's empty one (docs/scale-out.md)"},
	{"backup", cli_backup, "-c FILE [--force] DEST   online, checked "
	    "copy of the database"},
	{"restore", cli_restore, "-c FILE SRC         put a backup in place "
	    "(h5payd stopped), migrate"},
	{"reconcile", cli_reconcile, "-c FILE           query open orders "
	    "at UseePay once"},
	{"product", cli_product, "add|list|disable|enable -c FILE ...  the "
	    "catalog"},
	{"config-keys", cli_config_keys, "                print the config "
	    "key reference (Markdown)"},
	{"admin", cli_admin, "-c FILE add|passwd|disable USER   manage admin "
	    "users (password on stdin/terminal)"},
	{"apikey", cli_apikey, "add|list|revoke -c FILE [NAME] [--scope S,..]"
	    "   payments API keys (token shown once)"},
	{"routes", cli_routes, "                     print the route table "
	    "(JSON)"},
	{"dev-fill", cli_dev_fill, "-c FILE --orders N [--days D]   fake "
	    "orders (benchmarks only)"},
	{"sign", cli_sign, "--type MD5|RSA (--md5-key-file F | --private-key "
	    "PEM) < body"},
	{"verify", cli_verify, "--type MD5|RSA (--md5-key-file F | "
	    "--public-key PEM) < body"},
	{"useepay", cli_useepay, "pay|query|refund -c FILE ...  one UseePay "
	    "call, JSON out"},
	{"doctor", cli_doctor, "-c FILE [--mp-verify-dir DIR]   go-live "
	    "checks, PASS/WARN/FAIL"},
	{"events", cli_events, "list|resend|test -c FILE ...  merchant events "
	    "(docs/integration.md)"},
};

static int
usage(void)
{
	size_t i;

	fprintf(stderr, "usage: h5pay COMMAND [options]\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(stderr, "  h5pay %s %s\n", commands[i].name,
		    commands[i].usage);
	return 2;
}

int
main(int argc, char **argv)
{
	size_t i;

	if (argc < 2)
		return usage();
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	return usage();
}
