/*
 * value.c: typed values: type names, exact conversions (including the TLV
 * wire widths) and the strict number parsers the text codecs share.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/internal.h"

static const char *const type_names[] = {
	[LWM2M_T_NONE] = "none",       [LWM2M_T_STRING] = "string",
	[LWM2M_T_INTEGER] = "integer", [LWM2M_T_UNSIGNED] = "unsigned",
	[LWM2M_T_FLOAT] = "float",     [LWM2M_T_BOOLEAN] = "boolean",
	[LWM2M_T_OPAQUE] = "opaque",   [LWM2M_T_TIME] = "time",
	[LWM2M_T_OBJLNK] = "objlnk",   [LWM2M_T_CORELNK] = "corelnk",
};
#define NTYPES (sizeof type_names / sizeof type_names[0])

const char *lwm2m_type_name(lwm2m_type t)
{
	return (unsigned)t < NTYPES ? type_names[t] : "none";
}

lwm2m_type lwm2m_type_from_name(const char *s)
{
	if (!s)
		return LWM2M_T_NONE;
	for (unsigned i = 1; i < NTYPES; i++)
		if (!strcmp(s, type_names[i]))
			return (lwm2m_type)i;
	return LWM2M_T_NONE;
}

/* ---- strict number parsers ----------------------------------------- */

lwm2m_err lwm2m_parse_u64(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	if (n == 0 || n > 20)
		return LWM2M_ERR_MALFORMED;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return LWM2M_ERR_MALFORMED;
		unsigned d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return LWM2M_ERR_MALFORMED;
		v = v * 10 + d;
	}
	*out = v;
	return LWM2M_OK;
}

lwm2m_err lwm2m_parse_i64(const char *s, size_t n, int64_t *out)
{
	int neg = n > 0 && s[0] == '-';
	uint64_t u;
	if (lwm2m_parse_u64(s + neg, n - (size_t)neg, &u))
		return LWM2M_ERR_MALFORMED;
	if (neg) {
		if (u > (uint64_t)INT64_MAX + 1)
			return LWM2M_ERR_MALFORMED;
		*out = u == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)u;
	} else {
		if (u > INT64_MAX)
			return LWM2M_ERR_MALFORMED;
		*out = (int64_t)u;
	}
	return LWM2M_OK;
}

/* A finite decimal number; no hex floats, inf or nan, no spaces. */
lwm2m_err lwm2m_parse_double(const char *s, size_t n, double *out)
{
	char tmp[64];
	char *end;

	if (n == 0 || n >= sizeof tmp)
		return LWM2M_ERR_MALFORMED;
	for (size_t i = 0; i < n; i++)
		if (!strchr("0123456789+-.eE", s[i]) || s[i] == 0)
			return LWM2M_ERR_MALFORMED;
	memcpy(tmp, s, n);
	tmp[n] = 0;
	errno = 0;
	double f = strtod(tmp, &end);
	if (end != tmp + n || errno == ERANGE || !isfinite(f))
		return LWM2M_ERR_MALFORMED;
	*out = f;
	return LWM2M_OK;
}

lwm2m_err lwm2m_parse_objlnk(const char *s, size_t n, uint16_t *obj,
                             uint16_t *inst)
{
	const char *c = memchr(s, ':', n);
	uint64_t a, b;
	if (!c || lwm2m_parse_u64(s, (size_t)(c - s), &a) ||
	    lwm2m_parse_u64(c + 1, n - (size_t)(c - s) - 1, &b) ||
	    a > 65535 || b > 65535)
		return LWM2M_ERR_MALFORMED;
	*obj = (uint16_t)a;
	*inst = (uint16_t)b;
	return LWM2M_OK;
}

int lwm2m_format_double(double f, char *buf, size_t size)
{
	int w = snprintf(buf, size, "%.15g", f);
	if (w > 0 && (size_t)w < size && strtod(buf, NULL) != f)
		w = snprintf(buf, size, "%.17g", f);
	return w > 0 && (size_t)w < size ? w : -1;
}

/* ---- conversions ---------------------------------------------------- */

static uint64_t be_uint(const uint8_t *d, size_t n)
{
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++)
		v = v << 8 | d[i];
	return v;
}

/* TLV rules: integers 1, 2, 4 or 8 bytes big-endian, floats 4 or 8,
 * booleans 1 byte 0/1, objlnk 4 bytes. */
static lwm2m_err from_opaque(const lwm2m_value *v, lwm2m_type want,
                             lwm2m_value *out)
{
	size_t n = v->len;
	const uint8_t *d = v->data;
	uint64_t u;

	out->type = want;
	switch (want) {
	case LWM2M_T_STRING:
	case LWM2M_T_CORELNK:
		out->data = v->data;
		out->len = v->len;
		return LWM2M_OK;
	case LWM2M_T_INTEGER:
	case LWM2M_T_TIME:
	case LWM2M_T_UNSIGNED:
		if (n != 1 && n != 2 && n != 4 && n != 8)
			return LWM2M_ERR_TYPE;
		u = be_uint(d, n);
		if (want == LWM2M_T_UNSIGNED) {
			out->v.u = u;
		} else if (n < 8 && (u >> (8 * n - 1))) {
			/* sign-extend without shifting into the sign bit */
			out->v.i = (int64_t)(u | (UINT64_MAX << (8 * n)));
		} else {
			out->v.i = (int64_t)u;
		}
		return LWM2M_OK;
	case LWM2M_T_FLOAT:
		if (n == 4) {
			uint32_t w = (uint32_t)be_uint(d, 4);
			float f;
			memcpy(&f, &w, 4);
			out->v.f = f;
		} else if (n == 8) {
			u = be_uint(d, 8);
			memcpy(&out->v.f, &u, 8);
		} else {
			return LWM2M_ERR_TYPE;
		}
		return LWM2M_OK;
	case LWM2M_T_BOOLEAN:
		if (n != 1 || d[0] > 1)
			return LWM2M_ERR_TYPE;
		out->v.b = d[0];
		return LWM2M_OK;
	case LWM2M_T_OBJLNK:
		if (n != 4)
			return LWM2M_ERR_TYPE;
		out->v.lnk.obj = (uint16_t)be_uint(d, 2);
		out->v.lnk.inst = (uint16_t)be_uint(d + 2, 2);
		return LWM2M_OK;
	default:
		return LWM2M_ERR_TYPE;
	}
}

