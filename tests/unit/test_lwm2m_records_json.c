/*
 * test_lwm2m_records_json.c: records <-> the REST API's JSON, both ways.
 */
#include "tests/unit/unit.h"
#include "lwm2m/records_json.h"

static lwm2m_err from(const char *js, const lwm2m_path *base, lwm2m_records *r,
                      char *err)
{
	json_error_t je;
	json_t *j = json_loads(js, JSON_DECODE_ANY, &je);
	lwm2m_records_init(r);
	lwm2m_err rc = lwm2m_records_from_json(j, base, r, err, 128);
	json_decref(j);
	return rc;
}

TEST(records_to_json_all_types)
{
	lwm2m_records r;
	lwm2m_records_init(&r);
	lwm2m_path p = { .id = {508, 0, 0}, .len = 3 };
	lwm2m_records_add_string(&r, &p, "8904", 4);
	p.id[2] = 2;
	lwm2m_records_add_opaque(&r, &p, (const uint8_t *)"\x01\x01", 2);
	p.id[2] = 4;
	lwm2m_value l = { .type = LWM2M_T_OBJLNK, .v.lnk = {507, 0} };
	lwm2m_records_add(&r, &p, &l);
	p.id[2] = 6;
	lwm2m_records_add_int(&r, &p, 0);
	lwm2m_path q = { .id = {9999, 0, 1, 2}, .len = 4 };
	lwm2m_value f = { .type = LWM2M_T_FLOAT, .v.f = 2.5 };
	lwm2m_records_add(&r, &q, &f);
	lwm2m_value b = { .type = LWM2M_T_BOOLEAN, .v.b = 1 };
	lwm2m_records_add(&r, &q, &b);
	lwm2m_value u = { .type = LWM2M_T_UNSIGNED, .v.u = 42 };
	lwm2m_records_add(&r, &q, &u);

	json_t *j = lwm2m_records_to_json(&r);
	CHECK(j);
	char *s = json_dumps(j, JSON_COMPACT);
	CHECK_EQ_STR(s,
		"[{\"path\":\"/508/0/0\",\"type\":\"string\",\"value\":\"8904\"},"
		"{\"path\":\"/508/0/2\",\"type\":\"opaque\",\"value\":\"AQE=\"},"
		"{\"path\":\"/508/0/4\",\"type\":\"objlnk\",\"value\":\"507:0\"},"
		"{\"path\":\"/508/0/6\",\"type\":\"integer\",\"value\":0},"
		"{\"path\":\"/9999/0/1/2\",\"type\":\"float\",\"value\":2.5},"
		"{\"path\":\"/9999/0/1/2\",\"type\":\"boolean\",\"value\":true},"
		"{\"path\":\"/9999/0/1/2\",\"type\":\"unsigned\",\"value\":42}]");
	free(s);

	/* and back: with "type" everything comes back the same */
	lwm2m_records d;
	lwm2m_records_init(&d);
	lwm2m_path root = { .len = 0 };
	char err[128];
	CHECK_EQ_INT(lwm2m_records_from_json(j, &root, &d, err, sizeof err), LWM2M_OK);
	json_decref(j);
	CHECK_EQ_INT(d.n, r.n);
	for (size_t i = 0; i < r.n; i++) {
		CHECK_EQ_INT(d.rec[i].value.type, r.rec[i].value.type);
		CHECK(!lwm2m_path_cmp(&d.rec[i].path, &r.rec[i].path));
	}
	CHECK_EQ_INT(d.rec[1].value.len, 2);
	CHECK_EQ_MEM(d.rec[1].value.data, "\x01\x01", 2);
	CHECK_EQ_INT(d.rec[2].value.v.lnk.obj, 507);
	CHECK(d.rec[4].value.v.f == 2.5);
	CHECK_EQ_INT(d.rec[6].value.v.u, 42);
	lwm2m_records_free(&d);
	lwm2m_records_free(&r);
}

TEST(records_to_json_not_utf8)
{
	lwm2m_records r;
	lwm2m_records_init(&r);
	lwm2m_path p = { .id = {3, 0, 0}, .len = 3 };
	lwm2m_records_add_string(&r, &p, "ok\xff\xed\xa0\x80\xc3\xa9", 8);
	json_t *j = lwm2m_records_to_json(&r);
	CHECK(j);
	CHECK_EQ_STR(json_string_value(json_object_get(json_array_get(j, 0), "value")),
	             "ok\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xc3\xa9");
	json_decref(j);
	lwm2m_records_free(&r);
}

