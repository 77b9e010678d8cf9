/*
 * token.h: API bearer tokens. A token is "nst_" followed by 43 base64url
 * characters (32 random bytes); only SHA-256 of the whole token string is
 * stored (db_token_create), so a stolen database yields no usable token.
 */
#ifndef API_TOKEN_H
#define API_TOKEN_H

#include <stdint.h>

#define API_TOKEN_LEN 47

/* Fills out with a new random token and a NUL; 0 on success. */
int api_token_generate(char out[API_TOKEN_LEN + 1]);
/* SHA-256 of the token string. */
void api_token_hash(const char *token, uint8_t out[32]);

#endif