static int is_intlike(lwm2m_type t)
{
	return t == LWM2M_T_INTEGER || t == LWM2M_T_TIME;
}

lwm2m_err lwm2m_value_convert(lwm2m_value *v, lwm2m_type want)
{
	lwm2m_value out = { .type = want };

	if (v->type == want)
		return LWM2M_OK;
	if (v->type == LWM2M_T_OPAQUE) {
		lwm2m_err rc = from_opaque(v, want, &out);
		if (rc)
			return rc;
		if (out.data != v->data)
			free(v->data);
		*v = out;
		return LWM2M_OK;
	}
	if (is_intlike(v->type) && is_intlike(want)) {
		out.v.i = v->v.i;
	} else if (is_intlike(v->type) && want == LWM2M_T_UNSIGNED) {
		if (v->v.i < 0)
			return LWM2M_ERR_TYPE;
		out.v.u = (uint64_t)v->v.i;
	} else if (v->type == LWM2M_T_UNSIGNED && is_intlike(want)) {
		if (v->v.u > INT64_MAX)
			return LWM2M_ERR_TYPE;
		out.v.i = (int64_t)v->v.u;
	} else if (v->type == LWM2M_T_FLOAT && (is_intlike(want) ||
	                                        want == LWM2M_T_UNSIGNED)) {
		double f = v->v.f;
		if (!isfinite(f) || f != floor(f))
			return LWM2M_ERR_TYPE;
		if (want == LWM2M_T_UNSIGNED) {
			if (f < 0 || f >= 18446744073709551616.0)
				return LWM2M_ERR_TYPE;
			out.v.u = (uint64_t)f;
		} else {
			if (f < -9223372036854775808.0 ||
			    f >= 9223372036854775808.0)
				return LWM2M_ERR_TYPE;
			out.v.i = (int64_t)f;
		}
	} else if ((is_intlike(v->type) || v->type == LWM2M_T_UNSIGNED) &&
	           want == LWM2M_T_FLOAT) {
		/* exact only within the 53-bit mantissa */
		if (v->type == LWM2M_T_UNSIGNED ? v->v.u > (1ULL << 53)
		    : (v->v.i > (1LL << 53) || v->v.i < -(1LL << 53)))
			return LWM2M_ERR_TYPE;
		out.v.f = v->type == LWM2M_T_UNSIGNED ? (double)v->v.u
		                                      : (double)v->v.i;
	} else if ((v->type == LWM2M_T_STRING && want == LWM2M_T_CORELNK) ||
	           (v->type == LWM2M_T_CORELNK && want == LWM2M_T_STRING)) {
		out.data = v->data;
		out.len = v->len;
	} else {
		return LWM2M_ERR_TYPE;
	}
	*v = out;
	return LWM2M_OK;
}

/* ---- the model rule for self-typed formats ------------------------- */

lwm2m_err lwm2m_model_check(const lwm2m_path *p, lwm2m_type kind)
{
	lwm2m_type t = lwm2m_model_type(p);
	if (t == LWM2M_T_NONE || t == kind)
		return LWM2M_OK;
	if (kind == LWM2M_T_STRING && t == LWM2M_T_CORELNK)
		return LWM2M_OK;
	return LWM2M_ERR_TYPE;
}

/* v → FLOAT unless the model says INTEGER/UNSIGNED/TIME and the value is
 * whole; a non-whole value for such a resource, or any number for a
 * resource of another known type, is LWM2M_ERR_TYPE. */
lwm2m_err lwm2m_number_value(const lwm2m_path *p, int isint, int neg,
                             int64_t i, uint64_t u, double f,
                             lwm2m_value *out)
{
	lwm2m_type t = lwm2m_model_type(p);
	lwm2m_value v = { .type = LWM2M_T_FLOAT };

	if (isint) {
		if (neg) {
			v.type = LWM2M_T_INTEGER;
			v.v.i = i;
		} else {
			v.type = LWM2M_T_UNSIGNED;
			v.v.u = u;
		}
	} else {
		v.v.f = f;
	}
	switch (t) {
	case LWM2M_T_INTEGER:
	case LWM2M_T_UNSIGNED:
	case LWM2M_T_TIME:
		if (lwm2m_value_convert(&v, t))
			return LWM2M_ERR_TYPE;
		break;
	case LWM2M_T_NONE:
	case LWM2M_T_FLOAT:
		if (v.type != LWM2M_T_FLOAT) {
			double d = isint && neg ? (double)i : (double)u;
			v.type = LWM2M_T_FLOAT;
			v.v.f = d;
		}
		break;
	default:
		return LWM2M_ERR_TYPE;
	}
	*out = v;
	return LWM2M_OK;
}
