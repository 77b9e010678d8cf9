/*
 * block1.h: reassembly of a Block1 (RFC 7959) request body that libcoap
 * 4.3.1 hands over block by block. With COAP_BLOCK_SINGLE_BODY it only
 * reassembles when the request carries Size1 (fixed upstream after 4.3.1,
 * NOTES §2.5), so a server that omits Size1 would otherwise have each
 * block treated as a whole (and failing) payload.
 *
 * One transfer at a time per device, bounded by LWM2M_MAX_PAYLOAD, blocks
 * strictly in order; anything else restarts or fails with 4.08.
 */
#ifndef CLIENT_BLOCK1_H
#define CLIENT_BLOCK1_H

#include <stddef.h>
#include <stdint.h>

typedef struct block1_state block1_state;

typedef enum {
	BLOCK1_WHOLE = 0,   /* the body is complete: use *body / *bodylen */
	BLOCK1_MORE,        /* stored; answer 2.31 Continue */
	BLOCK1_INCOMPLETE,  /* out of order or missing start: answer 4.08 */
	BLOCK1_TOO_LARGE,   /* over LWM2M_MAX_PAYLOAD: answer 4.13 */
	BLOCK1_NOMEM,
} block1_rc;

void block1_free(block1_state *s);

/*
 * Feeds one block (num, more, szx) of the request with token/path `key`.
 * On BLOCK1_WHOLE, *body points to the whole body (valid until the next
 * call or block1_free) — or to `data` itself for a single-block request.
 * *sp is created on demand.
 */
block1_rc block1_feed(block1_state **sp, const char *key, unsigned num,
                      int more, unsigned szx, const uint8_t *data, size_t len,
                      const uint8_t **body, size_t *bodylen);

#endif
