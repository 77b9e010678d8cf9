/*
 * test_client_objects.c: the reference client's object store (client/
 * objects.c) against the codecs: Read, Write, Create, Delete, Discover,
 * Write-Attributes, the Register payload, the simulated nuSIM (508), and
 * the fleet key rule and the request de-duplication cache.
 */
#include "tests/unit/unit.h"

#include "client/config.h"
#include "client/dedup.h"
#include "client/defaults.h"
#include "client/fleet.h"
#include "client/nusim.h"
#include "client/objects.h"

static lwm2m_path P(const char *s)
{
	lwm2m_path p;
	memset(&p, 0, sizeof p);
	lwm2m_path_parse(s, strlen(s), &p);
	return p;
}

static objstore *new_device(void)
{
	device_cfg c;
	device_cfg_defaults(&c);
	c.server_uri = "coap://127.0.0.1:5683";
	c.endpoint = "dev-1";
	c.lifetime = 60;
	char eid[NUSIM_EID_LEN + 1], iccid[20];
	nusim_eid_from_endpoint(c.endpoint, eid);
	nusim_iccid_from_endpoint(c.endpoint, iccid);
	objstore *s = objstore_new();
	if (s && defaults_install(s, &c, eid, iccid, NULL, 0) != OBJ_OK) {
		objstore_free(s);
		return NULL;
	}
	return s;
}

/* Reads `path` as text into a static buffer ("" on failure). */
static const char *read_text(objstore *s, const char *path)
{
	static char buf[256];
	uint8_t *out = NULL;
	size_t n = 0;
	lwm2m_path p = P(path);
	buf[0] = 0;
	if (objstore_read_encoded(s, &p, LWM2M_CF_TEXT, &out, &n) == OBJ_OK &&
	    n < sizeof buf) {
		memcpy(buf, out, n);
		buf[n] = 0;
	}
	free(out);
	return buf;
}

static obj_rc write_text(objstore *s, const char *path, const char *v, int replace)
{
	lwm2m_path p = P(path);
	return objstore_write(s, &p, LWM2M_CF_TEXT, (const uint8_t *)v, strlen(v),
	                      replace);
}

TEST(defaults_read_as_text)
{
	objstore *s = new_device();
	CHECK(s);
	CHECK_EQ_STR(read_text(s, "/3/0/2"), "dev-1");
	CHECK_EQ_STR(read_text(s, "/1/0/1"), "60");
	CHECK_EQ_STR(read_text(s, "/3/0/9"), "100");
	objstore_free(s);
}

TEST(register_payload_lists_objects_not_security)
{
	objstore *s = new_device();
	char *links;
	size_t n;
	CHECK(s);
	CHECK_EQ_INT(objstore_register_links(s, LWM2M_CF_LWM2M_JSON, &links, &n),
	             OBJ_OK);
	CHECK_EQ_STR(links, "</>;rt=\"oma.lwm2m\";ct=11543,</1/0>,</3/0>,</4/0>,"
	                    "</507>;ver=1.0,</508/0>");
	CHECK_EQ_INT(n, strlen(links));
	free(links);
	objstore_free(s);
}

TEST(read_missing_paths)
{
	objstore *s = new_device();
	lwm2m_records r;
	lwm2m_records_init(&r);
	lwm2m_path p = P("/3/1");
	CHECK_EQ_INT(objstore_read(s, &p, &r), OBJ_ERR_NOT_FOUND);
	p = P("/42");
	CHECK_EQ_INT(objstore_read(s, &p, &r), OBJ_ERR_NOT_FOUND);
	p = P("/3/0/4"); /* Reboot is executable, not readable */
	CHECK_EQ_INT(objstore_read(s, &p, &r), OBJ_ERR_NOT_ALLOWED);
	p = P("/507");   /* supported, no instance: an empty read */
	CHECK_EQ_INT(objstore_read(s, &p, &r), OBJ_OK);
	CHECK_EQ_INT(r.n, 0);
	lwm2m_records_free(&r);
	objstore_free(s);
}

