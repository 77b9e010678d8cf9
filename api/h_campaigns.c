/*
 * h_campaigns.c: the campaign routes (DESIGN §8, §9):
 *   POST /campaigns            a text/csv body, streamed into the importer
 *   GET  /campaigns            the list (?after=ID&limit=)
 *   GET  /campaigns/{id}       counts per state, throughput, time left
 *   POST /campaigns/{id}/{start|pause|resume|cancel}
 *   GET  /campaigns/{id}/report  one CSV line per row, streamed from the db
 * Settings come from the query string, else from X-Campaign-* headers
 * (X-Campaign-Max-In-Flight for max_in_flight, ...).
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api_int.h"
#include "api/campaign_import.h"
#include "server/campaign.h"

#define CAMP_MAX_UPLOAD (1024LL * 1024 * 1024)   /* bytes */
#define CAMP_MAX_ROWS 5000000
#define REPORT_PAGE 500

/* ---- settings ------------------------------------------------------------ */

/* A setting by its query name, else its header X-Campaign-Foo-Bar. */
static const char *setting(api_call *c, const char *name)
{
	const char *v = api_query(c, name);
	if (v)
		return v;
	char h[64] = "X-Campaign-";
	size_t n = strlen(h);
	for (const char *p = name; *p && n + 1 < sizeof h; p++)
		h[n++] = *p == '_' ? '-' : *p;
	h[n] = 0;
	return api_header(c, h);
}

/* RFC 3339 date-time ("2026-12-03T22:00:00Z", "...T23:00:00.5+01:00")
 * to seconds; -1 if malformed. */
