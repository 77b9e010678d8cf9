/*
 * text.c: the plain-text content format (0): one value of one resource,
 * parsed and printed by the type the object model gives it. Opaque values
 * travel as standard base64 (LwM2M 1.1 §7.4.2); an unknown resource is a
 * string.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/internal.h"

lwm2m_err lwm2m_text_decode(const lwm2m_path *base, const uint8_t *in,
                            size_t n, lwm2m_records *out)
{
	const char *s = (const char *)in;
	lwm2m_type t = lwm2m_model_type(base);
	lwm2m_value v = { .type = t };
	lwm2m_err rc = LWM2M_OK;

	if (base->len < 3)
		return LWM2M_ERR_PATH;
	switch (t) {
	case LWM2M_T_INTEGER:
	case LWM2M_T_TIME:
		rc = lwm2m_parse_i64(s, n, &v.v.i);
		break;
	case LWM2M_T_UNSIGNED:
		rc = lwm2m_parse_u64(s, n, &v.v.u);
		break;
	case LWM2M_T_FLOAT:
		rc = lwm2m_parse_double(s, n, &v.v.f);
		break;
	case LWM2M_T_BOOLEAN:
		if (n != 1 || (s[0] != '0' && s[0] != '1'))
			rc = LWM2M_ERR_TYPE;
		else
			v.v.b = s[0] == '1';
		break;
	case LWM2M_T_OBJLNK:
		rc = lwm2m_parse_objlnk(s, n, &v.v.lnk.obj, &v.v.lnk.inst);
		break;
	case LWM2M_T_OPAQUE:
		rc = lwm2m_base64_decode(s, n, 0, &v.data, &v.len);
		break;
	default: /* string, corelnk, or not in the model */
		if (t != LWM2M_T_CORELNK)
			v.type = LWM2M_T_STRING;
		v.data = malloc(n + 1);
		if (!v.data)
			return LWM2M_ERR_NOMEM;
		if (n)
			memcpy(v.data, in, n);
		v.data[n] = 0;
		v.len = n;
		break;
	}
	if (rc)
		return rc == LWM2M_ERR_NOMEM ? rc : LWM2M_ERR_TYPE;
	rc = lwm2m_records_take(out, base, &v);
	if (rc)
		lwm2m_value_free(&v);
	return rc;
}

lwm2m_err lwm2m_text_encode(const lwm2m_path *base, const lwm2m_records *in,
                            lwm2m_buf *out)
{
	char tmp[48];
	int w;

	if (in->n != 1)
		return LWM2M_ERR_UNSUPPORTED; /* TEXT carries exactly one value */
	if (base->len < 3 || lwm2m_path_cmp(base, &in->rec[0].path))
		return LWM2M_ERR_PATH;
	const lwm2m_value *v = &in->rec[0].value;
	switch (v->type) {
	case LWM2M_T_STRING:
	case LWM2M_T_CORELNK:
		return lwm2m_buf_put(out, v->data, v->len);
	case LWM2M_T_INTEGER:
	case LWM2M_T_TIME:
		w = snprintf(tmp, sizeof tmp, "%" PRId64, v->v.i);
		break;
	case LWM2M_T_UNSIGNED:
		w = snprintf(tmp, sizeof tmp, "%" PRIu64, v->v.u);
		break;
	case LWM2M_T_FLOAT:
		w = lwm2m_format_double(v->v.f, tmp, sizeof tmp);
		break;
	case LWM2M_T_BOOLEAN:
		w = snprintf(tmp, sizeof tmp, "%d", v->v.b ? 1 : 0);
		break;
	case LWM2M_T_OBJLNK:
		w = snprintf(tmp, sizeof tmp, "%u:%u", (unsigned)v->v.lnk.obj,
		             (unsigned)v->v.lnk.inst);
		break;
	case LWM2M_T_OPAQUE: {
		char *b64;
		size_t n;
		lwm2m_err rc = lwm2m_base64_encode(v->data, v->len, 0, &b64, &n);
		if (rc)
			return rc;
		rc = lwm2m_buf_put(out, b64, n);
		free(b64);
		return rc;
	}
	default:
		return LWM2M_ERR_TYPE;
	}
	if (w < 0)
		return LWM2M_ERR_TYPE;
	return lwm2m_buf_put(out, tmp, (size_t)w);
}
