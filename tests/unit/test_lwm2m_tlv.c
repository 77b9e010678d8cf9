/*
 * test_lwm2m_tlv.c: OMA-TLV encode, decode and round trip, starting from the
 * TS "Single Object Instance Request Example" (a Read of /3/0, 121 bytes).
 */
#include "tests/unit/unit.h"
#include "lwm2m/lwm2m.h"

/* The spec's example, as in shared/vectors/lwm2m-tlv-object3.txt. */
static const char obj3_hex[] =
	"C800144F70656E204D6F62696C6520416C6C69616E6365C801164C696768747765"
	"69676874204D324D20436C69656E74C80209333435303030313233C303312E3086"
	"0641000141010588070842000ED842011388870841007D42010384C10964C10A0F"
	"830B410000C40D5182428FC60E2B30323A3030C11055";

static lwm2m_path P(int n, int a, int b, int c, int d)
{
	lwm2m_path p = { .id = { (uint16_t)a, (uint16_t)b, (uint16_t)c,
	                         (uint16_t)d }, .len = (uint8_t)n };
	return p;
}

/* The example's records, side by side with what they mean. */
static const struct {
	int len;
	uint16_t res, ri;
	lwm2m_type t;
	const char *s;
	int64_t i;
} obj3[] = {
	{ 3, 0, 0, LWM2M_T_STRING, "Open Mobile Alliance", 0 },
	{ 3, 1, 0, LWM2M_T_STRING, "Lightweight M2M Client", 0 },
	{ 3, 2, 0, LWM2M_T_STRING, "345000123", 0 },
	{ 3, 3, 0, LWM2M_T_STRING, "1.0", 0 },
	{ 4, 6, 0, LWM2M_T_INTEGER, NULL, 1 },
	{ 4, 6, 1, LWM2M_T_INTEGER, NULL, 5 },
	{ 4, 7, 0, LWM2M_T_INTEGER, NULL, 3800 },
	{ 4, 7, 1, LWM2M_T_INTEGER, NULL, 5000 },
	{ 4, 8, 0, LWM2M_T_INTEGER, NULL, 125 },
	{ 4, 8, 1, LWM2M_T_INTEGER, NULL, 900 },
	{ 3, 9, 0, LWM2M_T_INTEGER, NULL, 100 },
	{ 3, 10, 0, LWM2M_T_INTEGER, NULL, 15 },
	{ 4, 11, 0, LWM2M_T_INTEGER, NULL, 0 },
	{ 3, 13, 0, LWM2M_T_TIME, NULL, 1367491215 },
	{ 3, 14, 0, LWM2M_T_STRING, "+02:00", 0 },
	{ 3, 16, 0, LWM2M_T_STRING, "U", 0 },
};
#define NOBJ3 (sizeof obj3 / sizeof obj3[0])

static void build_obj3(lwm2m_records *r)
{
	lwm2m_records_init(r);
	/* added out of order on purpose: the encoder sorts */
	for (size_t k = NOBJ3; k-- > 0;) {
		lwm2m_path p = P(obj3[k].len, 3, 0, obj3[k].res, obj3[k].ri);
		lwm2m_value v = { .type = obj3[k].t };
		if (obj3[k].s) {
			v.data = (uint8_t *)obj3[k].s;
			v.len = strlen(obj3[k].s);
		} else {
			v.v.i = obj3[k].i;
		}
		lwm2m_records_add(r, &p, &v);
	}
}

static int check_obj3(const lwm2m_records *r, int inst)
{
	if (r->n != NOBJ3)
		return 0;
	for (size_t k = 0; k < NOBJ3; k++) {
		lwm2m_path want = P(obj3[k].len, 3, inst, obj3[k].res, obj3[k].ri);
		const lwm2m_value *v = &r->rec[k].value;
		if (lwm2m_path_cmp(&r->rec[k].path, &want) || v->type != obj3[k].t)
			return 0;
		if (obj3[k].s ? (v->len != strlen(obj3[k].s) ||
		                 memcmp(v->data, obj3[k].s, v->len))
		              : v->v.i != obj3[k].i)
			return 0;
	}
	return 1;
}

TEST(tlv_decode_spec_example)
{
	unsigned char b[256];
	long n = unit_unhex(obj3_hex, b, sizeof b);
	CHECK_EQ_INT(n, 121);
	lwm2m_records r;
	lwm2m_records_init(&r);
	lwm2m_path base = P(2, 3, 0, 0, 0);
	CHECK_EQ_INT(lwm2m_decode(LWM2M_CF_TLV, &base, b, (size_t)n, &r), LWM2M_OK);
	CHECK(check_obj3(&r, 0));
	lwm2m_records_free(&r);
}

