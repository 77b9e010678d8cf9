/*
 * json_value.c: one JSON value to one typed LwM2M value, the part of
 * decoding that SenML JSON and LwM2M JSON have in common (json_value.h).
 */
#include <stdlib.h>
#include <string.h>

#include "lwm2m/json_value.h"

int lwm2m_json_pick(json_t *obj, const char *const *keys, int n,
                    json_t **val)
{
	int which = -1;
	*val = NULL;
	for (int i = 0; i < n; i++) {
		json_t *x = json_object_get(obj, keys[i]);
		if (!x)
			continue;
		if (*val)
			return -1;
		*val = x;
		which = i;
	}
	return which;
}

lwm2m_err lwm2m_json_number(const lwm2m_path *p, json_t *j, lwm2m_value *v)
{
	if (json_is_integer(j)) {
		json_int_t i = json_integer_value(j);
		return lwm2m_number_value(p, 1, i < 0, (int64_t)i,
		                          i < 0 ? 0 : (uint64_t)i, 0, v);
	}
	if (json_is_real(j))
		return lwm2m_number_value(p, 0, 0, 0, 0, json_real_value(j), v);
	return LWM2M_ERR_TYPE;
}

lwm2m_err lwm2m_json_string(const lwm2m_path *p, json_t *j, lwm2m_value *v)
{
	lwm2m_err rc;
	if (!json_is_string(j))
		return LWM2M_ERR_TYPE;
	if ((rc = lwm2m_model_check(p, LWM2M_T_STRING)))
		return rc;
	v->type = lwm2m_model_type(p) == LWM2M_T_CORELNK
	          ? LWM2M_T_CORELNK : LWM2M_T_STRING;
	v->len = json_string_length(j);
	v->data = malloc(v->len + 1);
	if (!v->data)
		return LWM2M_ERR_NOMEM;
	memcpy(v->data, json_string_value(j), v->len + 1);
	return LWM2M_OK;
}

lwm2m_err lwm2m_json_opaque(const lwm2m_path *p, json_t *j, int url,
                            lwm2m_value *v)
{
	lwm2m_err rc;
	if (!json_is_string(j))
		return LWM2M_ERR_TYPE;
	if ((rc = lwm2m_model_check(p, LWM2M_T_OPAQUE)))
		return rc;
	v->type = LWM2M_T_OPAQUE;
	rc = lwm2m_base64_decode(json_string_value(j), json_string_length(j),
	                         url, &v->data, &v->len);
	/* Bad base64 is a value that does not fit, not a broken document. */
	return rc == LWM2M_ERR_NOMEM ? rc : rc ? LWM2M_ERR_TYPE : LWM2M_OK;
}

lwm2m_err lwm2m_json_boolean(const lwm2m_path *p, json_t *j, lwm2m_value *v)
{
	lwm2m_err rc;
	if (!json_is_boolean(j))
		return LWM2M_ERR_TYPE;
	if ((rc = lwm2m_model_check(p, LWM2M_T_BOOLEAN)))
		return rc;
	v->type = LWM2M_T_BOOLEAN;
	v->v.b = json_is_true(j);
	return LWM2M_OK;
}

lwm2m_err lwm2m_json_objlnk(const lwm2m_path *p, json_t *j, lwm2m_value *v)
{
	lwm2m_err rc;
	if (!json_is_string(j))
		return LWM2M_ERR_TYPE;
	if ((rc = lwm2m_model_check(p, LWM2M_T_OBJLNK)))
		return rc;
	v->type = LWM2M_T_OBJLNK;
	if (lwm2m_parse_objlnk(json_string_value(j), json_string_length(j),
	                       &v->v.lnk.obj, &v->v.lnk.inst))
		return LWM2M_ERR_TYPE;
	return LWM2M_OK;
}
