/*
 * cli_migrate_pg.c - h5pay migrate-to-pg -c FILE SQLITE_DB: copy an
 * SQLite database into the empty PostgreSQL database of FILE's db_url
 * (docs/scale-out.md). The schema is made first (h5pay migrate); the copy
 * is one transaction checked by row counts (store_copy.c).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "store.h"
#include "store_copy.h"

int
cli_migrate_to_pg(int argc, char **argv)
{
	struct store_opts ro = { .synchronous = "FULL",
	    .busy_timeout_ms = 5000, .readonly = true };
	struct store *src = NULL, *dst = NULL;
	struct store_opts so;
	struct cfg c;
	struct err err;
	int64_t rows = 0;
	int i, applied = 0, version = 0, rc = 1;

	if (cli_load_cfg(argc, argv, &c, &i) == -1)
		return 1;
	if (i != argc - 1) {
		fprintf(stderr, "usage: h5pay migrate-to-pg -c FILE "
		    "SQLITE_DB\n");
		goto out;
	}
	if (c.db_url == NULL) {
		fprintf(stderr, "h5pay migrate-to-pg: the config's db_url "
		    "names the PostgreSQL database to fill (db_path is "
		    "set)\n");
		goto out;
	}
	so.synchronous = c.db_synchronous;
	so.busy_timeout_ms = (int)c.db_busy_timeout_ms;
	so.readonly = false;
	if (store_open(&src, argv[i], &ro, &err) == -1 ||
	    store_schema_version(src, &version, &err) == -1) {
		fprintf(stderr, "h5pay migrate-to-pg: %s: %s\n", argv[i],
		    err.msg);
		goto out;
	}
	if (version != store_migrations[store_migration_count - 1].version) {
		fprintf(stderr, "h5pay migrate-to-pg: %s is at schema version "
		    "%d, this binary's is %d: h5pay migrate it first\n",
		    argv[i], version,
		    store_migrations[store_migration_count - 1].version);
		goto out;
	}
	if (store_open_cfg(&dst, &c, &so, &err) == -1 ||
	    store_migrate(dst, &applied, &err) == -1 ||
	    store_copy_to_pg(src, dst, &rows, &err) == -1) {
		fprintf(stderr, "h5pay migrate-to-pg: %s\n", err.msg);
		goto out;
	}
	printf("copied %lld rows from %s; schema version %d\n",
	    (long long)rows, argv[i], version);
	rc = 0;
out:
	store_close(src);
	store_close(dst);
	cfg_cleanup(&c);
	return rc;
}
