/*
 * lwm2m_json.c: decoding the LwM2M 1.0 JSON format (11543, TS 1.0 §6.4.4):
 *   {"bn":"/3/0/","e":[{"n":"0","sv":"Open Mobile Alliance"},{"n":"9","v":95}]}
 * Values: v (number), sv (string; base64 for an opaque resource), bv
 * (boolean), ov (objlnk "3:0"). Without "bn" the names are relative to the
 * request path. Encoding is not offered (DESIGN §4): servers write SenML.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/internal.h"

static lwm2m_err entry_value(const lwm2m_path *p, json_t *e, lwm2m_value *v)
{
	static const char *const keys[] = { "v", "sv", "bv", "ov" };
	json_t *val = NULL;
	int which = -1;
	lwm2m_type t = lwm2m_model_type(p);
	lwm2m_err rc;

	memset(v, 0, sizeof *v);
	for (int i = 0; i < 4; i++) {
		json_t *x = json_object_get(e, keys[i]);
		if (!x)
			continue;
		if (val)
			return LWM2M_ERR_MALFORMED;
		val = x;
		which = i;
	}
	if (!val)
		return LWM2M_ERR_MALFORMED;
	switch (which) {
	case 0:
		if (json_is_integer(val)) {
			json_int_t i = json_integer_value(val);
			return lwm2m_number_value(p, 1, i < 0, (int64_t)i,
			                          i < 0 ? 0 : (uint64_t)i, 0, v);
		}
		if (json_is_real(val))
			return lwm2m_number_value(p, 0, 0, 0, 0,
			                          json_real_value(val), v);
		return LWM2M_ERR_TYPE;
	case 1:
		if (!json_is_string(val))
			return LWM2M_ERR_TYPE;
		if (t == LWM2M_T_OPAQUE) {
			v->type = LWM2M_T_OPAQUE;
			rc = lwm2m_base64_decode(json_string_value(val),
			                         json_string_length(val), 0,
			                         &v->data, &v->len);
			return rc == LWM2M_ERR_NOMEM ? rc : rc ? LWM2M_ERR_TYPE : 0;
		}
		if ((rc = lwm2m_model_check(p, LWM2M_T_STRING)))
			return rc;
		v->type = t == LWM2M_T_CORELNK ? LWM2M_T_CORELNK
		                               : LWM2M_T_STRING;
		v->len = json_string_length(val);
		v->data = malloc(v->len + 1);
		if (!v->data)
			return LWM2M_ERR_NOMEM;
		memcpy(v->data, json_string_value(val), v->len + 1);
		return LWM2M_OK;
	case 2:
		if (!json_is_boolean(val))
			return LWM2M_ERR_TYPE;
		if ((rc = lwm2m_model_check(p, LWM2M_T_BOOLEAN)))
			return rc;
		v->type = LWM2M_T_BOOLEAN;
		v->v.b = json_is_true(val);
		return LWM2M_OK;
	default:
		if (!json_is_string(val))
			return LWM2M_ERR_TYPE;
		if ((rc = lwm2m_model_check(p, LWM2M_T_OBJLNK)))
			return rc;
		v->type = LWM2M_T_OBJLNK;
		return lwm2m_parse_objlnk(json_string_value(val),
		                          json_string_length(val), &v->v.lnk.obj,
		                          &v->v.lnk.inst) ? LWM2M_ERR_TYPE : 0;
	}
}

lwm2m_err lwm2m_lwm2m_json_decode(const lwm2m_path *base, const uint8_t *in,
                                  size_t n, lwm2m_records *out)
{
	json_error_t jerr;
	json_t *root = json_loadb((const char *)in, n, JSON_REJECT_DUPLICATES,
	                          &jerr);
	json_t *bn, *e;
	char prefix[64];
	size_t plen;
	lwm2m_err rc = LWM2M_OK;

	if (!root)
		return LWM2M_ERR_MALFORMED;
	if (!json_is_object(root) || !json_is_array(e = json_object_get(root, "e"))) {
		rc = LWM2M_ERR_MALFORMED;
		goto out;
	}
	if ((bn = json_object_get(root, "bn"))) {
		if (!json_is_string(bn) || json_string_length(bn) >= sizeof prefix) {
			rc = LWM2M_ERR_PATH;
			goto out;
		}
		plen = json_string_length(bn);
		memcpy(prefix, json_string_value(bn), plen + 1);
	} else {
		int w = lwm2m_path_format(base, prefix, sizeof prefix - 1);
		if (w < 0) {
			rc = LWM2M_ERR_PATH;
			goto out;
		}
		plen = (size_t)w;
		if (base->len)
			prefix[plen++] = '/';
	}
	if (json_array_size(e) > LWM2M_MAX_RECORDS) {
		rc = LWM2M_ERR_TOO_LARGE;
		goto out;
	}
	for (size_t i = 0; i < json_array_size(e) && !rc; i++) {
		json_t *ent = json_array_get(e, i), *nm;
		lwm2m_path p;
		lwm2m_value v;
		if (!json_is_object(ent)) {
			rc = LWM2M_ERR_MALFORMED;
			break;
		}
		nm = json_object_get(ent, "n");
		if (nm && !json_is_string(nm)) {
			rc = LWM2M_ERR_MALFORMED;
			break;
		}
		rc = lwm2m_resolve_name(prefix, plen,
		                        nm ? json_string_value(nm) : "",
		                        nm ? json_string_length(nm) : 0, base, &p);
		if (rc)
			break;
		rc = entry_value(&p, ent, &v);
		if (!rc)
			rc = lwm2m_records_take(out, &p, &v);
		if (rc)
			lwm2m_value_free(&v);
	}
out:
	json_decref(root);
	return rc;
}
