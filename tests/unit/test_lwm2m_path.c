/*
 * test_lwm2m_path.c: path parsing and formatting, good and bad, as a table.
 */
#include "tests/unit/unit.h"
#include "lwm2m/lwm2m.h"

static const struct {
	const char *in;
	int ok;
	int len;
	uint16_t id[4];
	const char *fmt;
} cases[] = {
	{ "", 1, 0, {0}, "/" },
	{ "/", 1, 0, {0}, "/" },
	{ "/3", 1, 1, {3}, "/3" },
	{ "3/0/1", 1, 3, {3, 0, 1}, "/3/0/1" },
	{ "/3/0/", 1, 2, {3, 0}, "/3/0" },
	{ "/3/0/6/1", 1, 4, {3, 0, 6, 1}, "/3/0/6/1" },
	{ "/65534/65534/65534/65534", 1, 4, {65534, 65534, 65534, 65534},
	  "/65534/65534/65534/65534" },
	{ "/65535", 0, 0, {0}, NULL },
	{ "/99999999999999999999", 0, 0, {0}, NULL },
	{ "/1/2/3/4/5", 0, 0, {0}, NULL },
	{ "/3/a", 0, 0, {0}, NULL },
	{ "/3//0", 0, 0, {0}, NULL },
	{ "//", 0, 0, {0}, NULL },
	{ "/3/0//", 0, 0, {0}, NULL },
	{ "/-1", 0, 0, {0}, NULL },
	{ "/+1", 0, 0, {0}, NULL },
	{ "/3 /0", 0, 0, {0}, NULL },
	{ "/3/0?x", 0, 0, {0}, NULL },
};

TEST(path_table)
{
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		lwm2m_path p;
		lwm2m_err rc = lwm2m_path_parse(cases[i].in,
		                                strlen(cases[i].in), &p);
		if (!cases[i].ok) {
			if (rc != LWM2M_ERR_PATH)
				UNIT_FAIL("case %zu \"%s\" accepted", i,
				          cases[i].in);
			continue;
		}
		if (rc != LWM2M_OK)
			UNIT_FAIL("case %zu \"%s\" rejected", i, cases[i].in);
		CHECK_EQ_INT(p.len, cases[i].len);
		for (int k = 0; k < p.len; k++)
			CHECK_EQ_INT(p.id[k], cases[i].id[k]);
		char buf[64];
		CHECK(lwm2m_path_format(&p, buf, sizeof buf) > 0);
		CHECK_EQ_STR(buf, cases[i].fmt);
	}
}

TEST(path_not_nul_terminated)
{
	lwm2m_path p;
	CHECK_EQ_INT(lwm2m_path_parse("/3/0/1xyz", 6, &p), LWM2M_OK);
	CHECK_EQ_INT(p.len, 3);
	CHECK_EQ_INT(p.id[2], 1);
}

TEST(path_format_small_buffer)
{
	lwm2m_path p = { .id = {3, 0, 1}, .len = 3 };
	char buf[6];
	CHECK_EQ_INT(lwm2m_path_format(&p, buf, sizeof buf), -1);
	char ok[7];
	CHECK_EQ_INT(lwm2m_path_format(&p, ok, sizeof ok), 6);
}

TEST(path_within_and_cmp)
{
	lwm2m_path a = { .id = {3}, .len = 1 }, b = { .id = {3, 0, 1}, .len = 3 };
	lwm2m_path c = { .id = {4, 0}, .len = 2 }, root = { .len = 0 };
	CHECK(lwm2m_path_within(&a, &b));
	CHECK(!lwm2m_path_within(&b, &a));
	CHECK(!lwm2m_path_within(&c, &b));
	CHECK(lwm2m_path_within(&root, &c));
	CHECK(lwm2m_path_within(&b, &b));
	CHECK(lwm2m_path_cmp(&a, &b) < 0);
	CHECK(lwm2m_path_cmp(&b, &c) < 0);
	CHECK_EQ_INT(lwm2m_path_cmp(&b, &b), 0);
}

UNIT_MAIN
