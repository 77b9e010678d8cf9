/*
 * campaign_import.c: a campaign CSV from upload to campaign
 * (api/campaign_import.h). The CSV reader hands over one record at a
 * time; the first is the header, each further one is checked and staged.
 * A transaction never stays open between two chunks of the body: the loop
 * runs other work between them, and that work must not join our batch.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/campaign_import.h"
#include "api/csv_stream.h"
#include "server/loop.h"

#define CIMP_MAX_FIELD 256      /* longer is no endpoint, EID, carrier or ICCID */

enum col { COL_ENDPOINT, COL_EID, COL_CARRIER, COL_ICCID, NCOLS };
static const char *const col_names[NCOLS] = { "endpoint", "eid", "carrier", "iccid" };

struct camp_import {
	db *d;
	csvs *reader;
	int64_t import_id;
	int header_done;
	size_t ncols;               /* fields of the header */
	int col[NCOLS];             /* field index of each known column, -1 */
	int in_txn;                 /* rows staged in the open transaction */
	int fatal, internal;
	int64_t staged;
	json_t *warnings;
	char err[512];
};

static void fail(camp_import *im, int internal, const char *fmt, const char *a)
{
	if (im->fatal)
		return;
	im->fatal = 1;
	im->internal = internal;
	snprintf(im->err, sizeof im->err, fmt, a ? a : "");
}

/* Commits the open batch. */
static int flush(camp_import *im)
{
	if (!im->in_txn)
		return 0;
	im->in_txn = 0;
	if (db_commit(im->d)) {
		fail(im, 1, "storing the rows failed: %s", db_errmsg(im->d));
		return -1;
	}
	return 0;
}

/* Valid UTF-8 without control characters. */
static int text_ok(const char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		size_t k;
		if (c < 0x20 || c == 0x7f)
			return 0;
		if (c < 0x80)
			k = 0;
		else if (c >= 0xc2 && c < 0xe0)
			k = 1;
		else if (c >= 0xe0 && c < 0xf0)
			k = 2;
		else if (c >= 0xf0 && c < 0xf5)
			k = 3;
		else
			return 0;
		for (size_t j = 1; j <= k; j++)
			if (i + j >= n || ((unsigned char)s[i + j] & 0xc0) != 0x80)
				return 0;
		i += k + 1;
	}
	return 1;
}

