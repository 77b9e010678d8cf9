/*
 * records_json.c: LwM2M records <-> the JSON the REST API shows operators
 * ({"path", "type", "value"}; opaque as standard base64, objlnk as "3:0").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/records_json.h"
#include "lwm2m/internal.h"

static json_t *value_to_json(const lwm2m_value *v)
{
	char tmp[16];
	switch (v->type) {
	case LWM2M_T_STRING:
	case LWM2M_T_CORELNK: {
		if (lwm2m_utf8_valid(v->data, v->len))
			return json_stringn((const char *)v->data, v->len);
		/* a device's bytes that are not UTF-8: shown, not dropped */
		size_t n;
		char *s = lwm2m_utf8_sanitize(v->data, v->len, &n);
		json_t *j = s ? json_stringn(s, n) : NULL;
		free(s);
		return j;
	}
	case LWM2M_T_INTEGER:
	case LWM2M_T_TIME:
		return json_integer(v->v.i);
	case LWM2M_T_UNSIGNED:
		/* jansson integers are signed 64-bit; beyond, a real */
		return v->v.u > INT64_MAX ? json_real((double)v->v.u)
		                          : json_integer((json_int_t)v->v.u);
	case LWM2M_T_FLOAT:
		return json_real(v->v.f);
	case LWM2M_T_BOOLEAN:
		return json_boolean(v->v.b);
	case LWM2M_T_OBJLNK:
		snprintf(tmp, sizeof tmp, "%u:%u", (unsigned)v->v.lnk.obj,
		         (unsigned)v->v.lnk.inst);
		return json_string(tmp);
	case LWM2M_T_OPAQUE: {
		char *b64;
		if (lwm2m_base64_encode(v->data, v->len, 0, &b64, NULL))
			return NULL;
		json_t *s = json_string(b64);
		free(b64);
		return s;
	}
	default:
		return json_null();
	}
}

