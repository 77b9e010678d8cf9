/*
 * test_api_csv_stream.c: the incremental CSV reader gives the same records
 * whatever the chunking (one byte at a time, or all at once): BOM, CRLF,
 * lone CR, quoted commas, line breaks and quotes, blank lines; malformed
 * records are delivered with their reason and the reader goes on; fields
 * and field counts past the limits are counted, not stored.
 */
#include "tests/unit/unit.h"
#include "api/csv_stream.h"

typedef struct {
	char out[4096];
	size_t len;
	int rows;
} collect;

/* Appends "line:field|field|...[!error]\n" for each record. */
static int on_row(void *arg, const csvs_row *r)
{
	collect *c = arg;
	int n = snprintf(c->out + c->len, sizeof c->out - c->len, "%lld:",
	                 (long long)r->line);
	c->len += (size_t)n;
	for (size_t i = 0; i < r->nkept; i++) {
		n = snprintf(c->out + c->len, sizeof c->out - c->len, "%s%s",
		             i ? "|" : "", r->field[i]);
		c->len += (size_t)n;
	}
	if (r->nfields > r->nkept)
		c->len += (size_t)snprintf(c->out + c->len, sizeof c->out - c->len,
		                           "+%zu", r->nfields - r->nkept);
	if (r->error)
		c->len += (size_t)snprintf(c->out + c->len, sizeof c->out - c->len,
		                           "!%s", r->error);
	c->len += (size_t)snprintf(c->out + c->len, sizeof c->out - c->len, "\n");
	c->rows++;
	return 0;
}

/* strcmp that shows both texts when they differ (they are too long for
 * CHECK_EQ_STR's message). */
static int same(const char *got, const char *want)
{
	if (!strcmp(got, want))
		return 1;
	fprintf(stderr, "got:\n%s\nwant:\n%s\n", got, want);
	return 0;
}

/* Reads in with chunks of `step` bytes (0 = all at once). */
static int read_all(const char *in, size_t len, size_t step, collect *c,
                    size_t max_fields, size_t max_field, char *err, size_t errlen)
{
	memset(c, 0, sizeof *c);
	csvs *s = csvs_new(max_fields, max_field, 1000, on_row, c);
	if (!s)
		return -2;
	int rc = 0;
	for (size_t i = 0; i < len && !rc; i += step ? step : len)
		rc = csvs_feed(s, in + i, step && len - i > step ? step : len - i);
	if (!rc)
		rc = csvs_finish(s);
	snprintf(err, errlen, "%s", csvs_error(s));
	csvs_free(s);
	return rc;
}

static const char odd[] =
	"\xef\xbb\xbf" "endpoint,carrier\r\n"
	"a,\"x, y\"\r\n"
	"\r\n"
	"\"multi\nline\",\"say \"\"hi\"\"\"\n"
	"c,d\r"
	"e,\n"
	"last,row";

static const char want_odd[] =
	"1:endpoint|carrier\n"
	"2:a|x, y\n"
	"4:multi\nline|say \"hi\"\n"
	"6:c|d\n"
	"7:e|\n"
	"8:last|row\n";

TEST(same_records_whatever_the_chunks)
{
	collect c;
	char err[160];
	for (size_t step = 0; step <= 7; step++) {
		CHECK_EQ_INT(read_all(odd, sizeof odd - 1, step, &c, 8, 64, err,
		                      sizeof err), 0);
		CHECK(same(c.out, want_odd));
	}
}

TEST(malformed_records_are_reported_and_reading_goes_on)
{
	static const char in[] =
		"a\"b,c\n"
		"\"x\"y,z\n"
		"n\0l,1\n"
		"ok,1\n";
	collect c;
	char err[160];
	CHECK_EQ_INT(read_all(in, sizeof in - 1, 1, &c, 8, 64, err, sizeof err), 0);
	CHECK_EQ_INT(c.rows, 4);
	CHECK(strstr(c.out, "1:a\"b|c!a quote inside an unquoted field"));
	CHECK(strstr(c.out, "2:xy|z!text after the closing quote"));
	CHECK(strstr(c.out, "!a NUL byte"));
	CHECK(strstr(c.out, "4:ok|1\n"));
}

TEST(limits_count_without_storing)
{
	char wide[30000];
	size_t n = 0;
	for (int i = 0; i < 10000; i++)
		n += (size_t)snprintf(wide + n, sizeof wide - n, "%sf", i ? "," : "");
	wide[n++] = '\n';
	collect c;
	char err[160];
	CHECK_EQ_INT(read_all(wide, n, 4096, &c, 4, 16, err, sizeof err), 0);
	CHECK(same(c.out, "1:f|f|f|f+9996!too many fields\n"));
	static const char lng[] = "0123456789abcdefXYZ,b\n";
	CHECK_EQ_INT(read_all(lng, sizeof lng - 1, 3, &c, 4, 16, err, sizeof err), 0);
	CHECK(same(c.out, "1:0123456789abcdef|b!a field is too long\n"));
}

TEST(fatal_errors_stop)
{
	collect c;
	char err[160];
	static const char open_q[] = "a,b\n\"never closed,\nmore";
	CHECK_EQ_INT(read_all(open_q, sizeof open_q - 1, 2, &c, 4, 64, err,
	                      sizeof err), -1);
	CHECK(strstr(err, "line 2: a quoted field is not closed"));
	char many[4000];
	size_t n = 0;
	for (int i = 0; i < 1001; i++)
		n += (size_t)snprintf(many + n, sizeof many - n, "r\n");
	CHECK_EQ_INT(read_all(many, n, 0, &c, 4, 64, err, sizeof err), -1);
	CHECK(strstr(err, "more than 1000 rows"));
	CHECK_EQ_INT(read_all("", 0, 0, &c, 4, 64, err, sizeof err), 0);
	CHECK_EQ_INT(c.rows, 0);
	CHECK_EQ_INT(read_all("\xef\xbb", 2, 1, &c, 4, 64, err, sizeof err), 0);
	CHECK_EQ_INT(c.rows, 1);   /* a cut BOM is text, not swallowed */
}

UNIT_MAIN
