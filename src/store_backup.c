/*
 * store_backup.c - online backup (sqlite3_backup), checking a database
 * file, and the "in use" lock of a running daemon.
 *
 * What it does not do: choose file names or retention (cli_backup.c and
 * deploy/h5pay-backup.service), restore (cli_backup.c copies a checked
 * file into place).
 * Invariants: a backup is one read snapshot of the source (a single
 * sqlite3_backup_step(-1) inside one read transaction: in WAL mode writers
 * go on meanwhile and the copy is still consistent); dest appears only
 * complete, checked and fsynced (written under a temporary name, then
 * linked or renamed into place); the copy is created 0600.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "buf.h"
#include "store.h"
#include "store_backup.h"
#include "util.h"

#define BACKUP_BUSY_MS 30000	/* give up on a busy source after this */

/* fsync the file or directory at path; 0 or -1 (errno kept). */
static int
fsync_path(const char *path, bool dir)
{
	int fd, rc;

	fd = open(path, (dir ? O_RDONLY | O_DIRECTORY : O_RDWR) | O_CLOEXEC);
	if (fd == -1)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* The directory part of path ("." when there is none) into out[n]. */
static void
dir_of(const char *path, char *out, size_t n)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL) {
		str_lcpy(out, ".", n);
		return;
	}
	if (slash == path) {
		str_lcpy(out, "/", n);
		return;
	}
	str_lcpy(out, path, (size_t)(slash - path) + 1 < n ?
	    (size_t)(slash - path) + 1 : n);
}

/* Run a pragma whose only row must be "ok" (integrity_check) or that must
 * return no row at all (foreign_key_check: want_ok false). */
static int
check_pragma(sqlite3 *db, const char *sql, bool want_ok, struct err *err)
{
	sqlite3_stmt *st = NULL;
	int rc, rows = 0, ret = -1;
	char first[200] = "";

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		err_set(err, E_STORE, "%s: %s", sql, sqlite3_errmsg(db));
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (rows++ == 0) {
			const unsigned char *t = sqlite3_column_text(st, 0);

			str_lcpy(first, t ? (const char *)t : "?",
			    sizeof(first));
		}
	}
	if (rc != SQLITE_DONE) {
		err_set(err, E_STORE, "%s: %s", sql, sqlite3_errmsg(db));
		goto out;
	}
	if (want_ok && (rows != 1 || strcmp(first, "ok") != 0)) {
		err_set(err, E_STORE, "%s: %s", sql, first);
		goto out;
	}
	if (!want_ok && rows != 0) {
		err_set(err, E_STORE, "%s: %d violation(s), first in table %s",
		    sql, rows, first);
		goto out;
	}
	ret = 0;
out:
	sqlite3_finalize(st);
	return ret;
}

/* The checks every copy and every restore source passes, and its schema
 * version (0 when it has no schema_version table). */
static int
check_db(sqlite3 *db, int *version, struct err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (check_pragma(db, "PRAGMA integrity_check", true, err) == -1 ||
	    check_pragma(db, "PRAGMA foreign_key_check", false, err) == -1)
		return -1;
	*version = 0;
	/* no schema_version table: version 0, the caller decides */
	if (sqlite3_prepare_v2(db, "SELECT COALESCE(MAX(version), 0) FROM "
	    "schema_version", -1, &st, NULL) != SQLITE_OK)
		return 0;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return err_set(err, E_STORE, "schema_version: %s",
		    sqlite3_errmsg(db));
	return 0;
}

int
store_backup(struct store *src, const char *dest, bool overwrite,
    struct store_file_info *info, struct err *err)
{
	sqlite3 *d = NULL;
	sqlite3_backup *bk = NULL;
	struct buf tmp;
	struct stat sb;
	char dir[4096];
	int64_t deadline;
	int fd, rc, version = 0, ret = -1;
	bool made = false;

