/*
 * test_crypto_profile.c: the plaintext profile container (crypto/profile.h):
 * a byte table for the encoding, round trips, the Luhn check, every bound,
 * further tags carried through unchanged, and every truncation refused.
 */
#include "crypto/cerr.h"
#include "crypto/profile.h"
#include "tests/unit/unit.h"

static void sample(struct profile *p)
{
	memset(p, 0, sizeof *p);
	strcpy(p->iccid, "8949020000123456788");
	strcpy(p->imsi, "262011234567890");
	strcpy(p->carrier, "Telekom");
	for (int i = 0; i < 16; i++) {
		p->ki[i] = (uint8_t)i;
		p->opc[i] = (uint8_t)(0xf0 | i);
	}
}

/* The sample, encoded by hand. */
static const char sample_hex[] =
	"0113" "38393439303230303030313233343536373838"
	"020f" "323632303131323334353637383930"
	"0307" "54656c656b6f6d"
	"0410" "000102030405060708090a0b0c0d0e0f"
	"0510" "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";

TEST(profile_luhn)
{
	CHECK(profile_iccid_valid("8949020000123456788"));
	CHECK(profile_iccid_valid("898822806660123459"));
	CHECK(profile_iccid_valid("89490200001234567892"));
	CHECK(profile_iccid_valid("89014103211118510720"));
	CHECK(!profile_iccid_valid("8949020000123456789")); /* check digit */
	CHECK(!profile_iccid_valid("89490200001234567893"));
	CHECK(!profile_iccid_valid("89882280666012345"));   /* 17 digits */
	CHECK(!profile_iccid_valid("894902000012345678920")); /* 21 */
	CHECK(!profile_iccid_valid("89490200001234567A8"));
	CHECK(!profile_iccid_valid(""));
	CHECK(!profile_iccid_valid(NULL));
}

TEST(profile_encode_bytes)
{
	struct profile p;
	uint8_t out[PROFILE_MAX], want[200];
	size_t n;
	long wl = unit_unhex(sample_hex, want, sizeof want);
	sample(&p);
	CHECK_EQ_INT(profile_encode(&p, out, sizeof out, &n, NULL, 0), CR_OK);
	CHECK_EQ_INT(n, wl);
	CHECK_EQ_MEM(out, want, n);
	profile_clear(&p);
}

TEST(profile_decode_round_trip)
{
	struct profile p, q;
	uint8_t in[200], out[PROFILE_MAX];
	size_t n;
	long l = unit_unhex(sample_hex, in, sizeof in);
	char err[128];
	CHECK_EQ_INT(profile_decode(in, (size_t)l, &p, err, sizeof err), CR_OK);
	sample(&q);
	CHECK_EQ_STR(p.iccid, q.iccid);
	CHECK_EQ_STR(p.imsi, q.imsi);
	CHECK_EQ_STR(p.carrier, q.carrier);
	CHECK_EQ_MEM(p.ki, q.ki, 16);
	CHECK_EQ_MEM(p.opc, q.opc, 16);
	CHECK_EQ_INT(p.extra_len, 0);
	CHECK_EQ_INT(profile_encode(&p, out, sizeof out, &n, NULL, 0), CR_OK);
	CHECK_EQ_INT(n, l);
	CHECK_EQ_MEM(out, in, n);
	profile_clear(&p);
	for (size_t i = 0; i < sizeof p; i++)
		CHECK(((uint8_t *)&p)[i] == 0);
}

