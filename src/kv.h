/*
 * kv.h - an ordered list of (key, value) byte strings.
 *
 * Used for FastCGI params, query and form fields, cookies and extra
 * response headers. Keys and values are copied in and NUL-terminated;
 * values may contain NUL bytes (vlen is authoritative). Lookups are linear:
 * every list here is small and capped by the size of its source.
 */
#ifndef H5PAY_KV_H
#define H5PAY_KV_H

#include <stddef.h>

struct kv {
	char *key;
	char *val;
	size_t klen, vlen;
};

struct kvlist {
	struct kv *v;
	size_t n, cap;
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
