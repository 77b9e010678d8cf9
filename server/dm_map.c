/*
 * dm_map.c: chained hash map (FNV-1a) for the DM engine. It doubles its
 * bucket array at load 1, so lookups stay O(1) with a million devices.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/dm_map.h"

struct dm_map_ent {
	dm_map_ent *next;
	uint64_t h;
	void *val;
	size_t klen;
	unsigned char key[];
};

static uint64_t hash_bytes(const void *key, size_t klen)
{
	const unsigned char *p = key;
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < klen; i++) {
		h ^= p[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static dm_map_ent **find_slot(const dm_map *m, const void *key, size_t klen,
                              uint64_t h)
{
	if (!m->nb)
		return NULL;
	dm_map_ent **pp = &m->b[h & (m->nb - 1)];
	for (; *pp; pp = &(*pp)->next)
		if ((*pp)->h == h && (*pp)->klen == klen &&
		    !memcmp((*pp)->key, key, klen))
			return pp;
	return pp;
}

static int grow(dm_map *m)
{
	size_t nb = m->nb ? m->nb * 2 : 16;
	dm_map_ent **b = calloc(nb, sizeof *b);
	if (!b)
		return -1;
	for (size_t i = 0; i < m->nb; i++) {
		dm_map_ent *e = m->b[i], *next;
		for (; e; e = next) {
			next = e->next;
			dm_map_ent **slot = &b[e->h & (nb - 1)];
			e->next = *slot;
			*slot = e;
		}
	}
	free(m->b);
	m->b = b;
	m->nb = nb;
	return 0;
}

int dm_map_put(dm_map *m, const void *key, size_t klen, void *val)
{
	uint64_t h = hash_bytes(key, klen);
	dm_map_ent **pp = find_slot(m, key, klen, h);
	if (pp && *pp) {
		(*pp)->val = val;
		return 0;
	}
	if (m->n >= m->nb && grow(m) < 0)
		return -1;
	dm_map_ent *e = malloc(sizeof *e + klen);
	if (!e)
		return -1;
	e->h = h;
	e->val = val;
	e->klen = klen;
	memcpy(e->key, key, klen);
	dm_map_ent **slot = &m->b[h & (m->nb - 1)];
	e->next = *slot;
	*slot = e;
	m->n++;
	return 0;
}

void *dm_map_get(const dm_map *m, const void *key, size_t klen)
{
	dm_map_ent **pp = find_slot(m, key, klen, hash_bytes(key, klen));
	return pp && *pp ? (*pp)->val : NULL;
}

void *dm_map_del(dm_map *m, const void *key, size_t klen)
{
	dm_map_ent **pp = find_slot(m, key, klen, hash_bytes(key, klen));
	if (!pp || !*pp)
		return NULL;
	dm_map_ent *e = *pp;
	void *val = e->val;
	*pp = e->next;
	free(e);
	m->n--;
	return val;
}

void dm_map_each(const dm_map *m,
                 void (*fn)(void *arg, const void *key, size_t klen, void *val),
                 void *arg)
{
	for (size_t i = 0; i < m->nb; i++)
		for (dm_map_ent *e = m->b[i]; e; e = e->next)
			fn(arg, e->key, e->klen, e->val);
}

void dm_map_clear(dm_map *m)
{
	for (size_t i = 0; i < m->nb; i++) {
		dm_map_ent *e = m->b[i], *next;
		for (; e; e = next) {
			next = e->next;
			free(e);
		}
	}
	free(m->b);
	m->b = NULL;
	m->nb = m->n = 0;
}
