/*
 * dedup.h: the per-device cache of answers to recent CON requests.
 *
 * libcoap 4.3.1 does not de-duplicate retransmitted requests (NOTES §1.1):
 * a server whose ACK got lost sends the same CON again and the handler would
 * run twice, which for Execute 508/5 means loading a profile twice. The
 * device keeps (MID, token) -> the response it gave, for EXCHANGE_LIFETIME,
 * and replays it instead of running the operation again.
 */
#ifndef CLIENT_DEDUP_H
#define CLIENT_DEDUP_H

#include <stddef.h>
#include <stdint.h>

#define DEDUP_LIFETIME_MS (247 * 1000) /* RFC 7252 EXCHANGE_LIFETIME */
#define DEDUP_SLOTS 16

typedef struct {
	int mid;                 /* -1 = free slot */
	uint8_t tok[8];
	uint8_t toklen;
	uint64_t expires;        /* ms on the monotonic clock */
	uint8_t code;            /* CoAP response code */
	int cf;                  /* Content-Format, -1 if none */
	char location[32];       /* Location-Path of a 2.01, "" if none */
	uint8_t *payload;
	size_t len;
} dedup_entry;

typedef struct dedup dedup;

dedup *dedup_new(void);
void dedup_free(dedup *d);
/* The cached answer to (mid, token) if still fresh, else NULL. */
const dedup_entry *dedup_find(dedup *d, int mid, const uint8_t *tok,
                              size_t toklen, uint64_t now);
/* Any fresh entry with this token (whatever its MID): libcoap builds
 * notifications from the Observe request, with a new MID but its token. */
const dedup_entry *dedup_find_token(dedup *d, const uint8_t *tok,
                                    size_t toklen, uint64_t now);
/* Remembers an answer (payload copied); the oldest entry makes room. */
void dedup_store(dedup *d, int mid, const uint8_t *tok, size_t toklen,
                 uint8_t code, int cf, const char *location,
                 const uint8_t *payload, size_t len, uint64_t now);

#endif
