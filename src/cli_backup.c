/*
 * cli_backup.c - h5pay backup and h5pay restore.
 *
 *   h5pay backup -c FILE [--force] DEST
 *       an online, consistent copy of db_path (store_backup: one read
 *       snapshot, checked, fsynced, mode 0600) while h5payd runs; refuses
 *       an existing DEST unless --force
 *   h5pay restore -c FILE SRC
 *       with h5payd stopped: check SRC, move the current database (and
 *       its -wal/-shm) aside to <db>.replaced-<UTC time>, copy SRC into
 *       place (0600, fsynced), apply the migrations. Refuses while any
 *       h5payd holds the database's "in use" lock.
 *
 * What it does not do: retention or scheduling (deploy/h5pay-backup.*),
 * delete anything (a replaced database is kept beside the new one).
 * Exit 0 done, 1 failure, 2 usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "store.h"
#include "store_backup.h"
#include "util.h"

static int
cli_backup_usage(const char *cmd)
{
	if (strcmp(cmd, "backup") == 0)
		fprintf(stderr, "usage: h5pay backup -c FILE [--force] DEST\n");
	else
		fprintf(stderr, "usage: h5pay restore -c FILE SRC   (h5payd "
		    "stopped)\n");
	return 2;
}

/* The options after -c FILE: [--force] PATH. */
static int
cli_backup_args(int argc, char **argv, int i, bool *force,
    const char **path)
{
	*force = false;
	*path = NULL;
	for (; i < argc; i++) {
		if (strcmp(argv[i], "--force") == 0 &&
		    strcmp(argv[0], "backup") == 0)
			*force = true;
		else if (argv[i][0] == '-' || *path != NULL)
			return -1;
		else
			*path = argv[i];
	}
	return *path ? 0 : -1;
}

int
cli_backup(int argc, char **argv)
{
	struct store_opts so;
	struct store_file_info info;
	struct store *s = NULL;
	struct cfg c;
	struct err err;
	const char *dest;
	int64_t t0;
	bool force;
	int i, rc = 1;

	if (cli_load_cfg(argc, argv, &c, &i) == -1)
		return 1;
	if (c.db_url) {
		fprintf(stderr, "h5pay backup: db_url is PostgreSQL: back it "
		    "up with pg_dump or a base backup (docs/scale-out.md)\n");
		cfg_cleanup(&c);
		return 1;
	}
	if (cli_backup_args(argc, argv, i, &force, &dest) == -1) {
		cfg_cleanup(&c);
		return cli_backup_usage(argv[0]);
	}
	so.synchronous = c.db_synchronous;
	so.busy_timeout_ms = (int)c.db_busy_timeout_ms;
	so.readonly = true;
	t0 = mono_ms();
	if (store_open(&s, c.db_path, &so, &err) == -1 ||
	    store_backup(s, dest, force, &info, &err) == -1) {
		fprintf(stderr, "h5pay backup: %s\n", err.msg);
		goto out;
	}
	printf("backup %s: %lld bytes, schema version %d, integrity ok, "
	    "%lld ms\n", dest, (long long)info.bytes, info.schema_version,
	    (long long)(mono_ms() - t0));
	rc = 0;
out:
	store_close(s);
	cfg_cleanup(&c);
	return rc;
}

/* Copy src to a new file dst (mode 0600), fsynced. */
static int
copy_file(const char *src, const char *dst, struct err *err)
{
	char chunk[65536];
	int in = -1, out = -1, ret = -1;
	ssize_t n;

	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in == -1) {
		err_set(err, E_STORE, "%s: %s", src, strerror(errno));
		goto done;
	}
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (out == -1) {
		err_set(err, E_STORE, "create %s: %s", dst, strerror(errno));
		goto done;
	}
	while ((n = read(in, chunk, sizeof(chunk))) != 0) {
		ssize_t off = 0;

		if (n == -1) {
			if (errno == EINTR)
				continue;
			err_set(err, E_STORE, "read %s: %s", src,
			    strerror(errno));
			goto done;
		}
		while (off < n) {
			ssize_t w = write(out, chunk + off, (size_t)(n - off));

			if (w == -1 && errno == EINTR)
				continue;
			if (w == -1) {
				err_set(err, E_STORE, "write %s: %s", dst,
				    strerror(errno));
				goto done;
			}
			off += w;
		}
	}
	if (fsync(out) == -1) {
		err_set(err, E_STORE, "fsync %s: %s", dst, strerror(errno));
		goto done;
	}
	ret = 0;
done:
	if (in != -1)
		close(in);
	if (out != -1 && close(out) == -1 && ret == 0)
		ret = err_set(err, E_STORE, "close %s: %s", dst,
		    strerror(errno));
	if (ret == -1 && out != -1)
		unlink(dst);
	return ret;
}

