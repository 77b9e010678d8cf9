/*
 * test_lwm2m_text.c: the plain-text and opaque formats by model type,
 * base64 in both flavours, and the object model tables.
 */
#include "tests/unit/unit.h"
#include "lwm2m/lwm2m.h"

static lwm2m_path P3(int o, int i, int r)
{
	lwm2m_path p = { .id = { (uint16_t)o, (uint16_t)i, (uint16_t)r }, .len = 3 };
	return p;
}

/* text in, type and value out, and what encoding the record gives back */
static const struct {
	int obj, res;
	const char *in;
	lwm2m_err rc;
	lwm2m_type t;
	const char *back; /* NULL: same as in */
} text_cases[] = {
	{ 3, 9, "100", LWM2M_OK, LWM2M_T_INTEGER, NULL },           /* integer */
	{ 3, 9, "-9223372036854775808", LWM2M_OK, LWM2M_T_INTEGER, NULL },
	{ 3, 9, "9223372036854775808", LWM2M_ERR_TYPE, 0, NULL },
	{ 3, 9, "1.5", LWM2M_ERR_TYPE, 0, NULL },
	{ 3, 9, "", LWM2M_ERR_TYPE, 0, NULL },
	{ 3, 9, " 1", LWM2M_ERR_TYPE, 0, NULL },
	{ 3, 9, "+1", LWM2M_ERR_TYPE, 0, NULL },
	{ 3, 13, "1367491215", LWM2M_OK, LWM2M_T_TIME, NULL },      /* time */
	{ 1, 14, "86400", LWM2M_OK, LWM2M_T_UNSIGNED, NULL },        /* unsigned */
	{ 1, 14, "18446744073709551615", LWM2M_OK, LWM2M_T_UNSIGNED, NULL },
	{ 1, 14, "18446744073709551616", LWM2M_ERR_TYPE, 0, NULL },
	{ 1, 14, "-1", LWM2M_ERR_TYPE, 0, NULL },
	{ 1, 6, "1", LWM2M_OK, LWM2M_T_BOOLEAN, NULL },             /* boolean */
	{ 1, 6, "0", LWM2M_OK, LWM2M_T_BOOLEAN, NULL },
	{ 1, 6, "true", LWM2M_ERR_TYPE, 0, NULL },
	{ 1, 6, "2", LWM2M_ERR_TYPE, 0, NULL },
	{ 508, 4, "507:1", LWM2M_OK, LWM2M_T_OBJLNK, NULL },        /* objlnk */
	{ 508, 4, "65535:65535", LWM2M_OK, LWM2M_T_OBJLNK, NULL },
	{ 508, 4, "507", LWM2M_ERR_TYPE, 0, NULL },
	{ 508, 4, "507:65536", LWM2M_ERR_TYPE, 0, NULL },
	{ 508, 4, "a:1", LWM2M_ERR_TYPE, 0, NULL },
	{ 3, 0, "Open Mobile Alliance", LWM2M_OK, LWM2M_T_STRING, NULL },
	{ 3, 14, "", LWM2M_OK, LWM2M_T_STRING, NULL },
	{ 508, 2, "AQE=", LWM2M_OK, LWM2M_T_OPAQUE, NULL },         /* opaque */
	{ 508, 2, "AQE", LWM2M_ERR_TYPE, 0, NULL },
	{ 9999, 1, "anything 1.0", LWM2M_OK, LWM2M_T_STRING, NULL }, /* unknown */
};

TEST(text_table)
{
	for (size_t i = 0; i < sizeof text_cases / sizeof text_cases[0]; i++) {
		lwm2m_path p = P3(text_cases[i].obj, 0, text_cases[i].res);
		lwm2m_records r;
		lwm2m_records_init(&r);
		const char *in = text_cases[i].in;
		lwm2m_err rc = lwm2m_decode(LWM2M_CF_TEXT, &p,
		                            (const uint8_t *)in, strlen(in), &r);
		if (rc != text_cases[i].rc)
			UNIT_FAIL("case %zu \"%s\": rc %d", i, in, rc);
		if (rc) {
			CHECK_EQ_INT(r.n, 0);
			continue;
		}
		CHECK_EQ_INT(r.n, 1);
		CHECK_EQ_INT(r.rec[0].value.type, text_cases[i].t);
		uint8_t *out;
		size_t n;
		CHECK_EQ_INT(lwm2m_encode(LWM2M_CF_TEXT, &p, &r, &out, &n), LWM2M_OK);
		CHECK_EQ_STR((char *)out, text_cases[i].back ? text_cases[i].back : in);
		free(out);
		lwm2m_records_free(&r);
	}
}

