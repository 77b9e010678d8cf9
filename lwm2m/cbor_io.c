/*
 * cbor_io.c: the CBOR item reader and writer shared by SenML CBOR (112) and
 * the single-value CBOR format (60).
 *
 * The reader decodes one item header at a time with cbor_stream_decode and
 * never allocates from a declared count: an array or map must fit in the
 * bytes that remain. Indefinite items, tags, null and undefined are
 * refused, as neither format carries them. The writer picks the smallest
 * integer width and a 4-byte float when it is exact.
 */
#include <cbor.h>
#include <stdio.h>
#include <string.h>

#include "lwm2m/internal.h"

static void cb_u8(void *c, uint8_t v) { lwm2m_cbor_item *i = c; i->kind = I_UINT; i->u = v; }
static void cb_u16(void *c, uint16_t v) { lwm2m_cbor_item *i = c; i->kind = I_UINT; i->u = v; }
static void cb_u32(void *c, uint32_t v) { lwm2m_cbor_item *i = c; i->kind = I_UINT; i->u = v; }
static void cb_u64(void *c, uint64_t v) { lwm2m_cbor_item *i = c; i->kind = I_UINT; i->u = v; }
static void cb_n8(void *c, uint8_t v) { lwm2m_cbor_item *i = c; i->kind = I_NEGINT; i->u = v; }
static void cb_n16(void *c, uint16_t v) { lwm2m_cbor_item *i = c; i->kind = I_NEGINT; i->u = v; }
static void cb_n32(void *c, uint32_t v) { lwm2m_cbor_item *i = c; i->kind = I_NEGINT; i->u = v; }
static void cb_n64(void *c, uint64_t v) { lwm2m_cbor_item *i = c; i->kind = I_NEGINT; i->u = v; }
static void cb_text(void *c, cbor_data d, size_t n)
{ lwm2m_cbor_item *i = c; i->kind = I_TEXT; i->d = d; i->len = n; }
static void cb_bytes(void *c, cbor_data d, size_t n)
{ lwm2m_cbor_item *i = c; i->kind = I_BYTES; i->d = d; i->len = n; }
static void cb_array(void *c, size_t n) { lwm2m_cbor_item *i = c; i->kind = I_ARRAY; i->u = n; }
static void cb_map(void *c, size_t n) { lwm2m_cbor_item *i = c; i->kind = I_MAP; i->u = n; }
static void cb_f4(void *c, float f) { lwm2m_cbor_item *i = c; i->kind = I_FLOAT; i->f = f; }
static void cb_f8(void *c, double f) { lwm2m_cbor_item *i = c; i->kind = I_FLOAT; i->f = f; }
static void cb_bool(void *c, bool b) { lwm2m_cbor_item *i = c; i->kind = I_BOOL; i->u = b; }
static void cb_bad(void *c) { ((lwm2m_cbor_item *)c)->kind = I_BAD; }
static void cb_bad64(void *c, uint64_t v) { (void)v; ((lwm2m_cbor_item *)c)->kind = I_BAD; }

static struct cbor_callbacks callbacks(void)
{
	struct cbor_callbacks cb = cbor_empty_callbacks;

	cb.uint8 = cb_u8;
	cb.uint16 = cb_u16;
	cb.uint32 = cb_u32;
	cb.uint64 = cb_u64;
	cb.negint8 = cb_n8;
	cb.negint16 = cb_n16;
	cb.negint32 = cb_n32;
	cb.negint64 = cb_n64;
	cb.string = cb_text;
	cb.byte_string = cb_bytes;
	cb.array_start = cb_array;
	cb.map_start = cb_map;
	cb.float2 = cb_f4;
	cb.float4 = cb_f4;
	cb.float8 = cb_f8;
	cb.boolean = cb_bool;
	/* everything else this format never carries */
	cb.string_start = cb_bad;
	cb.byte_string_start = cb_bad;
	cb.indef_array_start = cb_bad;
	cb.indef_map_start = cb_bad;
	cb.indef_break = cb_bad;
	cb.undefined = cb_bad;
	cb.null = cb_bad;
	cb.tag = cb_bad64;
	return cb;
}

void lwm2m_cbor_reader_init(lwm2m_cbor_reader *r, const uint8_t *p, size_t n)
{
	r->p = p;
	r->n = n;
	r->pos = 0;
}

