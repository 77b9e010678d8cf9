/*
 * senml_json.c: SenML JSON (110; RFC 8428, LwM2M 1.1 §7.4.4/7.4.5).
 *
 * Each record resolves its name as bn + n (bn persists until a record sets
 * a new one) and must name a resource or resource instance below the
 * request path. Values: v (number), vs (string), vb (boolean), vd (base64url
 * bytes without padding), vlo (objlnk "3:0"). bt/t/bver/bu/u are accepted
 * and ignored, as are unknown keys; a key ending in "_" (must-understand),
 * bv and bs (they would change v) are refused.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/internal.h"
#include "lwm2m/json_value.h"

/* ---- decode ---------------------------------------------------------- */

/* The value of one record, typed; `p` is its resolved path. */
static lwm2m_err record_value(const lwm2m_path *p, json_t *rec, lwm2m_value *v)
{
	static const char *const vkeys[] = { "v", "vs", "vb", "vd", "vlo" };
	json_t *val;

	memset(v, 0, sizeof *v);
	switch (lwm2m_json_pick(rec, vkeys, 5, &val)) {
	case -1:
		return LWM2M_ERR_MALFORMED; /* no value, or two in one record */
	case 0:
		return lwm2m_json_number(p, val, v);
	case 1:
		return lwm2m_json_string(p, val, v);
	case 2:
		return lwm2m_json_boolean(p, val, v);
	case 3:
		return lwm2m_json_opaque(p, val, 1, v);
	default:
		return lwm2m_json_objlnk(p, val, v);
	}
}

lwm2m_err lwm2m_senml_json_decode(const lwm2m_path *base, const uint8_t *in,
                                  size_t n, lwm2m_records *out)
{
	json_error_t jerr;
	json_t *root = json_loadb((const char *)in, n, JSON_REJECT_DUPLICATES,
	                          &jerr);
	lwm2m_err rc = LWM2M_OK;
	char bn[64] = "";
	size_t bnlen = 0;

	if (!root)
		return LWM2M_ERR_MALFORMED;
	if (!json_is_array(root)) {
		rc = LWM2M_ERR_MALFORMED;
		goto out;
	}
	if (json_array_size(root) > LWM2M_MAX_RECORDS) {
		rc = LWM2M_ERR_TOO_LARGE;
		goto out;
	}
	for (size_t i = 0; i < json_array_size(root) && !rc; i++) {
		json_t *rec = json_array_get(root, i), *x;
		const char *key;
		lwm2m_path p;
		lwm2m_value v;

		if (!json_is_object(rec)) {
			rc = LWM2M_ERR_MALFORMED;
			break;
		}
		json_object_foreach(rec, key, x) {
			size_t kl = strlen(key);
			/* must-understand keys, and base value/sum that would
			 * change v: refused rather than silently misread */
			if ((kl && key[kl - 1] == '_') || !strcmp(key, "bv") ||
			    !strcmp(key, "bs"))
				rc = LWM2M_ERR_UNSUPPORTED;
			else if ((!strcmp(key, "bt") || !strcmp(key, "t")) &&
			         !json_is_number(x))
				rc = LWM2M_ERR_MALFORMED;
		}
		if (rc)
			break;
		if ((x = json_object_get(rec, "bn"))) {
			if (!json_is_string(x) ||
			    json_string_length(x) >= sizeof bn) {
				rc = LWM2M_ERR_PATH;
				break;
			}
			bnlen = json_string_length(x);
			memcpy(bn, json_string_value(x), bnlen + 1);
		}
		x = json_object_get(rec, "n");
		if (x && !json_is_string(x)) {
			rc = LWM2M_ERR_MALFORMED;
			break;
		}
		rc = lwm2m_resolve_name(bn, bnlen, x ? json_string_value(x) : "",
		                        x ? json_string_length(x) : 0, base, &p);
		if (rc)
			break;
		rc = record_value(&p, rec, &v);
		if (rc) {
			lwm2m_value_free(&v);
			break;
		}
		rc = lwm2m_records_take(out, &p, &v);
		if (rc)
			lwm2m_value_free(&v);
	}
out:
	json_decref(root);
	return rc;
}

/* ---- encode ---------------------------------------------------------- */