TEST(text_float)
{
	lwm2m_path p = P3(9999, 0, 0);
	lwm2m_records r;
	lwm2m_records_init(&r);
	lwm2m_value v = { .type = LWM2M_T_FLOAT, .v.f = 0.1 };
	lwm2m_records_add(&r, &p, &v);
	uint8_t *out;
	size_t n;
	CHECK_EQ_INT(lwm2m_encode(LWM2M_CF_TEXT, &p, &r, &out, &n), LWM2M_OK);
	CHECK_EQ_STR((char *)out, "0.1");
	free(out);
	r.rec[0].value.v.f = 1.0 / 3.0;
	CHECK_EQ_INT(lwm2m_encode(LWM2M_CF_TEXT, &p, &r, &out, &n), LWM2M_OK);
	CHECK(strtod((char *)out, NULL) == 1.0 / 3.0);
	free(out);
	lwm2m_records_free(&r);
}

TEST(text_needs_one_record_at_base)
{
	lwm2m_path p = P3(3, 0, 9), q = P3(3, 0, 10), inst = { .id = {3, 0}, .len = 2 };
	lwm2m_records r;
	lwm2m_records_init(&r);
	lwm2m_records_add_int(&r, &p, 1);
	uint8_t *out;
	size_t n;
	CHECK_EQ_INT(lwm2m_encode(LWM2M_CF_TEXT, &q, &r, &out, &n), LWM2M_ERR_PATH);
	CHECK_EQ_INT(lwm2m_encode(LWM2M_CF_TEXT, &inst, &r, &out, &n), LWM2M_ERR_PATH);
	lwm2m_records_add_int(&r, &p, 2);
	CHECK_EQ_INT(lwm2m_encode(LWM2M_CF_TEXT, &p, &r, &out, &n), LWM2M_ERR_UNSUPPORTED);
	CHECK_EQ_INT(lwm2m_decode(LWM2M_CF_TEXT, &inst, (const uint8_t *)"1", 1, &r),
	             LWM2M_ERR_PATH);
	CHECK_EQ_INT(r.n, 2);
	lwm2m_records_free(&r);
}

TEST(opaque_format)
{
	lwm2m_path p = P3(508, 0, 2);
	lwm2m_records r;
	lwm2m_records_init(&r);
	static const uint8_t caps[2] = { 0x01, 0x01 };
	CHECK_EQ_INT(lwm2m_decode(LWM2M_CF_OPAQUE, &p, caps, 2, &r), LWM2M_OK);
	CHECK_EQ_INT(r.rec[0].value.type, LWM2M_T_OPAQUE);
	uint8_t *out;
	size_t n;
	CHECK_EQ_INT(lwm2m_encode(LWM2M_CF_OPAQUE, &p, &r, &out, &n), LWM2M_OK);
	CHECK_EQ_INT(n, 2);
	CHECK_EQ_MEM(out, caps, 2);
	free(out);
	lwm2m_records_free(&r);
	lwm2m_records_add_string(&r, &p, "x", 1);
	CHECK_EQ_INT(lwm2m_encode(LWM2M_CF_OPAQUE, &p, &r, &out, &n), LWM2M_ERR_TYPE);
	lwm2m_records_free(&r);
	CHECK_EQ_INT(lwm2m_encode(LWM2M_CF_LWM2M_JSON, &p, &r, &out, &n),
	             LWM2M_ERR_UNSUPPORTED);
}