	buf_init(&tmp, 8192);
	if (!overwrite && lstat(dest, &sb) == 0) {
		err_set(err, E_CONFLICT, "%s exists (pass --force to replace "
		    "it)", dest);
		goto out;
	}
	buf_printf(&tmp, "%s.tmp-%d", dest, (int)getpid());
	fd = open(buf_str(&tmp), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600);
	if (fd == -1) {
		err_set(err, E_STORE, "create %s: %s", buf_str(&tmp),
		    strerror(errno));
		goto out;
	}
	close(fd);
	made = true;
	if (sqlite3_open_v2(buf_str(&tmp), &d, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK) {
		err_set(err, E_STORE, "open %s: %s", buf_str(&tmp),
		    d ? sqlite3_errmsg(d) : "out of memory");
		goto out;
	}
	bk = sqlite3_backup_init(d, "main", store_sqlite(src), "main");
	if (bk == NULL) {
		err_set(err, E_STORE, "backup: %s", sqlite3_errmsg(d));
		goto out;
	}
	/* one step copying everything: one read snapshot of the source */
	deadline = mono_ms() + BACKUP_BUSY_MS;
	while ((rc = sqlite3_backup_step(bk, -1)) == SQLITE_BUSY ||
	    rc == SQLITE_LOCKED) {
		if (mono_ms() > deadline)
			break;
		sqlite3_sleep(20);
	}
	if (rc != SQLITE_DONE) {
		err_set(err, E_STORE, "backup step: %s", sqlite3_errstr(rc));
		goto out;
	}
	rc = sqlite3_backup_finish(bk);
	bk = NULL;
	if (rc != SQLITE_OK) {
		err_set(err, E_STORE, "backup finish: %s", sqlite3_errstr(rc));
		goto out;
	}
	/* a single file: no -wal/-shm to keep with it */
	if (sqlite3_exec(d, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL) !=
	    SQLITE_OK) {
		err_set(err, E_STORE, "journal_mode: %s", sqlite3_errmsg(d));
		goto out;
	}
	if (check_db(d, &version, err) == -1)
		goto out;
	sqlite3_close(d);
	d = NULL;
	if (fsync_path(buf_str(&tmp), false) == -1) {
		err_set(err, E_STORE, "fsync %s: %s", buf_str(&tmp),
		    strerror(errno));
		goto out;
	}
	if (lstat(buf_str(&tmp), &sb) == -1) {
		err_set(err, E_STORE, "stat %s: %s", buf_str(&tmp),
		    strerror(errno));
		goto out;
	}
	/* link() refuses an existing dest atomically; rename() replaces */
	if (overwrite ? rename(buf_str(&tmp), dest) :
	    link(buf_str(&tmp), dest)) {
		err_set(err, errno == EEXIST ? E_CONFLICT : E_STORE,
		    "%s: %s", dest, strerror(errno));
		goto out;
	}
	if (!overwrite)
		unlink(buf_str(&tmp));
	made = false;
	dir_of(dest, dir, sizeof(dir));
	if (fsync_path(dir, true) == -1) {
		err_set(err, E_STORE, "fsync %s: %s", dir, strerror(errno));
		goto out;
	}
	if (info) {
		info->bytes = (int64_t)sb.st_size;
		info->schema_version = version;
	}
	ret = 0;
out:
	if (bk)
		sqlite3_backup_finish(bk);
	if (d)
		sqlite3_close(d);
	if (made) {
		unlink(buf_str(&tmp));
		buf_adds(&tmp, "-journal");
		unlink(buf_str(&tmp));
	}
	buf_cleanup(&tmp);
	return ret;
}

int
store_file_check(const char *path, struct store_file_info *info,
    struct err *err)
{
	sqlite3 *db = NULL;
	struct stat sb;
	int version = 0, ret = -1;

	if (stat(path, &sb) == -1) {
		err_set(err, E_STORE, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK) {
		err_set(err, E_STORE, "open %s: %s", path,
		    db ? sqlite3_errmsg(db) : "out of memory");
		goto out;
	}
	if (check_db(db, &version, err) == -1)
		goto out;
	if (info) {
		info->bytes = (int64_t)sb.st_size;
		info->schema_version = version;
	}
	ret = 0;
out:
	if (db)
		sqlite3_close(db);
	return ret;
}

int
store_inuse_lock(const char *db_path, bool exclusive, int *fd,
    struct err *err)
{
	struct buf b;
	int f, ret = -1;

	*fd = -1;
	if (db_path == NULL)	/* PostgreSQL: no restore to fence off */
		return 0;
	buf_init(&b, 8192);
	buf_printf(&b, "%s.inuse", db_path);
	f = open(buf_str(&b), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (f == -1) {
		err_set(err, E_STORE, "open %s: %s", buf_str(&b),
		    strerror(errno));
		goto out;
	}
	while (flock(f, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) == -1) {
		if (errno == EINTR)
			continue;
		err_set(err, errno == EWOULDBLOCK ? E_CONFLICT : E_STORE,
		    "%s: %s", buf_str(&b), errno == EWOULDBLOCK ?
		    (exclusive ? "h5payd is running on this database" :
		    "a restore is in progress") : strerror(errno));
		close(f);
		goto out;
	}
	*fd = f;
	ret = 0;
out:
	buf_cleanup(&b);
	return ret;
}