TEST(tlv_encode_spec_example)
{
	unsigned char want[256];
	long n = unit_unhex(obj3_hex, want, sizeof want);
	lwm2m_records r;
	build_obj3(&r);
	lwm2m_path base = P(2, 3, 0, 0, 0);
	uint8_t *out = NULL;
	size_t outlen = 0;
	CHECK_EQ_INT(lwm2m_encode(LWM2M_CF_TLV, &base, &r, &out, &outlen), LWM2M_OK);
	lwm2m_records_free(&r);
	CHECK_EQ_INT(outlen, n);
	CHECK_EQ_MEM(out, want, (size_t)n);
	free(out);
}

TEST(tlv_object_instance_wrapper)
{
	unsigned char b[256] = { 0x08, 0x00, 0x79 };
	long n = unit_unhex(obj3_hex, b + 3, sizeof b - 3) + 3;
	lwm2m_records r;
	lwm2m_records_init(&r);
	lwm2m_path obj = P(1, 3, 0, 0, 0), inst = P(2, 3, 0, 0, 0);
	CHECK_EQ_INT(lwm2m_decode(LWM2M_CF_TLV, &obj, b, (size_t)n, &r), LWM2M_OK);
	CHECK(check_obj3(&r, 0));
	lwm2m_records_free(&r);
	/* the wrapped form also answers a Read of the instance itself */
	CHECK_EQ_INT(lwm2m_decode(LWM2M_CF_TLV, &inst, b, (size_t)n, &r), LWM2M_OK);
	CHECK(check_obj3(&r, 0));
	lwm2m_records_free(&r);
	/* but not of another instance */
	lwm2m_path other = P(2, 3, 1, 0, 0);
	CHECK_EQ_INT(lwm2m_decode(LWM2M_CF_TLV, &other, b, (size_t)n, &r),
	             LWM2M_ERR_PATH);
	CHECK_EQ_INT(r.n, 0);

	/* encoding with base /3 produces the wrapper */
	build_obj3(&r);
	uint8_t *out;
	size_t outlen;
	CHECK_EQ_INT(lwm2m_encode(LWM2M_CF_TLV, &obj, &r, &out, &outlen), LWM2M_OK);
	lwm2m_records_free(&r);
	CHECK_EQ_INT(outlen, n);
	CHECK_EQ_MEM(out, b, (size_t)n);
	free(out);
}

TEST(tlv_every_truncation_fails)
{
	unsigned char b[256];
	long n = unit_unhex(obj3_hex, b, sizeof b);
	lwm2m_path base = P(2, 3, 0, 0, 0);
	/* prefix lengths that end exactly on a TLV boundary are valid
	 * payloads; every other prefix must fail without a crash */
	static const int boundaries[] = { 0, 23, 48, 60, 65, 73, 84, 93, 96,
	                                  99, 104, 110, 118, 121 };
	for (long k = 0; k <= n; k++) {
		unsigned char *copy = malloc(k ? (size_t)k : 1);
		memcpy(copy, b, (size_t)k);
		lwm2m_records r;
		lwm2m_records_init(&r);
		lwm2m_err rc = lwm2m_decode(LWM2M_CF_TLV, &base, copy, (size_t)k, &r);
		int boundary = 0;
		for (size_t j = 0; j < sizeof boundaries / sizeof boundaries[0]; j++)
			boundary |= boundaries[j] == k;
		free(copy);
		if (boundary ? rc != LWM2M_OK : rc == LWM2M_OK)
			UNIT_FAIL("prefix %ld: rc %d", k, rc);
		if (rc)
			CHECK_EQ_INT(r.n, 0);
		lwm2m_records_free(&r);
	}
}

TEST(tlv_wrapped_truncations_fail)
{
	unsigned char b[256] = { 0x08, 0x00, 0x79 };
	long n = unit_unhex(obj3_hex, b + 3, sizeof b - 3) + 3;
	lwm2m_path base = P(1, 3, 0, 0, 0);
	for (long k = 1; k < n; k++) {
		lwm2m_records r;
		lwm2m_records_init(&r);
		CHECK(lwm2m_decode(LWM2M_CF_TLV, &base, b, (size_t)k, &r) != LWM2M_OK);
		CHECK_EQ_INT(r.n, 0);
	}
}

