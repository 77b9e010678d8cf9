/*
 * senml_cbor.c: SenML CBOR (112; RFC 8428 §6, LwM2M 1.1 §7.4.6).
 *
 * Labels: bn -2, bt -3, n 0, v 2, vs 3, vb 4, t 6, vd 8 (a byte string),
 * and the text key "vlo" for objlnk. Decoding walks the input one item at a
 * time (cbor_io.c, on cbor_stream_decode), so nothing is allocated from a declared
 * count: an array or map must fit in the bytes that remain (cbor_load would
 * allocate 2 GiB for a 10-byte input declaring 2^28 items). Indefinite
 * items, tags, nesting inside a record and trailing bytes are rejected.
 * Encoding picks the smallest integer width and 4-byte floats when exact.
 */
#include <cbor.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/internal.h"

/* ---- decode ---------------------------------------------------------- */

enum { F_BN, F_N, F_V, F_VS, F_VB, F_VD, F_VLO, F_BT, F_T, F_COUNT };

/* Maps a key item to a field; -1 ignored, -2 refused. */
static int field_of(const lwm2m_cbor_item *k)
{
	if (k->kind == I_TEXT)
		return k->len == 3 && !memcmp(k->d, "vlo", 3) ? F_VLO
		       : k->len && k->d[k->len - 1] == '_' ? -2 : -1;
	if (k->kind == I_UINT) {
		switch (k->u) {
		case 0: return F_N;
		case 2: return F_V;
		case 3: return F_VS;
		case 4: return F_VB;
		case 6: return F_T;
		case 8: return F_VD;
		default: return -1;
		}
	}
	if (k->kind == I_NEGINT) {
		switch (k->u) {
		case 1: return F_BN;
		case 2: return F_BT;
		case 4: case 5: return -2; /* bv, bs would change v */
		default: return -1;
		}
	}
	return -2;
}

static lwm2m_err dup_bytes(const lwm2m_cbor_item *it, lwm2m_type t,
                           lwm2m_value *v)
{
	v->type = t;
	v->data = malloc(it->len + 1);
	if (!v->data)
		return LWM2M_ERR_NOMEM;
	if (it->len)
		memcpy(v->data, it->d, it->len);
	v->data[it->len] = 0;
	v->len = it->len;
	return LWM2M_OK;
}

static lwm2m_err typed_value(const lwm2m_path *p, int f,
                             const lwm2m_cbor_item *it,
                             lwm2m_value *v)
{
	lwm2m_err rc;
	memset(v, 0, sizeof *v);
	switch (f) {
	case F_V:
		if (it->kind == I_UINT)
			return lwm2m_number_value(p, 1, 0, 0, it->u, 0, v);
		if (it->kind == I_NEGINT) {
			if (it->u > INT64_MAX)
				return LWM2M_ERR_TYPE; /* below int64 range */
			return lwm2m_number_value(p, 1, 1, -1 - (int64_t)it->u,
			                          0, 0, v);
		}
		if (it->kind == I_FLOAT)
			return lwm2m_number_value(p, 0, 0, 0, 0, it->f, v);
		return LWM2M_ERR_TYPE;
	case F_VS:
		if (it->kind != I_TEXT)
			return LWM2M_ERR_TYPE;
		if (!lwm2m_utf8_valid(it->d, it->len))
			return LWM2M_ERR_MALFORMED; /* CBOR text must be UTF-8 */
		if ((rc = lwm2m_model_check(p, LWM2M_T_STRING)))
			return rc;
		return dup_bytes(it, lwm2m_model_type(p) == LWM2M_T_CORELNK
		                 ? LWM2M_T_CORELNK : LWM2M_T_STRING, v);
	case F_VB:
		if (it->kind != I_BOOL)
			return LWM2M_ERR_TYPE;
		if ((rc = lwm2m_model_check(p, LWM2M_T_BOOLEAN)))
			return rc;
		v->type = LWM2M_T_BOOLEAN;
		v->v.b = (int)it->u;
		return LWM2M_OK;
	case F_VD:
		if (it->kind != I_BYTES)
			return LWM2M_ERR_TYPE;
		if ((rc = lwm2m_model_check(p, LWM2M_T_OPAQUE)))
			return rc;
		return dup_bytes(it, LWM2M_T_OPAQUE, v);
	default: /* F_VLO */
		if (it->kind != I_TEXT)
			return LWM2M_ERR_TYPE;
		if ((rc = lwm2m_model_check(p, LWM2M_T_OBJLNK)))
			return rc;
		v->type = LWM2M_T_OBJLNK;
		if (lwm2m_parse_objlnk((const char *)it->d, it->len,
		                       &v->v.lnk.obj, &v->v.lnk.inst))
			return LWM2M_ERR_TYPE;
		return LWM2M_OK;
	}
}

