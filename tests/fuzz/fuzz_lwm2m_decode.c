/*
 * fuzz_lwm2m_decode.c: libFuzzer target feeding every lwm2m decoder, the
 * link-format parser and the registration-query parser. Built and run by
 * `make fuzz` (mk/fuzz.mk); `make build/fuzz/fuzz_lwm2m_decode` builds it.
 * The first byte picks the request path; decoded records are re-encoded,
 * so the encoders see whatever the decoders accept.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/lwm2m.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const lwm2m_path bases[] = {
	{ .len = 0 },
	{ .id = {3}, .len = 1 },
	{ .id = {3, 0}, .len = 2 },
	{ .id = {3, 0, 6}, .len = 3 },
	{ .id = {3, 0, 6, 1}, .len = 4 },
	{ .id = {507}, .len = 1 },
	{ .id = {508, 0}, .len = 2 },
	{ .id = {508, 0, 4}, .len = 3 },
};

static const lwm2m_format formats[] = {
	LWM2M_CF_TLV, LWM2M_CF_SENML_JSON, LWM2M_CF_SENML_CBOR,
	LWM2M_CF_LWM2M_JSON, LWM2M_CF_TEXT, LWM2M_CF_OPAQUE, LWM2M_CF_CBOR,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const lwm2m_path *base = &bases[data[0] % (sizeof bases / sizeof bases[0])];
	data++;
	size--;

	for (size_t f = 0; f < sizeof formats / sizeof formats[0]; f++) {
		lwm2m_records r;
		lwm2m_records_init(&r);
		if (lwm2m_decode(formats[f], base, data, size, &r) == LWM2M_OK) {
			for (size_t g = 0; g < sizeof formats / sizeof formats[0]; g++) {
				uint8_t *out;
				size_t n;
				if (lwm2m_encode(formats[g], base, &r, &out, &n) == LWM2M_OK)
					free(out);
			}
		}
		lwm2m_records_free(&r);
	}

	lwm2m_links l;
	lwm2m_links_init(&l);
	if (lwm2m_links_parse((const char *)data, size, &l) == LWM2M_OK) {
		char *s;
		if (lwm2m_links_format(&l, &s, NULL) == LWM2M_OK)
			free(s);
	}
	lwm2m_links_free(&l);

	/* split on '&' into query options */
	const char *opts[16];
	size_t lens[16], n = 0, start = 0;
	for (size_t i = 0; i <= size && n < 16; i++) {
		if (i == size || data[i] == '&') {
			opts[n] = (const char *)data + start;
			lens[n++] = i - start;
			start = i + 1;
		}
	}
	lwm2m_reg_query q;
	char err[64];
	lwm2m_reg_query_parse(opts, lens, n, &q, err, sizeof err);
	return 0;
}