/* The base name "/3/0/" and each record's name relative to it. */
static void relative_name(const lwm2m_path *base, const lwm2m_path *p,
                          char *buf, size_t size)
{
	size_t n = 0;
	buf[0] = 0;
	for (unsigned i = base->len; i < p->len; i++) {
		int w = snprintf(buf + n, size - n, i > base->len ? "/%u" : "%u",
		                 (unsigned)p->id[i]);
		if (w < 0 || (size_t)w >= size - n)
			return;
		n += (size_t)w;
	}
}

static json_t *value_json(const lwm2m_value *v, const char **key)
{
	char tmp[16];
	switch (v->type) {
	case LWM2M_T_STRING:
	case LWM2M_T_CORELNK:
		*key = "vs";
		return json_stringn((const char *)v->data, v->len);
	case LWM2M_T_INTEGER:
	case LWM2M_T_TIME:
		*key = "v";
		return json_integer(v->v.i);
	case LWM2M_T_UNSIGNED:
		*key = "v";
		return v->v.u > INT64_MAX ? NULL : json_integer((json_int_t)v->v.u);
	case LWM2M_T_FLOAT:
		*key = "v";
		return json_real(v->v.f);
	case LWM2M_T_BOOLEAN:
		*key = "vb";
		return json_boolean(v->v.b);
	case LWM2M_T_OBJLNK:
		*key = "vlo";
		snprintf(tmp, sizeof tmp, "%u:%u", (unsigned)v->v.lnk.obj,
		         (unsigned)v->v.lnk.inst);
		return json_string(tmp);
	case LWM2M_T_OPAQUE: {
		char *b64;
		*key = "vd";
		if (lwm2m_base64_encode(v->data, v->len, 1, &b64, NULL))
			return NULL;
		json_t *s = json_string(b64);
		free(b64);
		return s;
	}
	default:
		return NULL;
	}
}

lwm2m_err lwm2m_senml_json_encode(const lwm2m_path *base,
                                  const lwm2m_records *in, lwm2m_buf *out)
{
	json_t *arr = json_array();
	lwm2m_err rc = LWM2M_OK;
	char bn[40], name[40];

	if (!arr)
		return LWM2M_ERR_NOMEM;
	int w = lwm2m_path_format(base, bn, sizeof bn - 1);
	if (w < 0) {
		json_decref(arr);
		return LWM2M_ERR_PATH;
	}
	if (base->len)
		strcat(bn, "/");
	for (size_t i = 0; i < in->n && !rc; i++) {
		const lwm2m_record *r = &in->rec[i];
		json_t *rec = json_object(), *val;
		const char *key = NULL;
		if (!rec) {
			rc = LWM2M_ERR_NOMEM;
			break;
		}
		/* JSON has no room for these: refused rather than mangled */
		if (r->value.type == LWM2M_T_NONE ||
		    (r->value.type == LWM2M_T_UNSIGNED && r->value.v.u > INT64_MAX) ||
		    ((r->value.type == LWM2M_T_STRING ||
		      r->value.type == LWM2M_T_CORELNK) &&
		     !lwm2m_utf8_valid(r->value.data, r->value.len)))
			rc = LWM2M_ERR_TYPE;
		else if (!(val = value_json(&r->value, &key)))
			rc = LWM2M_ERR_NOMEM;
		if (rc) {
			json_decref(rec);
			break;
		}
		relative_name(base, &r->path, name, sizeof name);
		/* set_new consumes its value even when it fails */
		if ((i == 0 && json_object_set_new(rec, "bn", json_string(bn))) ||
		    (name[0] && json_object_set_new(rec, "n", json_string(name)))) {
			json_decref(val);
			json_decref(rec);
			rc = LWM2M_ERR_NOMEM;
		} else if (json_object_set_new(rec, key, val)) {
			json_decref(rec);
			rc = LWM2M_ERR_NOMEM;
		} else if (json_array_append_new(arr, rec)) {
			rc = LWM2M_ERR_NOMEM;
		}
	}
	if (!rc) {
		char *s = json_dumps(arr, JSON_COMPACT | JSON_REAL_PRECISION(15));
		if (!s)
			rc = LWM2M_ERR_NOMEM;
		else
			rc = lwm2m_buf_str(out, s);
		free(s);
	}
	json_decref(arr);
	return rc;
}