TEST(read_instance_round_trips_through_codecs)
{
	static const lwm2m_format fmts[] = { LWM2M_CF_TLV, LWM2M_CF_SENML_JSON,
	                                     LWM2M_CF_SENML_CBOR };
	objstore *s = new_device();
	lwm2m_path p = P("/3/0");
	lwm2m_records want;
	lwm2m_records_init(&want);
	CHECK_EQ_INT(objstore_read(s, &p, &want), OBJ_OK);
	CHECK(want.n > 10);
	for (size_t f = 0; f < sizeof fmts / sizeof fmts[0]; f++) {
		uint8_t *buf;
		size_t n;
		lwm2m_records got;
		lwm2m_records_init(&got);
		CHECK_EQ_INT(objstore_read_encoded(s, &p, fmts[f], &buf, &n), OBJ_OK);
		CHECK_EQ_INT(lwm2m_decode(fmts[f], &p, buf, n, &got), LWM2M_OK);
		free(buf);
		CHECK_EQ_INT(got.n, want.n);
		lwm2m_records_sort(&got);
		for (size_t i = 0; i < got.n; i++)
			CHECK_EQ_INT(lwm2m_path_cmp(&got.rec[i].path, &want.rec[i].path),
			             0);
		lwm2m_records_free(&got);
	}
	lwm2m_records_free(&want);
	objstore_free(s);
}

TEST(text_read_of_instance_is_not_acceptable)
{
	objstore *s = new_device();
	uint8_t *buf = NULL;
	size_t n;
	lwm2m_path p = P("/3/0");
	CHECK_EQ_INT(objstore_read_encoded(s, &p, LWM2M_CF_TEXT, &buf, &n),
	             OBJ_ERR_NOT_ACCEPTABLE);
	p = P("/3/0/0"); /* a string is not opaque */
	CHECK_EQ_INT(objstore_read_encoded(s, &p, LWM2M_CF_OPAQUE, &buf, &n),
	             OBJ_ERR_NOT_ACCEPTABLE);
	p = P("/508/0/2");
	CHECK_EQ_INT(objstore_read_encoded(s, &p, LWM2M_CF_OPAQUE, &buf, &n),
	             OBJ_OK);
	CHECK_EQ_INT(n, 2);
	CHECK_EQ_MEM(buf, "\x01\x01", 2);
	free(buf);
	objstore_free(s);
}

TEST(write_text_and_read_back)
{
	objstore *s = new_device();
	CHECK_EQ_INT(write_text(s, "/3/0/14", "+02:00", 1), OBJ_OK);
	CHECK_EQ_STR(read_text(s, "/3/0/14"), "+02:00");
	CHECK_EQ_INT(write_text(s, "/1/0/1", "120", 1), OBJ_OK);
	CHECK_EQ_STR(read_text(s, "/1/0/1"), "120");
	objstore_free(s);
}

TEST(write_read_only_or_missing_changes_nothing)
{
	objstore *s = new_device();
	CHECK_EQ_INT(write_text(s, "/3/0/0", "evil", 1), OBJ_ERR_NOT_ALLOWED);
	CHECK_EQ_STR(read_text(s, "/3/0/0"), "nusimd project");
	CHECK_EQ_INT(write_text(s, "/3/7/14", "+01:00", 1), OBJ_ERR_NOT_FOUND);
	CHECK_EQ_INT(write_text(s, "/1/0/1", "sixty", 1), OBJ_ERR_BAD_REQUEST);
	CHECK_EQ_STR(read_text(s, "/1/0/1"), "60");
	objstore_free(s);
}

TEST(write_is_all_or_nothing)
{
	objstore *s = new_device();
	/* The second record is read-only: the first must not be applied. */
	const char *j = "[{\"bn\":\"/3/0/\",\"n\":\"14\",\"vs\":\"+05:00\"},"
	                "{\"n\":\"0\",\"vs\":\"evil\"}]";
	lwm2m_path p = P("/3/0");
	CHECK_EQ_INT(objstore_write(s, &p, LWM2M_CF_SENML_JSON,
	                            (const uint8_t *)j, strlen(j), 0),
	             OBJ_ERR_NOT_ALLOWED);
	CHECK_EQ_STR(read_text(s, "/3/0/14"), "+00:00");
	/* Garbage is a bad request and also changes nothing. */
	CHECK_EQ_INT(objstore_write(s, &p, LWM2M_CF_SENML_JSON,
	                            (const uint8_t *)"[{", 2, 0),
	             OBJ_ERR_BAD_REQUEST);
	CHECK_EQ_STR(read_text(s, "/3/0/14"), "+00:00");
	objstore_free(s);
}

TEST(partial_update_with_senml)
{
	objstore *s = new_device();
	const char *j = "[{\"bn\":\"/3/0/\",\"n\":\"14\",\"vs\":\"+05:00\"},"
	                "{\"n\":\"15\",\"vs\":\"Asia/Karachi\"}]";
	lwm2m_path p = P("/3/0");
	CHECK_EQ_INT(objstore_write(s, &p, LWM2M_CF_SENML_JSON,
	                            (const uint8_t *)j, strlen(j), 0), OBJ_OK);
	CHECK_EQ_STR(read_text(s, "/3/0/14"), "+05:00");
	CHECK_EQ_STR(read_text(s, "/3/0/15"), "Asia/Karachi");
	CHECK_EQ_STR(read_text(s, "/3/0/2"), "dev-1");
	objstore_free(s);
}