TEST(profile_unknown_tags_carried_through)
{
	struct profile p, q;
	uint8_t big[300], out[PROFILE_MAX], out2[PROFILE_MAX];
	size_t n, n2, off = 0, len;
	uint8_t tag;
	const uint8_t *val;
	memset(big, 0xab, sizeof big);
	sample(&p);
	CHECK_EQ_INT(profile_add_extra(&p, 0x10, (const uint8_t *)"apn.example", 11,
	                               NULL, 0), CR_OK);
	CHECK_EQ_INT(profile_add_extra(&p, 0x80, big, 200, NULL, 0), CR_OK); /* 0x81 */
	CHECK_EQ_INT(profile_add_extra(&p, 0xfe, big, 300, NULL, 0), CR_OK); /* 0x82 */
	CHECK_EQ_INT(profile_add_extra(&p, 0x11, NULL, 0, NULL, 0), CR_OK);
	CHECK_EQ_INT(profile_add_extra(&p, 0x01, big, 1, NULL, 0), CR_EPROFILE);
	CHECK_EQ_INT(profile_add_extra(&p, 0xff, big, 1, NULL, 0), CR_EPROFILE);
	CHECK_EQ_INT(profile_encode(&p, out, sizeof out, &n, NULL, 0), CR_OK);
	CHECK_EQ_INT(profile_decode(out, n, &q, NULL, 0), CR_OK);
	CHECK_EQ_INT(q.extra_len, p.extra_len);
	CHECK_EQ_MEM(q.extra, p.extra, p.extra_len);
	CHECK_EQ_INT(profile_encode(&q, out2, sizeof out2, &n2, NULL, 0), CR_OK);
	CHECK_EQ_INT(n2, n);
	CHECK_EQ_MEM(out2, out, n);
	/* Long forms on the wire. */
	CHECK(memmem(out, n, "\x80\x81\xc8", 3) != NULL);
	CHECK(memmem(out, n, "\xfe\x82\x01\x2c", 4) != NULL);
	static const struct { uint8_t tag; size_t len; } want[] = {
		{ 0x10, 11 }, { 0x80, 200 }, { 0xfe, 300 }, { 0x11, 0 } };
	for (int i = 0; i < 4; i++) {
		CHECK_EQ_INT(profile_extra_next(&q, &off, &tag, &val, &len), 1);
		CHECK_EQ_INT(tag, want[i].tag);
		CHECK_EQ_INT(len, want[i].len);
	}
	CHECK_EQ_INT(profile_extra_next(&q, &off, &tag, &val, &len), 0);
	/* Unknown tags before the known ones, as another encoder may write. */
	uint8_t mixed[300];
	size_t m = 0;
	mixed[m++] = 0x42;
	mixed[m++] = 2;
	mixed[m++] = 'h';
	mixed[m++] = 'i';
	m += unit_unhex(sample_hex, mixed + m, sizeof mixed - m);
	CHECK_EQ_INT(profile_decode(mixed, m, &q, NULL, 0), CR_OK);
	CHECK_EQ_INT(q.extra_len, 4);
	CHECK_EQ_MEM(q.extra, "\x42\x02hi", 4);
}

TEST(profile_truncated_fails)
{
	struct profile p;
	uint8_t in[200];
	char err[128];
	long l = unit_unhex(sample_hex, in, sizeof in);
	for (long i = 0; i < l; i++) {
		err[0] = '\0';
		CHECK_EQ_INT(profile_decode(in, (size_t)i, &p, err, sizeof err),
		             CR_EPROFILE);
		CHECK(err[0] != '\0');
	}
	/* Trailing garbage is a truncated TLV too. */
	in[l] = 0x20;
	CHECK_EQ_INT(profile_decode(in, (size_t)l + 1, &p, err, sizeof err),
	             CR_EPROFILE);
	CHECK(strstr(err, "truncated") != NULL);
}

/* Decodes sample_hex with byte `at` replaced by v. */
static int decode_patched(size_t at, uint8_t v, char *err, size_t errlen)
{
	struct profile p;
	uint8_t in[200];
	long l = unit_unhex(sample_hex, in, sizeof in);
	in[at] = v;
	int rc = profile_decode(in, (size_t)l, &p, err, errlen);
	profile_clear(&p);
	return rc;
}

TEST(profile_bad_fields_refused)
{
	char err[128];
	/* ICCID check digit (last byte of the ICCID value at offset 20). */
	CHECK_EQ_INT(decode_patched(20, '9', err, sizeof err), CR_EPROFILE);
	CHECK(strstr(err, "ICCID") != NULL);
	CHECK_EQ_INT(decode_patched(3, 'x', err, sizeof err), CR_EPROFILE);
	/* IMSI digit. */
	CHECK_EQ_INT(decode_patched(24, 'x', err, sizeof err), CR_EPROFILE);
	CHECK(strstr(err, "IMSI") != NULL);
	/* Carrier name: control character, bad UTF-8. */
	CHECK_EQ_INT(decode_patched(40, 0x01, err, sizeof err), CR_EPROFILE);
	CHECK(strstr(err, "carrier") != NULL);
	CHECK_EQ_INT(decode_patched(40, 0xc0, err, sizeof err), CR_EPROFILE);
	/* Duplicate tag: IMSI tag becomes a second ICCID. */
	CHECK_EQ_INT(decode_patched(21, 0x01, err, sizeof err), CR_EPROFILE);
	CHECK(strstr(err, "duplicate") != NULL);
	/* Reserved tag. */
	CHECK_EQ_INT(decode_patched(0, 0x00, err, sizeof err), CR_EPROFILE);
	/* Bad length forms: 0x80, 0x83, non-minimal 0x81 0x13. */
	CHECK_EQ_INT(decode_patched(1, 0x80, err, sizeof err), CR_EPROFILE);
	CHECK_EQ_INT(decode_patched(1, 0x83, err, sizeof err), CR_EPROFILE);
}