json_t *lwm2m_records_to_json(const lwm2m_records *r)
{
	json_t *arr = json_array();
	char path[40];

	if (!arr)
		return NULL;
	for (size_t i = 0; i < r->n; i++) {
		const lwm2m_record *x = &r->rec[i];
		json_t *o = json_object(), *v = value_to_json(&x->value);
		if (!o || !v || lwm2m_path_format(&x->path, path, sizeof path) < 0 ||
		    json_object_set_new(o, "path", json_string(path)) ||
		    json_object_set_new(o, "type",
		                        json_string(lwm2m_type_name(x->value.type)))) {
			json_decref(o);
			json_decref(v);
			json_decref(arr);
			return NULL;
		}
		if (json_object_set_new(o, "value", v) ||
		    json_array_append_new(arr, o)) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

static lwm2m_err why(char *err, size_t errlen, lwm2m_err rc, const char *fmt,
                     const char *arg)
{
	if (err && errlen)
		snprintf(err, errlen, fmt, arg);
	return rc;
}

/* A path as the operator wrote it: absolute, or relative to base. */
static lwm2m_err parse_path(const char *s, const lwm2m_path *base,
                            lwm2m_path *out, char *err, size_t errlen)
{
	lwm2m_path p;
	if (s[0] == '/') {
		if (lwm2m_path_parse(s, strlen(s), &p))
			return why(err, errlen, LWM2M_ERR_PATH, "bad path \"%.40s\"", s);
	} else {
		lwm2m_path rel;
		if (lwm2m_path_parse(s, strlen(s), &rel) || rel.len == 0 ||
		    base->len + rel.len > 4)
			return why(err, errlen, LWM2M_ERR_PATH, "bad path \"%.40s\"", s);
		p = *base;
		for (unsigned i = 0; i < rel.len; i++)
			p.id[p.len++] = rel.id[i];
	}
	if (!lwm2m_path_within(base, &p))
		return why(err, errlen, LWM2M_ERR_PATH,
		           "path \"%.40s\" is outside the request path", s);
	if (p.len < 3)
		return why(err, errlen, LWM2M_ERR_PATH,
		           "path \"%.40s\" is not a resource", s);
	*out = p;
	return LWM2M_OK;
}

static lwm2m_err json_to_value(const json_t *j, lwm2m_type t, lwm2m_value *v,
                               char *err, size_t errlen)
{
	const char *tn = lwm2m_type_name(t);
	memset(v, 0, sizeof *v);
	v->type = t;
	switch (t) {
	case LWM2M_T_STRING:
	case LWM2M_T_CORELNK:
		if (!json_is_string(j))
			break;
		v->len = json_string_length(j);
		v->data = malloc(v->len + 1);
		if (!v->data)
			return LWM2M_ERR_NOMEM;
		memcpy(v->data, json_string_value(j), v->len + 1);
		return LWM2M_OK;
	case LWM2M_T_INTEGER:
	case LWM2M_T_TIME:
	case LWM2M_T_UNSIGNED: {
		lwm2m_value n = { .type = LWM2M_T_INTEGER };
		if (json_is_integer(j)) {
			n.v.i = json_integer_value(j);
		} else if (json_is_real(j)) {
			n.type = LWM2M_T_FLOAT;
			n.v.f = json_real_value(j);
		} else {
			break;
		}
		if (lwm2m_value_convert(&n, t))
			return why(err, errlen, LWM2M_ERR_TYPE,
			           "value out of range for type %s", tn);
		*v = n;
		return LWM2M_OK;
	}
	case LWM2M_T_FLOAT:
		if (!json_is_number(j))
			break;
		v->v.f = json_number_value(j);
		return LWM2M_OK;
	case LWM2M_T_BOOLEAN:
		if (!json_is_boolean(j))
			break;
		v->v.b = json_is_true(j);
		return LWM2M_OK;
	case LWM2M_T_OBJLNK:
		if (!json_is_string(j) ||
		    lwm2m_parse_objlnk(json_string_value(j), json_string_length(j),
		                       &v->v.lnk.obj, &v->v.lnk.inst))
			return why(err, errlen, LWM2M_ERR_TYPE,
			           "%s value must be \"obj:inst\"", tn);
		return LWM2M_OK;
	case LWM2M_T_OPAQUE: {
		lwm2m_err rc;
		if (!json_is_string(j))
			break;
		rc = lwm2m_base64_decode(json_string_value(j),
		                         json_string_length(j), 0, &v->data,
		                         &v->len);
		if (rc == LWM2M_ERR_NOMEM)
			return rc;
		if (rc)
			return why(err, errlen, LWM2M_ERR_TYPE,
			           "%s value must be standard base64", tn);
		return LWM2M_OK;
	}
	default:
		return why(err, errlen, LWM2M_ERR_TYPE, "no value for type %s", tn);
	}
	return why(err, errlen, LWM2M_ERR_TYPE, "value is not a JSON %s",
	           t == LWM2M_T_BOOLEAN ? "boolean"
	           : t == LWM2M_T_FLOAT ? "number"
	           : (t == LWM2M_T_INTEGER || t == LWM2M_T_TIME ||
	              t == LWM2M_T_UNSIGNED) ? "integer" : "string");
}

/* One (path, JSON value, optional type name) into out. */
static lwm2m_err add_one(const lwm2m_path *p, const json_t *val,
                         const json_t *type, lwm2m_records *out, char *err,
                         size_t errlen)
{
	lwm2m_type t = LWM2M_T_NONE;
	lwm2m_value v;
	lwm2m_err rc;

	if (type) {
		if (!json_is_string(type) ||
		    (t = lwm2m_type_from_name(json_string_value(type))) ==
		    LWM2M_T_NONE)
			return why(err, errlen, LWM2M_ERR_TYPE, "unknown type \"%.20s\"",
			           json_is_string(type) ? json_string_value(type) : "");
	}
	if (t == LWM2M_T_NONE)
		t = lwm2m_model_type(p);
	if (t == LWM2M_T_NONE) {
		if (json_is_string(val))
			t = LWM2M_T_STRING;
		else if (json_is_integer(val))
			t = LWM2M_T_INTEGER;
		else if (json_is_real(val))
			t = LWM2M_T_FLOAT;
		else if (json_is_boolean(val))
			t = LWM2M_T_BOOLEAN;
		else
			return why(err, errlen, LWM2M_ERR_TYPE,
			           "value must be a string, number or boolean%s", "");
	}
	if ((rc = json_to_value(val, t, &v, err, errlen)))
		return rc;
	rc = lwm2m_records_take(out, p, &v);
	if (rc)
		lwm2m_value_free(&v);
	return rc;
}

static lwm2m_err from_json(const json_t *j, const lwm2m_path *base,
                           lwm2m_records *out, char *err, size_t errlen)
{
	lwm2m_path p;
	lwm2m_err rc;

	if (json_is_array(j)) {
		size_t i;
		json_t *e;
		if (json_array_size(j) > LWM2M_MAX_RECORDS)
			return why(err, errlen, LWM2M_ERR_TOO_LARGE,
			           "too many records%s", "");
		json_array_foreach(j, i, e) {
			json_t *path = json_object_get(e, "path");
			json_t *val = json_object_get(e, "value");
			if (!json_is_object(e) || !json_is_string(path) || !val)
				return why(err, errlen, LWM2M_ERR_MALFORMED,
				           "each record needs \"path\" and \"value\"%s",
				           "");
			if ((rc = parse_path(json_string_value(path), base, &p, err,
			                     errlen)) ||
			    (rc = add_one(&p, val, json_object_get(e, "type"), out,
			                  err, errlen)))
				return rc;
		}
		return LWM2M_OK;
	}
	if (json_is_object(j)) {
		const char *key;
		json_t *val;
		if (json_object_size(j) > LWM2M_MAX_RECORDS)
			return why(err, errlen, LWM2M_ERR_TOO_LARGE,
			           "too many records%s", "");
		json_object_foreach((json_t *)j, key, val) {
			if ((rc = parse_path(key, base, &p, err, errlen)) ||
			    (rc = add_one(&p, val, NULL, out, err, errlen)))
				return rc;
		}
		return LWM2M_OK;
	}
	if (base->len < 3)
		return why(err, errlen, LWM2M_ERR_PATH,
		           "a bare value needs a resource path%s", "");
	return add_one(base, j, NULL, out, err, errlen);
}

lwm2m_err lwm2m_records_from_json(const json_t *j, const lwm2m_path *base,
                                  lwm2m_records *out, char *err, size_t errlen)
{
	size_t n0 = out->n;
	if (err && errlen)
		err[0] = 0;
	if (!j)
		return why(err, errlen, LWM2M_ERR_MALFORMED, "no JSON%s", "");
	lwm2m_err rc = from_json(j, base, out, err, errlen);
	if (rc) {
		if (rc == LWM2M_ERR_NOMEM && err && errlen)
			snprintf(err, errlen, "out of memory");
		lwm2m_records_truncate(out, n0);
	}
	return rc;
}
