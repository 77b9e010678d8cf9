/*
 * csv_stream.c: the incremental RFC 4180 reader (api/csv_stream.h). A
 * byte-at-a-time state machine, so a chunk may end anywhere: inside a
 * quoted field, between CR and LF, inside the byte order mark. The record
 * being read lives in one fixed buffer (max_fields * (max_field + 1)
 * bytes); what does not fit is counted, not stored.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/csv_stream.h"

enum st {
	S_BOM,          /* the first bytes: maybe EF BB BF */
	S_FIELD,        /* at the start of a field */
	S_PLAIN,        /* inside an unquoted field */
	S_QUOTED,       /* inside a quoted field */
	S_QUOTE,        /* a quote inside a quoted field: end or "" */
	S_CR,           /* after the CR that ended a record */
	S_STOPPED,
};

struct csvs {
	size_t max_fields, max_field;
	int64_t max_rows, rows;
	csvs_row_fn fn;
	void *arg;
	enum st st;
	int bom;                /* BOM bytes matched so far */
	int64_t line;           /* current input line */
	csvs_row r;
	char *buf;              /* the kept fields, NUL-separated */
	size_t used;            /* bytes of buf in use */
	size_t flen;            /* length of the field being read */
	int quoted_any;         /* the record had a quoted field */
	int cut;                /* a field was cut */
	const char *error;
	char err[160];
};

csvs *csvs_new(size_t max_fields, size_t max_field, int64_t max_rows,
               csvs_row_fn fn, void *arg)
{
	if (max_fields == 0 || max_fields > CSVS_MAX_FIELDS || max_field == 0)
		return NULL;
	csvs *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->buf = malloc(max_fields * (max_field + 1));
	if (!s->buf) {
		free(s);
		return NULL;
	}
	s->max_fields = max_fields;
	s->max_field = max_field;
	s->max_rows = max_rows;
	s->fn = fn;
	s->arg = arg;
	s->st = S_BOM;
	s->line = 1;
	s->r.line = 1;
	return s;
}

void csvs_free(csvs *s)
{
	if (!s)
		return;
	free(s->buf);
	free(s);
}

const char *csvs_error(const csvs *s)
{
	return s->err;
}

int64_t csvs_rows(const csvs *s)
{
	return s->rows;
}

/* The first rule a record breaks is the one reported. */
static void bad(csvs *s, const char *why)
{
	if (!s->error)
		s->error = why;
}

static void put(csvs *s, char ch)
{
	if (ch == 0)
		bad(s, "a NUL byte in a field (binary data?)");
	if (s->r.nfields >= s->max_fields)
		return;             /* counted only */
	if (s->flen >= s->max_field) {
		s->cut = 1;
		return;
	}
	s->buf[s->used + s->flen++] = ch;
}

static void end_field(csvs *s)
{
	if (s->r.nfields < s->max_fields) {
		size_t i = s->r.nfields;
		s->buf[s->used + s->flen] = 0;
		s->r.field[i] = s->buf + s->used;
		s->r.len[i] = s->flen;
		s->used += s->flen + 1;
		s->r.nkept = i + 1;
	}
	s->r.nfields++;
	s->flen = 0;
}

static void stop(csvs *s, const char *fmt, long long a)
{
	snprintf(s->err, sizeof s->err, fmt, a);
	s->st = S_STOPPED;
}

/* Delivers the record ended at the current position (unless blank). */
static int end_record(csvs *s)
{
	end_field(s);
	int blank = s->r.nfields == 1 && s->r.len[0] == 0 && !s->quoted_any;
	int rc = 0;
	if (!blank) {
		if (s->rows >= s->max_rows) {
			stop(s, "more than %lld rows", (long long)s->max_rows);
			return -1;
		}
		s->rows++;
		if (s->cut)
			bad(s, "a field is too long");
		if (s->r.nfields > s->max_fields)
			bad(s, "too many fields");
		s->r.error = s->error;
		if (s->fn(s->arg, &s->r)) {
			s->err[0] = 0;
			s->st = S_STOPPED;
			rc = -1;
		}
	}
	memset(&s->r, 0, sizeof s->r);
	s->used = s->flen = 0;
	s->quoted_any = s->cut = 0;
	s->error = NULL;
	s->line++;
	s->r.line = s->line;
	return rc;
}

int csvs_feed(csvs *s, const char *data, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char ch = data[i];
	again:
		switch (s->st) {
		case S_STOPPED:
			return -1;
		case S_BOM: {
			static const char bom[3] = { '\xef', '\xbb', '\xbf' };
			if (ch == bom[s->bom]) {
				if (++s->bom == 3)
					s->st = S_FIELD;
				continue;
			}
			/* Not a BOM after all: replay what matched as text. */
			int had = s->bom;
			s->st = S_FIELD;
			for (int k = 0; k < had; k++) {
				put(s, bom[k]);
				s->st = S_PLAIN;
			}
			goto again;
		}
		case S_CR:
			s->st = S_FIELD;
			if (ch == '\n')
				continue;
			goto again;
		case S_FIELD:
			if (ch == '"') {
				s->st = S_QUOTED;
				s->quoted_any = 1;
				continue;
			}
			s->st = S_PLAIN;
			goto again;
		case S_PLAIN:
			if (ch == ',') {
				end_field(s);
				s->st = S_FIELD;
			} else if (ch == '\n' || ch == '\r') {
				s->st = ch == '\r' ? S_CR : S_FIELD;
				if (end_record(s))
					return -1;
			} else {
				if (ch == '"')
					bad(s, "a quote inside an unquoted field (quote the "
					       "whole field and double the quote)");
				put(s, ch);
			}
			continue;
		case S_QUOTED:
			if (ch == '"') {
				s->st = S_QUOTE;
				continue;
			}
			if (ch == '\n')
				s->line++;
			put(s, ch);
			continue;
		case S_QUOTE:
			if (ch == '"') {
				put(s, '"');
				s->st = S_QUOTED;
			} else if (ch == ',' || ch == '\n' || ch == '\r') {
				s->st = S_PLAIN;
				goto again;
			} else {
				bad(s, "text after the closing quote of a field");
				s->st = S_PLAIN;
				goto again;
			}
			continue;
		}
	}
	return s->st == S_STOPPED ? -1 : 0;
}

int csvs_finish(csvs *s)
{
	switch (s->st) {
	case S_STOPPED:
		return -1;
	case S_QUOTED:
		stop(s, "line %lld: a quoted field is not closed", (long long)s->r.line);
		return -1;
	case S_BOM:
		if (s->bom == 0)
			return 0;   /* empty input */
		s->st = S_PLAIN;
		for (int k = 0; k < s->bom; k++)
			put(s, "\xef\xbb\xbf"[k]);
		return end_record(s);
	case S_FIELD:
		/* After a newline nothing is pending; after a comma one empty
		 * field ends the record. */
		if (s->r.nfields == 0)
			return 0;
		return end_record(s);
	case S_CR:
		return 0;
	case S_PLAIN:
	case S_QUOTE:
		return end_record(s);
	}
	return 0;
}
