/*
 * test_server_coap_guard.c: which Block1 datagrams server/coap_guard.c
 * turns away before libcoap 4.3.1 parses them, and that everything else
 * (good block-wise transfers, plain requests, responses, malformed
 * packets libcoap discards itself) passes untouched.
 */
#include <string.h>

#include "unit.h"
#include "server/coap_guard.h"

/* A CON POST /rd with a 2-byte token, then the options given (already
 * encoded, in order, deltas from Uri-Path 11), then the payload. */
static size_t pkt(uint8_t *out, const uint8_t *opts, size_t olen,
                  size_t payload)
{
	static const uint8_t hdr[] = { 0x42, 0x02, 0x12, 0x34, 0xaa, 0xbb,
	                               0xb2, 'r', 'd' };
	size_t n = sizeof hdr;
	memcpy(out, hdr, n);
	memcpy(out + n, opts, olen);
	n += olen;
	if (payload) {
		out[n++] = 0xff;
		memset(out + n, '<', payload);
		n += payload;
	}
	return n;
}

/* Block1 (27 = 11 + 16: delta 13 ext 3) with a 1-byte value b, then
 * optionally Size1 (60 = 27 + 33: delta 13 ext 20) with a 2-byte value. */
static size_t opts_b1(uint8_t *o, uint8_t b, int size1, unsigned v)
{
	size_t n = 0;
	o[n++] = 0xd1;
	o[n++] = 3;
	o[n++] = b;
	if (size1) {
		o[n++] = 0xd2;
		o[n++] = 20;
		o[n++] = (uint8_t)(v >> 8);
		o[n++] = (uint8_t)v;
	}
	return n;
}

static const char *check(uint8_t b1, int size1, unsigned v, size_t payload,
                         int *code)
{
	static uint8_t buf[70000];
	uint8_t o[16];
	size_t ol = opts_b1(o, b1, size1, v);
	*code = 0;
	return coap_guard_check(buf, pkt(buf, o, ol, payload), code);
}

TEST(guard_passes_good_blockwise)
{
	int code;
	/* NUM 0, M=1, SZX 6 (1024) with Size1 1500; then NUM 1 final */
	CHECK(check(0x0e, 1, 1500, 1024, &code) == NULL);
	CHECK(check(0x16, 0, 0, 476, &code) == NULL);
	/* a single block (NUM 0, M=0) needs no Size1 */
	CHECK(check(0x06, 0, 0, 10, &code) == NULL);
}

TEST(guard_refuses_libcoap_crashers)
{
	int code;
	CHECK(check(0x0e, 0, 0, 1024, &code) != NULL); /* no Size1 */
	CHECK_EQ_INT(code, 0x80);
	CHECK(check(0x0e, 1, 0, 1024, &code) != NULL); /* Size1 0 */
	CHECK(check(0x16, 0, 0, 0, &code) != NULL);    /* empty block */
	CHECK(check(0x0e, 1, 1500, 1, &code) != NULL); /* M=1, short */
	CHECK(check(0x0f, 1, 1500, 1024, &code) != NULL); /* SZX 7 */
}

TEST(guard_bounds_the_body)
{
	int code;
	/* Size1 just under 64 KiB passes */
	CHECK(check(0x0e, 1, 0xffff, 1024, &code) == NULL);
	uint8_t buf[64], o[16];
	size_t ol = 0;
	/* NUM 1000 (2-byte Block1), SZX 6: offset ~1 MB */
	o[ol++] = 0xd2;
	o[ol++] = 3;
	o[ol++] = (uint8_t)(1000 >> 4);
	o[ol++] = (uint8_t)((1000 & 15) << 4 | 6);
	size_t n = pkt(buf, o, ol, 5);
	CHECK(coap_guard_check(buf, n, &code) != NULL);
	CHECK_EQ_INT(code, 0x8d);

	/* Size1 of 3 bytes (1 MiB) and of 5 bytes, on a good first block */
	static uint8_t big[2048];
	const uint8_t s3[] = { 0xd1, 3, 0x0e, 0xd3, 20, 0x10, 0x00, 0x00 };
	const uint8_t s5[] = { 0xd1, 3, 0x0e, 0xd5, 20, 0, 0, 0, 0, 1 };
	n = pkt(big, s3, sizeof s3, 1024);
	CHECK(coap_guard_check(big, n, &code) != NULL);
	CHECK_EQ_INT(code, 0x8d);
	n = pkt(big, s5, sizeof s5, 1024);
	CHECK(coap_guard_check(big, n, &code) != NULL);
	CHECK_EQ_INT(code, 0x8d);
}

TEST(guard_ignores_what_is_not_a_request)
{
	int code;
	uint8_t buf[2048], o[16];
	size_t ol = opts_b1(o, 0x0e, 0, 0);
	size_t n = pkt(buf, o, ol, 1024);
	buf[1] = 0x44; /* 2.04: a response */
	CHECK(coap_guard_check(buf, n, &code) == NULL);
	buf[1] = 0x02;
	buf[0] = 0x82; /* version 2 */
	CHECK(coap_guard_check(buf, n, &code) == NULL);
	buf[0] = 0x42;
	CHECK(coap_guard_check(buf, 3, &code) == NULL);     /* truncated */
	CHECK(coap_guard_check(buf, 9 + 2, &code) == NULL); /* option cut */
	/* no Block1 at all */
	n = pkt(buf, (const uint8_t *)"", 0, 100);
	CHECK(coap_guard_check(buf, n, &code) == NULL);
}

UNIT_MAIN
