/*
 * test_lwm2m_link.c: CoRE link format (Register payloads, Discover) and
 * the Register/Update query parser.
 */
#include "tests/unit/unit.h"
#include "lwm2m/lwm2m.h"

static const char reg_payload[] =
	"</>;rt=\"oma.lwm2m\";ct=11543,</1/0>,</3/0>,</4/0>,</507>;ver=1.0,"
	"</507/0>,</508/0>";

TEST(link_register_payload)
{
	lwm2m_links l;
	lwm2m_links_init(&l);
	CHECK_EQ_INT(lwm2m_links_parse(reg_payload, strlen(reg_payload), &l), LWM2M_OK);
	CHECK_EQ_INT(l.n, 7);
	CHECK_EQ_STR(l.link[0].target, "/");
	CHECK_EQ_STR(lwm2m_link_attr_get(&l.link[0], "rt"), "oma.lwm2m");
	CHECK_EQ_STR(lwm2m_link_attr_get(&l.link[0], "ct"), "11543");
	CHECK(lwm2m_link_attr_get(&l.link[0], "ver") == NULL);
	CHECK(l.link[1].is_path);
	CHECK_EQ_INT(l.link[1].path.len, 2);
	CHECK_EQ_INT(l.link[1].path.id[0], 1);
	CHECK_EQ_STR(lwm2m_link_attr_get(&l.link[4], "ver"), "1.0");
	CHECK_EQ_INT(l.link[4].path.len, 1);
	CHECK_EQ_INT(l.link[4].path.id[0], 507);
	CHECK_EQ_INT(l.link[6].path.id[0], 508);

	char *s;
	size_t n;
	CHECK_EQ_INT(lwm2m_links_format(&l, &s, &n), LWM2M_OK);
	CHECK_EQ_STR(s, reg_payload);
	CHECK_EQ_INT(n, strlen(reg_payload));
	free(s);
	lwm2m_links_free(&l);
}

TEST(link_quoting_and_whitespace)
{
	static const char in[] =
		" </3/0/7>;dim=2;pmin=10 , </a>;title=\"x, \\\"y\\\"; z\";obs;"
		"rt=\"a b\"\r\n,\t<coap://h/x?y=1>;anchor=\"/\"";
	lwm2m_links l;
	lwm2m_links_init(&l);
	CHECK_EQ_INT(lwm2m_links_parse(in, strlen(in), &l), LWM2M_OK);
	CHECK_EQ_INT(l.n, 3);
	CHECK_EQ_STR(lwm2m_link_attr_get(&l.link[0], "pmin"), "10");
	CHECK_EQ_STR(l.link[1].target, "/a");
	CHECK(!l.link[1].is_path);
	CHECK_EQ_STR(lwm2m_link_attr_get(&l.link[1], "title"), "x, \"y\"; z");
	CHECK_EQ_INT(l.link[1].nattr, 3);
	CHECK_EQ_STR(l.link[1].attr[1].name, "obs");
	CHECK(l.link[1].attr[1].value == NULL);
	CHECK_EQ_STR(lwm2m_link_attr_get(&l.link[1], "rt"), "a b");
	CHECK_EQ_STR(l.link[2].target, "coap://h/x?y=1");
	CHECK_EQ_INT(l.link[2].is_path, 0);

	/* formatting then parsing again gives the same links */
	char *s;
	size_t n;
	CHECK_EQ_INT(lwm2m_links_format(&l, &s, &n), LWM2M_OK);
	lwm2m_links m;
	lwm2m_links_init(&m);
	CHECK_EQ_INT(lwm2m_links_parse(s, n, &m), LWM2M_OK);
	free(s);
	CHECK_EQ_INT(m.n, 3);
	CHECK_EQ_STR(lwm2m_link_attr_get(&m.link[1], "title"), "x, \"y\"; z");
	CHECK(m.link[1].attr[1].value == NULL);
	lwm2m_links_free(&m);
	lwm2m_links_free(&l);
}

static const struct {
	const char *name, *in;
	lwm2m_err rc;
} link_bad[] = {
	{ "unterminated_target", "</3/0", LWM2M_ERR_MALFORMED },
	{ "unterminated_quote", "</3/0>;rt=\"abc", LWM2M_ERR_MALFORMED },
	{ "escape_at_end", "</3/0>;rt=\"abc\\", LWM2M_ERR_MALFORMED },
	{ "no_angle", "/3/0", LWM2M_ERR_MALFORMED },
	{ "empty_target", "<>", LWM2M_ERR_MALFORMED },
	{ "trailing_comma", "</3/0>,", LWM2M_ERR_MALFORMED },
	{ "double_comma", "</3/0>,,</4/0>", LWM2M_ERR_MALFORMED },
	{ "empty_attr_name", "</3/0>;=1", LWM2M_ERR_MALFORMED },
	{ "empty_value", "</3/0>;ct=", LWM2M_ERR_MALFORMED },
	{ "control_in_target", "</3\x01/0>", LWM2M_ERR_MALFORMED },
	{ "control_in_quote", "</3/0>;rt=\"a\x02\"", LWM2M_ERR_MALFORMED },
	{ "control_between", "</3/0>\x01,</4>", LWM2M_ERR_MALFORMED },
	{ "space_in_token", "</3/0>;ct=1 1", LWM2M_ERR_MALFORMED },
	{ "junk_after", "</3/0>x", LWM2M_ERR_MALFORMED },
	{ "nested_angle", "<</3/0>", LWM2M_ERR_MALFORMED },
};

