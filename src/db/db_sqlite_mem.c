/*
 * db_sqlite_mem.c - SQLite's allocator (SQLITE_CONFIG_MALLOC): size
 * classes over malloc(3), with a small per-thread cache of freed blocks
 * for the threads that ask for one (db_sqlite_mem_thread_cache).
 *
 * Why: Debian builds SQLite without lookaside (SQLITE_OMIT_LOOKASIDE), so
 * each statement a notification runs mallocs and frees its cursors,
 * records and keys: ~117 allocations per /notify first delivery, ~36,000
 * instructions of ~403,000 in glibc's malloc and free (callgrind,
 * tests/bench/notify_cost.py). They are freed when the statement resets
 * and asked for again by the next one, so a thread that keeps a few
 * blocks of each size serves most of them with a pop and a push.
 *
 * Only threads that opt in cache (the notify pool, whose leader runs every
 * batch of the process): a web process has 128 threads, and glibc's own
 * per-thread cache is kept small there for the RSS (deploy/h5payd.service).
 * A cache holds at most CACHE_BYTES per size class; what it cannot keep
 * goes back to free(3), and so does all of it when its thread exits.
 *
 * Under AddressSanitizer SQLite keeps the system allocator (db_sqlite.c),
 * so the sanitizer sees its every block; the tests call these methods
 * directly (tests/unit/test_db_sqlite_mem.c).
 */
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "db_int.h"

#define HDR		16	/* before each block: keeps 16-byte alignment */
#define BIG		0xffff	/* the class of a block past the largest */
#define CACHE_BYTES	8192	/* per class and thread */
#define CACHE_MIN	2	/* blocks a class may keep whatever their size */

/* Four classes per power of two from 64 up: a block wastes < 25 %. */
static const uint32_t class_size[] = {
	16, 32, 48, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384, 448,
	512, 640, 768, 896, 1024, 1280, 1536, 1792, 2048, 2560, 3072, 3584,
	4096, 4608, 5120, 6144, 7168, 8192, 10240, 12288, 14336, 16384,
};
#define NCLASS	(int)(sizeof(class_size) / sizeof(class_size[0]))
#define SMALL	1024	/* sizes up to this: by table */

struct hdr {
	uint64_t size;		/* BIG blocks: the size (rounded up to 8) */
	uint16_t cls;
	uint16_t pad[3];
};

struct cache {
	bool on;
	void *head[NCLASS];	/* freed blocks (the user pointer) */
	uint16_t n[NCLASS];
};

static uint8_t small_class[SMALL / 16 + 1];	/* (n + 15) / 16 -> class */
static uint16_t class_cap[NCLASS];
static __thread struct cache tc;
static pthread_key_t tc_key;
static pthread_once_t tc_once = PTHREAD_ONCE_INIT;

static int
class_of(int n)
{
	int c;

	if (n <= SMALL)
		return small_class[(n + 15) / 16];
	for (c = small_class[SMALL / 16]; c < NCLASS; c++)
		if ((uint32_t)n <= class_size[c])
			return c;
	return BIG;
}

/* The size of a BIG block of n bytes: n rounded up to 8 (-1 past INT_MAX;
 * SQLite asks for at most ~2^31 - 256). */
static int
big_size(int n)
{
	return n > INT_MAX - 7 ? -1 : (n + 7) & ~7;
}

static struct hdr *
hdr_of(void *p)
{
	return (struct hdr *)(void *)((char *)p - HDR);
}

/* The cache of an exiting thread back to free(3). */
static void
cache_flush(void *arg)
{
	struct cache *c = arg;
	void *p, *next;
	int i;

	c->on = false;
	for (i = 0; i < NCLASS; i++) {
		for (p = c->head[i]; p != NULL; p = next) {
			memcpy(&next, p, sizeof(next));
			free(hdr_of(p));
		}
		c->head[i] = NULL;
		c->n[i] = 0;
	}
}

static void
tc_key_init(void)
{
	(void)pthread_key_create(&tc_key, cache_flush);
}

void
db_sqlite_mem_thread_cache(void)
{
	(void)pthread_once(&tc_once, tc_key_init);
	if (tc.on)
		return;
	tc.on = true;
	(void)pthread_setspecific(tc_key, &tc);
}

static void *
mem_malloc(int n)
{
	struct hdr *h;
	int c;
	void *p;

	if (n <= 0)
		return NULL;
	c = class_of(n);
	if (c != BIG && tc.head[c] != NULL) {
		p = tc.head[c];
		memcpy(&tc.head[c], p, sizeof(void *));
		tc.n[c]--;
		return p;
	}
	if (c == BIG && (n = big_size(n)) == -1)
		return NULL;
	if ((h = malloc(HDR + (c == BIG ? (size_t)n : class_size[c]))) == NULL)
		return NULL;
	h->size = (uint64_t)n;
	h->cls = (uint16_t)c;
	return (char *)h + HDR;
}

static void
mem_free(void *p)
{
	struct hdr *h;

	if (p == NULL)
		return;
	h = hdr_of(p);
	if (h->cls != BIG && tc.on && tc.n[h->cls] < class_cap[h->cls]) {
		memcpy(p, &tc.head[h->cls], sizeof(void *));
		tc.head[h->cls] = p;
		tc.n[h->cls]++;
		return;
	}
	free(h);
}

static int
mem_size(void *p)
{
	struct hdr *h;

	if (p == NULL)
		return 0;
	h = hdr_of(p);
	return h->cls == BIG ? (int)h->size : (int)class_size[h->cls];
}

static void *
mem_realloc(void *p, int n)
{
	void *q;
	int have = mem_size(p);

	if (n <= have && (n > have / 2 || hdr_of(p)->cls == 0))
		return p;
	if ((q = mem_malloc(n)) == NULL)
		return NULL;
	memcpy(q, p, (size_t)(n < have ? n : have));
	mem_free(p);
	return q;
}

static int
mem_roundup(int n)
{
	int c = class_of(n);

	return c == BIG ? big_size(n) : (int)class_size[c];
}

static int
mem_init(void *arg)
{
	int c = 0, i;

	(void)arg;
	for (i = 0; i <= SMALL / 16; i++) {
		while (class_size[c] < (uint32_t)(i * 16))
			c++;
		small_class[i] = (uint8_t)c;
	}
	for (c = 0; c < NCLASS; c++) {
		i = CACHE_BYTES / (int)class_size[c];
		class_cap[c] = (uint16_t)(i < CACHE_MIN ? CACHE_MIN : i);
	}
	return SQLITE_OK;
}

static void
mem_shutdown(void *arg)
{
	(void)arg;
}

static const sqlite3_mem_methods methods = {
	.xMalloc = mem_malloc,
	.xFree = mem_free,
	.xRealloc = mem_realloc,
	.xSize = mem_size,
	.xRoundup = mem_roundup,
	.xInit = mem_init,
	.xShutdown = mem_shutdown,
};

const sqlite3_mem_methods *
db_sqlite_mem_methods(void)
{
	return &methods;
}
