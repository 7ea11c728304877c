/*
 * kv.h - an ordered list of (key, value) byte strings.
 *
 * Used for FastCGI params, query and form fields, cookies and extra
 * response headers. Keys and values are copied in and NUL-terminated;
 * values may contain NUL bytes (vlen is authoritative). Lookups are linear:
 * every list here is small and capped by the size of its source. The
 * copies live in the list's own chunks, freed together by kvlist_cleanup:
 * a request's FastCGI params and form fields were ~100 malloc/free pairs
 * (the chunks took 6 % off /notify's instructions, notify_cost.py).
 */
#ifndef H5PAY_KV_H
#define H5PAY_KV_H

#include <stddef.h>

struct kv {
	char *key;
	char *val;
	size_t klen, vlen;
};

struct kv_chunk;

struct kvlist {
	struct kv *v;
	size_t n, cap;
	struct kv_chunk *chunk;		/* the newest; each links the one before */
};

void kvlist_init(struct kvlist *);
void kvlist_cleanup(struct kvlist *);

/* Append a copy of (k, v). Never fails (allocation failure aborts). */
void kvlist_add(struct kvlist *, const char *k, size_t klen, const char *v,
    size_t vlen);
void kvlist_adds(struct kvlist *, const char *k, const char *v);

/* First value for key k, or NULL. Borrowed: lives as long as the list. */
const char *kvlist_get(const struct kvlist *, const char *k);
const struct kv *kvlist_find(const struct kvlist *, const char *k);

/* Number of entries with key k (to refuse duplicated fields). */
size_t kvlist_count(const struct kvlist *, const char *k);

#endif