TEST(link_rejects)
{
	for (size_t i = 0; i < sizeof link_bad / sizeof link_bad[0]; i++) {
		lwm2m_links l;
		lwm2m_links_init(&l);
		lwm2m_err rc = lwm2m_links_parse(link_bad[i].in, strlen(link_bad[i].in), &l);
		if (rc != link_bad[i].rc)
			UNIT_FAIL("%s: rc %d", link_bad[i].name, rc);
		CHECK_EQ_INT(l.n, 0);
		lwm2m_links_free(&l);
	}
	/* a NUL inside the payload */
	lwm2m_links l;
	lwm2m_links_init(&l);
	CHECK_EQ_INT(lwm2m_links_parse("</3/0>\0,</4>", 12, &l), LWM2M_ERR_MALFORMED);
	lwm2m_links_free(&l);
}

TEST(link_bounds)
{
	lwm2m_links l;
	lwm2m_links_init(&l);
	/* over the payload bound */
	size_t big = LWM2M_MAX_LINK_PAYLOAD + 1;
	char *s = malloc(big + 1);
	memset(s, 'a', big);
	s[0] = '<';
	s[big - 1] = '>';
	CHECK_EQ_INT(lwm2m_links_parse(s, big, &l), LWM2M_ERR_TOO_LARGE);
	free(s);
	/* too many links, within the payload bound: "<1>," is 4 bytes */
	size_t nl = LWM2M_MAX_LINKS + 1, len = 0;
	s = malloc(nl * 4 + 1);
	for (size_t i = 0; i < nl; i++)
		len += (size_t)sprintf(s + len, "%s<1>", i ? "," : "");
	CHECK(len <= LWM2M_MAX_LINK_PAYLOAD);
	CHECK_EQ_INT(lwm2m_links_parse(s, len, &l), LWM2M_ERR_TOO_LARGE);
	CHECK_EQ_INT(l.n, 0);
	/* exactly the maximum is fine */
	CHECK_EQ_INT(lwm2m_links_parse(s, len - 4, &l), LWM2M_OK);
	CHECK_EQ_INT(l.n, LWM2M_MAX_LINKS);
	free(s);
	lwm2m_links_free(&l);
	/* empty payload: no links */
	CHECK_EQ_INT(lwm2m_links_parse("", 0, &l), LWM2M_OK);
	CHECK_EQ_INT(l.n, 0);
}

TEST(link_add_and_format)
{
	lwm2m_links l;
	lwm2m_links_init(&l);
	lwm2m_link_attr a[] = { { "pmin", "10" }, { "rt", "x\"y" }, { "obs", NULL } };
	CHECK_EQ_INT(lwm2m_links_add(&l, "/3/0/9", a, 3), LWM2M_OK);
	CHECK(l.link[0].is_path);
	CHECK_EQ_INT(l.link[0].path.len, 3);
	char *s;
	CHECK_EQ_INT(lwm2m_links_format(&l, &s, NULL), LWM2M_OK);
	CHECK_EQ_STR(s, "</3/0/9>;pmin=10;rt=\"x\\\"y\";obs");
	free(s);
	lwm2m_links_free(&l);
}

/* ---- registration query -------------------------------------------- */

static lwm2m_err q(const char *const *opts, size_t n, lwm2m_reg_query *out,
                   char *err)
{
	size_t lens[16];
	for (size_t i = 0; i < n; i++)
		lens[i] = strlen(opts[i]);
	return lwm2m_reg_query_parse(opts, lens, n, out, err, 96);
}

