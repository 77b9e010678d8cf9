/*
 * profile.c: the plaintext carrier profile container (profile.h): a strict,
 * bounded TLV decoder and encoder. Every length is checked against what is
 * left before it is used; a container either decodes whole or not at all.
 */
#include "crypto/profile.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "crypto/cerr.h"

static int all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

int profile_iccid_valid(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	int sum = 0;
	if (n < 18 || n > 20 || !all_digits(s, n))
		return 0;
	/* Luhn: from the right, double every second digit. */
	for (size_t i = 0; i < n; i++) {
		int d = s[n - 1 - i] - '0';
		if (i % 2) {
			d *= 2;
			if (d > 9)
				d -= 9;
		}
		sum += d;
	}
	return sum % 10 == 0;
}

void profile_clear(struct profile *p)
{
	OPENSSL_cleanse(p, sizeof *p);
}

/* Strict UTF-8 (no overlongs, no surrogates, <= U+10FFFF), no C0/DEL. */
static int utf8_ok(const uint8_t *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		uint8_t c = s[i];
		size_t k;
		uint32_t cp;
		if (c < 0x80) {
			if (c < 0x20 || c == 0x7f)
				return 0;
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			k = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			k = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			k = 3;
			cp = c & 0x07;
		} else {
			return 0;
		}
		if (n - i - 1 < k)
			return 0;
		for (size_t j = 1; j <= k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		if ((k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += k + 1;
	}
	return 1;
}

int profile_validate(const struct profile *p, char *err, size_t errlen)
{
	size_t n;
	if (!profile_iccid_valid(p->iccid))
		return crypto_err(err, errlen, CR_EPROFILE,
		                  "profile: ICCID must be 18-20 digits with a valid "
		                  "Luhn check digit");
	n = strnlen(p->imsi, sizeof p->imsi);
	if (n < 6 || n > 15 || !all_digits(p->imsi, n))
		return crypto_err(err, errlen, CR_EPROFILE,
		                  "profile: IMSI must be 6-15 digits");
	n = strnlen(p->carrier, sizeof p->carrier);
	if (n < 1 || n > 64 || !utf8_ok((const uint8_t *)p->carrier, n))
		return crypto_err(err, errlen, CR_EPROFILE,
		                  "profile: carrier name must be 1-64 bytes of "
		                  "UTF-8 without control characters");
	if (p->extra_len > sizeof p->extra)
		return crypto_err(err, errlen, CR_EPROFILE, "profile: extra too long");
	return CR_OK;
}

/* Header size of a TLV with a value of n bytes. */
static size_t hdr_len(size_t n)
{
	return n < 0x80 ? 2 : n < 0x100 ? 3 : 4;
}

static size_t put_tlv(uint8_t *o, uint8_t tag, const void *v, size_t n)
{
	size_t h = 0;
	o[h++] = tag;
	if (n < 0x80) {
		o[h++] = (uint8_t)n;
	} else if (n < 0x100) {
		o[h++] = 0x81;
		o[h++] = (uint8_t)n;
	} else {
		o[h++] = 0x82;
		o[h++] = (uint8_t)(n >> 8);
		o[h++] = (uint8_t)n;
	}
	if (n)
		memcpy(o + h, v, n);
	return h + n;
}

/* Reads one TLV header at in[*pos] (n bytes in all). 0 and the value's
 * offset/length, or -1 with a reason. */
static int get_tlv(const uint8_t *in, size_t n, size_t *pos, uint8_t *tag,
                   size_t *voff, size_t *vlen, const char **why)
{
	size_t i = *pos, len;
	if (n - i < 2) {
		*why = "truncated TLV header";
		return -1;
	}
	*tag = in[i++];
	len = in[i++];
	if (len == 0x81) {
		if (n - i < 1) {
			*why = "truncated length";
			return -1;
		}
		len = in[i++];
		if (len < 0x80) {
			*why = "non-minimal length";
			return -1;
		}
	} else if (len == 0x82) {
		if (n - i < 2) {
			*why = "truncated length";
			return -1;
		}
		len = (size_t)in[i] << 8 | in[i + 1];
		i += 2;
		if (len < 0x100) {
			*why = "non-minimal length";
			return -1;
		}
	} else if (len >= 0x80) {
		*why = "bad length form";
		return -1;
	}
	if (len > n - i) {
		*why = "value runs past the end";
		return -1;
	}
	*voff = i;
	*vlen = len;
	*pos = i + len;
	return 0;
}

int profile_add_extra(struct profile *p, uint8_t tag, const uint8_t *val,
                      size_t len, char *err, size_t errlen)
{
	if (tag <= PROFILE_TAG_OPC || tag == 0xff)
		return crypto_err(err, errlen, CR_EPROFILE,
		                  "profile: tag 0x%02x is known or reserved", tag);
	if (len > PROFILE_MAX || hdr_len(len) + len > sizeof p->extra - p->extra_len)
		return crypto_err(err, errlen, CR_EPROFILE,
		                  "profile: more than %d bytes", PROFILE_MAX);
	p->extra_len += put_tlv(p->extra + p->extra_len, tag, val, len);
	return CR_OK;
}

int profile_extra_next(const struct profile *p, size_t *off, uint8_t *tag,
                       const uint8_t **val, size_t *len)
{
	size_t voff;
	const char *why;
	if (*off >= p->extra_len ||
	    get_tlv(p->extra, p->extra_len, off, tag, &voff, len, &why) < 0)
		return 0;
	*val = p->extra + voff;
	return 1;
}

int profile_encode(const struct profile *p, uint8_t *out, size_t cap,
                   size_t *outlen, char *err, size_t errlen)
{
	size_t li = strlen(p->iccid), lm = strlen(p->imsi),
	       lc = strlen(p->carrier), tot, o = 0;
	int rc = profile_validate(p, err, errlen);
	*outlen = 0;
	if (rc)
		return rc;
	tot = hdr_len(li) + li + hdr_len(lm) + lm + hdr_len(lc) + lc + 2 * (2 + 16) +
	      p->extra_len;
	if (tot > PROFILE_MAX)
		return crypto_err(err, errlen, CR_EPROFILE,
		                  "profile: %zu bytes, more than %d", tot, PROFILE_MAX);
	if (tot > cap)
		return crypto_err(err, errlen, CR_EINVAL,
		                  "profile: output buffer too small");
	o += put_tlv(out + o, PROFILE_TAG_ICCID, p->iccid, li);
	o += put_tlv(out + o, PROFILE_TAG_IMSI, p->imsi, lm);
	o += put_tlv(out + o, PROFILE_TAG_CARRIER, p->carrier, lc);
	o += put_tlv(out + o, PROFILE_TAG_KI, p->ki, 16);
	o += put_tlv(out + o, PROFILE_TAG_OPC, p->opc, 16);
	memcpy(out + o, p->extra, p->extra_len);
	o += p->extra_len;
	*outlen = o;
	return CR_OK;
}

/* Copies a digit string of lo..hi digits into dst (NUL-terminated). */
static int take_digits(char *dst, const uint8_t *v, size_t n, size_t lo,
                       size_t hi)
{
	if (n < lo || n > hi || !all_digits((const char *)v, n))
		return -1;
	memcpy(dst, v, n);
	dst[n] = '\0';
	return 0;
}

int profile_decode(const uint8_t *in, size_t n, struct profile *p, char *err,
                   size_t errlen)
{
	size_t pos = 0, voff, vlen, at;
	unsigned seen = 0;
	uint8_t tag;
	const char *why = NULL;
	int rc;
	profile_clear(p);
	if (!in || n == 0)
		return crypto_err(err, errlen, CR_EPROFILE, "profile: empty");
	if (n > PROFILE_MAX)
		return crypto_err(err, errlen, CR_EPROFILE,
		                  "profile: %zu bytes, more than %d", n, PROFILE_MAX);
	while (pos < n) {
		at = pos;
		if (get_tlv(in, n, &pos, &tag, &voff, &vlen, &why) < 0)
			goto bad;
		const uint8_t *v = in + voff;
		if (tag == 0x00 || tag == 0xff) {
			why = "reserved tag";
			goto bad;
		}
		if (tag <= PROFILE_TAG_OPC) {
			if (seen & 1u << tag) {
				why = "duplicate tag";
				goto bad;
			}
			seen |= 1u << tag;
		}
		switch (tag) {
		case PROFILE_TAG_ICCID:
			if (take_digits(p->iccid, v, vlen, 18, 20) < 0) {
				why = "ICCID must be 18-20 digits";
				goto bad;
			}
			break;
		case PROFILE_TAG_IMSI:
			if (take_digits(p->imsi, v, vlen, 6, 15) < 0) {
				why = "IMSI must be 6-15 digits";
				goto bad;
			}
			break;
		case PROFILE_TAG_CARRIER:
			if (vlen < 1 || vlen > 64 || !utf8_ok(v, vlen)) {
				why = "carrier name must be 1-64 bytes of UTF-8";
				goto bad;
			}
			memcpy(p->carrier, v, vlen);
			p->carrier[vlen] = '\0';
			break;
		case PROFILE_TAG_KI:
		case PROFILE_TAG_OPC:
			if (vlen != 16) {
				why = tag == PROFILE_TAG_KI ? "Ki must be 16 bytes"
				                            : "OPc must be 16 bytes";
				goto bad;
			}
			memcpy(tag == PROFILE_TAG_KI ? p->ki : p->opc, v, 16);
			break;
		default:
			/* Carried through byte for byte, header included. */
			memcpy(p->extra + p->extra_len, in + at, pos - at);
			p->extra_len += pos - at;
			break;
		}
	}
	if (seen != 0x3e) {
		static const char *const names[] = { "", "ICCID", "IMSI",
		                                     "carrier name", "Ki", "OPc" };
		for (int t = 1; t <= 5; t++)
			if (!(seen & 1u << t)) {
				rc = crypto_err(err, errlen, CR_EPROFILE,
				                "profile: %s missing", names[t]);
				profile_clear(p);
				return rc;
			}
	}
	rc = profile_validate(p, err, errlen);
	if (rc)
		profile_clear(p);
	return rc;
bad:
	profile_clear(p);
	return crypto_err(err, errlen, CR_EPROFILE,
	                  "profile: %s (tag at offset %zu)", why, at);
}
