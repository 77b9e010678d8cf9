/*
 * test_lwm2m_senml.c: SenML JSON, SenML CBOR and LwM2M JSON, starting from
 * the Object 3 examples of the LwM2M TS (the TLV one decoded, then written
 * as the Core TS 1.1 §7.4.4 SenML JSON example).
 */
#include "tests/unit/unit.h"
#include "lwm2m/lwm2m.h"

static const char obj3_tlv[] =
	"C800144F70656E204D6F62696C6520416C6C69616E6365C801164C696768747765"
	"69676874204D324D20436C69656E74C80209333435303030313233C303312E3086"
	"0641000141010588070842000ED842011388870841007D42010384C10964C10A0F"
	"830B410000C40D5182428FC60E2B30323A3030C11055";

/* Core TS 1.1 §7.4.4, Object 3 instance 0, in compact form. */
static const char obj3_senml[] =
	"[{\"bn\":\"/3/0/\",\"n\":\"0\",\"vs\":\"Open Mobile Alliance\"},"
	"{\"n\":\"1\",\"vs\":\"Lightweight M2M Client\"},"
	"{\"n\":\"2\",\"vs\":\"345000123\"},"
	"{\"n\":\"3\",\"vs\":\"1.0\"},"
	"{\"n\":\"6/0\",\"v\":1},"
	"{\"n\":\"6/1\",\"v\":5},"
	"{\"n\":\"7/0\",\"v\":3800},"
	"{\"n\":\"7/1\",\"v\":5000},"
	"{\"n\":\"8/0\",\"v\":125},"
	"{\"n\":\"8/1\",\"v\":900},"
	"{\"n\":\"9\",\"v\":100},"
	"{\"n\":\"10\",\"v\":15},"
	"{\"n\":\"11/0\",\"v\":0},"
	"{\"n\":\"13\",\"v\":1367491215},"
	"{\"n\":\"14\",\"vs\":\"+02:00\"},"
	"{\"n\":\"16\",\"vs\":\"U\"}]";

static const lwm2m_path inst30 = { .id = {3, 0}, .len = 2 };

static void obj3_records(lwm2m_records *r)
{
	unsigned char b[256];
	long n = unit_unhex(obj3_tlv, b, sizeof b);
	lwm2m_records_init(r);
	lwm2m_decode(LWM2M_CF_TLV, &inst30, b, (size_t)n, r);
}

static int same_records(const lwm2m_records *a, const lwm2m_records *b)
{
	if (a->n != b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++) {
		const lwm2m_value *x = &a->rec[i].value, *y = &b->rec[i].value;
		if (lwm2m_path_cmp(&a->rec[i].path, &b->rec[i].path) ||
		    x->type != y->type || x->len != y->len ||
		    (x->len && memcmp(x->data, y->data, x->len)))
			return 0;
		switch (x->type) {
		case LWM2M_T_INTEGER: case LWM2M_T_TIME:
			if (x->v.i != y->v.i) return 0;
			break;
		case LWM2M_T_UNSIGNED:
			if (x->v.u != y->v.u) return 0;
			break;
		case LWM2M_T_FLOAT:
			if (x->v.f != y->v.f) return 0;
			break;
		case LWM2M_T_BOOLEAN:
			if (x->v.b != y->v.b) return 0;
			break;
		case LWM2M_T_OBJLNK:
			if (x->v.lnk.obj != y->v.lnk.obj || x->v.lnk.inst != y->v.lnk.inst)
				return 0;
			break;
		default:
			break;
		}
	}
	return 1;
}

static lwm2m_err dec(lwm2m_format f, const lwm2m_path *base, const char *s,
                     lwm2m_records *r)
{
	lwm2m_records_init(r);
	return lwm2m_decode(f, base, (const uint8_t *)s, strlen(s), r);
}

TEST(senml_json_obj3_encode_matches_spec)
{
	lwm2m_records r;
	obj3_records(&r);
	CHECK_EQ_INT(r.n, 16);
	uint8_t *out;
	size_t n;
	CHECK_EQ_INT(lwm2m_encode(LWM2M_CF_SENML_JSON, &inst30, &r, &out, &n), LWM2M_OK);
	CHECK_EQ_STR((char *)out, obj3_senml);
	CHECK_EQ_INT(n, strlen(obj3_senml));
	free(out);
	lwm2m_records_free(&r);
}

