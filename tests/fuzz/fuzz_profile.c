/*
 * fuzz_profile.c: libFuzzer target for the plaintext carrier-profile
 * container (crypto/profile.h), which the nuSIM parses after decrypting and
 * nusimd parses at upload. Built by `make fuzz` (mk/fuzz.mk).
 *
 * Whatever decodes must validate, walk its further TLVs, encode, and decode
 * again to the same fields: the encoder is canonical, so a second encode is
 * byte-identical to the first.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/cerr.h"
#include "crypto/profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct profile p, q;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *in = malloc(size ? size : 1), enc[PROFILE_MAX], enc2[PROFILE_MAX];
	size_t n, n2;
	char err[128];

	if (!in)
		return 0;
	memcpy(in, data, size); /* exact-size copy: ASan sees over-reads */
	if (profile_decode(in, size, &p, err, sizeof err) != CR_OK) {
		if (!memchr(err, 0, sizeof err))
			abort();
		free(in);
		return 0;
	}
	if (profile_validate(&p, err, sizeof err) != CR_OK)
		abort(); /* decode promises a valid profile */

	size_t off = 0, walked = 0;
	uint8_t tag;
	const uint8_t *val;
	size_t len;
	while (profile_extra_next(&p, &off, &tag, &val, &len)) {
		if (val < p.extra || val + len > p.extra + p.extra_len)
			abort();
		if (++walked > PROFILE_MAX)
			abort();
	}

	if (profile_encode(&p, enc, sizeof enc, &n, err, sizeof err) != CR_OK)
		abort();
	if (n != size)
		abort(); /* minimal lengths, each tag once: already canonical size */
	if (profile_decode(enc, n, &q, err, sizeof err) != CR_OK)
		abort();
	if (strcmp(p.iccid, q.iccid) || strcmp(p.imsi, q.imsi) ||
	    strcmp(p.carrier, q.carrier) || memcmp(p.ki, q.ki, 16) ||
	    memcmp(p.opc, q.opc, 16) || p.extra_len != q.extra_len ||
	    memcmp(p.extra, q.extra, p.extra_len))
		abort();
	if (profile_encode(&q, enc2, sizeof enc2, &n2, err, sizeof err) != CR_OK ||
	    n2 != n || memcmp(enc, enc2, n))
		abort();
	profile_clear(&p);
	profile_clear(&q);
	free(in);
	return 0;
}
