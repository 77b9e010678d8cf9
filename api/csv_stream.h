/*
 * csv_stream.h: an incremental RFC 4180 reader for uploads too large to
 * hold (campaign CSVs of a million rows): bytes go in as they arrive, each
 * finished record comes out through a callback, and memory stays bounded
 * by the limits given at creation, whatever the input.
 *
 * A record that breaks the rules (a stray quote, a NUL byte, a field
 * longer than max_field, more fields than max_fields) is still delivered,
 * with `error` saying what is wrong, so the caller can report its line and
 * go on. Only an unclosed quote at the end of input, or more than max_rows
 * records, stops the reader.
 */
#ifndef API_CSV_STREAM_H
#define API_CSV_STREAM_H

#include <stddef.h>
#include <stdint.h>

#define CSVS_MAX_FIELDS 64

typedef struct {
	int64_t line;           /* where the record starts, 1-based */
	size_t nfields;         /* fields in the record (also those not kept) */
	size_t nkept;           /* fields kept in field[] (<= max_fields) */
	const char *field[CSVS_MAX_FIELDS]; /* NUL-terminated, valid in the call */
	size_t len[CSVS_MAX_FIELDS];
	const char *error;      /* NULL, or why the record is malformed */
} csvs_row;

/* Returns 0 to go on, nonzero to stop the reader (csvs_feed returns -1). */
typedef int (*csvs_row_fn)(void *arg, const csvs_row *r);

typedef struct csvs csvs;

/* max_fields <= CSVS_MAX_FIELDS fields are kept per record, each cut at
 * max_field bytes; at most max_rows records (blank lines do not count). */
csvs *csvs_new(size_t max_fields, size_t max_field, int64_t max_rows,
               csvs_row_fn fn, void *arg);
/* 0, or -1 when the reader stopped (csvs_error says why; "" when the
 * callback stopped it). Later calls do nothing and return -1. */
int csvs_feed(csvs *s, const char *data, size_t n);
/* Ends the input: delivers the last record; -1 as csvs_feed. */
int csvs_finish(csvs *s);
const char *csvs_error(const csvs *s);
/* Records delivered so far, and input lines seen. */
int64_t csvs_rows(const csvs *s);
void csvs_free(csvs *s);

#endif