TEST(senml_json_obj3_decode_matches_tlv)
{
	lwm2m_records r, d;
	obj3_records(&r);
	CHECK_EQ_INT(dec(LWM2M_CF_SENML_JSON, &inst30, obj3_senml, &d), LWM2M_OK);
	CHECK(same_records(&r, &d));
	/* the same payload answers a Read of /3 and of / too */
	lwm2m_path obj = { .id = {3}, .len = 1 }, root = { .len = 0 };
	lwm2m_records_free(&d);
	CHECK_EQ_INT(dec(LWM2M_CF_SENML_JSON, &obj, obj3_senml, &d), LWM2M_OK);
	CHECK_EQ_INT(d.n, 16);
	lwm2m_records_free(&d);
	CHECK_EQ_INT(dec(LWM2M_CF_SENML_JSON, &root, obj3_senml, &d), LWM2M_OK);
	CHECK_EQ_INT(d.n, 16);
	lwm2m_records_free(&d);
	lwm2m_records_free(&r);
}

TEST(senml_cbor_obj3_round_trip)
{
	lwm2m_records r, d;
	obj3_records(&r);
	uint8_t *out;
	size_t n;
	CHECK_EQ_INT(lwm2m_encode(LWM2M_CF_SENML_CBOR, &inst30, &r, &out, &n), LWM2M_OK);
	/* 90 = array(16); a3 = map(3); 21 = -2 (bn); 65 "/3/0/" */
	CHECK_EQ_INT(out[0], 0x90);
	CHECK_EQ_INT(out[1], 0xA3);
	CHECK_EQ_INT(out[2], 0x21);
	CHECK_EQ_INT(out[3], 0x65);
	CHECK_EQ_MEM(out + 4, "/3/0/", 5);
	lwm2m_records_init(&d);
	CHECK_EQ_INT(lwm2m_decode(LWM2M_CF_SENML_CBOR, &inst30, out, n, &d), LWM2M_OK);
	CHECK(same_records(&r, &d));
	/* every truncation fails cleanly */
	for (size_t k = 0; k < n; k++) {
		lwm2m_records t;
		lwm2m_records_init(&t);
		CHECK(lwm2m_decode(LWM2M_CF_SENML_CBOR, &inst30, out, k, &t) != LWM2M_OK);
		CHECK_EQ_INT(t.n, 0);
		lwm2m_records_free(&t);
	}
	free(out);
	lwm2m_records_free(&d);
	lwm2m_records_free(&r);
}

/* Every value type both ways through both SenML formats. */
TEST(senml_all_types_round_trip)
{
	lwm2m_records r, d;
	lwm2m_records_init(&r);
	lwm2m_path base = { .id = {9999, 1}, .len = 2 };
	lwm2m_path p = base;
	p.len = 3;
	static const uint8_t bytes[] = { 0, 1, 0xfe, 0xff, 0x80 };
	p.id[2] = 0; lwm2m_records_add_string(&r, &p, "h\xc3\xa9llo \"q\"", 10);
	p.id[2] = 1; lwm2m_records_add_opaque(&r, &p, bytes, sizeof bytes);
	p.id[2] = 2; { lwm2m_value v = { .type = LWM2M_T_FLOAT, .v.f = 0.1 }; lwm2m_records_add(&r, &p, &v); }
	p.id[2] = 3; { lwm2m_value v = { .type = LWM2M_T_BOOLEAN, .v.b = 1 }; lwm2m_records_add(&r, &p, &v); }
	p.id[2] = 4; { lwm2m_value v = { .type = LWM2M_T_OBJLNK, .v.lnk = {507, 3} }; lwm2m_records_add(&r, &p, &v); }
	p.id[2] = 5; { lwm2m_value v = { .type = LWM2M_T_FLOAT, .v.f = -2.5 }; lwm2m_records_add(&r, &p, &v); }

	uint8_t *out;
	size_t n;
	CHECK_EQ_INT(lwm2m_encode(LWM2M_CF_SENML_JSON, &base, &r, &out, &n), LWM2M_OK);
	CHECK(strstr((char *)out, "\"vd\":\"AAH-_4A\""));
	CHECK(strstr((char *)out, "\"vlo\":\"507:3\""));
	CHECK(strstr((char *)out, "\"v\":0.1}"));
	lwm2m_records_init(&d);
	CHECK_EQ_INT(lwm2m_decode(LWM2M_CF_SENML_JSON, &base, out, n, &d), LWM2M_OK);
	free(out);
	CHECK(same_records(&r, &d));
	lwm2m_records_free(&d);

	CHECK_EQ_INT(lwm2m_encode(LWM2M_CF_SENML_CBOR, &base, &r, &out, &n), LWM2M_OK);
	lwm2m_records_init(&d);
	CHECK_EQ_INT(lwm2m_decode(LWM2M_CF_SENML_CBOR, &base, out, n, &d), LWM2M_OK);
	free(out);
	CHECK(same_records(&r, &d));
	lwm2m_records_free(&d);
	lwm2m_records_free(&r);
}

