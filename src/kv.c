/*
 * kv.c - struct kvlist. Insertion order is kept (it matters for headers
 * and for reproducing a received form exactly).
 */
#include <stdlib.h>
#include <string.h>

#include "kv.h"
#include "util.h"

void
kvlist_init(struct kvlist *l)
{
	l->v = NULL;
	l->n = l->cap = 0;
}

void
kvlist_cleanup(struct kvlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].key);
		free(l->v[i].val);
	}
	free(l->v);
	kvlist_init(l);
}

void
kvlist_add(struct kvlist *l, const char *k, size_t klen, const char *v,
    size_t vlen)
{
	struct kv *e;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	e = &l->v[l->n++];
	e->key = xmalloc(klen + 1);
	memcpy(e->key, k, klen);
	e->key[klen] = '\0';
	e->klen = klen;
	e->val = xmalloc(vlen + 1);
	if (vlen)
		memcpy(e->val, v, vlen);
	e->val[vlen] = '\0';
	e->vlen = vlen;
}

void
kvlist_adds(struct kvlist *l, const char *k, const char *v)
{
	kvlist_add(l, k, strlen(k), v, strlen(v));
}

const struct kv *
kvlist_find(const struct kvlist *l, const char *k)
{
	size_t i, klen = strlen(k);

	for (i = 0; i < l->n; i++)
		if (l->v[i].klen == klen && memcmp(l->v[i].key, k, klen) == 0)
			return &l->v[i];
	return NULL;
}

const char *
kvlist_get(const struct kvlist *l, const char *k)
{
	const struct kv *e = kvlist_find(l, k);

	return e ? e->val : NULL;
}

size_t
kvlist_count(const struct kvlist *l, const char *k)
{
	size_t i, n = 0, klen = strlen(k);

	for (i = 0; i < l->n; i++)
		if (l->v[i].klen == klen && memcmp(l->v[i].key, k, klen) == 0)
			n++;
	return n;
}