static const struct {
	const char *name;
	int blen;
	uint16_t base[4];
	const char *hex;
	lwm2m_err rc;
	size_t nrec;
} decode_cases[] = {
	/* multiple resource alone, as a Read of /3/0/6 returns it */
	{ "multi_res", 3, {3, 0, 6}, "86064100014101 05", LWM2M_OK, 2 },
	{ "res_instances_alone", 3, {3, 0, 6}, "410001410105", LWM2M_OK, 2 },
	{ "one_res_instance", 4, {3, 0, 6, 1}, "410105", LWM2M_OK, 1 },
	{ "wrong_res_instance", 4, {3, 0, 6, 1}, "410005", LWM2M_ERR_PATH, 0 },
	{ "wrong_resource", 3, {3, 0, 6}, "C10964", LWM2M_ERR_PATH, 0 },
	/* 16-bit resource id 0x1234 in an unknown object: stays opaque */
	{ "id16", 2, {9999, 0}, "E1123401", LWM2M_OK, 1 },
	{ "id_65535", 2, {9999, 0}, "E1FFFF01", LWM2M_ERR_MALFORMED, 0 },
	/* nested length larger than the parent */
	{ "child_overflows_parent", 2, {3, 0}, "8606410001420105", LWM2M_ERR_MALFORMED, 0 },
	{ "child_overflows_parent2", 2, {3, 0}, "8506410001410105", LWM2M_ERR_MALFORMED, 0 },
	/* a resource instance where a resource belongs */
	{ "wrong_nesting", 2, {3, 0}, "410001", LWM2M_ERR_MALFORMED, 0 },
	/* an object instance inside an object instance */
	{ "nested_instances", 1, {3}, "0803080100", LWM2M_ERR_MALFORMED, 0 },
	/* 2-byte integer for a boolean resource: wrong type */
	{ "bad_boolean", 2, {1, 0}, "C2060001", LWM2M_ERR_TYPE, 0 },
	{ "bool_ok", 2, {1, 0}, "C10601", LWM2M_OK, 1 },
	/* 3-byte integer: not a TLV integer width */
	{ "int_width3", 2, {3, 0}, "C309000064", LWM2M_ERR_TYPE, 0 },
	{ "empty", 2, {3, 0}, "", LWM2M_OK, 0 },
	{ "root_base", 0, {0}, "C10964", LWM2M_ERR_PATH, 0 },
};

TEST(tlv_decode_table)
{
	for (size_t i = 0; i < sizeof decode_cases / sizeof decode_cases[0]; i++) {
		unsigned char b[64];
		char hex[128];
		size_t h = 0;
		for (const char *c = decode_cases[i].hex; *c; c++)
			if (*c != ' ')
				hex[h++] = *c;
		hex[h] = 0;
		long n = unit_unhex(hex, b, sizeof b);
		lwm2m_path base = P(decode_cases[i].blen, decode_cases[i].base[0],
		                    decode_cases[i].base[1], decode_cases[i].base[2],
		                    decode_cases[i].base[3]);
		lwm2m_records r;
		lwm2m_records_init(&r);
		lwm2m_err rc = lwm2m_decode(LWM2M_CF_TLV, &base, b, (size_t)n, &r);
		if (rc != decode_cases[i].rc || r.n != decode_cases[i].nrec)
			UNIT_FAIL("%s: rc %d n %zu", decode_cases[i].name, rc, r.n);
		lwm2m_records_free(&r);
	}
}