/* SenML JSON inputs that must fail, and how. */
static const struct {
	const char *name;
	const char *in;
	lwm2m_err rc;
} json_bad[] = {
	{ "string_for_integer", "[{\"bn\":\"/3/0/\",\"n\":\"9\",\"vs\":\"100\"}]", LWM2M_ERR_TYPE },
	{ "number_for_string", "[{\"bn\":\"/3/0/\",\"n\":\"0\",\"v\":1}]", LWM2M_ERR_TYPE },
	{ "fraction_for_integer", "[{\"bn\":\"/3/0/\",\"n\":\"9\",\"v\":1.5}]", LWM2M_ERR_TYPE },
	{ "bool_as_number", "[{\"bn\":\"/1/0/\",\"n\":\"6\",\"vb\":1}]", LWM2M_ERR_TYPE },
	{ "vd_not_base64url", "[{\"bn\":\"/508/0/\",\"n\":\"2\",\"vd\":\"AQ+=\"}]", LWM2M_ERR_TYPE },
	{ "vd_for_string", "[{\"bn\":\"/3/0/\",\"n\":\"0\",\"vd\":\"AQ\"}]", LWM2M_ERR_TYPE },
	{ "vlo_bad", "[{\"bn\":\"/508/0/\",\"n\":\"4\",\"vlo\":\"507\"}]", LWM2M_ERR_TYPE },
	{ "too_big_integer", "[{\"bn\":\"/3/0/\",\"n\":\"9\",\"v\":18446744073709551615}]", LWM2M_ERR_MALFORMED },
	{ "duplicate_key", "[{\"bn\":\"/3/0/\",\"n\":\"9\",\"n\":\"10\",\"v\":1}]", LWM2M_ERR_MALFORMED },
	{ "two_values", "[{\"bn\":\"/3/0/\",\"n\":\"9\",\"v\":1,\"vs\":\"x\"}]", LWM2M_ERR_MALFORMED },
	{ "no_value", "[{\"bn\":\"/3/0/\",\"n\":\"9\"}]", LWM2M_ERR_MALFORMED },
	{ "name_letters", "[{\"bn\":\"/3/0/\",\"n\":\"x\",\"v\":1}]", LWM2M_ERR_PATH },
	{ "name_double_slash", "[{\"bn\":\"/3/0/\",\"n\":\"/9\",\"v\":1}]", LWM2M_ERR_PATH },
	{ "name_outside_base", "[{\"bn\":\"/4/0/\",\"n\":\"9\",\"v\":1}]", LWM2M_ERR_PATH },
	{ "name_is_instance", "[{\"bn\":\"/3/0\",\"vs\":\"x\"}]", LWM2M_ERR_PATH },
	{ "no_base_name", "[{\"n\":\"9\",\"v\":1}]", LWM2M_ERR_PATH },
	{ "bn_not_string", "[{\"bn\":3,\"n\":\"9\",\"v\":1}]", LWM2M_ERR_PATH },
	{ "must_understand", "[{\"bn\":\"/3/0/\",\"n\":\"9\",\"v\":1,\"x_\":1}]", LWM2M_ERR_UNSUPPORTED },
	{ "base_value", "[{\"bn\":\"/3/0/\",\"bv\":1,\"n\":\"9\",\"v\":1}]", LWM2M_ERR_UNSUPPORTED },
	{ "bt_string", "[{\"bn\":\"/3/0/\",\"bt\":\"x\",\"n\":\"9\",\"v\":1}]", LWM2M_ERR_MALFORMED },
	{ "not_array", "{\"bn\":\"/3/0/\",\"n\":\"9\",\"v\":1}", LWM2M_ERR_MALFORMED },
	{ "record_not_object", "[1]", LWM2M_ERR_MALFORMED },
	{ "trailing", "[]x", LWM2M_ERR_MALFORMED },
	{ "truncated", "[{\"bn\":\"/3/0/\",\"n\":\"9\",\"v\":1}", LWM2M_ERR_MALFORMED },
	/* the second record fails: the first must not be left behind */
	{ "second_bad", "[{\"bn\":\"/3/0/\",\"n\":\"9\",\"v\":1},{\"n\":\"0\",\"v\":1}]", LWM2M_ERR_TYPE },
};

