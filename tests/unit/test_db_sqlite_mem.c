/*
 * test_db_sqlite_mem.c - SQLite's allocator (src/db/db_sqlite_mem.c),
 * called through its sqlite3_mem_methods as SQLite calls it: sizes and
 * alignment, realloc keeping the bytes, the per-thread cache handing a
 * freed block to the next allocation of its class, and threads freeing
 * each other's blocks and exiting with full caches (under the ASan build
 * LeakSanitizer fails this test if an exiting thread's cache is lost).
 */
#include "t.h"

#include <pthread.h>
#include <stdint.h>

#include <sqlite3.h>

#include "db/db_int.h"

static const sqlite3_mem_methods *m;

static void
test_sizes(void)
{
	static const int sizes[] = {1, 7, 8, 15, 16, 17, 100, 255, 256, 257,
	    1000, 1024, 1025, 4096, 4200, 8192, 16384, 16385, 100000};
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		int n = sizes[i];
		unsigned char *p = m->xMalloc(n);

		T_OK(p != NULL);
		if (p == NULL)
			continue;
		T_OK(((uintptr_t)p & 15) == 0);
		T_OK(m->xSize(p) >= n);
		T_EQ_INT(m->xRoundup(n), m->xSize(p));
		T_OK(m->xRoundup(n) % 8 == 0);
		memset(p, 0xa5, (size_t)m->xSize(p));	/* all of it is ours */
		m->xFree(p);
	}
	/* past the largest class: what was asked, rounded up to 8 */
	{
		void *p = m->xMalloc(100001);

		T_EQ_INT(m->xSize(p), 100008);
		T_EQ_INT(m->xRoundup(100001), 100008);
		m->xFree(p);
	}
	T_OK(m->xMalloc(0) == NULL);
	T_EQ_INT(m->xSize(NULL), 0);
	m->xFree(NULL);
}

static void
test_realloc(void)
{
	char *p = m->xMalloc(100), *q;
	int i;

	for (i = 0; i < 100; i++)
		p[i] = (char)i;
	/* growing moves it and keeps the bytes */
	q = m->xRealloc(p, 5000);
	T_OK(q != NULL);
	for (i = 0; i < 100; i++)
		if (q[i] != (char)i)
			break;
	T_EQ_INT(i, 100);
	T_OK(m->xSize(q) >= 5000);
	/* a little smaller: the same block */
	p = m->xRealloc(q, 4900);
	T_OK(p == q);
	/* much smaller: a block of its own size, the prefix kept */
	q = m->xRealloc(p, 50);
	T_OK(q != NULL);
	T_OK(m->xSize(q) < 100);
	for (i = 0; i < 50; i++)
		if (q[i] != (char)i)
			break;
	T_EQ_INT(i, 50);
	m->xFree(q);
}

static void
test_cache_reuses(void)
{
	void *p, *q;

	db_sqlite_mem_thread_cache();
	db_sqlite_mem_thread_cache();	/* again: nothing changes */
	p = m->xMalloc(200);
	m->xFree(p);
	/* the next block of the class is the one just freed; another class
	 * is not */
	q = m->xMalloc(210);
	T_OK(q == p);
	p = m->xMalloc(3000);
	T_OK(p != q);
	m->xFree(p);
	m->xFree(q);
}

#define NBLK 2000

struct mix {
	void **blk;		/* blocks this thread frees (another's) */
	unsigned seed;
	int bad;
};

static unsigned
rnd(unsigned *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 8;
}

/* Allocate, fill, check, reallocate, free, at random sizes; then free
 * the blocks another thread allocated; exit with a full cache. */
static void *
mixer(void *arg)
{
	struct mix *x = arg;
	unsigned char *live[64] = {0};
	int sz[64] = {0};
	int i, k, j;

	db_sqlite_mem_thread_cache();
	for (i = 0; i < 20000; i++) {
		k = (int)(rnd(&x->seed) % 64);
		if (live[k] != NULL) {
			for (j = 0; j < sz[k]; j++)
				if (live[k][j] != (unsigned char)k)
					x->bad++;
			if (rnd(&x->seed) % 3 == 0) {
				int n = 1 + (int)(rnd(&x->seed) % 9000);
				unsigned char *p = m->xRealloc(live[k], n);

				if (p == NULL) {
					x->bad++;
					continue;
				}
				live[k] = p;
				if (n > sz[k])
					memset(p + sz[k], k, (size_t)(n - sz[k]));
				sz[k] = n;
				continue;
			}
			m->xFree(live[k]);
			live[k] = NULL;
			continue;
		}
		sz[k] = 1 + (int)(rnd(&x->seed) % 9000);
		if ((live[k] = m->xMalloc(sz[k])) == NULL) {
			x->bad++;
			continue;
		}
		memset(live[k], k, (size_t)sz[k]);
	}
	for (k = 0; k < 64; k++)
		m->xFree(live[k]);
	for (i = 0; i < NBLK; i++)
		m->xFree(x->blk[i]);
	return NULL;
}

static void
test_threads(void)
{
	static void *a[NBLK], *b[NBLK];
	struct mix x[2] = {{b, 1, 0}, {a, 2, 0}};
	pthread_t t[2];
	int i;

	/* each thread frees what was allocated for the other */
	for (i = 0; i < NBLK; i++) {
		a[i] = m->xMalloc(1 + i % 5000);
		b[i] = m->xMalloc(1 + (i * 7) % 5000);
	}
	for (i = 0; i < 2; i++)
		T_EQ_INT(pthread_create(&t[i], NULL, mixer, &x[i]), 0);
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	T_EQ_INT(x[0].bad + x[1].bad, 0);
}

int
main(void)
{
	m = db_sqlite_mem_methods();
	T_EQ_INT(m->xInit(m->pAppData), SQLITE_OK);
	T_RUN(test_sizes);
	T_RUN(test_realloc);
	T_RUN(test_cache_reuses);
	T_RUN(test_threads);
	m->xShutdown(m->pAppData);
	return t_done();
}