TEST(profile_missing_and_sizes)
{
	struct profile p;
	uint8_t in[200], out[PROFILE_MAX];
	size_t n;
	char err[128];
	long l = unit_unhex(sample_hex, in, sizeof in);
	/* Drop OPc (the last 18 bytes). */
	CHECK_EQ_INT(profile_decode(in, (size_t)l - 18, &p, err, sizeof err),
	             CR_EPROFILE);
	CHECK(strstr(err, "OPc missing") != NULL);
	/* Ki of 15 bytes. */
	in[l - 18 - 17] = 15;
	CHECK_EQ_INT(profile_decode(in, (size_t)l - 18 - 1, &p, err, sizeof err),
	             CR_EPROFILE);
	CHECK_EQ_INT(profile_decode(NULL, 0, &p, err, sizeof err), CR_EPROFILE);
	static uint8_t huge[PROFILE_MAX + 1];
	CHECK_EQ_INT(profile_decode(huge, sizeof huge, &p, err, sizeof err),
	             CR_EPROFILE);
	/* Encoding: 2 KiB in all. */
	sample(&p);
	static uint8_t big[PROFILE_MAX];
	size_t base;
	CHECK_EQ_INT(profile_encode(&p, out, sizeof out, &base, NULL, 0), CR_OK);
	CHECK_EQ_INT(profile_add_extra(&p, 0x20, big, PROFILE_MAX - base - 4, NULL, 0),
	             CR_OK);
	CHECK_EQ_INT(profile_encode(&p, out, sizeof out, &n, NULL, 0), CR_OK);
	CHECK_EQ_INT(n, PROFILE_MAX);
	CHECK_EQ_INT(profile_decode(out, n, &p, NULL, 0), CR_OK);
	CHECK_EQ_INT(profile_add_extra(&p, 0x21, big, 1, NULL, 0), CR_OK);
	CHECK_EQ_INT(profile_encode(&p, out, sizeof out, &n, err, sizeof err),
	             CR_EPROFILE);
	CHECK_EQ_INT(profile_encode(&p, out, 10, &n, err, sizeof err), CR_EPROFILE);
	sample(&p);
	CHECK_EQ_INT(profile_encode(&p, out, 10, &n, err, sizeof err), CR_EINVAL);
	/* Field bounds at encode. */
	strcpy(p.imsi, "12345");
	CHECK_EQ_INT(profile_validate(&p, err, sizeof err), CR_EPROFILE);
	strcpy(p.imsi, "123456");
	CHECK_EQ_INT(profile_validate(&p, err, sizeof err), CR_OK);
	p.carrier[0] = '\0';
	CHECK_EQ_INT(profile_validate(&p, err, sizeof err), CR_EPROFILE);
	memset(p.carrier, 'a', 64);
	p.carrier[64] = '\0';
	CHECK_EQ_INT(profile_validate(&p, err, sizeof err), CR_OK);
	strcpy(p.carrier, "Deutsche Telekom \xc3\xa9\xe2\x82\xac\xf0\x9f\x93\xb6");
	CHECK_EQ_INT(profile_validate(&p, err, sizeof err), CR_OK);
	strcpy(p.carrier, "\xed\xa0\x80"); /* a surrogate */
	CHECK_EQ_INT(profile_validate(&p, err, sizeof err), CR_EPROFILE);
	strcpy(p.carrier, "\xe0\x80\xaf"); /* overlong */
	CHECK_EQ_INT(profile_validate(&p, err, sizeof err), CR_EPROFILE);
	profile_clear(&p);
}

/* Random bytes and random mutations of a valid container: never a crash,
 * and whatever decodes re-encodes to a container that decodes the same. */
TEST(profile_mutations_bounded)
{
	struct profile p, q;
	uint8_t base[200], in[300], out[PROFILE_MAX];
	size_t n;
	long bl = unit_unhex(sample_hex, base, sizeof base);
	unsigned seed = 12345;
	int ok = 0;
	for (int round = 0; round < 20000; round++) {
		size_t len;
		seed = seed * 1103515245u + 12345u;
		if (round % 4 == 0) {
			len = (seed >> 16) % sizeof in;
			for (size_t i = 0; i < len; i++) {
				seed = seed * 1103515245u + 12345u;
				in[i] = (uint8_t)(seed >> 16);
			}
		} else {
			len = (size_t)bl;
			memcpy(in, base, len);
			for (int k = 0; k < 1 + round % 3; k++) {
				seed = seed * 1103515245u + 12345u;
				in[(seed >> 16) % len] = (uint8_t)(seed >> 8);
			}
		}
		if (profile_decode(in, len, &p, NULL, 0) != CR_OK)
			continue;
		ok++;
		CHECK_EQ_INT(profile_encode(&p, out, sizeof out, &n, NULL, 0), CR_OK);
		CHECK_EQ_INT(profile_decode(out, n, &q, NULL, 0), CR_OK);
		CHECK_EQ_STR(q.iccid, p.iccid);
		CHECK_EQ_INT(q.extra_len, p.extra_len);
	}
	CHECK(ok > 0);
}

UNIT_MAIN
