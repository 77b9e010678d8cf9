/*
 * fuzz_csv.c: libFuzzer target for the two RFC 4180 readers of uploads:
 * api_csv_parse (device imports, whole body) and the streaming csvs reader
 * (campaign CSVs of any size). Built by `make fuzz`.
 *
 * Byte 0 picks the limits (max rows, max fields, max field length) and
 * byte 1 the chunk sizes, the rest is the CSV. The stream reader is run
 * twice: the whole input in one csvs_feed, and cut into chunks; what it
 * delivers (every field, line, error) must not depend on where the network
 * happened to cut the body.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_int.h"
#include "api/csv_stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* FNV-1a over everything a callback sees, so two runs compare cheaply. */
typedef struct {
	uint64_t h;
	int64_t rows;
	size_t max_fields, max_field;
} digest;

static void mix(digest *d, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		d->h = (d->h ^ b[i]) * 1099511628211ULL;
}

static int on_row(void *arg, const csvs_row *r)
{
	digest *d = arg;
	if (r->nkept > d->max_fields || r->nkept > r->nfields ||
	    r->nkept > CSVS_MAX_FIELDS)
		abort();
	mix(d, &r->line, sizeof r->line);
	mix(d, &r->nfields, sizeof r->nfields);
	for (size_t i = 0; i < r->nkept; i++) {
		if (r->len[i] > d->max_field || r->field[i][r->len[i]] != 0)
			abort();
		mix(d, &r->len[i], sizeof r->len[i]);
		mix(d, r->field[i], r->len[i]);
	}
	if (r->error)
		mix(d, r->error, strlen(r->error) + 1);
	d->rows++;
	return 0;
}

/* Runs the stream reader over in[0..n) in chunks of 1 + chunk[k % 8]
 * bytes (chunk NULL: one feed); returns its digest and end state. */
static digest stream(const char *in, size_t n, size_t max_fields,
                     size_t max_field, int64_t max_rows, const uint8_t *chunk,
                     int *rc)
{
	digest d = { 14695981039346656037ULL, 0, max_fields, max_field };
	csvs *s = csvs_new(max_fields, max_field, max_rows, on_row, &d);
	if (!s)
		abort();
	*rc = 0;
	size_t pos = 0, k = 0;
	while (pos < n && *rc == 0) {
		size_t take = chunk ? 1 + chunk[k++ % 8] : n;
		if (take > n - pos)
			take = n - pos;
		/* each chunk in a buffer of its exact size, as MHD hands them */
		char *c = malloc(take);
		if (!c)
			abort();
		memcpy(c, in + pos, take);
		*rc = csvs_feed(s, c, take);
		free(c);
		pos += take;
	}
	if (*rc == 0)
		*rc = csvs_finish(s);
	const char *e = csvs_error(s);
	if (*rc && e)
		mix(&d, e, strlen(e) + 1);
	if (csvs_rows(s) != d.rows)
		abort();
	csvs_free(s);
	return d;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2 + 8)
		return 0;
	size_t max_rows = 1 + (data[0] & 0x0f) * 4;
	size_t max_fields = 1 + (data[0] >> 4) * 4;
	if (max_fields > CSVS_MAX_FIELDS)
		max_fields = CSVS_MAX_FIELDS;
	size_t max_field = 1 + (size_t)data[1] * 4;
	const uint8_t *chunk = data + 2;
	const char *in = (const char *)data + 10;
	size_t n = size - 10;
	char *copy = malloc(n ? n : 1), err[160];

	if (!copy)
		return 0;
	memcpy(copy, in, n);
	api_csv c;
	if (api_csv_parse(copy, n, max_rows, &c, err, sizeof err) == 0) {
		if (c.n > max_rows)
			abort();
		for (size_t i = 0; i < c.n; i++) {
			if (c.row[i].line < 1)
				abort();
			for (size_t f = 0; f < c.row[i].n; f++)
				(void)strlen(c.row[i].field[f]);
		}
		api_csv_free(&c);
	} else if (!memchr(err, 0, sizeof err)) {
		abort();
	}

	int rc1, rc2;
	digest a = stream(copy, n, max_fields, max_field, (int64_t)max_rows,
	                  NULL, &rc1);
	digest b = stream(copy, n, max_fields, max_field, (int64_t)max_rows,
	                  chunk, &rc2);
	if (rc1 != rc2 || a.h != b.h || a.rows != b.rows)
		abort();
	free(copy);
	return 0;
}