static int digits(const char *s, size_t n, size_t min, size_t max)
{
	if (n < min || n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* A field without the spaces around it (a copy into out[cap]). */
static size_t trimmed(const csvs_row *r, int idx, char *out, size_t cap)
{
	if (idx < 0 || (size_t)idx >= r->nkept) {
		out[0] = 0;
		return 0;
	}
	const char *s = r->field[idx];
	size_t n = r->len[idx];
	while (n && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n >= cap)
		n = cap - 1;
	memcpy(out, s, n);
	out[n] = 0;
	return n;
}

static int header(camp_import *im, const csvs_row *r)
{
	char name[CIMP_MAX_FIELD + 1], msg[320];
	if (r->error) {
		fail(im, 0, "line 1 (the header) is malformed: %s; is this a CSV "
		     "text file?", r->error);
		return -1;
	}
	for (int k = 0; k < NCOLS; k++)
		im->col[k] = -1;
	im->ncols = r->nfields;
	for (size_t i = 0; i < r->nkept; i++) {
		size_t n = trimmed(r, (int)i, name, sizeof name);
		int k;
		for (k = 0; k < NCOLS; k++)
			if (!strcasecmp(name, col_names[k]))
				break;
		if (k == NCOLS) {
			if (!text_ok(name, n)) {
				fail(im, 0, "line 1 (the header) holds a column name that is "
				     "not text%s; is this a CSV text file?", "");
				return -1;
			}
			snprintf(msg, sizeof msg, "column %zu \"%.200s\" is not used and "
			         "was ignored", i + 1, name);
			json_array_append_new(im->warnings, json_string(msg));
			continue;
		}
		if (im->col[k] >= 0) {
			fail(im, 0, "the header names the column \"%s\" twice",
			     col_names[k]);
			return -1;
		}
		im->col[k] = (int)i;
	}
	if (r->nfields > r->nkept) {
		snprintf(msg, sizeof msg, "columns %zu to %zu are not used and were "
		         "ignored", r->nkept + 1, r->nfields);
		json_array_append_new(im->warnings, json_string(msg));
	}
	if (im->col[COL_ENDPOINT] < 0 && im->col[COL_EID] < 0) {
		fail(im, 0, "the header (line 1) needs an \"endpoint\" or an \"eid\" "
		     "column%s", "");
		return -1;
	}
	if (im->col[COL_CARRIER] < 0 && im->col[COL_ICCID] < 0) {
		fail(im, 0, "the header (line 1) needs a \"carrier\" or an \"iccid\" "
		     "column%s", "");
		return -1;
	}
	im->header_done = 1;
	return 0;
}

/* Checks one data row; returns the reason it is bad, NULL if it is good,
 * with the values in the out arrays. */
static const char *check_row(camp_import *im, const csvs_row *r, char *ep,
                             char *eid, char *target, int *kind, char *why,
                             size_t whylen)
{
	char carrier[CIMP_MAX_FIELD + 1], iccid[CIMP_MAX_FIELD + 1];
	ep[0] = eid[0] = target[0] = 0;
	*kind = DB_TARGET_CARRIER;
	if (r->nfields != im->ncols) {
		snprintf(why, whylen, "wrong column count: %zu fields, the header "
		         "has %zu", r->nfields, im->ncols);
		return why;
	}
	if (r->error) {
		snprintf(why, whylen, "malformed field: %s", r->error);
		return why;
	}
	size_t nep = trimmed(r, im->col[COL_ENDPOINT], ep, DB_MAX_EP + 2);
	size_t neid = trimmed(r, im->col[COL_EID], eid, DB_MAX_EID + 2);
	size_t nca = trimmed(r, im->col[COL_CARRIER], carrier, sizeof carrier);
	size_t nic = trimmed(r, im->col[COL_ICCID], iccid, sizeof iccid);
	if (nep) {
		eid[0] = 0;   /* the endpoint names the device */
		if (nep > DB_MAX_EP || !text_ok(ep, nep)) {
			snprintf(why, whylen, "malformed field endpoint: not 1 to %d "
			         "bytes of text", DB_MAX_EP);
			return why;
		}
	} else if (neid) {
		if (!digits(eid, neid, DB_MAX_EID, DB_MAX_EID)) {
			snprintf(why, whylen, "malformed field eid: not %d digits",
			         DB_MAX_EID);
			return why;
		}
	} else {
		snprintf(why, whylen, "malformed field: no %s given",
		         im->col[COL_ENDPOINT] >= 0 && im->col[COL_EID] >= 0
		         ? "endpoint or eid"
		         : im->col[COL_ENDPOINT] >= 0 ? "endpoint" : "eid");
		return why;
	}
	if (nca && nic) {
		snprintf(why, whylen, "malformed field: both carrier and iccid "
		         "given; name one");
		return why;
	}
	if (nca) {
		if (nca > 64 || !text_ok(carrier, nca)) {
			snprintf(why, whylen, "malformed field carrier: not 1 to 64 "
			         "bytes of text");
			return why;
		}
		memcpy(target, carrier, nca + 1);
	} else if (nic) {
		if (!digits(iccid, nic, 18, 20)) {
			snprintf(why, whylen, "malformed field iccid: not 18 to 20 digits");
			return why;
		}
		memcpy(target, iccid, nic + 1);
		*kind = DB_TARGET_ICCID;
	} else {
		snprintf(why, whylen, "malformed field: no %s given",
		         im->col[COL_CARRIER] >= 0 && im->col[COL_ICCID] >= 0
		         ? "carrier or iccid"
		         : im->col[COL_CARRIER] >= 0 ? "carrier" : "iccid");
		return why;
	}
	return NULL;
}

static int on_row(void *arg, const csvs_row *r)
{
	camp_import *im = arg;
	if (!im->header_done)
		return header(im, r);
	char ep[DB_MAX_EP + 2], eid[DB_MAX_EID + 2], target[CIMP_MAX_FIELD + 1];
	char why[DB_MAX_CAMP_ERROR + 1];
	int kind;
	const char *bad = check_row(im, r, ep, eid, target, &kind, why, sizeof why);
	if (!im->in_txn && db_begin(im->d)) {
		fail(im, 1, "storing the rows failed: %s", db_errmsg(im->d));
		return -1;
	}
	im->in_txn++;
	if (db_camp_stage_row(im->d, im->import_id, r->line, bad ? "" : ep,
	                      bad ? "" : eid, kind, bad ? "" : target, bad)) {
		fail(im, 1, "storing the rows failed: %s", db_errmsg(im->d));
		db_rollback(im->d);
		im->in_txn = 0;
		return -1;
	}
	im->staged++;
	if (im->in_txn >= CIMP_BATCH)
		return flush(im);
	return 0;
}

camp_import *camp_import_new(db *d, int64_t max_rows)
{
	camp_import *im = calloc(1, sizeof *im);
	if (!im)
		return NULL;
	im->d = d;
	im->warnings = json_array();
	/* +1: the header is a record too. */
	im->reader = csvs_new(CSVS_MAX_FIELDS, CIMP_MAX_FIELD, max_rows + 1,
	                      on_row, im);
	if (!im->warnings || !im->reader || db_camp_stage_new(d, &im->import_id)) {
		camp_import_free(im);
		return NULL;
	}
	return im;
}

void camp_import_free(camp_import *im)
{
	if (!im)
		return;
	if (im->in_txn)
		db_rollback(im->d);
	if (im->import_id)
		db_camp_stage_discard(im->d, im->import_id);
	csvs_free(im->reader);
	json_decref(im->warnings);
	free(im);
}

const char *camp_import_error(const camp_import *im)
{
	return im->err;
}

int camp_import_internal(const camp_import *im)
{
	return im->internal;
}

/* After the reader stopped: its own reason, unless on_row set one. */
static void reader_failed(camp_import *im)
{
	const char *e = csvs_error(im->reader);
	if (e[0])
		fail(im, 0, "%s", e);
}

int camp_import_feed(camp_import *im, const char *data, size_t n)
{
	if (im->fatal)
		return -1;
	int rc = csvs_feed(im->reader, data, n);
	if (rc)
		reader_failed(im);
	if (flush(im) || rc)
		return -1;
	return 0;
}

int camp_import_finish(camp_import *im, const db_camp_settings *s,
                       int skip_invalid, const char *created_by,
                       camp_import_result *res)
{
	memset(res, 0, sizeof *res);
	if (im->fatal)
		return -1;
	int rc = csvs_finish(im->reader);
	if (rc)
		reader_failed(im);
	if (flush(im) || rc)
		return -1;
	if (!im->header_done) {
		fail(im, 0, "the file is empty: a header line (e.g. "
		     "\"endpoint,carrier\") and rows are needed%s", "");
		return -1;
	}
	if (im->staged == 0) {
		fail(im, 0, "the file has a header but no rows%s", "");
		return -1;
	}
	int64_t valid = 0, bad = 0;
	if (db_camp_stage_check(im->d, im->import_id) ||
	    db_camp_stage_counts(im->d, im->import_id, &valid, &bad)) {
		fail(im, 1, "validating the rows failed: %s", db_errmsg(im->d));
		return -1;
	}
	res->invalid = bad;
	res->errors = json_array();
	if (bad) {
		db_camp_row *rows = NULL;
		size_t nr = 0;
		if (db_camp_stage_errors(im->d, im->import_id, CIMP_MAX_ERRORS,
		                         &rows, &nr)) {
			fail(im, 1, "listing the bad rows failed: %s", db_errmsg(im->d));
			return -1;
		}
		for (size_t i = 0; i < nr; i++)
			json_array_append_new(res->errors, json_pack("{sIss}",
				"line", (json_int_t)rows[i].line, "reason", rows[i].error));
		free(rows);
	}
	res->warnings = json_incref(im->warnings);
	if ((bad && !skip_invalid) || valid == 0)
		return 1;
	char *warn = NULL;
	size_t wl = 0;
	FILE *f = open_memstream(&warn, &wl);
	if (f) {
		size_t i;
		json_t *w;
		json_array_foreach(im->warnings, i, w)
			fprintf(f, "%s%s", i ? "\n" : "", json_string_value(w));
		if (bad)
			fprintf(f, "%s%lld invalid rows skipped",
			        json_array_size(im->warnings) ? "\n" : "",
			        (long long)bad);
		fclose(f);
	}
	int64_t id = 0;
	db_rc r = db_camp_stage_commit(im->d, im->import_id, s, created_by, warn,
	                               loop_wall_s(), &id);
	free(warn);
	if (r) {
		fail(im, 1, "creating the campaign failed: %s", db_errmsg(im->d));
		return -1;
	}
	im->import_id = 0;   /* nothing left to discard */
	res->id = id;
	res->imported = valid;
	if (bad) {
		char msg[96];
		snprintf(msg, sizeof msg, "%lld invalid rows skipped", (long long)bad);
		json_array_append_new(res->warnings, json_string(msg));
	}
	return 0;
}