static int changes;
static lwm2m_path last_change;
static void count_change(void *arg, const lwm2m_path *p)
{
	changes++;
	last_change = *p;
}

TEST(create_write_link_and_delete_507)
{
	objstore *s = new_device();
	objstore_on_change(s, count_change, NULL);
	changes = 0;
	/* A SenML Create naming instance 3, as the server does (DESIGN §7). */
	char j[1024];
	int n = snprintf(j, sizeof j, "[{\"bn\":\"/507/3/\",\"n\":\"0\",\"vs\":\"ZW5jUA==\"}");
	for (int r = 1; r <= 6; r++)
		n += snprintf(j + n, sizeof j - (size_t)n,
		              ",{\"n\":\"%d\",\"vs\":\"cGFydA==\"}", r);
	snprintf(j + n, sizeof j - (size_t)n, "]");
	uint16_t inst = 0;
	CHECK_EQ_INT(objstore_create(s, 507, LWM2M_CF_SENML_JSON,
	                             (const uint8_t *)j, strlen(j), &inst), OBJ_OK);
	CHECK_EQ_INT(inst, 3);
	CHECK(changes > 0);
	CHECK_EQ_INT(last_change.len, 1);
	CHECK_EQ_STR(read_text(s, "/507/3/0"), "ZW5jUA==");
	/* Creating the same instance again is refused. */
	CHECK_EQ_INT(objstore_create(s, 507, LWM2M_CF_SENML_JSON,
	                             (const uint8_t *)j, strlen(j), &inst),
	             OBJ_ERR_BAD_REQUEST);
	char *links;
	size_t ln;
	CHECK_EQ_INT(objstore_register_links(s, LWM2M_CF_NONE, &links, &ln), OBJ_OK);
	CHECK(strstr(links, ",</507/3>,</508/0>") != NULL);
	free(links);

	/* Load Profile without a link reports 8, with a complete one 1. */
	CHECK_EQ_INT(nusim_load_profile(s, NULL), NUSIM_RESULT_NO_PACKAGE);
	CHECK_EQ_INT(write_text(s, "/508/0/4", "507:3", 1), OBJ_OK);
	CHECK_EQ_INT(nusim_load_profile(s, NULL), NUSIM_RESULT_FAILED);
	CHECK_EQ_STR(read_text(s, "/508/0/6"), "1");

	lwm2m_path p = P("/507/3");
	CHECK_EQ_INT(objstore_delete(s, &p), OBJ_OK);
	CHECK_EQ_INT(objstore_delete(s, &p), OBJ_ERR_NOT_FOUND);
	CHECK_EQ_INT(nusim_load_profile(s, NULL), NUSIM_RESULT_NO_PACKAGE);
	p = P("/3/0");
	CHECK_EQ_INT(objstore_delete(s, &p), OBJ_ERR_NOT_ALLOWED);
	p = P("/508/0");
	CHECK_EQ_INT(objstore_delete(s, &p), OBJ_ERR_NOT_ALLOWED);
	objstore_free(s);
}

TEST(create_tlv_without_instance_takes_a_free_id)
{
	objstore *s = new_device();
	/* One resource TLV: 507/x/0 = "abc" (type 0xc3: id 8 bits, len 3). */
	static const uint8_t tlv[] = { 0xc3, 0x00, 'a', 'b', 'c' };
	uint16_t inst = 99;
	CHECK_EQ_INT(objstore_create(s, 507, LWM2M_CF_TLV, tlv, sizeof tlv, &inst),
	             OBJ_OK);
	CHECK_EQ_INT(inst, 0);
	CHECK_EQ_STR(read_text(s, "/507/0/0"), "abc");
	/* 508 is single-instance: no second instance. */
	CHECK_EQ_INT(objstore_create(s, 508, LWM2M_CF_TLV, tlv, sizeof tlv, &inst),
	             OBJ_ERR_NOT_ALLOWED);
	objstore_free(s);
}

