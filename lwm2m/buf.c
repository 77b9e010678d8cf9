/*
 * buf.c: the bounded growable byte buffer every encoder writes into, so no
 * encoder can produce more than its documented bound.
 */
#include <stdlib.h>
#include <string.h>

#include "lwm2m/internal.h"

void lwm2m_buf_init(lwm2m_buf *b, size_t max)
{
	memset(b, 0, sizeof *b);
	b->max = max;
}

void lwm2m_buf_free(lwm2m_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->n = b->cap = 0;
}

lwm2m_err lwm2m_buf_put(lwm2m_buf *b, const void *d, size_t n)
{
	if (b->err)
		return b->err;
	if (n > b->max || b->n > b->max - n)
		return b->err = LWM2M_ERR_TOO_LARGE;
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		while (cap < b->n + n + 1)
			cap *= 2;
		uint8_t *p = realloc(b->p, cap);
		if (!p)
			return b->err = LWM2M_ERR_NOMEM;
		b->p = p;
		b->cap = cap;
	}
	if (n)
		memcpy(b->p + b->n, d, n);
	b->n += n;
	b->p[b->n] = 0;
	return LWM2M_OK;
}

lwm2m_err lwm2m_buf_byte(lwm2m_buf *b, uint8_t c)
{
	return lwm2m_buf_put(b, &c, 1);
}

lwm2m_err lwm2m_buf_str(lwm2m_buf *b, const char *s)
{
	return lwm2m_buf_put(b, s, strlen(s));
}

lwm2m_err lwm2m_buf_finish(lwm2m_buf *b, uint8_t **out, size_t *outlen)
{
	lwm2m_err rc = b->err;
	if (!rc && !b->p)
		rc = lwm2m_buf_put(b, "", 0); /* an empty, NUL-terminated result */
	if (rc) {
		lwm2m_buf_free(b);
		return rc;
	}
	*out = b->p;
	*outlen = b->n;
	b->p = NULL;
	b->n = b->cap = 0;
	return LWM2M_OK;
}
