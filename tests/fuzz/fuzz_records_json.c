/*
 * fuzz_records_json.c: libFuzzer target for what an operator writes to a
 * device through the REST API: a JSON body (parsed as api/problem.c does,
 * JSON_DECODE_ANY | JSON_REJECT_DUPLICATES) turned into LwM2M records by
 * lwm2m_records_from_json, then encoded in every content format as the
 * Write would send it, and shown back as JSON. Built by `make fuzz`.
 *
 * Byte 0 picks the request path (a root, an object, an instance, a
 * resource, a resource instance, 507/508), the rest is the body.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lwm2m/lwm2m.h"
#include "lwm2m/records_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const lwm2m_path bases[] = {
	{ .len = 0 },
	{ .id = {3}, .len = 1 },
	{ .id = {3, 0}, .len = 2 },
	{ .id = {3, 0, 14}, .len = 3 },
	{ .id = {3, 0, 6, 1}, .len = 4 },
	{ .id = {1, 0, 1}, .len = 3 },
	{ .id = {507}, .len = 1 },
	{ .id = {507, 3}, .len = 2 },
	{ .id = {508, 0, 4}, .len = 3 },
	{ .id = {65535, 65535, 65535}, .len = 3 },
};

static const lwm2m_format formats[] = {
	LWM2M_CF_TLV, LWM2M_CF_SENML_JSON, LWM2M_CF_SENML_CBOR,
	LWM2M_CF_TEXT, LWM2M_CF_OPAQUE,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const lwm2m_path *base = &bases[data[0] % (sizeof bases / sizeof bases[0])];
	json_error_t jerr;
	json_t *j = json_loadb((const char *)data + 1, size - 1,
	                       JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
	if (!j)
		return 0;

	lwm2m_records r;
	char err[200];
	lwm2m_records_init(&r);
	lwm2m_err e = lwm2m_records_from_json(j, base, &r, err, sizeof err);
	if (e != LWM2M_OK) {
		if (r.n != 0 || !memchr(err, 0, sizeof err))
			abort(); /* out left as it was; err terminated */
	} else {
		for (size_t i = 0; i < r.n; i++)
			if (r.rec[i].path.len < base->len || r.rec[i].path.len > 4 ||
			    memcmp(r.rec[i].path.id, base->id,
			           base->len * sizeof base->id[0]))
				abort(); /* every record lies under the request path */
		for (size_t f = 0; f < sizeof formats / sizeof formats[0]; f++) {
			uint8_t *out;
			size_t n;
			if (lwm2m_encode(formats[f], base, &r, &out, &n) == LWM2M_OK) {
				lwm2m_records back;
				lwm2m_records_init(&back);
				(void)lwm2m_decode(formats[f], base, out, n, &back);
				lwm2m_records_free(&back);
				free(out);
			}
		}
		json_t *shown = lwm2m_records_to_json(&r);
		if (shown) {
			char *s = json_dumps(shown, JSON_COMPACT);
			free(s);
			json_decref(shown);
		}
	}
	lwm2m_records_free(&r);
	json_decref(j);
	return 0;
}