/* Move path+suffix to path+suffix+".replaced-STAMP" if it exists; 1 when
 * moved, 0 when absent, -1 on error. */
static int
move_aside(const char *path, const char *suffix, const char *stamp,
    struct err *err)
{
	struct buf from, to;
	int ret = 0;

	buf_init(&from, 8192);
	buf_init(&to, 8192);
	buf_printf(&from, "%s%s", path, suffix);
	buf_printf(&to, "%s.replaced-%s%s", path, stamp, suffix);
	if (rename(buf_str(&from), buf_str(&to)) == 0) {
		printf("moved %s to %s\n", buf_str(&from), buf_str(&to));
		ret = 1;
	} else if (errno != ENOENT) {
		ret = err_set(err, E_STORE, "rename %s: %s", buf_str(&from),
		    strerror(errno));
	}
	buf_cleanup(&from);
	buf_cleanup(&to);
	return ret;
}

static int
restore_into(const struct cfg *c, const char *src, struct err *err)
{
	static const char *const sfx[] = {"", "-wal", "-shm"};
	struct store_opts so;
	struct store *s = NULL;
	struct buf tmp;
	struct stat old;
	char stamp[32];
	struct tm tm;
	time_t now = time(NULL);
	size_t k;
	int applied = 0, version = 0, ret = -1;

	buf_init(&tmp, 8192);
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	buf_printf(&tmp, "%s.tmp-%d", c->db_path, (int)getpid());
	if (copy_file(src, buf_str(&tmp), err) == -1)
		goto out;
	/* run as root: the daemon's user must still own its database */
	if (stat(c->db_path, &old) == 0 && geteuid() == 0 &&
	    chown(buf_str(&tmp), old.st_uid, old.st_gid) == -1) {
		err_set(err, E_STORE, "chown %s: %s", buf_str(&tmp),
		    strerror(errno));
		goto out;
	}
	/* the database with its WAL and index: they belong together */
	for (k = 0; k < sizeof(sfx) / sizeof(sfx[0]); k++)
		if (move_aside(c->db_path, sfx[k], stamp, err) == -1)
			goto out;
	if (rename(buf_str(&tmp), c->db_path) == -1) {
		err_set(err, E_STORE, "rename to %s: %s", c->db_path,
		    strerror(errno));
		goto out;
	}
	so.synchronous = c->db_synchronous;
	so.busy_timeout_ms = (int)c->db_busy_timeout_ms;
	so.readonly = false;
	if (store_open(&s, c->db_path, &so, err) == -1 ||
	    store_migrate(s, &applied, err) == -1 ||
	    store_schema_version(s, &version, err) == -1)
		goto out;
	printf("restored %s from %s; applied %d migration(s); schema version "
	    "%d\n", c->db_path, src, applied, version);
	ret = 0;
out:
	store_close(s);
	unlink(buf_str(&tmp));	/* gone already when it was renamed */
	buf_cleanup(&tmp);
	return ret;
}

int
cli_restore(int argc, char **argv)
{
	struct store_file_info info;
	struct cfg c;
	struct err err;
	const char *src;
	bool force;
	int i, lockfd = -1, rc = 1;
	int newest = store_migrations[store_migration_count - 1].version;

	if (cli_load_cfg(argc, argv, &c, &i) == -1)
		return 1;
	if (c.db_url) {
		fprintf(stderr, "h5pay restore: db_url is PostgreSQL: restore "
		    "with pg_restore (docs/scale-out.md)\n");
		cfg_cleanup(&c);
		return 1;
	}
	if (cli_backup_args(argc, argv, i, &force, &src) == -1) {
		cfg_cleanup(&c);
		return cli_backup_usage(argv[0]);
	}
	if (store_file_check(src, &info, &err) == -1) {
		fprintf(stderr, "h5pay restore: %s: %s\n", src, err.msg);
		goto out;
	}
	if (info.schema_version < 1 || info.schema_version > newest) {
		fprintf(stderr, "h5pay restore: %s: schema version %d is not "
		    "an h5pay database this binary knows (1..%d)\n", src,
		    info.schema_version, newest);
		goto out;
	}
	if (store_inuse_lock(c.db_path, true, &lockfd, &err) == -1) {
		fprintf(stderr, "h5pay restore: %s (stop it first: systemctl "
		    "stop h5payd)\n", err.msg);
		goto out;
	}
	if (restore_into(&c, src, &err) == -1) {
		fprintf(stderr, "h5pay restore: %s\n", err.msg);
		goto out;
	}
	rc = 0;
out:
	if (lockfd != -1)
		close(lockfd);
	cfg_cleanup(&c);
	return rc;
}
