/*
 * payload.c: shows a device's payload to operators: records decoded with
 * the LwM2M codecs ("values"), link format parsed ("links", for Discover),
 * or, when it does not decode, the bytes in base64 ("raw") and why.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_int.h"
#include "lwm2m/records_json.h"

static void add_raw(json_t *j, const uint8_t *p, size_t n, const char *why)
{
	char *b64 = NULL;
	size_t bl = 0;
	if (lwm2m_base64_encode(p, n, 0, &b64, &bl) == LWM2M_OK)
		json_object_set_new(j, "raw", json_stringn(b64, bl));
	free(b64);
	json_object_set_new(j, "decode_error", json_string(why));
}

static json_t *links_json(const lwm2m_links *l)
{
	json_t *arr = json_array();
	for (size_t i = 0; arr && i < l->n; i++) {
		const lwm2m_link *k = &l->link[i];
		json_t *attrs = json_object();
		for (size_t a = 0; attrs && a < k->nattr; a++)
			json_object_set_new(attrs, k->attr[a].name,
			                    k->attr[a].value ? json_string(k->attr[a].value)
			                                     : json_true());
		json_array_append_new(arr, json_pack("{s:s,s:o*}", "path", k->target,
		                                     "attributes", attrs));
	}
	return arr;
}

void api_add_payload(json_t *j, int op, const char *path, int format,
                     const uint8_t *p, size_t n)
{
	lwm2m_path base;
	/* libcoap leaves Content-Format out when it is 0 (text/plain), so a
	 * payload without one is read as text. */
	if (n && format < 0)
		format = LWM2M_CF_TEXT;
	json_object_set_new(j, "format", format >= 0
	                    ? json_string(lwm2m_format_name((lwm2m_format)format))
	                    : json_null());
	if (op == DM_DISCOVER || format == LWM2M_CF_LINK) {
		lwm2m_links l;
		lwm2m_links_init(&l);
		lwm2m_err e = lwm2m_links_parse((const char *)p, n, &l);
		if (e == LWM2M_OK)
			json_object_set_new(j, "links", links_json(&l));
		else
			add_raw(j, p, n, lwm2m_strerror(e));
		lwm2m_links_free(&l);
		return;
	}
	if (!n) {
		json_object_set_new(j, "values", json_array());
		return;
	}
	if (lwm2m_path_parse(path, strlen(path), &base) != LWM2M_OK) {
		add_raw(j, p, n, "the request path does not parse");
		return;
	}
	lwm2m_records r;
	lwm2m_records_init(&r);
	lwm2m_err e = lwm2m_decode((lwm2m_format)format, &base, p, n, &r);
	json_t *v = e == LWM2M_OK ? lwm2m_records_to_json(&r) : NULL;
	if (v)
		json_object_set_new(j, "values", v);
	else
		add_raw(j, p, n, e == LWM2M_OK
		        ? "the values cannot be shown as JSON (a string that is not UTF-8?)"
		        : lwm2m_strerror(e));
	lwm2m_records_free(&r);
}
