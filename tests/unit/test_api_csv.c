/*
 * test_api_csv.c: the RFC 4180 reader of uploads (api/csv.c) and the API
 * token format (api/token.c).
 */
#include <string.h>

#include "unit.h"
#include "api/api_int.h"
#include "api/token.h"

static api_csv parse_ok(const char *s, int *rc, char *err, size_t errlen)
{
	api_csv c;
	*rc = api_csv_parse(s, strlen(s), 100, &c, err, errlen);
	return c;
}

TEST(csv_plain_rows_and_lines)
{
	char err[128];
	int rc;
	api_csv c = parse_ok("endpoint,psk_identity,psk_key_hex\r\nep1,id1,00ff\nep2,,\n", &rc, err, sizeof err);
	CHECK_EQ_INT(rc, 0);
	CHECK_EQ_INT(c.n, 3);
	CHECK_EQ_INT(c.row[1].n, 3);
	CHECK_EQ_STR(c.row[1].field[2], "00ff");
	CHECK_EQ_INT(c.row[2].line, 3);
	CHECK_EQ_STR(c.row[2].field[1], "");
	CHECK_EQ_STR(c.row[2].field[2], "");
	api_csv_free(&c);
}

TEST(csv_quoted_fields)
{
	char err[128];
	int rc;
	api_csv c = parse_ok("a,b\n\"x,1\",\"say \"\"hi\"\"\"\n\"two\nlines\",z\nlast,row", &rc, err, sizeof err);
	CHECK_EQ_INT(rc, 0);
	CHECK_EQ_INT(c.n, 4);
	CHECK_EQ_STR(c.row[1].field[0], "x,1");
	CHECK_EQ_STR(c.row[1].field[1], "say \"hi\"");
	CHECK_EQ_STR(c.row[2].field[0], "two\nlines");
	CHECK_EQ_INT(c.row[2].line, 3);
	CHECK_EQ_INT(c.row[3].line, 5);
	CHECK_EQ_STR(c.row[3].field[1], "row");
	api_csv_free(&c);
}

TEST(csv_blank_lines_and_bom)
{
	char err[128];
	int rc;
	api_csv c = parse_ok("\xef\xbb\xbf" "endpoint\n\nep1\n\n", &rc, err, sizeof err);
	CHECK_EQ_INT(rc, 0);
	CHECK_EQ_INT(c.n, 2);
	CHECK_EQ_STR(c.row[0].field[0], "endpoint");
	CHECK_EQ_INT(c.row[1].line, 3);
	api_csv_free(&c);
}

TEST(csv_errors_name_the_line)
{
	char err[128];
	int rc;
	api_csv c = parse_ok("a\n\"open\n", &rc, err, sizeof err);
	CHECK_EQ_INT(rc, -1);
	CHECK(strstr(err, "line 2") != NULL);
	c = parse_ok("a\nb\nx\"y\n", &rc, err, sizeof err);
	CHECK_EQ_INT(rc, -1);
	CHECK(strstr(err, "line 3") != NULL);
	c = parse_ok("a\n\"x\"y\n", &rc, err, sizeof err);
	CHECK_EQ_INT(rc, -1);
	CHECK(strstr(err, "line 2") != NULL);
	(void)c;
}

TEST(csv_row_limit)
{
	char err[128];
	api_csv c;
	const char *s = "a\nb\nc\n";
	CHECK_EQ_INT(api_csv_parse(s, strlen(s), 2, &c, err, sizeof err), -1);
	CHECK(strstr(err, "more than 2 rows") != NULL);
	CHECK_EQ_INT(api_csv_parse(s, strlen(s), 3, &c, err, sizeof err), 0);
	api_csv_free(&c);
}

TEST(csv_nul_byte_refused)
{
	char err[128];
	api_csv c;
	const char s[] = "a\nb\0c\n";
	CHECK_EQ_INT(api_csv_parse(s, sizeof s - 1, 10, &c, err, sizeof err), -1);
	CHECK(strstr(err, "NUL") != NULL);
}

TEST(token_format_and_hash)
{
	char a[API_TOKEN_LEN + 1], b[API_TOKEN_LEN + 1];
	uint8_t h1[32], h2[32];
	CHECK_EQ_INT(api_token_generate(a), 0);
	CHECK_EQ_INT(api_token_generate(b), 0);
	CHECK_EQ_INT(strlen(a), API_TOKEN_LEN);
	CHECK(!strncmp(a, "nst_", 4));
	CHECK(strcmp(a, b) != 0);
	for (const char *p = a + 4; *p; p++)
		CHECK(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", *p));
	api_token_hash("abc", h1);
	/* SHA-256("abc") */
	unsigned char want[32];
	unit_unhex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", want, 32);
	CHECK_EQ_MEM(h1, want, 32);
	api_token_hash(a, h1);
	api_token_hash(b, h2);
	CHECK(memcmp(h1, h2, 32) != 0);
}

UNIT_MAIN
