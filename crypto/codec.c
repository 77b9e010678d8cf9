/*
 * codec.c: strict hex and base64 (RFC 4648 §4, padded). Written by hand
 * rather than with EVP_DecodeBlock, which accepts whitespace and does not
 * report the pad length, so every 507 resource is checked exactly.
 */
#include "crypto/codec.h"

static const char b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void crypto_hex_encode(const uint8_t *in, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hx[in[i] >> 4];
		out[2 * i + 1] = hx[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int crypto_hex_decode(const char *in, size_t inlen, uint8_t *out, size_t outlen)
{
	if (inlen != 2 * outlen)
		return -1;
	for (size_t i = 0; i < outlen; i++) {
		int hi = hexval(in[2 * i]), lo = hexval(in[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

size_t crypto_b64_len(size_t n)
{
	return (n + 2) / 3 * 4 + 1;
}

void crypto_b64_encode(const uint8_t *in, size_t n, char *out)
{
	size_t o = 0, i = 0;
	for (; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = b64[v >> 18 & 63];
		out[o++] = b64[v >> 12 & 63];
		out[o++] = b64[v >> 6 & 63];
		out[o++] = b64[v & 63];
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;
		out[o++] = b64[v >> 18 & 63];
		out[o++] = b64[v >> 12 & 63];
		out[o++] = '=';
		out[o++] = '=';
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = b64[v >> 18 & 63];
		out[o++] = b64[v >> 12 & 63];
		out[o++] = b64[v >> 6 & 63];
		out[o++] = '=';
	}
	out[o] = '\0';
}

static int b64val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

long crypto_b64_decode(const char *in, size_t inlen, uint8_t *out, size_t cap)
{
	if (inlen % 4)
		return -1;
	size_t pad = 0;
	if (inlen >= 4 && in[inlen - 1] == '=')
		pad = in[inlen - 2] == '=' ? 2 : 1;
	size_t outn = inlen / 4 * 3 - pad;
	if (outn > cap)
		return -1;
	size_t o = 0;
	for (size_t i = 0; i < inlen; i += 4) {
		int last = i + 4 == inlen;
		int v[4];
		for (int k = 0; k < 4; k++) {
			if (last && k >= 4 - (int)pad) {
				if (in[i + k] != '=')
					return -1;
				v[k] = 0;
			} else if ((v[k] = b64val(in[i + k])) < 0) {
				return -1;
			}
		}
		uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 |
		             (uint32_t)v[2] << 6 | (uint32_t)v[3];
		/* Canonical form only: the bits under the padding must be 0. */
		if (last && pad == 2 && (w & 0xffff))
			return -1;
		if (last && pad == 1 && (w & 0xff))
			return -1;
		out[o++] = (uint8_t)(w >> 16);
		if (!(last && pad == 2))
			out[o++] = (uint8_t)(w >> 8);
		if (!(last && pad >= 1))
			out[o++] = (uint8_t)w;
	}
	return (long)o;
}
