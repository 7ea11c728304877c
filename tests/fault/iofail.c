/*
 * iofail.c - an LD_PRELOAD shim for the fault tests: makes fsync,
 * fdatasync and the write calls fail with EIO (or ENOSPC) on the database
 * files while a control file exists. Test builds only; never installed.
 *
 *   H5PAY_IOFAIL_CTL=/path/ctl   "<ctl>.fsync" exists: fsync/fdatasync
 *                                fail; "<ctl>.write" exists: write,
 *                                pwrite, pwrite64, writev fail
 *   H5PAY_IOFAIL_MATCH=h5pay.db  only fds whose path contains this
 *
 * What it does not do: touch any other fd (sockets, logs), or anything at
 * all while no control file exists (one access() per call).
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

int fsync(int);
int fdatasync(int);
ssize_t write(int, const void *, size_t);
ssize_t pwrite(int, const void *, size_t, off_t);
ssize_t pwrite64(int, const void *, size_t, off64_t);
ssize_t writev(int, const struct iovec *, int);

/* Should a call of this kind ("fsync" or "write") on fd fail now? */
static int
iofail_now(int fd, const char *kind)
{
	const char *ctl = getenv("H5PAY_IOFAIL_CTL");
	const char *match = getenv("H5PAY_IOFAIL_MATCH");
	char path[512], link[64], target[512];
	ssize_t n;
	int saved = errno;

	if (ctl == NULL || match == NULL)
		return 0;
	if (snprintf(path, sizeof(path), "%s.%s", ctl, kind) >=
	    (int)sizeof(path) || access(path, F_OK) != 0) {
		errno = saved;
		return 0;
	}
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	errno = saved;
	if (n <= 0)
		return 0;
	target[n] = '\0';
	return strstr(target, match) != NULL;
}

typedef int (*sync_fn)(int);
typedef ssize_t (*write_fn)(int, const void *, size_t);
typedef ssize_t (*pwrite_fn)(int, const void *, size_t, off_t);
typedef ssize_t (*pwrite64_fn)(int, const void *, size_t, off64_t);
typedef ssize_t (*writev_fn)(int, const struct iovec *, int);

/* The next definition of name (libc's); aborts if there is none. */
static void *
iofail_real(const char *name)
{
	void *f = dlsym(RTLD_NEXT, name);

	if (f == NULL)
		abort();
	return f;
}

#define IOFAIL(kind, fd) do { \
	if (iofail_now((fd), (kind))) { \
		errno = EIO; \
		return -1; \
	} \
} while (0)

int
fsync(int fd)
{
	static sync_fn real;

	if (real == NULL)
		real = (sync_fn)iofail_real("fsync");
	IOFAIL("fsync", fd);
	return real(fd);
}

int
fdatasync(int fd)
{
	static sync_fn real;

	if (real == NULL)
		real = (sync_fn)iofail_real("fdatasync");
	IOFAIL("fsync", fd);
	return real(fd);
}

ssize_t
write(int fd, const void *b, size_t n)
{
	static write_fn real;

	if (real == NULL)
		real = (write_fn)iofail_real("write");
	IOFAIL("write", fd);
	return real(fd, b, n);
}

ssize_t
pwrite(int fd, const void *b, size_t n, off_t off)
{
	static pwrite_fn real;

	if (real == NULL)
		real = (pwrite_fn)iofail_real("pwrite");
	IOFAIL("write", fd);
	return real(fd, b, n, off);
}

ssize_t
pwrite64(int fd, const void *b, size_t n, off64_t off)
{
	static pwrite64_fn real;

	if (real == NULL)
		real = (pwrite64_fn)iofail_real("pwrite64");
	IOFAIL("write", fd);
	return real(fd, b, n, off);
}

ssize_t
writev(int fd, const struct iovec *iov, int cnt)
{
	static writev_fn real;

	if (real == NULL)
		real = (writev_fn)iofail_real("writev");
	IOFAIL("write", fd);
	return real(fd, iov, cnt);
}
