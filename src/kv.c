/*
 * kv.c - struct kvlist. Insertion order is kept (it matters for headers
 * and for reproducing a received form exactly).
 */
#include <stdlib.h>
#include <string.h>

#include "kv.h"
#include "util.h"

/* Room for a typical request's FastCGI params (~1.5 KiB from nginx) in
 * one chunk; a bigger entry gets a chunk of its own size. */
#define KV_CHUNK 2048

struct kv_chunk {
	struct kv_chunk *prev;
	size_t used, size;
	char data[];
};

void
kvlist_init(struct kvlist *l)
{
	l->v = NULL;
	l->n = l->cap = 0;
	l->chunk = NULL;
}

void
kvlist_cleanup(struct kvlist *l)
{
	struct kv_chunk *c, *prev;

	for (c = l->chunk; c != NULL; c = prev) {
		prev = c->prev;
		free(c);
	}
	free(l->v);
	kvlist_init(l);
}

/* n bytes that live until kvlist_cleanup. */
static char *
kv_alloc(struct kvlist *l, size_t n)
{
	struct kv_chunk *c = l->chunk;
	size_t size;

	if (c == NULL || c->size - c->used < n) {
		size = n > KV_CHUNK ? n : KV_CHUNK;
		c = xmalloc(sizeof(*c) + size);
		c->prev = l->chunk;
		c->used = 0;
		c->size = size;
		l->chunk = c;
	}
	c->used += n;
	return c->data + c->used - n;
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
	e->key = kv_alloc(l, klen + 1 + vlen + 1);
	memcpy(e->key, k, klen);
	e->key[klen] = '\0';
	e->klen = klen;
	e->val = e->key + klen + 1;
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
