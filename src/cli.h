/*
 * cli.h - the operator CLI's subcommands (h5pay COMMAND ...).
 * Each returns the process exit status. cli_main.c holds the table.
 */
#ifndef H5PAY_CLI_H
#define H5PAY_CLI_H

#include "cfg.h"

/* Parse "-c FILE" from argv (the only common option) and load it.
 * Prints the error and returns -1 when it fails. */
int cli_load_cfg(int argc, char **argv, struct cfg *, int *argi);

int cli_check_config(int argc, char **argv);
int cli_migrate(int argc, char **argv);
int cli_config_keys(int argc, char **argv);
/* cli_admin.c */
int cli_admin(int argc, char **argv);
int cli_routes(int argc, char **argv);
int cli_dev_fill(int argc, char **argv);
int cli_reconcile(int argc, char **argv);	/* cli_reconcile.c */
int cli_sign(int argc, char **argv);
int cli_verify(int argc, char **argv);
int cli_useepay(int argc, char **argv);	/* cli_useepay.c */
int cli_product(int argc, char **argv);	/* cli_product.c */
int cli_apikey(int argc, char **argv);	/* cli_apikey.c */
/* cli_backup.c */
int cli_backup(int argc, char **argv);
int cli_restore(int argc, char **argv);
int cli_doctor(int argc, char **argv);	/* cli_doctor.c */
int cli_events(int argc, char **argv);	/* cli_events.c */
int cli_migrate_to_pg(int argc, char **argv);	/* cli_migrate_pg.c */

#endif
