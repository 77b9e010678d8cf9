/*
 * profile.h: the plaintext carrier profile that a package carries (DESIGN
 * §6). A sequence of TLVs, at most PROFILE_MAX bytes in all:
 *
 *   tag   1 byte
 *   len   0x00-0x7F: the length itself; 0x81 LL: 128-255; 0x82 HH LL:
 *         256-65535 (shortest form only)
 *   value len bytes
 *
 *   0x01 ICCID        ASCII digits, 18-20, last digit a Luhn check digit
 *   0x02 IMSI         ASCII digits, 6-15
 *   0x03 carrier name UTF-8, 1-64 bytes, no control characters
 *   0x04 Ki           16 bytes
 *   0x05 OPc          16 bytes
 *   0x06-0xFE         further tags: kept and re-encoded unchanged, in order
 *   0x00, 0xFF        reserved: refused
 *
 * The five known tags are mandatory and appear once each. profile_encode
 * writes them in tag order, then the further tags as they came.
 */
#ifndef CRYPTO_PROFILE_H
#define CRYPTO_PROFILE_H

#include <stddef.h>
#include <stdint.h>

#define PROFILE_MAX 2048

enum profile_tag {
	PROFILE_TAG_ICCID = 0x01,
	PROFILE_TAG_IMSI = 0x02,
	PROFILE_TAG_CARRIER = 0x03,
	PROFILE_TAG_KI = 0x04,
	PROFILE_TAG_OPC = 0x05,
};

/* Ki and OPc are secrets: wipe with profile_clear when done. */
struct profile {
	char iccid[21];
	char imsi[16];
	char carrier[65];
	uint8_t ki[16];
	uint8_t opc[16];
	size_t extra_len;          /* bytes used in extra */
	uint8_t extra[PROFILE_MAX]; /* the further TLVs, encoded */
};

/* 1 when s is 18-20 digits whose last digit is the Luhn check digit. */
int profile_iccid_valid(const char *s);

/* Wipes p (OPENSSL_cleanse): call on every profile after use. */
void profile_clear(struct profile *p);

/* Checks every field of p. CR_OK or CR_EPROFILE with the field in err. */
int profile_validate(const struct profile *p, char *err, size_t errlen);

/* Appends a further TLV (tag 0x06-0xFE). CR_EPROFILE when the tag is known
 * or reserved or the container would exceed PROFILE_MAX. */
int profile_add_extra(struct profile *p, uint8_t tag, const uint8_t *val,
                      size_t len, char *err, size_t errlen);
/* Walks the further TLVs: start with *off = 0; returns 1 and fills tag,
 * val (points into p) and len while there is one, else 0. */
int profile_extra_next(const struct profile *p, size_t *off, uint8_t *tag,
                       const uint8_t **val, size_t *len);

/* Validates p and encodes it into out (cap bytes; PROFILE_MAX is always
 * enough). CR_OK, CR_EPROFILE or CR_EINVAL (cap too small). */
int profile_encode(const struct profile *p, uint8_t *out, size_t cap,
                   size_t *outlen, char *err, size_t errlen);
/* Decodes and validates n bytes into *p (which is cleared first, and
 * cleared again on failure). CR_OK or CR_EPROFILE with the reason and
 * offset in err. */
int profile_decode(const uint8_t *in, size_t n, struct profile *p, char *err,
                   size_t errlen);

#endif