TEST(write_attributes_and_discover)
{
	objstore *s = new_device();
	lwm2m_path p = P("/3/0/9");
	const char *q = "pmin=10&pmax=60&gt=50";
	CHECK_EQ_INT(objstore_write_attrs(s, &p, q, strlen(q)), OBJ_OK);
	obj_attrs a = objstore_attrs(s, &p);
	CHECK_EQ_INT(a.pmin, 10);
	CHECK_EQ_INT(a.pmax, 60);
	CHECK(a.has_gt && a.gt == 50);
	/* Inherited from the instance level where unset. */
	lwm2m_path ip = P("/3/0"), rp = P("/3/0/10");
	CHECK_EQ_INT(objstore_write_attrs(s, &ip, "pmax=300", 8), OBJ_OK);
	CHECK_EQ_INT(objstore_attrs(s, &rp).pmax, 300);
	CHECK_EQ_INT(objstore_attrs(s, &p).pmax, 60);
	/* Bad attributes change nothing. */
	CHECK_EQ_INT(objstore_write_attrs(s, &p, "pmin=100&pmax=5", 15),
	             OBJ_ERR_BAD_REQUEST);
	CHECK_EQ_INT(objstore_write_attrs(s, &p, "colour=red", 10),
	             OBJ_ERR_BAD_REQUEST);
	CHECK_EQ_INT(objstore_write_attrs(s, &p, "pmin=-1", 7), OBJ_ERR_BAD_REQUEST);
	CHECK_EQ_INT(objstore_attrs(s, &p).pmin, 10);
	char *links;
	size_t n;
	CHECK_EQ_INT(objstore_discover(s, &p, &links, &n), OBJ_OK);
	CHECK_EQ_STR(links, "</3/0/9>;pmin=10;pmax=60;gt=50");
	free(links);
	lwm2m_path mp = P("/3/0/7");
	CHECK_EQ_INT(objstore_discover(s, &mp, &links, &n), OBJ_OK);
	CHECK_EQ_STR(links, "</3/0/7>;dim=1");
	free(links);
	lwm2m_path op = P("/508");
	CHECK_EQ_INT(objstore_discover(s, &op, &links, &n), OBJ_OK);
	CHECK_EQ_STR(links, "</508>;ver=1.0,</508/0>,</508/0/0>,</508/0/1>,"
	                    "</508/0/2>,</508/0/4>,</508/0/5>,</508/0/6>");
	free(links);
	objstore_free(s);
}

TEST(execute_checks)
{
	objstore *s = new_device();
	lwm2m_path p = P("/508/0/5");
	CHECK_EQ_INT(objstore_check_execute(s, &p), OBJ_OK);
	p = P("/3/0/4");
	CHECK_EQ_INT(objstore_check_execute(s, &p), OBJ_OK);
	p = P("/3/0/0");
	CHECK_EQ_INT(objstore_check_execute(s, &p), OBJ_ERR_NOT_ALLOWED);
	p = P("/508/1/5");
	CHECK_EQ_INT(objstore_check_execute(s, &p), OBJ_ERR_NOT_FOUND);
	objstore_free(s);
}

TEST(resource_instances_merge_or_replace)
{
	objstore *s = new_device();
	/* An object without a model: everything is writable and untyped. */
	CHECK_EQ_INT(objstore_add_instance(s, 42, 0), OBJ_OK);
	lwm2m_path p = P("/42/0/7/1");
	lwm2m_path p0 = P("/42/0/7/0");
	CHECK_EQ_INT(objstore_set_string(s, &p0, "a"), OBJ_OK);
	lwm2m_value v = { .type = LWM2M_T_STRING, .data = (uint8_t *)"b", .len = 1 };
	lwm2m_records r;
	lwm2m_records_init(&r);
	lwm2m_records_add(&r, &p, &v);
	lwm2m_path base = P("/42/0");
	CHECK_EQ_INT(objstore_write_records(s, &base, &r, 0), OBJ_OK);
	CHECK(objstore_get(s, &p0) != NULL);   /* merged */
	CHECK(objstore_get(s, &p) != NULL);
	lwm2m_path res = P("/42/0/7");
	CHECK_EQ_INT(objstore_write_records(s, &res, &r, 1), OBJ_OK);
	CHECK(objstore_get(s, &p0) == NULL);   /* replaced */
	CHECK(objstore_get(s, &p) != NULL);
	CHECK_EQ_INT(objstore_delete(s, &p), OBJ_OK);
	CHECK(objstore_get(s, &p) == NULL);
	lwm2m_records_free(&r);
	objstore_free(s);
}

