/*
 * json_enc.c: LwM2M JSON encoder for reads (see json_enc.h). Names are
 * relative to bn; opaque values are base64 in "sv" as LwM2M 1.0 has it,
 * objlnk values "ov":"OBJ:INST".
 */
#include "client/json_enc.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *entry(const lwm2m_path *base, const lwm2m_record *r)
{
	char name[32] = "";
	size_t n = 0;
	for (uint8_t i = base->len; i < r->path.len; i++)
		n += (size_t)snprintf(name + n, sizeof name - n, "%s%u",
		                      i > base->len ? "/" : "", r->path.id[i]);
	json_t *e = json_object();
	if (!e)
		return NULL;
	json_object_set_new(e, "n", json_string(name));
	const lwm2m_value *v = &r->value;
	switch (v->type) {
	case LWM2M_T_INTEGER:
	case LWM2M_T_TIME:
		json_object_set_new(e, "v", json_integer((json_int_t)v->v.i));
		break;
	case LWM2M_T_UNSIGNED:
		if (v->v.u > (uint64_t)INT64_MAX)
			json_object_set_new(e, "v", json_real((double)v->v.u));
		else
			json_object_set_new(e, "v", json_integer((json_int_t)v->v.u));
		break;
	case LWM2M_T_FLOAT:
		json_object_set_new(e, "v", json_real(v->v.f));
		break;
	case LWM2M_T_BOOLEAN:
		json_object_set_new(e, "bv", json_boolean(v->v.b));
		break;
	case LWM2M_T_OBJLNK: {
		char l[16];
		snprintf(l, sizeof l, "%u:%u", v->v.lnk.obj, v->v.lnk.inst);
		json_object_set_new(e, "ov", json_string(l));
		break;
	}
	case LWM2M_T_OPAQUE: {
		char *b64;
		size_t bl;
		if (lwm2m_base64_encode(v->data, v->len, 0, &b64, &bl)) {
			json_decref(e);
			return NULL;
		}
		json_object_set_new(e, "sv", json_stringn(b64, bl));
		free(b64);
		break;
	}
	default:
		json_object_set_new(e, "sv", json_stringn((const char *)v->data, v->len));
		break;
	}
	return e;
}

lwm2m_err json_enc_lwm2m(const lwm2m_path *base, const lwm2m_records *in,
                         uint8_t **out, size_t *outlen)
{
	char bn[32];
	int n = lwm2m_path_format(base, bn, sizeof bn - 1);
	if (n < 0)
		return LWM2M_ERR_PATH;
	if (n > 1)
		strcat(bn, "/");
	lwm2m_err rc = LWM2M_ERR_NOMEM;
	json_t *root = json_object(), *arr = json_array();
	if (!root || !arr)
		goto out;
	for (size_t i = 0; i < in->n; i++) {
		if (!lwm2m_path_within(base, &in->rec[i].path)) {
			rc = LWM2M_ERR_PATH;
			goto out;
		}
		json_t *e = entry(base, &in->rec[i]);
		if (!e || json_array_append_new(arr, e))
			goto out;
	}
	json_object_set_new(root, "bn", json_string(bn));
	json_object_set(root, "e", arr);
	char *s = json_dumps(root, JSON_COMPACT | JSON_REAL_PRECISION(15));
	if (!s)
		goto out;
	*outlen = strlen(s);
	if (*outlen > LWM2M_MAX_PAYLOAD) {
		free(s);
		rc = LWM2M_ERR_TOO_LARGE;
		goto out;
	}
	*out = (uint8_t *)s;
	rc = LWM2M_OK;
out:
	json_decref(arr);
	json_decref(root);
	return rc;
}