static int64_t parse_rfc3339(const char *s)
{
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	int n = 0;
	if (sscanf(s, "%4d-%2d-%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &n) != 3 ||
	    n != 10 || (s[10] != 'T' && s[10] != 't' && s[10] != ' '))
		return -1;
	const char *p = s + 11;
	if (sscanf(p, "%2d:%2d:%2d%n", &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 3 ||
	    n != 8)
		return -1;
	p += 8;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -1;
		while (isdigit((unsigned char)*p))
			p++;
	}
	int off = 0;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int hh, mm;
		if (sscanf(p + 1, "%2d:%2d%n", &hh, &mm, &n) != 2 || n != 5 ||
		    hh > 23 || mm > 59)
			return -1;
		off = (hh * 60 + mm) * 60 * (*p == '-' ? -1 : 1);
		p += 6;
	} else {
		return -1;
	}
	if (*p || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 ||
	    tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	time_t t = timegm(&tm);
	if (t == (time_t)-1)
		return -1;
	return (int64_t)t - off;
}

static json_t *rfc3339(int64_t t)
{
	if (!t)
		return json_null();
	char buf[32];
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_string(buf);
}

static int get_int(api_call *c, const char *name, int64_t min, int64_t max,
                   int64_t *out)
{
	const char *v = setting(c, name);
	if (!v)
		return 0;
	char *end;
	errno = 0;
	long long x = strtoll(v, &end, 10);
	if (errno || end == v || *end || x < min || x > max) {
		api_problem(c, 400, "bad-request", json_pack("{ss}", "setting", name),
		            "%s must be an integer from %lld to %lld, not \"%.64s\"",
		            name, (long long)min, (long long)max, v);
		return -1;
	}
	*out = x;
	return 0;
}

static int get_real(api_call *c, const char *name, double min, double max,
                    double *out)
{
	const char *v = setting(c, name);
	if (!v)
		return 0;
	char *end;
	errno = 0;
	double x = strtod(v, &end);
	if (errno || end == v || *end || !isfinite(x) || x < min || x > max) {
		api_problem(c, 400, "bad-request", json_pack("{ss}", "setting", name),
		            "%s must be a number from %g to %g, not \"%.64s\"", name,
		            min, max, v);
		return -1;
	}
	*out = x;
	return 0;
}

static int get_time(api_call *c, const char *name, int64_t *out)
{
	const char *v = setting(c, name);
	if (!v || !*v)
		return 0;
	int64_t t = parse_rfc3339(v);
	if (t < 0) {
		api_problem(c, 400, "bad-request", json_pack("{ss}", "setting", name),
		            "%s must be an RFC 3339 date-time such as "
		            "2026-01-31T22:00:00Z, not \"%.64s\"", name, v);
		return -1;
	}
	*out = t;
	return 0;
}

/* Reads every setting; -1 with a problem set. */
static int parse_settings(api_call *c, db_camp_settings *s, int *skip)
{
	memset(s, 0, sizeof *s);
	s->max_in_flight = 10;
	s->max_starts_per_s = 10;
	s->failure_threshold_pct = 50;
	s->failure_min_sample = 20;
	*skip = 0;
	const char *name = setting(c, "name");
	if (name) {
		size_t n = strlen(name);
		int ok = n > 0 && n <= DB_MAX_CAMP_NAME;
		for (size_t i = 0; ok && i < n; i++)
			if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
				ok = 0;
		if (!ok) {
			api_problem(c, 400, "bad-request", json_pack("{ss}", "setting", "name"),
			            "name must be 1 to %d bytes of text", DB_MAX_CAMP_NAME);
			return -1;
		}
		memcpy(s->name, name, n + 1);
	} else {
		snprintf(s->name, sizeof s->name, "campaign");
	}
	const char *sk = setting(c, "skip_invalid");
	if (sk) {
		if (!strcmp(sk, "true") || !strcmp(sk, "1"))
			*skip = 1;
		else if (strcmp(sk, "false") && strcmp(sk, "0")) {
			api_problem(c, 400, "bad-request",
			            json_pack("{ss}", "setting", "skip_invalid"),
			            "skip_invalid must be true or false, not \"%.32s\"", sk);
			return -1;
		}
	}
	if (get_int(c, "max_in_flight", 1, 1000000, &s->max_in_flight) ||
	    get_real(c, "max_starts_per_s", 0.001, 100000, &s->max_starts_per_s) ||
	    get_real(c, "failure_threshold_pct", 0, 100, &s->failure_threshold_pct) ||
	    get_int(c, "failure_min_sample", 0, 100000000, &s->failure_min_sample) ||
	    get_time(c, "window_start", &s->window_start) ||
	    get_time(c, "window_end", &s->window_end))
		return -1;
	if (s->window_end && s->window_end <= s->window_start) {
		api_problem(c, 400, "bad-request", json_pack("{ss}", "setting", "window_end"),
		            "window_end must come after window_start");
		return -1;
	}
	return 0;
}

/* ---- JSON ---------------------------------------------------------------------- */

static json_t *campaign_json(api *a, const db_campaign *c)
{
	double rate, eta;
	campaigns_rate(a->camp, c, loop_wall_s(), &rate, &eta);
	json_t *set = json_pack("{sIsfsfsIsoso}",
		"max_in_flight", (json_int_t)c->set.max_in_flight,
		"max_starts_per_s", c->set.max_starts_per_s,
		"failure_threshold_pct", c->set.failure_threshold_pct,
		"failure_min_sample", (json_int_t)c->set.failure_min_sample,
		"window_start", rfc3339(c->set.window_start),
		"window_end", rfc3339(c->set.window_end));
	json_t *counts = json_pack("{sIsIsIsIsIsIsI}",
		"total", (json_int_t)c->total, "pending", (json_int_t)c->pending,
		"in_flight", (json_int_t)c->started,
		"succeeded", (json_int_t)c->succeeded, "failed", (json_int_t)c->failed,
		"skipped", (json_int_t)c->skipped,
		"done", (json_int_t)(c->succeeded + c->failed + c->skipped));
	json_t *warn = json_array();
	if (c->warnings) {
		const char *p = c->warnings;
		while (*p) {
			const char *e = strchr(p, '\n');
			size_t n = e ? (size_t)(e - p) : strlen(p);
			json_array_append_new(warn, json_stringn(p, n));
			p += n + (e ? 1 : 0);
		}
	}
	return json_pack("{sIsssssososfsosososossssso}",
		"id", (json_int_t)c->id, "name", c->set.name,
		"state", db_camp_state_name(c->state), "settings", set,
		"counts", counts, "throughput_per_s", rate,
		"eta_s", eta < 0 ? json_null() : json_integer((json_int_t)(eta + 0.5)),
		"created_at", api_time(c->created_at),
		"started_at", api_time(c->started_at),
		"ended_at", api_time(c->ended_at),
		"end_reason", c->end_reason, "created_by", c->created_by,
		"warnings", warn);
}

/* campaign_json with the urls completed. */
static json_t *campaign_reply(api *a, const db_campaign *c)
{
	json_t *j = campaign_json(a, c);
	if (!j)
		return NULL;
	char u[80];
	snprintf(u, sizeof u, "/api/v1/campaigns/%lld", (long long)c->id);
	json_object_set_new(j, "url", json_string(u));
	snprintf(u, sizeof u, "/api/v1/campaigns/%lld/report", (long long)c->id);
	json_object_set_new(j, "report", json_string(u));
	return j;
}

/* Loads campaign {id}; -1 with a problem set. */
static int load(api_call *c, db_campaign *out)
{
	const char *s = api_param(c, "id");
	int64_t id = api_parse_id(s);
	memset(out, 0, sizeof *out);
	if (id < 0) {
		api_problem(c, 404, "not-found", NULL, "no campaign \"%.64s\"", s ? s : "");
		return -1;
	}
	db_rc rc = db_camp_get(c->a->d, id, out);
	if (rc == DB_NOT_FOUND) {
		api_problem(c, 404, "not-found", NULL, "no campaign %lld", (long long)id);
		return -1;
	}
	if (rc) {
		api_problem(c, 500, "internal", NULL, "%s", db_errmsg(c->a->d));
		return -1;
	}
	return 0;
}

/* ---- POST /campaigns (streamed) -------------------------------------------------- */

typedef struct {
	camp_import *im;
	db_camp_settings set;
	int skip;
	long long bytes;
} upload;

static void upload_free(void *p)
{
	upload *u = p;
	if (!u)
		return;
	camp_import_free(u->im);
	free(u);
}

/* The upload state, made on the first chunk (or at the end of an empty
 * body); NULL with a problem set when the call is refused. */
static upload *upload_get(api_call *c)
{
	if (c->ctx)
		return c->ctx;
	char ct[64];
	api_content_type(c, ct, sizeof ct);
	if (strcmp(ct, "text/csv") && strcmp(ct, "application/csv") &&
	    strcmp(ct, "text/plain")) {
		api_problem(c, 415, "unsupported-media-type", NULL,
		            "a campaign is uploaded as text/csv, not \"%s\"",
		            ct[0] ? ct : "(no Content-Type)");
		return NULL;
	}
	if (!c->a->camp) {
		api_problem(c, 503, "unavailable", NULL, "the campaign engine is not running");
		return NULL;
	}
	upload *u = calloc(1, sizeof *u);
	if (!u) {
		api_problem(c, 500, "internal", NULL, "out of memory");
		return NULL;
	}
	if (parse_settings(c, &u->set, &u->skip)) {
		free(u);
		return NULL;
	}
	u->im = camp_import_new(c->a->d, CAMP_MAX_ROWS);
	if (!u->im) {
		free(u);
		api_problem(c, 500, "internal", NULL, "cannot start the import: %s",
		            db_errmsg(c->a->d));
		return NULL;
	}
	c->ctx = u;
	c->ctx_free = upload_free;
	return u;
}

static void import_failed(api_call *c, upload *u)
{
	if (camp_import_internal(u->im))
		api_problem(c, 500, "internal", NULL, "%s", camp_import_error(u->im));
	else
		api_problem(c, 422, "invalid-csv", NULL, "%s", camp_import_error(u->im));
}

int h_campaigns_body(api_call *c, const char *data, size_t n)
{
	upload *u = upload_get(c);
	if (!u)
		return -1;
	u->bytes += (long long)n;
	if (u->bytes > CAMP_MAX_UPLOAD) {
		api_problem(c, 413, "payload-too-large",
		            json_pack("{sI}", "max_body", (json_int_t)CAMP_MAX_UPLOAD),
		            "a campaign file is at most %lld bytes", CAMP_MAX_UPLOAD);
		return -1;
	}
	if (camp_import_feed(u->im, data, n)) {
		import_failed(c, u);
		return -1;
	}
	return 0;
}

void h_campaigns_post(api_call *c)
{
	upload *u = upload_get(c);
	if (!u)
		return;
	camp_import_result res;
	int rc = camp_import_finish(u->im, &u->set, u->skip, c->tok.name, &res);
	if (rc < 0) {
		import_failed(c, u);
		return;
	}
	if (rc > 0) {
		api_problem(c, 422, "invalid-rows",
		            json_pack("{sIsIsoso}", "invalid_rows", (json_int_t)res.invalid,
		                      "listed", (json_int_t)json_array_size(res.errors),
		                      "errors", res.errors, "warnings",
		                      res.warnings ? res.warnings : json_array()),
		            "%lld rows are invalid; nothing was imported (see errors; "
		            "skip_invalid=true imports the valid rows)",
		            (long long)res.invalid);
		return;
	}
	campaigns_created(c->a->camp, res.id);
	db_campaign camp;
	if (db_camp_get(c->a->d, res.id, &camp)) {
		json_decref(res.errors);
		json_decref(res.warnings);
		api_problem(c, 500, "internal", NULL, "%s", db_errmsg(c->a->d));
		return;
	}
	json_t *j = campaign_reply(c->a, &camp);
	db_campaign_clear(&camp);
	if (j) {
		json_object_set_new(j, "warnings", res.warnings ? res.warnings : json_array());
		json_object_set_new(j, "skipped_rows", res.errors);
		json_object_set_new(j, "imported", json_integer((json_int_t)res.imported));
	} else {
		json_decref(res.errors);
		json_decref(res.warnings);
	}
	char loc[64];
	snprintf(loc, sizeof loc, "/api/v1/campaigns/%lld", (long long)res.id);
	c->location = strdup(loc);
	api_reply_json(c, 201, j);
}

/* ---- reading -------------------------------------------------------------------------- */

void h_campaigns_list(api_call *c)
{
	int limit = api_limit(c);
	if (limit < 0)
		return;
	int64_t after = 0;
	const char *a = api_query(c, "after");
	if (a && (after = api_parse_id(a)) < 0) {
		api_problem(c, 400, "bad-request", NULL, "after must be a campaign id");
		return;
	}
	db_campaign *list = NULL;
	size_t n = 0;
	if (db_camp_list(c->a->d, after, limit, &list, &n)) {
		api_problem(c, 500, "internal", NULL, "%s", db_errmsg(c->a->d));
		return;
	}
	json_t *items = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(items, campaign_reply(c->a, &list[i]));
	char next[24];
	if (n == (size_t)limit)
		snprintf(next, sizeof next, "%lld", (long long)list[n - 1].id);
	json_t *j = json_pack("{soso}", "items", items, "next",
	                      n == (size_t)limit ? json_string(next) : json_null());
	db_camp_list_free(list, n);
	api_reply_json(c, 200, j);
}

void h_campaign_get(api_call *c)
{
	db_campaign camp;
	if (load(c, &camp))
		return;
	api_reply_json(c, 200, campaign_reply(c->a, &camp));
	db_campaign_clear(&camp);
}

void h_campaign_action(api_call *c)
{
	db_campaign camp;
	char err[256];
	if (!c->a->camp) {
		api_problem(c, 503, "unavailable", NULL, "the campaign engine is not running");
		return;
	}
	if (load(c, &camp))
		return;
	const char *action = api_param(c, "action");
	int rc = campaigns_action(c->a->camp, camp.id, action ? action : "",
	                          c->tok.name, err, sizeof err);
	db_campaign_clear(&camp);
	switch (rc) {
	case CAMP_OK:
		break;
	case CAMP_BAD_ACTION:
		api_problem(c, 404, "not-found", NULL, "%s", err);
		return;
	case CAMP_NOT_FOUND:
		api_problem(c, 404, "not-found", NULL, "%s", err);
		return;
	case CAMP_BAD_STATE:
		api_problem(c, 409, "conflict", NULL, "%s", err);
		return;
	default:
		api_problem(c, 500, "internal", NULL, "%s", err);
		return;
	}
	if (load(c, &camp))
		return;
	api_reply_json(c, 200, campaign_reply(c->a, &camp));
	db_campaign_clear(&camp);
}

/* ---- the report: CSV streamed page by page ------------------------------------------- */

typedef struct {
	db *d;
	int64_t id, after;
	char *buf;
	size_t len, pos;
	int header_sent, done;
} report;

static void csv_field(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void csv_time(FILE *f, int64_t t)
{
	if (!t)
		return;
	char buf[32];
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
	fputs(buf, f);
}

/* Fills rp->buf with the next page; 0, or -1 when nothing is left. */
static int report_page(report *rp)
{
	free(rp->buf);
	rp->buf = NULL;
	rp->len = rp->pos = 0;
	if (rp->done)
		return -1;
	FILE *f = open_memstream(&rp->buf, &rp->len);
	if (!f)
		return -1;
	if (!rp->header_sent) {
		fputs("endpoint,job,outcome,from_iccid,to_iccid,result_code,error,"
		      "started_at,ended_at,line,state,target\r\n", f);
		rp->header_sent = 1;
	}
	db_camp_row *rows = NULL;
	size_t n = 0;
	if (db_camp_rows(rp->d, rp->id, rp->after, REPORT_PAGE, &rows, &n)) {
		/* Mid-stream there is no status left to change: end the
		 * body with a line that says it is cut. */
		fprintf(f, "# report cut short: %s\r\n", db_errmsg(rp->d));
		n = 0;
	}
	for (size_t i = 0; i < n; i++) {
		const db_camp_row *r = &rows[i];
		csv_field(f, r->endpoint[0] ? r->endpoint : r->eid);
		fputc(',', f);
		if (r->job_id)
			fprintf(f, "%lld", (long long)r->job_id);
		fputc(',', f);
		csv_field(f, r->outcome[0] ? r->outcome
		          : r->state == DB_CROW_STARTED ? "in_flight"
		          : db_crow_state_name(r->state));
		fputc(',', f);
		csv_field(f, r->from_iccid);
		fputc(',', f);
		csv_field(f, r->to_iccid);
		fputc(',', f);
		if (r->result_code >= 0)
			fprintf(f, "%d", r->result_code);
		fputc(',', f);
		csv_field(f, r->error);
		fputc(',', f);
		csv_time(f, r->started_at);
		fputc(',', f);
		csv_time(f, r->ended_at);
		fprintf(f, ",%lld,%s,", (long long)r->line, db_crow_state_name(r->state));
		csv_field(f, r->target);
		fputs("\r\n", f);
		rp->after = r->line;
	}
	if (n < REPORT_PAGE)
		rp->done = 1;
	free(rows);
	fclose(f);
	return 0;
}

static ssize_t report_read(void *cls, uint64_t pos, char *out, size_t max)
{
	report *rp = cls;
	while (rp->pos >= rp->len)
		if (report_page(rp))
			return MHD_CONTENT_READER_END_OF_STREAM;
	size_t n = rp->len - rp->pos;
	if (n > max)
		n = max;
	memcpy(out, rp->buf + rp->pos, n);
	rp->pos += n;
	return (ssize_t)n;
}

static void report_free(void *cls)
{
	report *rp = cls;
	if (!rp)
		return;
	free(rp->buf);
	free(rp);
}

void h_campaign_report(api_call *c)
{
	db_campaign camp;
	if (load(c, &camp))
		return;
	report *rp = calloc(1, sizeof *rp);
	if (!rp) {
		db_campaign_clear(&camp);
		api_problem(c, 500, "internal", NULL, "out of memory");
		return;
	}
	rp->d = c->a->d;
	rp->id = camp.id;
	db_campaign_clear(&camp);
	c->reader = report_read;
	c->reader_cls = rp;
	c->reader_free = report_free;
	api_reply_text(c, 200, NULL, 0, "text/csv; charset=utf-8");
}

/* ---- wiring ----------------------------------------------------------------------------- */

void api_set_campaigns(api *a, struct campaigns *camp)
{
	if (a)
		a->camp = camp;
}
