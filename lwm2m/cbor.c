/*
 * cbor.c: the single-value CBOR content format (60, LwM2M 1.1 §7.4.7): one
 * value of one resource or resource instance, as a plain CBOR item typed by
 * the object model: integers (INTEGER, UNSIGNED, TIME), floats (a whole
 * integer is accepted for a FLOAT resource), booleans, text (STRING,
 * CORELNK, OBJLNK as "3:0") and byte strings (OPAQUE). For a resource the
 * model does not know, the item's own kind decides.
 */
#include <stdlib.h>
#include <string.h>

#include "lwm2m/internal.h"

static lwm2m_err copy_bytes(const lwm2m_cbor_item *it, lwm2m_value *v)
{
	v->data = malloc(it->len + 1);
	if (!v->data)
		return LWM2M_ERR_NOMEM;
	if (it->len)
		memcpy(v->data, it->d, it->len);
	v->data[it->len] = 0;
	v->len = it->len;
	return LWM2M_OK;
}

/* The item's own type, for resources without a model. */
static lwm2m_type kind_type(const lwm2m_cbor_item *it)
{
	switch (it->kind) {
	case I_UINT: return LWM2M_T_UNSIGNED;
	case I_NEGINT: return LWM2M_T_INTEGER;
	case I_FLOAT: return LWM2M_T_FLOAT;
	case I_TEXT: return LWM2M_T_STRING;
	case I_BYTES: return LWM2M_T_OPAQUE;
	case I_BOOL: return LWM2M_T_BOOLEAN;
	default: return LWM2M_T_NONE;
	}
}

static lwm2m_err item_value(const lwm2m_cbor_item *it, lwm2m_type t,
                            lwm2m_value *v)
{
	memset(v, 0, sizeof *v);
	v->type = t;
	switch (t) {
	case LWM2M_T_INTEGER:
	case LWM2M_T_TIME:
	case LWM2M_T_UNSIGNED:
	case LWM2M_T_FLOAT: {
		lwm2m_value n = { .type = LWM2M_T_UNSIGNED };
		if (it->kind == I_UINT) {
			n.v.u = it->u;
		} else if (it->kind == I_NEGINT && it->u <= INT64_MAX) {
			n.type = LWM2M_T_INTEGER;
			n.v.i = -1 - (int64_t)it->u;
		} else if (it->kind == I_FLOAT) {
			n.type = LWM2M_T_FLOAT;
			n.v.f = it->f;
		} else {
			return LWM2M_ERR_TYPE;
		}
		if (lwm2m_value_convert(&n, t))
			return LWM2M_ERR_TYPE;
		*v = n;
		return LWM2M_OK;
	}
	case LWM2M_T_BOOLEAN:
		if (it->kind != I_BOOL)
			return LWM2M_ERR_TYPE;
		v->v.b = (int)it->u;
		return LWM2M_OK;
	case LWM2M_T_STRING:
	case LWM2M_T_CORELNK:
		if (it->kind != I_TEXT)
			return LWM2M_ERR_TYPE;
		if (!lwm2m_utf8_valid(it->d, it->len))
			return LWM2M_ERR_MALFORMED;
		return copy_bytes(it, v);
	case LWM2M_T_OPAQUE:
		if (it->kind != I_BYTES)
			return LWM2M_ERR_TYPE;
		return copy_bytes(it, v);
	case LWM2M_T_OBJLNK:
		if (it->kind != I_TEXT ||
		    lwm2m_parse_objlnk((const char *)it->d, it->len,
		                       &v->v.lnk.obj, &v->v.lnk.inst))
			return LWM2M_ERR_TYPE;
		return LWM2M_OK;
	default:
		return LWM2M_ERR_TYPE;
	}
}

lwm2m_err lwm2m_cbor_decode(const lwm2m_path *base, const uint8_t *in,
                            size_t n, lwm2m_records *out)
{
	lwm2m_cbor_reader r;
	lwm2m_cbor_item it;
	lwm2m_value v;
	lwm2m_err rc;

	if (base->len < 3)
		return LWM2M_ERR_PATH;
	lwm2m_cbor_reader_init(&r, in, n);
	if ((rc = lwm2m_cbor_next(&r, &it)))
		return rc;
	if (r.pos != n || it.kind == I_ARRAY || it.kind == I_MAP)
		return LWM2M_ERR_MALFORMED; /* exactly one plain item */
	lwm2m_type t = lwm2m_model_type(base);
	if (t == LWM2M_T_NONE)
		t = kind_type(&it);
	rc = item_value(&it, t, &v);
	if (!rc)
		rc = lwm2m_records_take(out, base, &v);
	if (rc)
		lwm2m_value_free(&v);
	return rc;
}

lwm2m_err lwm2m_cbor_encode(const lwm2m_path *base, const lwm2m_records *in,
                            lwm2m_buf *out)
{
	if (in->n != 1)
		return LWM2M_ERR_UNSUPPORTED; /* one value, as TEXT */
	if (base->len < 3 || lwm2m_path_cmp(base, &in->rec[0].path))
		return LWM2M_ERR_PATH;
	return lwm2m_cbor_put_value(out, &in->rec[0].value);
}
