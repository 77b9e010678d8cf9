/*
 * problem.c: how the API answers: JSON bodies, empty replies and
 * application/problem+json errors (RFC 9457) with a detail that always
 * says what went wrong; plus reading JSON bodies and the common query
 * parameters, so every handler fails the same way.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_int.h"

static const struct {
	int status;
	const char *title;
} titles[] = {
	{ 400, "Bad request" }, { 401, "Unauthorized" }, { 403, "Forbidden" },
	{ 404, "Not found" }, { 405, "Method not allowed" }, { 406, "Not acceptable" },
	{ 409, "Conflict" }, { 413, "Payload too large" },
	{ 415, "Unsupported media type" }, { 422, "Validation failed" },
	{ 500, "Internal error" }, { 502, "Bad gateway" },
	{ 503, "Service unavailable" }, { 504, "Gateway timeout" },
};

static const char *status_title(int status)
{
	for (size_t i = 0; i < sizeof titles / sizeof titles[0]; i++)
		if (titles[i].status == status)
			return titles[i].title;
	return status >= 500 ? "Server error" : "Client error";
}

static void set_body(api_call *c, int status, char *body, size_t len,
                     const char *ctype)
{
	free(c->resp);
	c->status = status;
	c->resp = body;
	c->resp_len = len;
	c->ctype = ctype;
}

void api_reply_json(api_call *c, int status, json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(15)) : NULL;
	json_decref(j);
	if (!s) {
		/* Out of memory: a fixed answer still tells the client. */
		static const char oom[] = "{\"type\":\"" API_PROBLEM_BASE "internal\","
			"\"title\":\"Internal error\",\"status\":500,"
			"\"detail\":\"out of memory while writing the answer\"}";
		s = strdup(oom);
		set_body(c, 500, s, s ? strlen(s) : 0, "application/problem+json");
		return;
	}
	set_body(c, status, s, strlen(s), "application/json");
}

void api_reply_text(api_call *c, int status, char *body, size_t len,
                    const char *ctype)
{
	set_body(c, status, body, len, ctype);
}

void api_reply_empty(api_call *c, int status)
{
	set_body(c, status, NULL, 0, NULL);
}

void api_problem(api_call *c, int status, const char *type, json_t *extra,
                 const char *fmt, ...)
{
	char detail[512], t[128];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof detail, fmt, ap);
	va_end(ap);
	snprintf(t, sizeof t, "%s%s", API_PROBLEM_BASE, type);
	json_t *j = json_pack("{sssssiss}", "type", t, "title", status_title(status),
	                      "status", status, "detail", detail);
	if (j && extra)
		json_object_update(j, extra);
	json_decref(extra);
	api_reply_json(c, status, j);
	if (c->status == status)
		c->ctype = "application/problem+json";
	if (status == 401 && !c->www_auth)
		c->www_auth = 1;
}

void api_problem_json(api_call *c, const json_error_t *err)
{
	api_problem(c, 400, "invalid-json",
	            json_pack("{sisisi}", "line", err->line, "column", err->column,
	                      "position", err->position),
	            "the body is not valid JSON: %s (line %d, column %d, position %d)",
	            err->text, err->line, err->column, err->position);
}

json_t *api_body_json(api_call *c)
{
	json_error_t err;
	if (!c->len) {
		api_problem(c, 400, "invalid-json", NULL, "the body is empty; JSON expected");
		return NULL;
	}
	json_t *j = json_loadb((const char *)c->body, c->len,
	                       JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &err);
	if (!j)
		api_problem_json(c, &err);
	return j;
}

int api_limit(api_call *c)
{
	const char *s = api_query(c, "limit");
	if (!s)
		return 100;
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > 1000) {
		api_problem(c, 400, "bad-request", NULL,
		            "limit must be an integer from 1 to 1000, not \"%s\"", s);
		return -1;
	}
	return (int)v;
}

int64_t api_parse_id(const char *s)
{
	char *end;
	/* strtoll alone would take " 7" and "+7" */
	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || *end || v <= 0)
		return -1;
	return v;
}

json_t *api_time(int64_t t)
{
	return t ? json_integer((json_int_t)t) : json_null();
}

const char *api_coap_code(int code, char *buf, size_t size)
{
	snprintf(buf, size, "%d.%02d", code / 100, code % 100);
	return buf;
}
