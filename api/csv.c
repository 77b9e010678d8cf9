/*
 * csv.c: an RFC 4180 reader for uploads: comma-separated fields, fields in
 * double quotes may hold commas, line breaks and "" for a quote; CRLF or LF
 * ends a record; blank lines are skipped. Each record keeps the line it
 * starts on, so errors can name it. Bounded by the input length and a row
 * count; a NUL byte or a stray quote is an error, never guessed around.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_int.h"

typedef struct {
	char *b;
	size_t n, cap;
} buf;

static int buf_put(buf *b, char ch)
{
	if (b->n + 1 >= b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		char *p = realloc(b->b, cap);
		if (!p)
			return -1;
		b->b = p;
		b->cap = cap;
	}
	b->b[b->n++] = ch;
	return 0;
}

static int row_add_field(api_csv_row *r, buf *f)
{
	char **fl = realloc(r->field, (r->n + 1) * sizeof *fl);
	if (!fl)
		return -1;
	r->field = fl;
	char *s = malloc(f->n + 1);
	if (!s)
		return -1;
	memcpy(s, f->b ? f->b : "", f->n);
	s[f->n] = 0;
	r->field[r->n++] = s;
	f->n = 0;
	return 0;
}

static void row_free(api_csv_row *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->field[i]);
	free(r->field);
	memset(r, 0, sizeof *r);
}

void api_csv_free(api_csv *c)
{
	for (size_t i = 0; i < c->n; i++)
		row_free(&c->row[i]);
	free(c->row);
	memset(c, 0, sizeof *c);
}

/* Moves a finished record into out unless it is a blank line. */
static int row_end(api_csv *out, api_csv_row *r, size_t max_rows,
                   char *err, size_t errlen)
{
	if (r->n == 1 && r->field[0][0] == 0) {
		row_free(r);      /* a blank line */
		return 0;
	}
	if (out->n == max_rows) {
		snprintf(err, errlen, "line %d: more than %zu rows", r->line, max_rows);
		return -1;
	}
	if (out->n == out->cap) {
		size_t cap = out->cap ? out->cap * 2 : 16;
		api_csv_row *p = realloc(out->row, cap * sizeof *p);
		if (!p) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		out->row = p;
		out->cap = cap;
	}
	out->row[out->n++] = *r;
	memset(r, 0, sizeof *r);
	return 0;
}

int api_csv_parse(const char *in, size_t len, size_t max_rows, api_csv *out,
                  char *err, size_t errlen)
{
	buf f = { 0 };
	api_csv_row r = { 0 };
	int line = 1, rc = -1;
	size_t i = 0;
	memset(out, 0, sizeof *out);
	r.line = line;
	/* A UTF-8 byte order mark is not part of the first field. */
	if (len >= 3 && !memcmp(in, "\xef\xbb\xbf", 3))
		i = 3;
	while (i <= len) {
		/* At the start of a field. */
		if (i < len && in[i] == '"') {
			int start = line;
			i++;
			for (;;) {
				if (i >= len) {
					snprintf(err, errlen, "line %d: a quoted field is not closed", start);
					goto out;
				}
				char ch = in[i++];
				if (ch == '"') {
					if (i < len && in[i] == '"') {
						i++;
						if (buf_put(&f, '"'))
							goto oom;
						continue;
					}
					break;
				}
				if (ch == 0) {
					snprintf(err, errlen, "line %d: a NUL byte in a field", line);
					goto out;
				}
				if (ch == '\n')
					line++;
				if (buf_put(&f, ch))
					goto oom;
			}
			if (i < len && in[i] != ',' && in[i] != '\r' && in[i] != '\n') {
				snprintf(err, errlen, "line %d: text after the closing quote of a field", line);
				goto out;
			}
		} else {
			while (i < len && in[i] != ',' && in[i] != '\r' && in[i] != '\n') {
				if (in[i] == '"') {
					snprintf(err, errlen,
					         "line %d: a quote inside an unquoted field (quote the whole field and double the quote)",
					         line);
					goto out;
				}
				if (in[i] == 0) {
					snprintf(err, errlen, "line %d: a NUL byte in a field", line);
					goto out;
				}
				if (buf_put(&f, in[i++]))
					goto oom;
			}
		}
		if (row_add_field(&r, &f))
			goto oom;
		if (i < len && in[i] == ',') {
			i++;
			continue;
		}
		/* End of record: CRLF, LF, lone CR, or the end of the input. */
		if (i < len && in[i] == '\r')
			i++;
		if (i < len && in[i] == '\n')
			i++;
		if (row_end(out, &r, max_rows, err, errlen))
			goto out;
		line++;
		r.line = line;
		if (i >= len)
			break;
	}
	rc = 0;
	goto out;
oom:
	snprintf(err, errlen, "out of memory");
out:
	row_free(&r);
	free(f.b);
	if (rc)
		api_csv_free(out);
	return rc;
}