TEST(senml_json_rejects)
{
	lwm2m_path root = { .len = 0 }, obj4 = { .id = {4, 0}, .len = 2 };
	for (size_t i = 0; i < sizeof json_bad / sizeof json_bad[0]; i++) {
		lwm2m_records r;
		int outside = !strcmp(json_bad[i].name, "name_outside_base");
		lwm2m_err rc = dec(LWM2M_CF_SENML_JSON, outside ? &inst30 : &root,
		                   json_bad[i].in, &r);
		if (rc != json_bad[i].rc)
			UNIT_FAIL("%s: rc %d want %d", json_bad[i].name, rc, json_bad[i].rc);
		CHECK_EQ_INT(r.n, 0);
		lwm2m_records_free(&r);
		if (outside) { /* the same payload is fine for its own base */
			CHECK_EQ_INT(dec(LWM2M_CF_SENML_JSON, &obj4, json_bad[i].in, &r),
			             LWM2M_OK);
			lwm2m_records_free(&r);
		}
	}
}

TEST(senml_json_accepts)
{
	lwm2m_records r;
	lwm2m_path root = { .len = 0 };
	/* bt/t accepted and ignored; bn persists; absolute names; a whole
	 * real for an integer resource; unknown keys ignored */
	CHECK_EQ_INT(dec(LWM2M_CF_SENML_JSON, &root,
	                 "[{\"bn\":\"/3/0/\",\"bt\":1.7e9,\"n\":\"9\",\"v\":95.0,\"t\":0},"
	                 "{\"n\":\"13\",\"v\":1367491215,\"foo\":1},"
	                 "{\"bn\":\"/508/0/\",\"n\":\"2\",\"vd\":\"AQE\"},"
	                 "{\"n\":\"4\",\"vlo\":\"507:0\"},"
	                 "{\"bn\":\"\",\"n\":\"/9999/0/1\",\"v\":7}]", &r), LWM2M_OK);
	CHECK_EQ_INT(r.n, 5);
	CHECK_EQ_INT(r.rec[0].value.type, LWM2M_T_INTEGER);
	CHECK_EQ_INT(r.rec[0].value.v.i, 95);
	CHECK_EQ_INT(r.rec[1].value.type, LWM2M_T_TIME);
	CHECK_EQ_INT(r.rec[2].value.type, LWM2M_T_OPAQUE);
	CHECK_EQ_INT(r.rec[2].value.len, 2);
	CHECK_EQ_INT(r.rec[3].value.v.lnk.obj, 507);
	/* unknown resource: v is a float */
	CHECK_EQ_INT(r.rec[4].value.type, LWM2M_T_FLOAT);
	CHECK(r.rec[4].value.v.f == 7.0);
	CHECK_EQ_INT(r.rec[4].path.id[0], 9999);
	lwm2m_records_free(&r);
	/* an empty array is no records */
	CHECK_EQ_INT(dec(LWM2M_CF_SENML_JSON, &root, "[]", &r), LWM2M_OK);
	CHECK_EQ_INT(r.n, 0);
}

