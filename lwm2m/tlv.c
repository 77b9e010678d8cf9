/*
 * tlv.c: the OMA-TLV content format (11542, LwM2M Core §7.4.3).
 *
 * Type byte: bits 7-6 identifier type (00 object instance, 01 resource
 * instance, 10 multiple resource, 11 resource with value), bit 5 id width
 * (8 or 16 bits), bits 4-3 length type (00: length in bits 2-0, else an
 * 8/16/24-bit length field). Every nested TLV must fit inside its parent.
 * TLV values carry no type: decoded values are OPAQUE, then converted by the
 * object model where it knows the resource.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/internal.h"

enum { K_OBJINST = 0, K_RESINST = 1, K_MULTI = 2, K_RES = 3 };

/* ---- decode ---------------------------------------------------------- */

typedef struct {
	lwm2m_records *out;
	size_t count;
} dec_ctx;

/* Reads one TLV header at d[0..n); on success *hlen + *vlen <= n. */
static lwm2m_err read_header(const uint8_t *d, size_t n, int *kind,
                             uint16_t *id, size_t *hlen, size_t *vlen)
{
	if (n < 2)
		return LWM2M_ERR_MALFORMED;
	uint8_t t = d[0];
	size_t idw = (t & 0x20) ? 2 : 1, lw = (t >> 3) & 3;
	size_t h = 1 + idw + lw, len = 0;
	if (h > n)
		return LWM2M_ERR_MALFORMED;
	uint32_t v = d[1];
	if (idw == 2)
		v = v << 8 | d[2];
	if (v > LWM2M_MAX_ID)
		return LWM2M_ERR_MALFORMED;
	if (lw == 0)
		len = t & 7;
	for (size_t i = 0; i < lw; i++)
		len = len << 8 | d[1 + idw + i];
	if (len > n - h)
		return LWM2M_ERR_MALFORMED;
	*kind = t >> 6;
	*id = (uint16_t)v;
	*hlen = h;
	*vlen = len;
	return LWM2M_OK;
}

/* The TLV kind that names a node whose path has `depth` ids. */
static int kind_ok(int kind, unsigned depth)
{
	switch (depth) {
	case 2: return kind == K_OBJINST;
	case 3: return kind == K_RES || kind == K_MULTI;
	case 4: return kind == K_RESINST;
	default: return 0;
	}
}

static lwm2m_err leaf(dec_ctx *c, const lwm2m_path *p, const uint8_t *d,
                      size_t n)
{
	lwm2m_value v = { .type = LWM2M_T_OPAQUE };
	lwm2m_type t = lwm2m_model_type(p);
	lwm2m_err rc;

	if (++c->count > LWM2M_MAX_RECORDS)
		return LWM2M_ERR_TOO_LARGE;
	v.data = malloc(n + 1);
	if (!v.data)
		return LWM2M_ERR_NOMEM;
	if (n)
		memcpy(v.data, d, n);
	v.data[n] = 0;
	v.len = n;
	if (t != LWM2M_T_NONE && t != LWM2M_T_OPAQUE &&
	    (rc = lwm2m_value_convert(&v, t))) {
		lwm2m_value_free(&v);
		return rc;
	}
	rc = lwm2m_records_take(c->out, p, &v);
	if (rc)
		lwm2m_value_free(&v);
	return rc;
}

static lwm2m_err decode_list(dec_ctx *c, const lwm2m_path *parent,
                             const uint8_t *d, size_t n);

/* One node named `id` below `parent`, its value d[0..n). */
static lwm2m_err decode_node(dec_ctx *c, const lwm2m_path *parent, int kind,
                             uint16_t id, const uint8_t *d, size_t n)
{
	lwm2m_path p = *parent;
	p.id[p.len++] = id;
	if (kind == K_RES || kind == K_RESINST)
		return leaf(c, &p, d, n);
	return decode_list(c, &p, d, n);
}

/* The children of `parent`, which must exactly fill d[0..n). */
static lwm2m_err decode_list(dec_ctx *c, const lwm2m_path *parent,
                             const uint8_t *d, size_t n)
{
	size_t pos = 0;
	while (pos < n) {
		int kind;
		uint16_t id;
		size_t h, len;
		lwm2m_err rc = read_header(d + pos, n - pos, &kind, &id, &h,
		                           &len);
		if (rc)
			return rc;
		if (!kind_ok(kind, parent->len + 1u))
			return LWM2M_ERR_MALFORMED;
		rc = decode_node(c, parent, kind, id, d + pos + h, len);
		if (rc)
			return rc;
		pos += h + len;
	}
	return LWM2M_OK;
}

