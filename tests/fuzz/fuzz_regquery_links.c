/*
 * fuzz_regquery_links.c: libFuzzer target for what a Register or Update
 * carries besides its path: the Uri-Query options (lwm2m_reg_query_parse)
 * and the CoRE link-format payload (lwm2m_links_parse). Built by
 * `make fuzz` (mk/fuzz.mk).
 *
 * Input: options separated by 0x00 bytes, then 0xFF 0xFF, then the payload
 * (no separator: everything is both query options and payload). Each option
 * and the payload are copied into buffers of exactly their length, as CoAP
 * hands them over without a terminating NUL, so ASan sees any read past the
 * end. Parsed links are formatted and parsed again: the formatter must
 * write what the parser reads back, link for link.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/lwm2m.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_OPTS 64

static void fuzz_query(const uint8_t *data, size_t size)
{
	char *opts[MAX_OPTS];
	size_t lens[MAX_OPTS], n = 0, start = 0;

	for (size_t i = 0; i <= size && n < MAX_OPTS; i++) {
		if (i == size || data[i] == 0) {
			lens[n] = i - start;
			/* malloc(0) may return NULL: keep one byte, unused */
			opts[n] = malloc(lens[n] ? lens[n] : 1);
			if (!opts[n])
				break;
			memcpy(opts[n], data + start, lens[n]);
			n++;
			start = i + 1;
		}
	}
	lwm2m_reg_query q;
	char err[64];
	if (lwm2m_reg_query_parse((const char *const *)opts, lens, n, &q, err,
	                          sizeof err) == LWM2M_OK) {
		/* what the server copies into SQL and logs must be terminated */
		if (q.has_endpoint && strlen(q.endpoint) > LWM2M_MAX_EP)
			abort();
		if (memchr(q.version, 0, sizeof q.version) == NULL ||
		    memchr(q.binding, 0, sizeof q.binding) == NULL ||
		    memchr(q.sms, 0, sizeof q.sms) == NULL)
			abort();
	} else if (memchr(err, 0, sizeof err) == NULL) {
		abort();
	}
	for (size_t i = 0; i < n; i++)
		free(opts[i]);
}

static void fuzz_links(const uint8_t *data, size_t size)
{
	char *buf = malloc(size ? size : 1);
	if (!buf)
		return;
	memcpy(buf, data, size);

	lwm2m_links l;
	lwm2m_links_init(&l);
	if (lwm2m_links_parse(buf, size, &l) == LWM2M_OK) {
		char *s;
		size_t slen;
		for (size_t i = 0; i < l.n; i++)
			for (size_t k = 0; k < l.link[i].nattr; k++)
				(void)lwm2m_link_attr_get(&l.link[i],
				                          l.link[i].attr[k].name);
		if (lwm2m_links_format(&l, &s, &slen) == LWM2M_OK) {
			lwm2m_links again;
			lwm2m_links_init(&again);
			/* a format that grows past the payload bound may be refused */
			if (lwm2m_links_parse(s, slen, &again) == LWM2M_OK &&
			    again.n != l.n)
				abort();
			lwm2m_links_free(&again);
			free(s);
		}
	}
	lwm2m_links_free(&l);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t qlen = size;
	const uint8_t *payload = data;
	size_t plen = size;

	for (size_t i = 0; i + 1 < size; i++) {
		if (data[i] == 0xFF && data[i + 1] == 0xFF) {
			qlen = i;
			payload = data + i + 2;
			plen = size - i - 2;
			break;
		}
	}
	fuzz_query(data, qlen);
	fuzz_links(payload, plen);
	return 0;
}
