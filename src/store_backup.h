/*
 * store_backup.h - online backups of the database, checking a database
 * file, and the "in use" lock a running h5payd holds (so a restore can
 * refuse to replace the file under it).
 */
#ifndef H5PAY_STORE_BACKUP_H
#define H5PAY_STORE_BACKUP_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"

struct store;

struct store_file_info {
	int64_t bytes;		/* size of the file */
	int schema_version;	/* highest applied migration */
};

/*
 * Copy the database behind src into dest with SQLite's online backup API,
 * as one read snapshot: every transaction committed before the call is in
 * the copy, writers are never blocked (WAL). The copy is written to
 * "<dest>.tmp-<pid>" (mode 0600), switched to journal_mode=DELETE (a
 * single self-contained file), checked (integrity_check and
 * foreign_key_check), fsynced, then moved to dest. An existing dest is an
 * E_CONFLICT error unless overwrite. *info (may be NULL) describes the copy.
 */
int store_backup(struct store *src, const char *dest, bool overwrite,
    struct store_file_info *info, struct err *);

/*
 * Open path read-only (never creating it) and run integrity_check and
 * foreign_key_check; read its schema version into *info (may be NULL).
 * -1 with E_STORE when it is not a database, corrupt, or fails a check.
 */
int store_file_check(const char *path, struct store_file_info *info,
    struct err *);

/*
 * The "in use" lock: flock on "<db_path>.inuse". h5payd takes it shared
 * (any number of daemons), a restore exclusive; neither waits. 0 with *fd
 * (keep it open to hold the lock), or -1 with E_CONFLICT when the other
 * kind is held, E_STORE when the file cannot be opened.
 */
int store_inuse_lock(const char *db_path, bool exclusive, int *fd,
    struct err *);

#endif
