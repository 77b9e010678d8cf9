/*
 * codec.h: the text encodings of Object 507 (DESIGN §5): hex and standard
 * base64 with padding. Strict and bounded: decoders refuse anything but the
 * canonical form (bad characters, missing padding, non-zero pad bits, too
 * long for the output), so a tampered resource is caught, never guessed at.
 */
#ifndef CRYPTO_CODEC_H
#define CRYPTO_CODEC_H

#include <stddef.h>
#include <stdint.h>

/* Lower-case hex of n bytes into out (2n + 1 bytes, NUL-terminated). */
void crypto_hex_encode(const uint8_t *in, size_t n, char *out);
/* Hex (either case) of exactly 2*outlen digits into out; -1 otherwise. */
int crypto_hex_decode(const char *in, size_t inlen, uint8_t *out, size_t outlen);

/* Size of the base64 text of n bytes, NUL included. */
size_t crypto_b64_len(size_t n);
/* Standard base64 with padding into out (crypto_b64_len(n) bytes). */
void crypto_b64_encode(const uint8_t *in, size_t n, char *out);
/* Decodes strict padded base64 of inlen chars into out (cap bytes);
 * returns the decoded length, or -1 when malformed or longer than cap. */
long crypto_b64_decode(const char *in, size_t inlen, uint8_t *out, size_t cap);

#endif
