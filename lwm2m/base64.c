/*
 * base64.c: RFC 4648 base64, standard alphabet with padding (507 strings,
 * the REST API, TEXT opaque) and base64url without padding (SenML vd).
 * Decoding is strict: no whitespace, no stray characters, canonical
 * trailing bits, padding required for standard and optional for url.
 */
#include <stdlib.h>
#include <string.h>

#include "lwm2m/internal.h"

static const char std_alpha[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char url_alpha[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

lwm2m_err lwm2m_base64_encode(const uint8_t *in, size_t n, int url,
                              char **out, size_t *outlen)
{
	const char *a = url ? url_alpha : std_alpha;
	if (n > (SIZE_MAX - 1) / 4 * 3 - 3)
		return LWM2M_ERR_TOO_LARGE;
	char *o = malloc((n + 2) / 3 * 4 + 1);
	size_t k = 0;
	if (!o)
		return LWM2M_ERR_NOMEM;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		size_t left = n - i;
		if (left > 1)
			v |= (uint32_t)in[i + 1] << 8;
		if (left > 2)
			v |= in[i + 2];
		o[k++] = a[v >> 18 & 63];
		o[k++] = a[v >> 12 & 63];
		if (left > 1)
			o[k++] = a[v >> 6 & 63];
		else if (!url)
			o[k++] = '=';
		if (left > 2)
			o[k++] = a[v & 63];
		else if (!url)
			o[k++] = '=';
	}
	o[k] = 0;
	*out = o;
	if (outlen)
		*outlen = k;
	return LWM2M_OK;
}

static int sextet(char c, int url)
{
	if (c >= 'A' && c <= 'Z') return c - 'A';
	if (c >= 'a' && c <= 'z') return c - 'a' + 26;
	if (c >= '0' && c <= '9') return c - '0' + 52;
	if (c == (url ? '-' : '+')) return 62;
	if (c == (url ? '_' : '/')) return 63;
	return -1;
}

lwm2m_err lwm2m_base64_decode(const char *in, size_t n, int url,
                              uint8_t **out, size_t *outlen)
{
	size_t pad = 0;
	while (pad < 2 && n > pad && in[n - 1 - pad] == '=')
		pad++;
	size_t data = n - pad; /* characters that carry bits */
	if (pad && (n % 4))
		return LWM2M_ERR_MALFORMED;
	if (!url && n % 4)
		return LWM2M_ERR_MALFORMED; /* standard needs its padding */
	if (data % 4 == 1)
		return LWM2M_ERR_MALFORMED;
	if (pad && (4 - data % 4) % 4 != pad)
		return LWM2M_ERR_MALFORMED;

	uint8_t *o = malloc(data / 4 * 3 + 3 + 1);
	size_t k = 0;
	uint32_t acc = 0;
	int bits = 0;
	if (!o)
		return LWM2M_ERR_NOMEM;
	for (size_t i = 0; i < data; i++) {
		int s = sextet(in[i], url);
		if (s < 0) {
			free(o);
			return LWM2M_ERR_MALFORMED;
		}
		acc = acc << 6 | (uint32_t)s;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			o[k++] = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (acc != 0) { /* non-zero leftover bits: not the canonical form */
		free(o);
		return LWM2M_ERR_MALFORMED;
	}
	o[k] = 0;
	*out = o;
	if (outlen)
		*outlen = k;
	return LWM2M_OK;
}