/* single-value CBOR (60): hex in, type out, and the same bytes back */
static const struct {
	int obj, res;
	const char *hex;
	lwm2m_err rc;
	lwm2m_type t;
} cbor_cases[] = {
	{ 3, 9, "1864", LWM2M_OK, LWM2M_T_INTEGER },          /* 100 */
	{ 3, 9, "3863", LWM2M_OK, LWM2M_T_INTEGER },          /* -100 */
	{ 3, 9, "f93e00", LWM2M_ERR_TYPE, 0 },                /* 1.5 */
	{ 3, 9, "6131", LWM2M_ERR_TYPE, 0 },                  /* "1" */
	{ 3, 13, "1a5182428f", LWM2M_OK, LWM2M_T_TIME },
	{ 1, 14, "1bffffffffffffffff", LWM2M_OK, LWM2M_T_UNSIGNED },
	{ 1, 14, "20", LWM2M_ERR_TYPE, 0 },                   /* -1 */
	{ 1, 6, "f5", LWM2M_OK, LWM2M_T_BOOLEAN },
	{ 1, 6, "01", LWM2M_ERR_TYPE, 0 },
	{ 3, 0, "634f4d41", LWM2M_OK, LWM2M_T_STRING },       /* "OMA" */
	{ 3, 0, "61ff", LWM2M_ERR_MALFORMED, 0 },             /* not UTF-8 */
	{ 508, 2, "420101", LWM2M_OK, LWM2M_T_OPAQUE },
	{ 508, 4, "653530373a31", LWM2M_OK, LWM2M_T_OBJLNK }, /* "507:1" */
	{ 9999, 0, "fb3fb999999999999a", LWM2M_OK, LWM2M_T_FLOAT }, /* 0.1 */
	{ 9999, 0, "f6", LWM2M_ERR_MALFORMED, 0 },            /* null */
	{ 9999, 0, "c11a5182428f", LWM2M_ERR_MALFORMED, 0 },  /* tag */
	{ 9999, 0, "810a", LWM2M_ERR_MALFORMED, 0 },          /* array */
	{ 9999, 0, "0a0a", LWM2M_ERR_MALFORMED, 0 },          /* trailing */
	{ 9999, 0, "19", LWM2M_ERR_MALFORMED, 0 },            /* truncated */
	{ 9999, 0, "", LWM2M_ERR_MALFORMED, 0 },
};

TEST(cbor_single_value_table)
{
	for (size_t i = 0; i < sizeof cbor_cases / sizeof cbor_cases[0]; i++) {
		unsigned char b[32];
		long n = unit_unhex(cbor_cases[i].hex, b, sizeof b);
		lwm2m_path p = P3(cbor_cases[i].obj, 0, cbor_cases[i].res);
		lwm2m_records r;
		lwm2m_records_init(&r);
		lwm2m_err rc = lwm2m_decode(LWM2M_CF_CBOR, &p, b, (size_t)n, &r);
		if (rc != cbor_cases[i].rc)
			UNIT_FAIL("case %zu %s: rc %d", i, cbor_cases[i].hex, rc);
		if (rc) {
			CHECK_EQ_INT(r.n, 0);
			lwm2m_records_free(&r);
			continue;
		}
		CHECK_EQ_INT(r.rec[0].value.type, cbor_cases[i].t);
		uint8_t *out;
		size_t on;
		CHECK_EQ_INT(lwm2m_encode(LWM2M_CF_CBOR, &p, &r, &out, &on), LWM2M_OK);
		lwm2m_records_free(&r);
		CHECK_EQ_INT(on, n);
		CHECK_EQ_MEM(out, b, on);
		free(out);
	}
}

TEST(decode_size_bound)
{
	lwm2m_path p = P3(3, 0, 0);
	lwm2m_records r;
	lwm2m_records_init(&r);
	uint8_t *big = calloc(1, LWM2M_MAX_PAYLOAD + 1);
	CHECK_EQ_INT(lwm2m_decode(LWM2M_CF_OPAQUE, &p, big, LWM2M_MAX_PAYLOAD + 1, &r),
	             LWM2M_ERR_TOO_LARGE);
	free(big);
}

static const struct {
	const char *raw, *std, *url;
} b64[] = {
	{ "", "", "" },
	{ "f", "Zg==", "Zg" },
	{ "fo", "Zm8=", "Zm8" },
	{ "foo", "Zm9v", "Zm9v" },
	{ "foob", "Zm9vYg==", "Zm9vYg" },
	{ "\xfb\xff\xfe", "+//+", "-__-" },
};

TEST(base64_table)
{
	for (size_t i = 0; i < sizeof b64 / sizeof b64[0]; i++) {
		size_t rl = strlen(b64[i].raw), n;
		char *s;
		uint8_t *d;
		CHECK_EQ_INT(lwm2m_base64_encode((const uint8_t *)b64[i].raw, rl, 0,
		                                 &s, &n), LWM2M_OK);
		CHECK_EQ_STR(s, b64[i].std);
		free(s);
		CHECK_EQ_INT(lwm2m_base64_encode((const uint8_t *)b64[i].raw, rl, 1,
		                                 &s, &n), LWM2M_OK);
		CHECK_EQ_STR(s, b64[i].url);
		free(s);
		CHECK_EQ_INT(lwm2m_base64_decode(b64[i].std, strlen(b64[i].std), 0,
		                                 &d, &n), LWM2M_OK);
		CHECK_EQ_INT(n, rl);
		CHECK_EQ_MEM(d, b64[i].raw, rl);
		free(d);
		CHECK_EQ_INT(lwm2m_base64_decode(b64[i].url, strlen(b64[i].url), 1,
		                                 &d, &n), LWM2M_OK);
		CHECK_EQ_INT(n, rl);
		CHECK_EQ_MEM(d, b64[i].raw, rl);
		free(d);
	}
}

