/*
 * records.c: the growable list of (path, value) records every codec fills.
 */
#include <stdlib.h>
#include <string.h>

#include "lwm2m/internal.h"

void lwm2m_records_init(lwm2m_records *r)
{
	memset(r, 0, sizeof *r);
}

void lwm2m_value_free(lwm2m_value *v)
{
	free(v->data);
	v->data = NULL;
	v->len = 0;
}

void lwm2m_records_truncate(lwm2m_records *r, size_t n0)
{
	while (r->n > n0)
		lwm2m_value_free(&r->rec[--r->n].value);
}

void lwm2m_records_free(lwm2m_records *r)
{
	lwm2m_records_truncate(r, 0);
	free(r->rec);
	lwm2m_records_init(r);
}

static int has_data(lwm2m_type t)
{
	return t == LWM2M_T_STRING || t == LWM2M_T_OPAQUE ||
	       t == LWM2M_T_CORELNK;
}

static lwm2m_err grow(lwm2m_records *r)
{
	if (r->n < r->cap)
		return LWM2M_OK;
	size_t cap = r->cap ? r->cap * 2 : 16;
	lwm2m_record *p = realloc(r->rec, cap * sizeof *p);
	if (!p)
		return LWM2M_ERR_NOMEM;
	r->rec = p;
	r->cap = cap;
	return LWM2M_OK;
}

lwm2m_err lwm2m_records_take(lwm2m_records *r, const lwm2m_path *p,
                             lwm2m_value *v)
{
	lwm2m_err rc = grow(r);
	if (rc)
		return rc;
	if (has_data(v->type) && !v->data) {
		v->data = calloc(1, 1); /* keep the "data is never NULL" promise */
		if (!v->data)
			return LWM2M_ERR_NOMEM;
		v->len = 0;
	}
	r->rec[r->n].path = *p;
	r->rec[r->n].value = *v;
	r->n++;
	memset(v, 0, sizeof *v);
	return LWM2M_OK;
}

lwm2m_err lwm2m_records_add(lwm2m_records *r, const lwm2m_path *p,
                            const lwm2m_value *v)
{
	lwm2m_value c = *v;
	c.data = NULL;
	if (has_data(v->type) && v->len && !v->data)
		return LWM2M_ERR_MALFORMED;
	if (has_data(v->type)) {
		c.data = malloc(v->len + 1);
		if (!c.data)
			return LWM2M_ERR_NOMEM;
		if (v->len)
			memcpy(c.data, v->data, v->len);
		c.data[v->len] = 0;
	} else {
		c.len = 0;
	}
	lwm2m_err rc = lwm2m_records_take(r, p, &c);
	if (rc)
		lwm2m_value_free(&c);
	return rc;
}

lwm2m_err lwm2m_records_add_string(lwm2m_records *r, const lwm2m_path *p,
                                   const char *s, size_t n)
{
	lwm2m_value v = { .type = LWM2M_T_STRING, .data = (uint8_t *)s,
	                  .len = n };
	return lwm2m_records_add(r, p, &v);
}

lwm2m_err lwm2m_records_add_opaque(lwm2m_records *r, const lwm2m_path *p,
                                   const uint8_t *d, size_t n)
{
	lwm2m_value v = { .type = LWM2M_T_OPAQUE, .data = (uint8_t *)d,
	                  .len = n };
	return lwm2m_records_add(r, p, &v);
}

lwm2m_err lwm2m_records_add_int(lwm2m_records *r, const lwm2m_path *p,
                                int64_t i)
{
	lwm2m_value v = { .type = LWM2M_T_INTEGER, .v.i = i };
	return lwm2m_records_add(r, p, &v);
}

static int rec_cmp(const void *a, const void *b)
{
	const lwm2m_record *x = a, *y = b;
	return lwm2m_path_cmp(&x->path, &y->path);
}

void lwm2m_records_sort(lwm2m_records *r)
{
	if (r->n > 1)
		qsort(r->rec, r->n, sizeof *r->rec, rec_cmp);
}