TEST(tlv_id16_and_24bit_length_round_trip)
{
	/* 70000 bytes do not fit the 64 KiB bound; 0x10000 + a bit needs a
	 * 24-bit length field, so use an opaque of 65530 bytes in a 16-bit
	 * resource id and check its header, then a 300-byte one */
	static uint8_t big[65530];
	for (size_t i = 0; i < sizeof big; i++)
		big[i] = (uint8_t)i;
	lwm2m_records r;
	lwm2m_records_init(&r);
	lwm2m_path p = P(3, 9999, 0, 300, 0), base = P(2, 9999, 0, 0, 0);
	CHECK_EQ_INT(lwm2m_records_add_opaque(&r, &p, big, sizeof big), LWM2M_OK);
	uint8_t *out;
	size_t n;
	CHECK_EQ_INT(lwm2m_encode(LWM2M_CF_TLV, &base, &r, &out, &n), LWM2M_OK);
	/* 11 1 10 000: resource, 16-bit id, 16-bit length */
	CHECK_EQ_INT(n, sizeof big + 5);
	CHECK_EQ_INT(out[0], 0xF0);
	CHECK_EQ_INT(out[1], 0x01);
	CHECK_EQ_INT(out[2], 0x2C);
	CHECK_EQ_INT(out[3], 0xFF);
	CHECK_EQ_INT(out[4], 0xFA);
	lwm2m_records d;
	lwm2m_records_init(&d);
	CHECK_EQ_INT(lwm2m_decode(LWM2M_CF_TLV, &base, out, n, &d), LWM2M_OK);
	free(out);
	CHECK_EQ_INT(d.n, 1);
	CHECK_EQ_INT(d.rec[0].path.id[2], 300);
	CHECK_EQ_INT(d.rec[0].value.type, LWM2M_T_OPAQUE);
	CHECK_EQ_INT(d.rec[0].value.len, sizeof big);
	CHECK_EQ_MEM(d.rec[0].value.data, big, sizeof big);
	lwm2m_records_free(&d);
	lwm2m_records_free(&r);

	/* a 24-bit length field decodes (hand-built: 11 0 11 000) */
	unsigned char h24[3 + 4 + 10] = { 0xD8, 0x05, 0x00, 0x00, 0x0A };
	memcpy(h24 + 5, "0123456789", 10);
	lwm2m_path b2 = P(2, 9999, 0, 0, 0);
	CHECK_EQ_INT(lwm2m_decode(LWM2M_CF_TLV, &b2, h24, 15, &d), LWM2M_OK);
	CHECK_EQ_INT(d.n, 1);
	CHECK_EQ_INT(d.rec[0].value.len, 10);
	lwm2m_records_free(&d);
	/* ... and one that claims more than is there fails */
	h24[3] = 0x01;
	CHECK_EQ_INT(lwm2m_decode(LWM2M_CF_TLV, &b2, h24, 15, &d),
	             LWM2M_ERR_MALFORMED);
}

TEST(tlv_typed_values_round_trip)
{
	lwm2m_records r, d;
	lwm2m_records_init(&r);
	lwm2m_records_init(&d);
	lwm2m_path base = P(2, 1, 0, 0, 0);
	lwm2m_value vals[] = {
		{ .type = LWM2M_T_INTEGER, .v.i = -129 },       /* 1/0/1 lifetime */
		{ .type = LWM2M_T_BOOLEAN, .v.b = 1 },          /* 1/0/6 */
		{ .type = LWM2M_T_INTEGER, .v.i = INT64_MIN },  /* 1/0/3 */
		{ .type = LWM2M_T_INTEGER, .v.i = 70000 },      /* 1/0/2 */
	};
	uint16_t ids[] = { 1, 6, 3, 2 };
	for (int i = 0; i < 4; i++) {
		lwm2m_path p = P(3, 1, 0, ids[i], 0);
		CHECK_EQ_INT(lwm2m_records_add(&r, &p, &vals[i]), LWM2M_OK);
	}
	uint8_t *out;
	size_t n;
	CHECK_EQ_INT(lwm2m_encode(LWM2M_CF_TLV, &base, &r, &out, &n), LWM2M_OK);
	/* 1: C2 01 FF7F; 2: C4 02 00011170; 3: C8 03 08 80..00; 6: C1 06 01 */
	static const uint8_t want[] = {
		0xC2, 0x01, 0xFF, 0x7F, 0xC4, 0x02, 0x00, 0x01, 0x11, 0x70,
		0xC8, 0x03, 0x08, 0x80, 0, 0, 0, 0, 0, 0, 0, 0xC1, 0x06, 0x01 };
	CHECK_EQ_INT(n, sizeof want);
	CHECK_EQ_MEM(out, want, sizeof want);
	CHECK_EQ_INT(lwm2m_decode(LWM2M_CF_TLV, &base, out, n, &d), LWM2M_OK);
	free(out);
	CHECK_EQ_INT(d.n, 4);
	CHECK_EQ_INT(d.rec[0].value.v.i, -129);
	CHECK_EQ_INT(d.rec[1].value.v.i, 70000);
	CHECK(d.rec[2].value.v.i == INT64_MIN);
	CHECK_EQ_INT(d.rec[3].value.type, LWM2M_T_BOOLEAN);
	CHECK_EQ_INT(d.rec[3].value.v.b, 1);
	lwm2m_records_free(&r);
	lwm2m_records_free(&d);
}

