/*
 * sessmap.c: a two-way chained hash table (server/sessmap.h). Each entry
 * sits on two chains, one hashed by endpoint name and one by session
 * pointer; the bucket arrays double when the load passes 1, so lookups
 * stay O(1) at a million devices.
 */
#include "server/sessmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct entry {
	struct entry *next_ep, *next_s;
	coap_session_t *s;
	char ep[];
};

struct sessmap {
	struct entry **by_ep, **by_s;
	size_t nb, n;
};

static size_t hash_ep(const char *s)
{
	uint64_t h = 1469598103934665603ull;  /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return (size_t)h;
}

static size_t hash_s(const coap_session_t *s)
{
	uint64_t h = (uint64_t)(uintptr_t)s;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return (size_t)h;
}

sessmap *sessmap_new(void)
{
	sessmap *m = calloc(1, sizeof *m);
	if (!m)
		return NULL;
	m->nb = 1024;
	m->by_ep = calloc(m->nb, sizeof *m->by_ep);
	m->by_s = calloc(m->nb, sizeof *m->by_s);
	if (!m->by_ep || !m->by_s) {
		sessmap_free(m);
		return NULL;
	}
	return m;
}

void sessmap_free(sessmap *m)
{
	if (!m)
		return;
	if (m->by_ep)
		for (size_t i = 0; i < m->nb; i++)
			for (struct entry *e = m->by_ep[i], *nx; e; e = nx) {
				nx = e->next_ep;
				free(e);
			}
	free(m->by_ep);
	free(m->by_s);
	free(m);
}

static void grow(sessmap *m)
{
	size_t nb = m->nb * 2;
	struct entry **be = calloc(nb, sizeof *be), **bs = calloc(nb, sizeof *bs);
	if (!be || !bs) {
		free(be);
		free(bs);
		return;   /* stay at the old size: slower, still correct */
	}
	for (size_t i = 0; i < m->nb; i++)
		for (struct entry *e = m->by_ep[i], *nx; e; e = nx) {
			size_t a = hash_ep(e->ep) % nb, b = hash_s(e->s) % nb;
			nx = e->next_ep;
			e->next_ep = be[a];
			be[a] = e;
			e->next_s = bs[b];
			bs[b] = e;
		}
	free(m->by_ep);
	free(m->by_s);
	m->by_ep = be;
	m->by_s = bs;
	m->nb = nb;
}

static void unlink_s(sessmap *m, struct entry *e)
{
	for (struct entry **pp = &m->by_s[hash_s(e->s) % m->nb]; *pp;
	     pp = &(*pp)->next_s)
		if (*pp == e) {
			*pp = e->next_s;
			return;
		}
}

static void unlink_ep(sessmap *m, struct entry *e)
{
	for (struct entry **pp = &m->by_ep[hash_ep(e->ep) % m->nb]; *pp;
	     pp = &(*pp)->next_ep)
		if (*pp == e) {
			*pp = e->next_ep;
			return;
		}
}

static struct entry *find_ep(const sessmap *m, const char *ep)
{
	for (struct entry *e = m->by_ep[hash_ep(ep) % m->nb]; e; e = e->next_ep)
		if (!strcmp(e->ep, ep))
			return e;
	return NULL;
}

int sessmap_put(sessmap *m, const char *ep, coap_session_t *s)
{
	struct entry *e = find_ep(m, ep);
	size_t b;
	if (e) {
		unlink_s(m, e);
	} else {
		size_t n = strlen(ep);
		e = malloc(sizeof *e + n + 1);
		if (!e)
			return -1;
		memcpy(e->ep, ep, n + 1);
		b = hash_ep(ep) % m->nb;
		e->next_ep = m->by_ep[b];
		m->by_ep[b] = e;
		m->n++;
	}
	e->s = s;
	b = hash_s(s) % m->nb;
	e->next_s = m->by_s[b];
	m->by_s[b] = e;
	if (m->n > m->nb)
		grow(m);
	return 0;
}

coap_session_t *sessmap_get(const sessmap *m, const char *ep)
{
	struct entry *e = find_ep(m, ep);
	return e ? e->s : NULL;
}

void sessmap_drop_ep(sessmap *m, const char *ep)
{
	struct entry *e = find_ep(m, ep);
	if (!e)
		return;
	unlink_ep(m, e);
	unlink_s(m, e);
	m->n--;
	free(e);
}

void sessmap_drop_session(sessmap *m, coap_session_t *s)
{
	struct entry **pp = &m->by_s[hash_s(s) % m->nb];
	while (*pp) {
		struct entry *e = *pp;
		if (e->s != s) {
			pp = &e->next_s;
			continue;
		}
		*pp = e->next_s;
		unlink_ep(m, e);
		m->n--;
		free(e);
	}
}
