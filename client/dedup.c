/*
 * dedup.c: a fixed ring of recent answers per device (see dedup.h). Sixteen
 * slots cover any server that keeps NSTART = 1 with room to spare.
 */
#include "client/dedup.h"

#include <stdlib.h>
#include <string.h>

struct dedup {
	dedup_entry e[DEDUP_SLOTS];
};

dedup *dedup_new(void)
{
	dedup *d = calloc(1, sizeof *d);
	if (d)
		for (int i = 0; i < DEDUP_SLOTS; i++)
			d->e[i].mid = -1;
	return d;
}

void dedup_free(dedup *d)
{
	if (!d)
		return;
	for (int i = 0; i < DEDUP_SLOTS; i++)
		free(d->e[i].payload);
	free(d);
}

const dedup_entry *dedup_find(dedup *d, int mid, const uint8_t *tok,
                              size_t toklen, uint64_t now)
{
	for (int i = 0; i < DEDUP_SLOTS; i++) {
		dedup_entry *e = &d->e[i];
		if (e->mid != mid || e->toklen != toklen ||
		    (toklen && memcmp(e->tok, tok, toklen)))
			continue;
		if (e->expires <= now) {
			free(e->payload);
			e->payload = NULL;
			e->mid = -1;
			return NULL;
		}
		return e;
	}
	return NULL;
}

const dedup_entry *dedup_find_token(dedup *d, const uint8_t *tok,
                                    size_t toklen, uint64_t now)
{
	for (int i = 0; i < DEDUP_SLOTS; i++) {
		dedup_entry *e = &d->e[i];
		if (e->mid >= 0 && e->expires > now && e->toklen == toklen &&
		    (!toklen || !memcmp(e->tok, tok, toklen)))
			return e;
	}
	return NULL;
}

void dedup_store(dedup *d, int mid, const uint8_t *tok, size_t toklen,
                 uint8_t code, int cf, const char *location,
                 const uint8_t *payload, size_t len, uint64_t now)
{
	if (toklen > sizeof d->e[0].tok)
		return;
	dedup_entry *slot = &d->e[0];
	for (int i = 0; i < DEDUP_SLOTS; i++) {
		dedup_entry *e = &d->e[i];
		if (e->mid < 0 || e->expires <= now) {
			slot = e;
			break;
		}
		if (e->expires < slot->expires)
			slot = e;
	}
	free(slot->payload);
	memset(slot, 0, sizeof *slot);
	slot->mid = -1;
	if (len) {
		slot->payload = malloc(len);
		if (!slot->payload)
			return;
		memcpy(slot->payload, payload, len);
		slot->len = len;
	}
	slot->mid = mid;
	memcpy(slot->tok, tok, toklen);
	slot->toklen = (uint8_t)toklen;
	slot->expires = now + DEDUP_LIFETIME_MS;
	slot->code = code;
	slot->cf = cf;
	if (location)
		strncpy(slot->location, location, sizeof slot->location - 1);
}
