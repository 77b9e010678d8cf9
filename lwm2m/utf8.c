/*
 * utf8.c: UTF-8 checks for the JSON edges. TLV and TEXT strings are bytes
 * from a device and may be anything; SenML JSON cannot carry invalid UTF-8,
 * and the REST API shows such strings with U+FFFD in place of bad bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "lwm2m/internal.h"

/* Length of the valid UTF-8 sequence at s[0..n), or 0 if it is invalid
 * (overlong forms, surrogates and code points over U+10FFFF included). */
static size_t seq_len(const uint8_t *s, size_t n)
{
	uint8_t c = s[0];
	size_t len;
	uint32_t cp, min;

	if (c < 0x80)
		return 1;
	if ((c & 0xe0) == 0xc0) {
		len = 2; cp = c & 0x1f; min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		len = 3; cp = c & 0x0f; min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		len = 4; cp = c & 0x07; min = 0x10000;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

int lwm2m_utf8_valid(const uint8_t *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		size_t l = seq_len(s + i, n - i);
		if (!l)
			return 0;
		i += l;
	}
	return 1;
}

char *lwm2m_utf8_sanitize(const uint8_t *s, size_t n, size_t *outlen)
{
	if (n > (SIZE_MAX - 1) / 3)
		return NULL;
	char *o = malloc(3 * n + 1);
	size_t k = 0;
	if (!o)
		return NULL;
	for (size_t i = 0; i < n;) {
		size_t l = seq_len(s + i, n - i);
		if (l) {
			memcpy(o + k, s + i, l);
			k += l;
			i += l;
		} else {
			memcpy(o + k, "\xef\xbf\xbd", 3); /* U+FFFD */
			k += 3;
			i++;
		}
	}
	o[k] = 0;
	*outlen = k;
	return o;
}