TEST(senml_json_single_resource_base)
{
	lwm2m_records r;
	lwm2m_path res = { .id = {3, 0, 0}, .len = 3 };
	lwm2m_records_init(&r);
	lwm2m_records_add_string(&r, &res, "OMA", 3);
	uint8_t *out;
	size_t n;
	CHECK_EQ_INT(lwm2m_encode(LWM2M_CF_SENML_JSON, &res, &r, &out, &n), LWM2M_OK);
	CHECK_EQ_STR((char *)out, "[{\"bn\":\"/3/0/0/\",\"vs\":\"OMA\"}]");
	lwm2m_records d;
	lwm2m_records_init(&d);
	CHECK_EQ_INT(lwm2m_decode(LWM2M_CF_SENML_JSON, &res, out, n, &d), LWM2M_OK);
	free(out);
	CHECK(same_records(&r, &d));
	lwm2m_records_free(&d);
	/* a bn without the trailing slash is read the same */
	CHECK_EQ_INT(dec(LWM2M_CF_SENML_JSON, &res, "[{\"bn\":\"/3/0/0\",\"vs\":\"OMA\"}]", &d), LWM2M_OK);
	CHECK(same_records(&r, &d));
	lwm2m_records_free(&d);
	lwm2m_records_free(&r);
}

static lwm2m_err cbor_dec(const char *hex, lwm2m_records *r)
{ /* the caller frees r */
	unsigned char b[512];
	long n = unit_unhex(hex, b, sizeof b);
	lwm2m_path root = { .len = 0 };
	lwm2m_records_init(r);
	return lwm2m_decode(LWM2M_CF_SENML_CBOR, &root, b, (size_t)n, r);
}

TEST(senml_cbor_huge_declared_count_rejected_fast)
{
	/* array of 2^28 items: 9b 00 00 00 00 10 00 00 00 plus one byte */
	lwm2m_records r;
	CHECK_EQ_INT(cbor_dec("9b000000001000000000", &r), LWM2M_ERR_MALFORMED);
	CHECK_EQ_INT(cbor_dec("9a10000000a0", &r), LWM2M_ERR_MALFORMED);
	/* a record map that declares 2^28 pairs */
	CHECK_EQ_INT(cbor_dec("81ba10000000", &r), LWM2M_ERR_MALFORMED);
	/* 5000 records declared and present would be too many: 99 1388 */
	CHECK_EQ_INT(cbor_dec("991388", &r), LWM2M_ERR_MALFORMED);
	lwm2m_records_free(&r);
}

static const struct {
	const char *name, *hex;
	lwm2m_err rc;
} cbor_cases[] = {
	/* [{-2: "/3/0/", 0: "9", 2: 100}] */
	{ "ok", "81a321652f332f302f0061390218" "64", LWM2M_OK },
	{ "trailing_byte", "81a321652f332f302f006139021864ff", LWM2M_ERR_MALFORMED },
	{ "indefinite_array", "9fa321652f332f302f006139021864ff", LWM2M_ERR_MALFORMED },
	{ "indefinite_map", "81bf21652f332f302f006139021864ff", LWM2M_ERR_MALFORMED },
	{ "tag", "c081a321652f332f302f006139021864", LWM2M_ERR_MALFORMED },
	{ "tagged_value", "81a321652f332f302f00613902c11864", LWM2M_ERR_MALFORMED },
	{ "indefinite_text", "81a3217f652f332f302fff006139021864", LWM2M_ERR_MALFORMED },
	{ "nested_array", "81a321652f332f302f00613902811864", LWM2M_ERR_MALFORMED },
	{ "duplicate_key", "81a421652f332f302f00613900613902" "1864", LWM2M_ERR_MALFORMED },
	{ "text_for_integer", "81a321652f332f302f0061390363313030", LWM2M_ERR_TYPE },
	{ "bytes_for_vs", "81a321652f332f302f0061300343414243", LWM2M_ERR_TYPE },
	{ "null_value", "81a321652f332f302f00613902f6", LWM2M_ERR_MALFORMED },
	{ "bad_name", "81a321652f332f302f006178021864", LWM2M_ERR_PATH },
	/* vd 508/0/2 = h'0101', vlo 508/0/4 = "507:0", vb 1/0/6 = true */
	{ "vd_ok", "81a321672f3530382f302f00613208420101", LWM2M_OK },
	{ "vd_text", "81a321672f3530382f302f00613208623031", LWM2M_ERR_TYPE },
	{ "vlo_ok", "81a321672f3530382f302f00613463766c6f653530373a30", LWM2M_OK },
	{ "vb_ok", "81a321652f312f302f00613604f5", LWM2M_OK },
	{ "negint_below_int64", "81a321652f332f302f006139023bffffffffffffffff", LWM2M_ERR_TYPE },
	{ "half_float", "81a321662f393939392f0063302f30"
	  "02f93e00", LWM2M_OK },
};