TEST(regquery_good)
{
	lwm2m_reg_query r;
	char err[96];
	const char *o1[] = { "ep=urn:imei:35-1", "lt=300", "lwm2m=1.1", "b=U", "Q",
	                     "sms=+4912345", "foo=bar", "x" };
	CHECK_EQ_INT(q(o1, 8, &r, err), LWM2M_OK);
	CHECK(r.has_endpoint);
	CHECK_EQ_STR(r.endpoint, "urn:imei:35-1");
	CHECK_EQ_INT(r.lifetime, 300);
	CHECK_EQ_STR(r.version, "1.1");
	CHECK_EQ_STR(r.binding, "U");
	CHECK(r.queue_mode);
	CHECK(r.has_sms);
	CHECK_EQ_STR(r.sms, "+4912345");

	/* LwM2M 1.0 queue mode is b=UQ */
	const char *o2[] = { "ep=dev1", "lwm2m=1.0", "b=UQ" };
	CHECK_EQ_INT(q(o2, 3, &r, err), LWM2M_OK);
	CHECK(r.queue_mode);
	CHECK_EQ_STR(r.binding, "UQ");
	const char *o3[] = { "ep=dev1", "lwm2m=1.2", "b=U" };
	CHECK_EQ_INT(q(o3, 3, &r, err), LWM2M_OK);
	CHECK(!r.queue_mode);
	CHECK_EQ_INT(r.lifetime, -1);
	CHECK(!r.has_sms);

	/* an Update: no ep is fine for the parser */
	const char *o4[] = { "lt=60" };
	CHECK_EQ_INT(q(o4, 1, &r, err), LWM2M_OK);
	CHECK(!r.has_endpoint);
	CHECK_EQ_STR(r.version, "");
	CHECK_EQ_INT(q(NULL, 0, &r, err), LWM2M_OK);

	/* "&" inside a value is no problem: one option a string */
	const char *o5[] = { "ep=a&b=c", "b=U" };
	CHECK_EQ_INT(q(o5, 2, &r, err), LWM2M_OK);
	CHECK_EQ_STR(r.endpoint, "a&b=c");
	CHECK_EQ_STR(r.binding, "U");

	/* 128 characters is the maximum */
	char ep[4 + LWM2M_MAX_EP + 1] = "ep=";
	memset(ep + 3, 'e', LWM2M_MAX_EP);
	const char *o6[] = { ep };
	CHECK_EQ_INT(q(o6, 1, &r, err), LWM2M_OK);
	CHECK_EQ_INT(strlen(r.endpoint), LWM2M_MAX_EP);
}

static const struct {
	const char *name;
	const char *opts[3];
	size_t n;
} reg_bad[] = {
	{ "lt_zero", { "ep=a", "lt=0" }, 2 },
	{ "lt_negative", { "ep=a", "lt=-5" }, 2 },
	{ "lt_letters", { "ep=a", "lt=60s" }, 2 },
	{ "lt_empty", { "ep=a", "lt=" }, 2 },
	{ "lt_huge", { "ep=a", "lt=99999999999999999999" }, 2 },
	{ "version_1_3", { "ep=a", "lwm2m=1.3" }, 2 },
	{ "version_junk", { "ep=a", "lwm2m=1.1x" }, 2 },
	{ "repeated_ep", { "ep=a", "ep=b" }, 2 },
	{ "repeated_lt", { "lt=1", "lt=1" }, 2 },
	{ "repeated_q", { "Q", "Q" }, 2 },
	{ "q_with_value", { "Q=1" }, 1 },
	{ "binding_letters", { "b=UX" }, 1 },
	{ "binding_twice", { "b=UU" }, 1 },
	{ "ep_empty", { "ep=" }, 1 },
	{ "ep_no_value", { "ep" }, 1 },
	{ "ep_control", { "ep=a\x01" "b" }, 1 },
	{ "sms_letters", { "sms=12ab" }, 1 },
	{ "empty_name", { "=x" }, 1 },
};

TEST(regquery_bad)
{
	for (size_t i = 0; i < sizeof reg_bad / sizeof reg_bad[0]; i++) {
		lwm2m_reg_query r;
		char err[96] = "";
		if (q(reg_bad[i].opts, reg_bad[i].n, &r, err) != LWM2M_ERR_MALFORMED)
			UNIT_FAIL("%s accepted", reg_bad[i].name);
		if (!err[0])
			UNIT_FAIL("%s: no reason", reg_bad[i].name);
	}
	char ep[5 + LWM2M_MAX_EP + 1] = "ep=";
	memset(ep + 3, 'e', LWM2M_MAX_EP + 1);
	ep[4 + LWM2M_MAX_EP] = 0;
	const char *o[] = { ep };
	lwm2m_reg_query r;
	char err[96];
	CHECK_EQ_INT(q(o, 1, &r, err), LWM2M_ERR_MALFORMED);
	CHECK_EQ_STR(err, "endpoint name too long");
	/* a NUL inside an option (lengths are explicit) */
	const char *z[] = { "ep=a\0b" };
	size_t zl[] = { 6 };
	CHECK_EQ_INT(lwm2m_reg_query_parse(z, zl, 1, &r, err, sizeof err),
	             LWM2M_ERR_MALFORMED);
}

UNIT_MAIN
