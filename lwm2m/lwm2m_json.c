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
#include "lwm2m/json_value.h"

static lwm2m_err entry_value(const lwm2m_path *p, json_t *e, lwm2m_value *v)
{
	static const char *const keys[] = { "v", "sv", "bv", "ov" };
	json_t *val;

	memset(v, 0, sizeof *v);
	switch (lwm2m_json_pick(e, keys, 4, &val)) {
	case -1:
		return LWM2M_ERR_MALFORMED;
	case 0:
		return lwm2m_json_number(p, val, v);
	case 1:
		/* sv carries an opaque resource's bytes as standard base64 */
		if (lwm2m_model_type(p) == LWM2M_T_OPAQUE)
			return lwm2m_json_opaque(p, val, 0, v);
		return lwm2m_json_string(p, val, v);
	case 2:
		return lwm2m_json_boolean(p, val, v);
	default:
		return lwm2m_json_objlnk(p, val, v);
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