static lwm2m_err one_record(lwm2m_cbor_reader *r, const lwm2m_path *base,
                            char *bn, size_t *bnlen, lwm2m_records *out)
{
	lwm2m_cbor_item m, k, val, fields[F_COUNT];
	int seen[F_COUNT] = { 0 }, vfield = -1;
	lwm2m_err rc = lwm2m_cbor_next(r, &m);
	lwm2m_path p;
	lwm2m_value v;

	if (rc)
		return rc;
	if (m.kind != I_MAP)
		return LWM2M_ERR_MALFORMED;
	for (uint64_t i = 0; i < m.u; i++) {
		if ((rc = lwm2m_cbor_next(r, &k)) || (rc = lwm2m_cbor_next(r, &val)))
			return rc;
		if (val.kind == I_ARRAY || val.kind == I_MAP)
			return LWM2M_ERR_MALFORMED;
		int f = field_of(&k);
		if (f == -2)
			return LWM2M_ERR_UNSUPPORTED;
		if (f < 0)
			continue;
		if (seen[f]++)
			return LWM2M_ERR_MALFORMED; /* duplicate key */
		fields[f] = val;
		if (f >= F_V && f <= F_VLO) {
			if (vfield >= 0)
				return LWM2M_ERR_MALFORMED;
			vfield = f;
		}
	}
	if ((seen[F_BT] && fields[F_BT].kind != I_UINT &&
	     fields[F_BT].kind != I_NEGINT && fields[F_BT].kind != I_FLOAT) ||
	    (seen[F_T] && fields[F_T].kind != I_UINT &&
	     fields[F_T].kind != I_NEGINT && fields[F_T].kind != I_FLOAT))
		return LWM2M_ERR_MALFORMED;
	if (seen[F_BN]) {
		if (fields[F_BN].kind != I_TEXT || fields[F_BN].len >= 64)
			return LWM2M_ERR_PATH;
		memcpy(bn, fields[F_BN].d, fields[F_BN].len);
		*bnlen = fields[F_BN].len;
	}
	if (seen[F_N] && fields[F_N].kind != I_TEXT)
		return LWM2M_ERR_MALFORMED;
	if (vfield < 0)
		return LWM2M_ERR_MALFORMED;
	rc = lwm2m_resolve_name(bn, *bnlen,
	                        seen[F_N] ? (const char *)fields[F_N].d : "",
	                        seen[F_N] ? fields[F_N].len : 0, base, &p);
	if (rc)
		return rc;
	rc = typed_value(&p, vfield, &fields[vfield], &v);
	if (!rc)
		rc = lwm2m_records_take(out, &p, &v);
	if (rc)
		lwm2m_value_free(&v);
	return rc;
}

lwm2m_err lwm2m_senml_cbor_decode(const lwm2m_path *base, const uint8_t *in,
                                  size_t n, lwm2m_records *out)
{
	lwm2m_cbor_reader r;
	lwm2m_cbor_reader_init(&r, in, n);
	char bn[64];
	size_t bnlen = 0;
	lwm2m_cbor_item a;
	lwm2m_err rc = lwm2m_cbor_next(&r, &a);

	if (rc)
		return rc;
	if (a.kind != I_ARRAY)
		return LWM2M_ERR_MALFORMED;
	if (a.u > LWM2M_MAX_RECORDS)
		return LWM2M_ERR_TOO_LARGE;
	for (uint64_t i = 0; i < a.u; i++)
		if ((rc = one_record(&r, base, bn, &bnlen, out)))
			return rc;
	return r.pos == r.n ? LWM2M_OK : LWM2M_ERR_MALFORMED;
}

/* ---- encode ---------------------------------------------------------- */

/* The SenML label a value type travels under, then the value. */
static lwm2m_err put_value(lwm2m_buf *b, const lwm2m_value *v)
{
	lwm2m_err rc;
	switch (v->type) {
	case LWM2M_T_STRING:
	case LWM2M_T_CORELNK: rc = lwm2m_cbor_put_uint(b, 3); break;
	case LWM2M_T_INTEGER:
	case LWM2M_T_TIME:
	case LWM2M_T_UNSIGNED:
	case LWM2M_T_FLOAT: rc = lwm2m_cbor_put_uint(b, 2); break;
	case LWM2M_T_BOOLEAN: rc = lwm2m_cbor_put_uint(b, 4); break;
	case LWM2M_T_OPAQUE: rc = lwm2m_cbor_put_uint(b, 8); break;
	case LWM2M_T_OBJLNK: rc = lwm2m_cbor_put_text(b, "vlo", 3, 0); break;
	default: return LWM2M_ERR_TYPE;
	}
	return rc ? rc : lwm2m_cbor_put_value(b, v);
}

lwm2m_err lwm2m_senml_cbor_encode(const lwm2m_path *base,
                                  const lwm2m_records *in, lwm2m_buf *out)
{
	uint8_t tmp[9];
	char bn[40];
	lwm2m_err rc;

	if (lwm2m_path_format(base, bn, sizeof bn - 1) < 0)
		return LWM2M_ERR_PATH;
	if (base->len)
		strcat(bn, "/");
	if ((rc = lwm2m_cbor_put_item(out, cbor_encode_array_start(in->n, tmp,
	                                                           sizeof tmp),
	                              tmp)))
		return rc;
	for (size_t i = 0; i < in->n; i++) {
		const lwm2m_record *r = &in->rec[i];
		char name[40];
		size_t nl = 0;
		for (unsigned k = base->len; k < r->path.len; k++) {
			int w = snprintf(name + nl, sizeof name - nl,
			                 k > base->len ? "/%u" : "%u",
			                 (unsigned)r->path.id[k]);
			nl += (size_t)w;
		}
		size_t npairs = 1 + (i == 0) + (nl > 0);
		if ((rc = lwm2m_cbor_put_item(out,
		                              cbor_encode_map_start(npairs, tmp,
		                                                    sizeof tmp),
		                              tmp)))
			return rc;
		if (i == 0 && ((rc = lwm2m_cbor_put_int(out, -2)) ||
		               (rc = lwm2m_cbor_put_text(out, bn, strlen(bn), 0))))
			return rc;
		if (nl && ((rc = lwm2m_cbor_put_uint(out, 0)) ||
		           (rc = lwm2m_cbor_put_text(out, name, nl, 0))))
			return rc;
		if ((rc = put_value(out, &r->value)))
			return rc;
	}
	return out->err;
}