TEST(senml_cbor_table)
{
	for (size_t i = 0; i < sizeof cbor_cases / sizeof cbor_cases[0]; i++) {
		lwm2m_records r;
		lwm2m_err rc = cbor_dec(cbor_cases[i].hex, &r);
		if (rc != cbor_cases[i].rc)
			UNIT_FAIL("%s: rc %d want %d", cbor_cases[i].name, rc,
			          cbor_cases[i].rc);
		CHECK_EQ_INT(r.n, rc ? 0 : 1);
		lwm2m_records_free(&r);
	}
}

TEST(senml_cbor_smallest_widths)
{
	lwm2m_records r;
	lwm2m_records_init(&r);
	lwm2m_path base = { .id = {3, 0, 9}, .len = 3 };
	lwm2m_records_add_int(&r, &base, 5);
	uint8_t *out;
	size_t n;
	CHECK_EQ_INT(lwm2m_encode(LWM2M_CF_SENML_CBOR, &base, &r, &out, &n), LWM2M_OK);
	/* 81 a2 21 67 "/3/0/9/" 02 05 */
	static const uint8_t want[] = { 0x81, 0xa2, 0x21, 0x67, '/', '3', '/', '0',
	                                '/', '9', '/', 0x02, 0x05 };
	CHECK_EQ_INT(n, sizeof want);
	CHECK_EQ_MEM(out, want, sizeof want);
	free(out);
	r.rec[0].value.v.i = -500;
	CHECK_EQ_INT(lwm2m_encode(LWM2M_CF_SENML_CBOR, &base, &r, &out, &n), LWM2M_OK);
	CHECK_EQ_INT(n, sizeof want + 2);
	CHECK_EQ_INT(out[12], 0x39); /* negint, 2 bytes: 499 */
	CHECK_EQ_INT(out[13], 0x01);
	CHECK_EQ_INT(out[14], 0xF3);
	free(out);
	lwm2m_records_free(&r);
}

TEST(senml_too_many_records)
{
	/* LWM2M_MAX_RECORDS + 1 records, each valid on its own */
	size_t cap = (LWM2M_MAX_RECORDS + 1) * 16 + 64, len = 0;
	char *s = malloc(cap);
	len += (size_t)sprintf(s, "[{\"bn\":\"/9/0/0\",\"v\":1}");
	for (int i = 0; i < LWM2M_MAX_RECORDS; i++)
		len += (size_t)sprintf(s + len, ",{\"v\":1}");
	len += (size_t)sprintf(s + len, "]");
	CHECK(len <= LWM2M_MAX_PAYLOAD);
	lwm2m_records r;
	lwm2m_records_init(&r);
	lwm2m_path root = { .len = 0 };
	CHECK_EQ_INT(lwm2m_decode(LWM2M_CF_SENML_JSON, &root, (uint8_t *)s, len, &r),
	             LWM2M_ERR_TOO_LARGE);
	CHECK_EQ_INT(r.n, 0);
	free(s);
	lwm2m_records_free(&r);
}

TEST(senml_invalid_utf8)
{
	/* TLV strings are device bytes; SenML cannot carry them if not UTF-8 */
	lwm2m_records r;
	lwm2m_records_init(&r);
	lwm2m_path p = { .id = {3, 0, 0}, .len = 3 };
	lwm2m_records_add_string(&r, &p, "a\xff\xc0\x80", 4);
	uint8_t *out;
	size_t n;
	CHECK_EQ_INT(lwm2m_encode(LWM2M_CF_SENML_JSON, &p, &r, &out, &n), LWM2M_ERR_TYPE);
	CHECK_EQ_INT(lwm2m_encode(LWM2M_CF_SENML_CBOR, &p, &r, &out, &n), LWM2M_ERR_TYPE);
	CHECK_EQ_INT(lwm2m_encode(LWM2M_CF_TLV, &p, &r, &out, &n), LWM2M_OK);
	free(out);
	lwm2m_records_free(&r);
	/* CBOR vs with a bad byte: [{-2:"/3/0/",0:"0",3:"\xff"}] */
	CHECK_EQ_INT(cbor_dec("81a321652f332f302f0061300361ff", &r), LWM2M_ERR_MALFORMED);
	lwm2m_records_free(&r);
}

