/*
 * block1.c: in-order Block1 reassembly for one transfer (see block1.h).
 */
#include "client/block1.h"

#include <stdlib.h>
#include <string.h>

#include "lwm2m/lwm2m.h"

struct block1_state {
	char key[96];
	unsigned next;      /* expected block number */
	uint8_t *buf;
	size_t len;
	int done;           /* buf holds a finished body */
};

void block1_free(block1_state *s)
{
	if (!s)
		return;
	free(s->buf);
	free(s);
}

static void reset(block1_state *s)
{
	free(s->buf);
	s->buf = NULL;
	s->len = 0;
	s->next = 0;
	s->done = 0;
	s->key[0] = 0;
}

block1_rc block1_feed(block1_state **sp, const char *key, unsigned num,
                      int more, unsigned szx, const uint8_t *data, size_t len,
                      const uint8_t **body, size_t *bodylen)
{
	if (num == 0 && !more) {
		*body = data;
		*bodylen = len;
		return BLOCK1_WHOLE;
	}
	if (!*sp && !(*sp = calloc(1, sizeof **sp)))
		return BLOCK1_NOMEM;
	block1_state *s = *sp;
	size_t bs = (size_t)16 << szx;
	if (s->done)
		reset(s);
	if (!s->done && num + 1 == s->next && !strcmp(s->key, key) && more)
		return BLOCK1_MORE; /* a retransmitted block: already stored */
	if (num == 0) {
		reset(s);
		strncpy(s->key, key, sizeof s->key - 1);
	} else if (num != s->next || strcmp(s->key, key)) {
		reset(s);
		return BLOCK1_INCOMPLETE;
	}
	/* Every block but the last is exactly the block size. */
	if ((more && len != bs) || len > bs) {
		reset(s);
		return BLOCK1_INCOMPLETE;
	}
	if (s->len + len > LWM2M_MAX_PAYLOAD) {
		reset(s);
		return BLOCK1_TOO_LARGE;
	}
	uint8_t *n = realloc(s->buf, s->len + len + 1);
	if (!n) {
		reset(s);
		return BLOCK1_NOMEM;
	}
	s->buf = n;
	memcpy(s->buf + s->len, data, len);
	s->len += len;
	s->next = num + 1;
	if (more)
		return BLOCK1_MORE;
	s->done = 1;
	*body = s->buf;
	*bodylen = s->len;
	return BLOCK1_WHOLE;
}