/* Top level: the children of base, or base itself (a Read of /3/0 may come
 * back wrapped in its object-instance TLV, a Read of /3/0/6 as the
 * multiple-resource TLV). */
lwm2m_err lwm2m_tlv_decode(const lwm2m_path *base, const uint8_t *in,
                           size_t n, lwm2m_records *out)
{
	dec_ctx c = { .out = out };
	size_t pos = 0;

	if (base->len == 0)
		return LWM2M_ERR_PATH;
	while (pos < n) {
		int kind;
		uint16_t id;
		size_t h, len;
		lwm2m_err rc = read_header(in + pos, n - pos, &kind, &id, &h,
		                           &len);
		if (rc)
			return rc;
		lwm2m_path parent = *base;
		if (!kind_ok(kind, base->len + 1u)) {
			parent.len--;
			if (!kind_ok(kind, base->len))
				return LWM2M_ERR_MALFORMED;
			if (id != base->id[base->len - 1])
				return LWM2M_ERR_PATH;
		}
		rc = decode_node(&c, &parent, kind, id, in + pos + h, len);
		if (rc)
			return rc;
		pos += h + len;
	}
	return LWM2M_OK;
}

/* ---- encode ---------------------------------------------------------- */

static void put_be(uint8_t *d, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		d[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

/* A typed value's TLV bytes: into tmp for scalars, or a pointer to data. */
static lwm2m_err value_bytes(const lwm2m_value *v, uint8_t tmp[8],
                             const uint8_t **d, size_t *n)
{
	*d = tmp;
	switch (v->type) {
	case LWM2M_T_STRING:
	case LWM2M_T_OPAQUE:
	case LWM2M_T_CORELNK:
		*d = v->data ? v->data : (const uint8_t *)"";
		*n = v->len;
		return LWM2M_OK;
	case LWM2M_T_INTEGER:
	case LWM2M_T_TIME: {
		int64_t i = v->v.i;
		*n = (i >= -128 && i <= 127) ? 1
		   : (i >= -32768 && i <= 32767) ? 2
		   : (i >= INT32_MIN && i <= INT32_MAX) ? 4 : 8;
		put_be(tmp, (uint64_t)i, *n);
		return LWM2M_OK;
	}
	case LWM2M_T_UNSIGNED: {
		/* keep the top bit clear where possible, so a peer reading the
		 * bytes as signed (LwM2M 1.0) gets the same number */
		uint64_t u = v->v.u;
		*n = u <= 0x7f ? 1 : u <= 0x7fff ? 2 : u <= 0x7fffffff ? 4 : 8;
		put_be(tmp, u, *n);
		return LWM2M_OK;
	}
	case LWM2M_T_FLOAT: {
		double f = v->v.f;
		float s = (float)f;
		if ((double)s == f || isnan(f)) {
			uint32_t w;
			memcpy(&w, &s, 4);
			put_be(tmp, w, 4);
			*n = 4;
		} else {
			uint64_t w;
			memcpy(&w, &f, 8);
			put_be(tmp, w, 8);
			*n = 8;
		}
		return LWM2M_OK;
	}
	case LWM2M_T_BOOLEAN:
		tmp[0] = v->v.b ? 1 : 0;
		*n = 1;
		return LWM2M_OK;
	case LWM2M_T_OBJLNK:
		put_be(tmp, v->v.lnk.obj, 2);
		put_be(tmp + 2, v->v.lnk.inst, 2);
		*n = 4;
		return LWM2M_OK;
	default:
		return LWM2M_ERR_TYPE;
	}
}

static lwm2m_err put_header(lwm2m_buf *b, int kind, uint16_t id, size_t len)
{
	uint8_t h[6];
	size_t n = 1;
	h[0] = (uint8_t)(kind << 6);
	if (id > 0xff) {
		h[0] |= 0x20;
		h[n++] = (uint8_t)(id >> 8);
	}
	h[n++] = (uint8_t)id;
	if (len < 8) {
		h[0] |= (uint8_t)len;
	} else {
		size_t w = len <= 0xff ? 1 : len <= 0xffff ? 2 : 3;
		if (len > 0xffffff)
			return b->err = LWM2M_ERR_TOO_LARGE;
		h[0] |= (uint8_t)(w << 3);
		put_be(h + n, len, w);
		n += w;
	}
	return lwm2m_buf_put(b, h, n);
}

static lwm2m_err put_leaf(lwm2m_buf *b, int kind, uint16_t id,
                          const lwm2m_value *v)
{
	uint8_t tmp[8];
	const uint8_t *d;
	size_t n;
	lwm2m_err rc = value_bytes(v, tmp, &d, &n);
	if (rc || (rc = put_header(b, kind, id, n)))
		return rc;
	return lwm2m_buf_put(b, d, n);
}

/* A container node: its children are encoded first to learn the length. */
static lwm2m_err put_nested(lwm2m_buf *b, int kind, uint16_t id,
                            lwm2m_buf *inner)
{
	lwm2m_err rc = inner->err;
	if (!rc)
		rc = put_header(b, kind, id, inner->n);
	if (!rc)
		rc = lwm2m_buf_put(b, inner->p, inner->n);
	lwm2m_buf_free(inner);
	return rc;
}

static int ptr_cmp(const void *a, const void *b)
{
	const lwm2m_record *x = *(const lwm2m_record *const *)a;
	const lwm2m_record *y = *(const lwm2m_record *const *)b;
	return lwm2m_path_cmp(&x->path, &y->path);
}

/* Records r[i..j) all name resource r[i]->path.id[2]: one resource TLV,
 * or a multiple-resource TLV of resource instances. */
static lwm2m_err put_resource(lwm2m_buf *b, const lwm2m_record **r,
                              size_t i, size_t j)
{
	uint16_t id = r[i]->path.id[2];
	if (r[i]->path.len == 3) {
		if (j - i != 1)
			return LWM2M_ERR_MALFORMED; /* duplicate, or mixed forms */
		return put_leaf(b, K_RES, id, &r[i]->value);
	}
	lwm2m_buf inner;
	lwm2m_buf_init(&inner, b->max);
	for (size_t k = i; k < j; k++) {
		if (r[k]->path.len != 4) {
			lwm2m_buf_free(&inner);
			return LWM2M_ERR_MALFORMED;
		}
		lwm2m_err rc = put_leaf(&inner, K_RESINST, r[k]->path.id[3],
		                        &r[k]->value);
		if (rc) {
			lwm2m_buf_free(&inner);
			return rc;
		}
	}
	return put_nested(b, K_MULTI, id, &inner);
}

/* The resources among r[i..j), grouped by resource id. */
static lwm2m_err put_resources(lwm2m_buf *b, const lwm2m_record **r,
                               size_t i, size_t j)
{
	while (i < j) {
		size_t k = i + 1;
		while (k < j && r[k]->path.id[2] == r[i]->path.id[2])
			k++;
		lwm2m_err rc = put_resource(b, r, i, k);
		if (rc)
			return rc;
		i = k;
	}
	return LWM2M_OK;
}

lwm2m_err lwm2m_tlv_encode(const lwm2m_path *base, const lwm2m_records *in,
                           lwm2m_buf *out)
{
	const lwm2m_record **r = NULL;
	lwm2m_err rc = LWM2M_OK;
	size_t n = in->n;

	if (base->len == 0)
		return LWM2M_ERR_PATH;
	if (n == 0)
		return LWM2M_OK;
	r = malloc(n * sizeof *r);
	if (!r)
		return LWM2M_ERR_NOMEM;
	for (size_t i = 0; i < n; i++) {
		r[i] = &in->rec[i];
		if (r[i]->path.len < 3 ||
		    !lwm2m_path_within(base, &r[i]->path)) {
			rc = LWM2M_ERR_PATH;
			goto out;
		}
	}
	qsort(r, n, sizeof *r, ptr_cmp);

	if (base->len == 1) {
		size_t i = 0;
		while (i < n && !rc) {
			size_t k = i + 1;
			while (k < n && r[k]->path.id[1] == r[i]->path.id[1])
				k++;
			lwm2m_buf inner;
			lwm2m_buf_init(&inner, out->max);
			rc = put_resources(&inner, r, i, k);
			if (rc)
				lwm2m_buf_free(&inner);
			else
				rc = put_nested(out, K_OBJINST,
				                r[i]->path.id[1], &inner);
			i = k;
		}
	} else if (base->len == 4) {
		if (n != 1)
			rc = LWM2M_ERR_MALFORMED;
		else
			rc = put_leaf(out, K_RESINST, base->id[3], &r[0]->value);
	} else {
		rc = put_resources(out, r, 0, n);
	}
out:
	free(r);
	return rc ? rc : out->err;
}