TEST(tlv_objlnk_and_float_convert)
{
	lwm2m_value v = { .type = LWM2M_T_OPAQUE };
	uint8_t lnk[4] = { 0x01, 0xFB, 0x00, 0x02 };
	v.data = malloc(5);
	memcpy(v.data, lnk, 4);
	v.len = 4;
	CHECK_EQ_INT(lwm2m_value_convert(&v, LWM2M_T_OBJLNK), LWM2M_OK);
	CHECK_EQ_INT(v.v.lnk.obj, 507);
	CHECK_EQ_INT(v.v.lnk.inst, 2);
	CHECK(v.data == NULL);

	uint8_t f4[4] = { 0x3F, 0xC0, 0, 0 }; /* 1.5f */
	v = (lwm2m_value){ .type = LWM2M_T_OPAQUE, .data = malloc(4), .len = 4 };
	memcpy(v.data, f4, 4);
	CHECK_EQ_INT(lwm2m_value_convert(&v, LWM2M_T_FLOAT), LWM2M_OK);
	CHECK(v.v.f == 1.5);
	CHECK_EQ_INT(lwm2m_value_convert(&v, LWM2M_T_INTEGER), LWM2M_ERR_TYPE);
	v.v.f = 42.0;
	CHECK_EQ_INT(lwm2m_value_convert(&v, LWM2M_T_INTEGER), LWM2M_OK);
	CHECK_EQ_INT(v.v.i, 42);
	CHECK_EQ_INT(lwm2m_value_convert(&v, LWM2M_T_UNSIGNED), LWM2M_OK);
	v.v.u = UINT64_MAX;
	CHECK_EQ_INT(lwm2m_value_convert(&v, LWM2M_T_INTEGER), LWM2M_ERR_TYPE);

	/* 508/4 objlnk write encodes as 4 bytes */
	lwm2m_records r;
	lwm2m_records_init(&r);
	lwm2m_path p = P(3, 508, 0, 4, 0);
	lwm2m_value l = { .type = LWM2M_T_OBJLNK, .v.lnk = { 507, 1 } };
	lwm2m_records_add(&r, &p, &l);
	uint8_t *out;
	size_t n;
	CHECK_EQ_INT(lwm2m_encode(LWM2M_CF_TLV, &p, &r, &out, &n), LWM2M_OK);
	static const uint8_t want[] = { 0xC4, 0x04, 0x01, 0xFB, 0x00, 0x01 };
	CHECK_EQ_INT(n, 6);
	CHECK_EQ_MEM(out, want, 6);
	free(out);
	lwm2m_records_free(&r);
}

TEST(tlv_create_507_wrapped)
{
	/* a Create on /507 carries the new instance in its wrapper */
	lwm2m_records r;
	lwm2m_records_init(&r);
	for (uint16_t k = 0; k <= 6; k++) {
		lwm2m_path p = P(3, 507, 3, k, 0);
		lwm2m_records_add_string(&r, &p, "QUJD", 4);
	}
	lwm2m_path base = P(1, 507, 0, 0, 0);
	uint8_t *out;
	size_t n;
	CHECK_EQ_INT(lwm2m_encode(LWM2M_CF_TLV, &base, &r, &out, &n), LWM2M_OK);
	CHECK_EQ_INT(out[0], 0x08);
	CHECK_EQ_INT(out[1], 3);
	CHECK_EQ_INT(out[2], 7 * 6);
	lwm2m_records d;
	lwm2m_records_init(&d);
	CHECK_EQ_INT(lwm2m_decode(LWM2M_CF_TLV, &base, out, n, &d), LWM2M_OK);
	free(out);
	CHECK_EQ_INT(d.n, 7);
	CHECK_EQ_INT(d.rec[6].path.id[1], 3);
	CHECK_EQ_INT(d.rec[6].value.type, LWM2M_T_STRING);
	CHECK_EQ_STR((char *)d.rec[6].value.data, "QUJD");
	lwm2m_records_free(&d);
	/* a record outside the base is refused */
	lwm2m_path other = P(1, 508, 0, 0, 0);
	CHECK_EQ_INT(lwm2m_encode(LWM2M_CF_TLV, &other, &r, &out, &n), LWM2M_ERR_PATH);
	lwm2m_records_free(&r);
}

UNIT_MAIN
