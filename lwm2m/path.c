/*
 * path.c: LwM2M paths /obj/inst/res/resinst: parse, format, compare.
 */
#include <stdio.h>
#include <string.h>

#include "lwm2m/internal.h"

/* Accepts an optional leading and trailing "/", decimal ids 0..65534, at
 * most four of them; rejects empty segments ("//"), signs and letters. */
lwm2m_err lwm2m_path_parse(const char *s, size_t n, lwm2m_path *out)
{
	lwm2m_path p = { .len = 0 };
	size_t i = 0;

	if (!s && n)
		return LWM2M_ERR_PATH;
	if (i < n && s[i] == '/')
		i++;
	while (i < n) {
		uint32_t v = 0;
		size_t start = i;
		while (i < n && s[i] >= '0' && s[i] <= '9') {
			v = v * 10 + (uint32_t)(s[i] - '0');
			if (v > LWM2M_MAX_ID)
				return LWM2M_ERR_PATH;
			i++;
		}
		if (i == start || p.len == 4)
			return LWM2M_ERR_PATH;
		p.id[p.len++] = (uint16_t)v;
		if (i < n) {
			if (s[i] != '/')
				return LWM2M_ERR_PATH;
			i++; /* a trailing "/" ends the loop here */
		}
	}
	*out = p;
	return LWM2M_OK;
}

int lwm2m_path_format(const lwm2m_path *p, char *buf, size_t size)
{
	size_t n = 0;

	if (p->len == 0) {
		if (size < 2)
			return -1;
		buf[0] = '/';
		buf[1] = 0;
		return 1;
	}
	for (unsigned i = 0; i < p->len && i < 4; i++) {
		int w = snprintf(buf + n, size > n ? size - n : 0, "/%u",
		                 (unsigned)p->id[i]);
		if (w < 0 || (size_t)w >= (size > n ? size - n : 0))
			return -1;
		n += (size_t)w;
	}
	return (int)n;
}

int lwm2m_path_within(const lwm2m_path *outer, const lwm2m_path *inner)
{
	if (inner->len < outer->len)
		return 0;
	for (unsigned i = 0; i < outer->len; i++)
		if (inner->id[i] != outer->id[i])
			return 0;
	return 1;
}

int lwm2m_path_cmp(const lwm2m_path *a, const lwm2m_path *b)
{
	unsigned n = a->len < b->len ? a->len : b->len;
	for (unsigned i = 0; i < n; i++)
		if (a->id[i] != b->id[i])
			return a->id[i] < b->id[i] ? -1 : 1;
	return (a->len > b->len) - (a->len < b->len);
}

/* SenML and LwM2M JSON names: the base name and the name are concatenated
 * (RFC 8428 §4.5.1) and the result must name a resource or a resource
 * instance below the request path. */
lwm2m_err lwm2m_resolve_name(const char *prefix, size_t plen, const char *name,
                             size_t nlen, const lwm2m_path *base,
                             lwm2m_path *out)
{
	char full[64];
	lwm2m_path p;

	if (plen + nlen >= sizeof full)
		return LWM2M_ERR_PATH;
	if (plen)
		memcpy(full, prefix, plen);
	if (nlen)
		memcpy(full + plen, name, nlen);
	if (lwm2m_path_parse(full, plen + nlen, &p))
		return LWM2M_ERR_PATH;
	if (p.len < 3 || !lwm2m_path_within(base, &p))
		return LWM2M_ERR_PATH;
	*out = p;
	return LWM2M_OK;
}