TEST(base64_rejects)
{
	static const struct { const char *s; int url; } bad[] = {
		{ "Zg", 0 },      /* standard needs padding */
		{ "Zg=", 0 },     /* short padding */
		{ "Zg===", 0 },
		{ "Z===", 0 },
		{ "Zh==", 0 },    /* non-zero trailing bits */
		{ "Zm9v\n", 0 },  /* whitespace */
		{ "Zm-v", 0 },    /* url char in standard */
		{ "Zm+v", 1 },    /* standard char in url */
		{ "Z", 1 },       /* impossible length */
		{ "Zg=", 1 },
		{ "Zm9=v", 0 },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		uint8_t *d = NULL;
		size_t n;
		if (lwm2m_base64_decode(bad[i].s, strlen(bad[i].s), bad[i].url, &d,
		                        &n) != LWM2M_ERR_MALFORMED)
			UNIT_FAIL("\"%s\" accepted", bad[i].s);
	}
}

TEST(model_tables)
{
	const lwm2m_object_def *o = lwm2m_model_object(507);
	CHECK(o);
	CHECK_EQ_INT(o->nres, 7);
	CHECK(o->multiple);
	const lwm2m_resource_def *r = lwm2m_model_resource(507, 6);
	CHECK(r);
	CHECK_EQ_STR(r->name, "KpubCI");
	CHECK_EQ_INT(r->type, LWM2M_T_STRING);
	CHECK_EQ_INT(r->ops, LWM2M_OP_R | LWM2M_OP_W);
	CHECK(r->mandatory);
	r = lwm2m_model_resource(508, 5);
	CHECK(r);
	CHECK_EQ_INT(r->ops, LWM2M_OP_E);
	CHECK_EQ_INT(r->type, LWM2M_T_NONE);
	CHECK_EQ_INT(lwm2m_model_resource(508, 4)->type, LWM2M_T_OBJLNK);
	CHECK_EQ_INT(lwm2m_model_resource(508, 2)->type, LWM2M_T_OPAQUE);
	CHECK_EQ_INT(lwm2m_model_resource(508, 6)->type, LWM2M_T_INTEGER);
	CHECK(!lwm2m_model_object(508)->multiple);
	CHECK(lwm2m_model_resource(3, 6)->multiple);
	CHECK_EQ_STR(lwm2m_model_resource(3, 0)->name, "Manufacturer");
	CHECK_EQ_INT(lwm2m_model_resource(1, 1)->type, LWM2M_T_INTEGER);
	CHECK_EQ_INT(lwm2m_model_resource(1, 14)->type, LWM2M_T_UNSIGNED);
	CHECK_EQ_INT(lwm2m_model_resource(0, 0)->type, LWM2M_T_STRING);
	CHECK_EQ_INT(lwm2m_model_resource(4, 4)->type, LWM2M_T_STRING);
	CHECK(lwm2m_model_resource(4, 4)->multiple);
	CHECK(!lwm2m_model_object(5));
	CHECK(!lwm2m_model_resource(3, 9999));
	lwm2m_path p = { .id = {3, 0, 13}, .len = 3 };
	CHECK_EQ_INT(lwm2m_model_type(&p), LWM2M_T_TIME);
	p.len = 2;
	CHECK_EQ_INT(lwm2m_model_type(&p), LWM2M_T_NONE);
}

TEST(names)
{
	CHECK_EQ_INT(lwm2m_format_from_name("senml-cbor"), LWM2M_CF_SENML_CBOR);
	CHECK_EQ_STR(lwm2m_format_name(LWM2M_CF_TLV), "tlv");
	CHECK_EQ_INT(lwm2m_format_from_name("xml"), LWM2M_CF_NONE);
	for (int t = LWM2M_T_STRING; t <= LWM2M_T_CORELNK; t++)
		CHECK_EQ_INT(lwm2m_type_from_name(lwm2m_type_name(t)), t);
	CHECK_EQ_INT(lwm2m_type_from_name("nope"), LWM2M_T_NONE);
	CHECK_EQ_STR(lwm2m_strerror(LWM2M_ERR_PATH), "bad path or path outside the base");
	CHECK(lwm2m_strerror((lwm2m_err)99) != NULL);
}

UNIT_MAIN