TEST(lwm2m_json_decode)
{
	static const char in[] =
		"{\"bn\":\"/3/0/\",\"e\":["
		"{\"n\":\"0\",\"sv\":\"Open Mobile Alliance\"},"
		"{\"n\":\"6/0\",\"v\":1},{\"n\":\"6/1\",\"v\":5},"
		"{\"n\":\"9\",\"v\":100},{\"n\":\"13\",\"v\":1367491215}]}";
	lwm2m_records r;
	CHECK_EQ_INT(dec(LWM2M_CF_LWM2M_JSON, &inst30, in, &r), LWM2M_OK);
	CHECK_EQ_INT(r.n, 5);
	CHECK_EQ_INT(r.rec[0].value.type, LWM2M_T_STRING);
	CHECK_EQ_STR((char *)r.rec[0].value.data, "Open Mobile Alliance");
	CHECK_EQ_INT(r.rec[2].path.len, 4);
	CHECK_EQ_INT(r.rec[2].value.v.i, 5);
	CHECK_EQ_INT(r.rec[4].value.type, LWM2M_T_TIME);
	lwm2m_records_free(&r);

	/* without bn the names are relative to the request; ov, bv, opaque sv */
	lwm2m_path p508 = { .id = {508, 0}, .len = 2 };
	CHECK_EQ_INT(dec(LWM2M_CF_LWM2M_JSON, &p508,
	                 "{\"e\":[{\"n\":\"4\",\"ov\":\"507:2\"},{\"n\":\"2\",\"sv\":\"AQE=\"}]}",
	                 &r), LWM2M_OK);
	CHECK_EQ_INT(r.n, 2);
	CHECK_EQ_INT(r.rec[0].value.v.lnk.inst, 2);
	CHECK_EQ_INT(r.rec[1].value.type, LWM2M_T_OPAQUE);
	CHECK_EQ_INT(r.rec[1].value.len, 2);
	lwm2m_records_free(&r);
	lwm2m_path p1 = { .id = {1, 0}, .len = 2 };
	CHECK_EQ_INT(dec(LWM2M_CF_LWM2M_JSON, &p1, "{\"e\":[{\"n\":\"6\",\"bv\":false}]}", &r), LWM2M_OK);
	CHECK_EQ_INT(r.rec[0].value.type, LWM2M_T_BOOLEAN);
	lwm2m_records_free(&r);

	/* failures */
	CHECK_EQ_INT(dec(LWM2M_CF_LWM2M_JSON, &inst30, "{\"bn\":\"/3/0/\"}", &r), LWM2M_ERR_MALFORMED);
	CHECK_EQ_INT(dec(LWM2M_CF_LWM2M_JSON, &inst30, "[]", &r), LWM2M_ERR_MALFORMED);
	CHECK_EQ_INT(dec(LWM2M_CF_LWM2M_JSON, &inst30, "{\"bn\":\"/4/0/\",\"e\":[{\"n\":\"0\",\"v\":1}]}", &r), LWM2M_ERR_PATH);
	CHECK_EQ_INT(dec(LWM2M_CF_LWM2M_JSON, &inst30, "{\"bn\":\"/3/0/\",\"e\":[{\"n\":\"0\",\"v\":1}]}", &r), LWM2M_ERR_TYPE);
	CHECK_EQ_INT(dec(LWM2M_CF_LWM2M_JSON, &inst30, "{\"bn\":\"/3/0/\",\"e\":[{\"n\":\"9\",\"v\":1,\"v\":2}]}", &r), LWM2M_ERR_MALFORMED);
	CHECK_EQ_INT(dec(LWM2M_CF_LWM2M_JSON, &inst30, "{\"bn\":\"/3/0/\",\"e\":[{\"n\":\"9\",\"v\":1,\"sv\":\"2\"}]}", &r), LWM2M_ERR_MALFORMED);
	CHECK_EQ_INT(dec(LWM2M_CF_LWM2M_JSON, &p508, "{\"e\":[{\"n\":\"2\",\"sv\":\"AQE\"}]}", &r), LWM2M_ERR_TYPE);
	CHECK_EQ_INT(r.n, 0);
	lwm2m_records_free(&r);
}

UNIT_MAIN
