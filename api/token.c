/*
 * token.c: API bearer tokens: "nst_" + 32 random bytes in base64url without
 * padding (43 characters). Only SHA-256 of the whole string is ever stored.
 */
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "api/token.h"

static const char b64url[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int api_token_generate(char out[API_TOKEN_LEN + 1])
{
	uint8_t raw[33];   /* 32 random bytes and one zero pad for the loop */
	char *o = out;
	if (RAND_bytes(raw, 32) != 1)
		return -1;
	raw[32] = 0;
	memcpy(o, "nst_", 4);
	o += 4;
	/* 32 bytes = 10 groups of 3 and 2 left over: 40 + 3 characters. */
	for (size_t i = 0; i < 33; i += 3) {
		uint32_t v = (uint32_t)raw[i] << 16 | (uint32_t)raw[i + 1] << 8 |
		             (i + 2 < 33 ? raw[i + 2] : 0);
		*o++ = b64url[(v >> 18) & 63];
		*o++ = b64url[(v >> 12) & 63];
		*o++ = b64url[(v >> 6) & 63];
		if (i + 2 < 32)
			*o++ = b64url[v & 63];
	}
	*o = 0;
	OPENSSL_cleanse(raw, sizeof raw);
	return (size_t)(o - out) == API_TOKEN_LEN ? 0 : -1;
}

void api_token_hash(const char *token, uint8_t out[32])
{
	SHA256((const unsigned char *)token, strlen(token), out);
}