TEST(nusim_identities)
{
	char eid[NUSIM_EID_LEN + 1], eid2[NUSIM_EID_LEN + 1], iccid[20];
	nusim_eid_from_endpoint("dev-1", eid);
	nusim_eid_from_endpoint("dev-1", eid2);
	CHECK_EQ_INT(strlen(eid), 32);
	CHECK(nusim_eid_valid(eid));
	CHECK_EQ_STR(eid, eid2);
	CHECK(!strncmp(eid, "89049032", 8));
	eid[12] = eid[12] == '0' ? '1' : '0';
	CHECK(!nusim_eid_valid(eid));
	nusim_iccid_from_endpoint("dev-1", iccid);
	CHECK_EQ_INT(strlen(iccid), 19);
	CHECK(nusim_iccid_valid(iccid));
	/* Luhn: doubling every second digit from the right sums to 0 mod 10. */
	unsigned sum = 0;
	for (int i = 18, dbl = 0; i >= 0; i--, dbl = !dbl) {
		unsigned d = (unsigned)(iccid[i] - '0');
		if (dbl && (d *= 2) > 9)
			d -= 9;
		sum += d;
	}
	CHECK_EQ_INT(sum % 10, 0);
	CHECK(!nusim_iccid_valid("12345"));
	CHECK(!nusim_iccid_valid("89abc0000000000000"));
}

TEST(fleet_names_keys_and_ranges)
{
	char ep[32];
	CHECK_EQ_INT(fleet_endpoint("nusim", 1, ep, sizeof ep), 0);
	CHECK_EQ_STR(ep, "nusim-000001");
	uint8_t base[16], key[FLEET_KEY_LEN], want[FLEET_KEY_LEN];
	unit_unhex("00112233445566778899aabbccddeeff", base, sizeof base);
	unit_unhex("4fe04cd153cc4e394f939fa739d3c452", want, sizeof want);
	CHECK_EQ_INT(fleet_derive_key(base, sizeof base, ep, key), 0);
	CHECK_EQ_MEM(key, want, FLEET_KEY_LEN);
	uint32_t lo, hi;
	CHECK_EQ_INT(fleet_parse_range("127.0.1.1-127.0.1.254", &lo, &hi), 0);
	CHECK_EQ_INT(hi - lo, 253);
	CHECK_EQ_INT(fleet_parse_range("127.0.1.9-127.0.1.1", &lo, &hi), -1);
	CHECK_EQ_INT(fleet_parse_range("::1", &lo, &hi), -1);
}

TEST(dedup_replays_within_lifetime)
{
	dedup *d = dedup_new();
	const uint8_t tok[4] = { 1, 2, 3, 4 };
	CHECK(d);
	CHECK(dedup_find(d, 7, tok, 4, 1000) == NULL);
	dedup_store(d, 7, tok, 4, 0x44, -1, NULL, NULL, 0, 1000);
	const dedup_entry *e = dedup_find(d, 7, tok, 4, 2000);
	CHECK(e && e->code == 0x44);
	CHECK(dedup_find(d, 8, tok, 4, 2000) == NULL);        /* other MID */
	CHECK(dedup_find(d, 7, tok, 3, 2000) == NULL);        /* other token */
	CHECK(dedup_find(d, 7, tok, 4, 1000 + DEDUP_LIFETIME_MS) == NULL);
	/* The ring never grows: many entries evict the oldest. */
	for (int i = 0; i < 3 * DEDUP_SLOTS; i++)
		dedup_store(d, 100 + i, tok, 4, 0x45, 0, "/507/1",
		            (const uint8_t *)"xy", 2, 5000 + (uint64_t)i);
	e = dedup_find(d, 100 + 3 * DEDUP_SLOTS - 1, tok, 4, 6000);
	CHECK(e && e->len == 2 && !strcmp(e->location, "/507/1"));
	CHECK(dedup_find(d, 100, tok, 4, 6000) == NULL);
	dedup_free(d);
}

TEST(read_as_lwm2m_json_round_trips)
{
	objstore *s = new_device();
	lwm2m_path p = P("/508/0");
	uint8_t *buf;
	size_t n;
	CHECK_EQ_INT(objstore_read_encoded(s, &p, LWM2M_CF_LWM2M_JSON, &buf, &n),
	             OBJ_OK);
	CHECK(n > 10 && !memcmp(buf, "{\"bn\":\"/508/0/\"", 15));
	lwm2m_records got;
	lwm2m_records_init(&got);
	CHECK_EQ_INT(lwm2m_decode(LWM2M_CF_LWM2M_JSON, &p, buf, n, &got), LWM2M_OK);
	free(buf);
	lwm2m_records_sort(&got);
	CHECK_EQ_INT(got.n, 5);
	CHECK_EQ_INT(got.rec[3].path.id[2], 4);
	CHECK_EQ_INT(got.rec[3].value.type, LWM2M_T_OBJLNK);
	CHECK_EQ_INT(got.rec[3].value.v.lnk.obj, 65535);
	lwm2m_records_free(&got);
	objstore_free(s);
}

UNIT_MAIN