lwm2m_err lwm2m_cbor_next(lwm2m_cbor_reader *r, lwm2m_cbor_item *it)
{
	if (r->pos >= r->n)
		return LWM2M_ERR_MALFORMED;
	struct cbor_callbacks cb = callbacks();
	memset(it, 0, sizeof *it);
	struct cbor_decoder_result res =
		cbor_stream_decode(r->p + r->pos, r->n - r->pos, &cb, it);
	if (res.status != CBOR_DECODER_FINISHED || res.read == 0 ||
	    it->kind == I_BAD)
		return LWM2M_ERR_MALFORMED;
	r->pos += res.read;
	/* a container must fit in what is left: every item is >= 1 byte */
	if (it->kind == I_ARRAY && it->u > r->n - r->pos)
		return LWM2M_ERR_MALFORMED;
	if (it->kind == I_MAP && it->u > (r->n - r->pos) / 2)
		return LWM2M_ERR_MALFORMED;
	return LWM2M_OK;
}

/* ---- writer --------------------------------------------------------- */

lwm2m_err lwm2m_cbor_put_item(lwm2m_buf *b, size_t w, const uint8_t *tmp)
{
	return w ? lwm2m_buf_put(b, tmp, w) : LWM2M_ERR_NOMEM;
}

lwm2m_err lwm2m_cbor_put_uint(lwm2m_buf *b, uint64_t u)
{
	uint8_t tmp[9];
	return lwm2m_cbor_put_item(b, cbor_encode_uint(u, tmp, sizeof tmp), tmp);
}

lwm2m_err lwm2m_cbor_put_int(lwm2m_buf *b, int64_t i)
{
	uint8_t tmp[9];
	if (i >= 0)
		return lwm2m_cbor_put_uint(b, (uint64_t)i);
	return lwm2m_cbor_put_item(b, cbor_encode_negint((uint64_t)(-(i + 1)), tmp,
	                                      sizeof tmp), tmp);
}

lwm2m_err lwm2m_cbor_put_text(lwm2m_buf *b, const void *s, size_t n, int bytes)
{
	uint8_t tmp[9];
	size_t w = bytes ? cbor_encode_bytestring_start(n, tmp, sizeof tmp)
	                 : cbor_encode_string_start(n, tmp, sizeof tmp);
	lwm2m_err rc = lwm2m_cbor_put_item(b, w, tmp);
	return rc ? rc : lwm2m_buf_put(b, s, n);
}

lwm2m_err lwm2m_cbor_put_value(lwm2m_buf *b, const lwm2m_value *v)
{
	uint8_t tmp[9];
	char lnk[16];
	float s;
	int w;

	switch (v->type) {
	case LWM2M_T_STRING:
	case LWM2M_T_CORELNK:
		if (!lwm2m_utf8_valid(v->data, v->len))
			return LWM2M_ERR_TYPE; /* CBOR text must be UTF-8 */
		return lwm2m_cbor_put_text(b, v->data, v->len, 0);
	case LWM2M_T_INTEGER:
	case LWM2M_T_TIME:
		return lwm2m_cbor_put_int(b, v->v.i);
	case LWM2M_T_UNSIGNED:
		return lwm2m_cbor_put_uint(b, v->v.u);
	case LWM2M_T_FLOAT:
		s = (float)v->v.f;
		return lwm2m_cbor_put_item(b, (double)s == v->v.f
		                           ? cbor_encode_single(s, tmp, sizeof tmp)
		                           : cbor_encode_double(v->v.f, tmp,
		                                                sizeof tmp), tmp);
	case LWM2M_T_BOOLEAN:
		return lwm2m_cbor_put_item(b, cbor_encode_bool(v->v.b != 0, tmp,
		                                               sizeof tmp), tmp);
	case LWM2M_T_OPAQUE:
		return lwm2m_cbor_put_text(b, v->data, v->len, 1);
	case LWM2M_T_OBJLNK:
		w = snprintf(lnk, sizeof lnk, "%u:%u", (unsigned)v->v.lnk.obj,
		             (unsigned)v->v.lnk.inst);
		return lwm2m_cbor_put_text(b, lnk, (size_t)w, 0);
	default:
		return LWM2M_ERR_TYPE;
	}
}