TEST(records_from_json_forms)
{
	lwm2m_records r;
	char err[128];
	lwm2m_path inst = { .id = {3, 0}, .len = 2 };
	/* object form, relative and absolute keys; the model types them */
	CHECK_EQ_INT(from("{\"14\":\"+02:00\",\"/3/0/15\":\"Europe/Paris\",\"13\":1700000000}",
	                  &inst, &r, err), LWM2M_OK);
	CHECK_EQ_INT(r.n, 3);
	CHECK_EQ_INT(r.rec[0].path.id[2], 14);
	CHECK_EQ_STR((char *)r.rec[1].value.data, "Europe/Paris");
	CHECK_EQ_INT(r.rec[2].value.type, LWM2M_T_TIME);
	lwm2m_records_free(&r);
	/* array form with a relative multi-instance path */
	CHECK_EQ_INT(from("[{\"path\":\"6/0\",\"value\":1},{\"path\":\"/3/0/9\",\"value\":50.0}]",
	                  &inst, &r, err), LWM2M_OK);
	CHECK_EQ_INT(r.n, 2);
	CHECK_EQ_INT(r.rec[0].path.len, 4);
	CHECK_EQ_INT(r.rec[1].value.type, LWM2M_T_INTEGER);
	CHECK_EQ_INT(r.rec[1].value.v.i, 50);
	lwm2m_records_free(&r);
	/* a bare value for a single resource */
	lwm2m_path res = { .id = {508, 0, 4}, .len = 3 };
	CHECK_EQ_INT(from("\"507:1\"", &res, &r, err), LWM2M_OK);
	CHECK_EQ_INT(r.rec[0].value.type, LWM2M_T_OBJLNK);
	CHECK_EQ_INT(r.rec[0].value.v.lnk.inst, 1);
	lwm2m_records_free(&r);
	/* unknown resource: the JSON value decides */
	lwm2m_path unk = { .id = {9999, 0, 1}, .len = 3 };
	CHECK_EQ_INT(from("1.25", &unk, &r, err), LWM2M_OK);
	CHECK_EQ_INT(r.rec[0].value.type, LWM2M_T_FLOAT);
	lwm2m_records_free(&r);
	CHECK_EQ_INT(from("[{\"path\":\"/9999/0/1\",\"type\":\"opaque\",\"value\":\"AAEC\"}]",
	                  &unk, &r, err), LWM2M_OK);
	CHECK_EQ_INT(r.rec[0].value.len, 3);
	lwm2m_records_free(&r);
}

static const struct {
	const char *name, *json;
	lwm2m_err rc;
} bad[] = {
	{ "string_for_integer", "{\"9\":\"100\"}", LWM2M_ERR_TYPE },
	{ "fraction_for_integer", "{\"9\":1.5}", LWM2M_ERR_TYPE },
	{ "number_for_string", "{\"0\":5}", LWM2M_ERR_TYPE },
	{ "outside_base", "{\"/4/0/0\":1}", LWM2M_ERR_PATH },
	{ "not_a_resource", "{\"/3/0\":1}", LWM2M_ERR_PATH },
	{ "bad_path", "{\"x\":1}", LWM2M_ERR_PATH },
	{ "too_deep", "{\"1/2/3\":1}", LWM2M_ERR_PATH },
	{ "bare_on_instance", "5", LWM2M_ERR_PATH },
	{ "missing_value", "[{\"path\":\"9\"}]", LWM2M_ERR_MALFORMED },
	{ "record_not_object", "[5]", LWM2M_ERR_MALFORMED },
	{ "unknown_type", "[{\"path\":\"9\",\"type\":\"blob\",\"value\":1}]", LWM2M_ERR_TYPE },
	{ "bad_base64", "[{\"path\":\"9\",\"type\":\"opaque\",\"value\":\"%%\"}]", LWM2M_ERR_TYPE },
	{ "null_value", "{\"/9999/0/0\":null}", LWM2M_ERR_PATH },
	{ "second_bad", "{\"9\":1,\"0\":1}", LWM2M_ERR_TYPE },
};

TEST(records_from_json_rejects)
{
	lwm2m_path inst = { .id = {3, 0}, .len = 2 };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		lwm2m_records r;
		char err[128] = "";
		lwm2m_err rc = from(bad[i].json, &inst, &r, err);
		if (rc != bad[i].rc)
			UNIT_FAIL("%s: rc %d (%s)", bad[i].name, rc, err);
		if (!err[0])
			UNIT_FAIL("%s: no reason", bad[i].name);
		CHECK_EQ_INT(r.n, 0);
		lwm2m_records_free(&r);
	}
	lwm2m_records r;
	char err[128];
	lwm2m_path unk = { .id = {9999, 0, 0}, .len = 3 };
	CHECK_EQ_INT(from("null", &unk, &r, err), LWM2M_ERR_TYPE);
}

UNIT_MAIN
