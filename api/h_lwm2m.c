/*
 * h_lwm2m.c: /devices/{ep}/lwm2m/{path}[/discover|/attributes|/observe]:
 * any LwM2M operation on any path. The method and route pick the
 * operation (a table), the body becomes the payload (JSON records encoded
 * with the LwM2M codecs, or raw bytes of a known content type), dm_submit
 * sends or queues it, and the HTTP call waits, suspended, until the DM
 * callback or our own ?timeout= timer ends the wait.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_int.h"
#include "api/lw_ops.h"
#include "lwm2m/records_json.h"

/* Which operation a method on a route means. POST on the plain route
 * depends on the path's depth (exact); the other operations allow the
 * depths in [min, max], as the DM engine does (1 object .. 4 resource
 * instance), so the operator gets a precise reason. */
static const struct {
	int arg;
	const char *method;
	int exact;
	int min, max;
	dm_op op;
	const char *where;
} ops[] = {
	{ LW_PLAIN, "GET", 0, 1, 4, DM_READ, "any path" },
	{ LW_PLAIN, "PUT", 0, 2, 4, DM_WRITE, "an instance, resource or resource instance" },
	{ LW_PLAIN, "PATCH", 0, 2, 3, DM_WRITE_PARTIAL, "an instance or resource" },
	{ LW_PLAIN, "POST", 1, 1, 1, DM_CREATE, "an object" },
	{ LW_PLAIN, "POST", 1, 2, 2, DM_WRITE_PARTIAL, "an instance" },
	{ LW_PLAIN, "POST", 1, 3, 3, DM_EXECUTE, "a resource" },
	{ LW_PLAIN, "DELETE", 0, 2, 2, DM_DELETE, "an object instance" },
	{ LW_DISCOVER, "GET", 0, 1, 3, DM_DISCOVER, "an object, instance or resource" },
	{ LW_ATTRIBUTES, "PUT", 0, 1, 4, DM_WRITE_ATTRIBUTES, "any path" },
	{ LW_OBSERVE, "POST", 0, 1, 4, DM_OBSERVE, "any path" },
	{ LW_OBSERVE, "DELETE", 0, 1, 4, DM_OBSERVE_CANCEL, "any path" },
};

/* Content types whose bodies go to the device as they are. */
static const struct {
	const char *ctype;
	lwm2m_format f;
} raw_types[] = {
	{ "application/vnd.oma.lwm2m+tlv", LWM2M_CF_TLV },
	{ "application/senml+json", LWM2M_CF_SENML_JSON },
	{ "application/senml+cbor", LWM2M_CF_SENML_CBOR },
	{ "application/vnd.oma.lwm2m+json", LWM2M_CF_LWM2M_JSON },
	{ "text/plain", LWM2M_CF_TEXT },
	{ "application/octet-stream", LWM2M_CF_OPAQUE },
};

static const struct {
	int code;
	const char *name;
} coap_names[] = {
	{ 400, "Bad Request" }, { 401, "Unauthorized" }, { 402, "Bad Option" },
	{ 403, "Forbidden" }, { 404, "Not Found" }, { 405, "Method Not Allowed" },
	{ 406, "Not Acceptable" }, { 408, "Request Entity Incomplete" },
	{ 409, "Conflict" }, { 412, "Precondition Failed" },
	{ 413, "Request Entity Too Large" }, { 415, "Unsupported Content-Format" },
	{ 500, "Internal Server Error" }, { 501, "Not Implemented" },
	{ 502, "Bad Gateway" }, { 503, "Service Unavailable" },
	{ 504, "Gateway Timeout" },
};

static const char *coap_name(int code)
{
	for (size_t i = 0; i < sizeof coap_names / sizeof coap_names[0]; i++)
		if (coap_names[i].code == code)
			return coap_names[i].name;
	return "error";
}

/* A device's 4.xx/5.xx as an HTTP status (docs/api.md §4). */
static int coap_to_http(int code)
{
	switch (code) {
	case 400: return 400;
	case 401: case 403: return 403;
	case 404: return 404;
	case 405: return 405;
	case 406: return 406;
	case 415: return 415;
	}
	return code >= 500 ? 502 : 400;
}

static void set_location(api_call *c, const char *fmt, long long v)
{
	char buf[64];
	snprintf(buf, sizeof buf, fmt, v);
	free(c->location);
	c->location = strdup(buf);
}

/* Percent-encodes what may not stand in a URL path segment (RFC 3986
 * unreserved characters stay). */
static void escape_segment(const char *in, char *out, size_t size)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;
	for (; in && *in && o + 4 < size; in++) {
		unsigned char ch = (unsigned char)*in;
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || strchr("-._~:@", ch)) {
			out[o++] = (char)ch;
		} else {
			out[o++] = '%';
			out[o++] = hex[ch >> 4];
			out[o++] = hex[ch & 15];
		}
	}
	out[o] = 0;
}

/* The response for a finished request. */
static void answer(api_call *c, const dm_result *r)
{
	char code[8];
	json_int_t id = (json_int_t)r->id;
	if (r->state == DB_REQ_DONE && r->coap_code / 100 == 2) {
		json_t *j = json_pack("{sIss}", "request_id", id, "code",
		                      api_coap_code(r->coap_code, code, sizeof code));
		if (!j) {
			api_problem(c, 500, "internal", NULL, "out of memory");
			return;
		}
		api_add_payload(j, c->lw_op, c->lw_path, r->len ? r->format : -1,
		                r->payload, r->len);
		if (c->lw_op == DM_CREATE && c->create_inst >= 0) {
			char loc[80];
			snprintf(loc, sizeof loc, "%s/%d", c->lw_path, c->create_inst);
			json_object_set_new(j, "location", json_string(loc));
			char url[600], ep[400];
			escape_segment(api_param(c, "ep"), ep, sizeof ep);
			snprintf(url, sizeof url, "/api/v1/devices/%s/lwm2m%s", ep, loc);
			free(c->location);
			c->location = strdup(url);
		}
		api_reply_json(c, c->lw_op == DM_CREATE ? 201 : 200, j);
		return;
	}
	if (r->state == DB_REQ_DONE) {
		api_coap_code(r->coap_code, code, sizeof code);
		api_problem(c, coap_to_http(r->coap_code), "device-error",
		            json_pack("{sssI}", "coap_code", code, "request_id", id),
		            "the device answered %s %s to %s %s", code,
		            coap_name(r->coap_code), dm_op_name(c->lw_op), c->lw_path);
		return;
	}
	const char *err = r->error && r->error[0] ? r->error : db_req_state_name(r->state);
	if (r->state == DB_REQ_EXPIRED || strstr(err, "timeout"))
		api_problem(c, 504, "device-timeout",
		            json_pack("{sIss}", "request_id", id, "error", err),
		            "the device did not answer %s %s (%s)",
		            dm_op_name(c->lw_op), c->lw_path, err);
	else if (r->state == DB_REQ_CANCELLED)
		api_problem(c, 409, "conflict", json_pack("{sI}", "request_id", id),
		            "request %lld was cancelled", (long long)id);
	else
		api_problem(c, 502, "device-unreachable",
		            json_pack("{sIss}", "request_id", id, "error", err),
		            "%s %s failed on the way to the device: %s",
		            dm_op_name(c->lw_op), c->lw_path, err);
}

static void on_result(void *arg, const dm_result *r)
{
	api_call *c = arg;
	c->got_result = 1;
	c->req_id = r->id;
	if (c->timer) {
		loop_timer_cancel(c->a->l, c->timer);
		c->timer = NULL;
	}
	answer(c, r);
	api_call_resume(c);
}

static void on_timeout(void *arg)
{
	api_call *c = arg;
	c->timer = NULL;
	dm_detach(c->a->e, c->req_id);
	c->got_result = 1;
	set_location(c, "/api/v1/requests/%lld", (long long)c->req_id);
	api_problem(c, 504, "device-timeout",
	            json_pack("{sIss}", "request_id", (json_int_t)c->req_id,
	                      "location", c->location ? c->location : ""),
	            "no answer from the device within the timeout; request %lld goes on, see %s",
	            (long long)c->req_id, c->location ? c->location : "/api/v1/requests");
	api_call_resume(c);
}

void api_lwm2m_abort(api_call *c)
{
	if (c->timer) {
		loop_timer_cancel(c->a->l, c->timer);
		c->timer = NULL;
	}
	if (c->req_id && !c->got_result) {
		dm_detach(c->a->e, c->req_id);
		c->got_result = 1;
	}
	if (c->state == CALL_SUSPENDED) {
		api_problem(c, 503, "unavailable",
		            json_pack("{sI}", "request_id", (json_int_t)c->req_id),
		            "the server is shutting down; request %lld goes on",
		            (long long)c->req_id);
		api_call_resume(c);
	}
}

static int parse_timeout(api_call *c, int *ms)
{
	const char *s = api_query(c, "timeout");
	*ms = c->a->cfg.default_timeout_ms;
	if (!s)
		return 0;
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > c->a->cfg.max_timeout_ms) {
		api_problem(c, 400, "bad-request", NULL,
		            "timeout must be an integer number of milliseconds from 0 to %d, not \"%s\"",
		            c->a->cfg.max_timeout_ms, s);
		return -1;
	}
	*ms = (int)v;
	return 0;
}

/* "pmin=10&pmax=60" from the query; an empty value clears ("pmin"). */
static int attributes_query(api_call *c, char *q, size_t size)
{
	static const struct { const char *name; int integer; } attrs[] = {
		{ "pmin", 1 }, { "pmax", 1 }, { "gt", 0 }, { "lt", 0 }, { "st", 0 },
		{ "epmin", 1 }, { "epmax", 1 },
	};
	size_t n = 0;
	q[0] = 0;
	for (size_t i = 0; i < sizeof attrs / sizeof attrs[0]; i++) {
		const char *v = api_query(c, attrs[i].name);
		if (!v)
			continue;
		if (*v) {
			char *end;
			errno = 0;
			if (attrs[i].integer) {
				long long x = strtoll(v, &end, 10);
				if (errno || *end || x < 0 || *v == '+' || *v == ' ') {
					api_problem(c, 400, "bad-request", NULL,
					            "%s must be an integer >= 0, not \"%s\"", attrs[i].name, v);
					return -1;
				}
			} else {
				strtod(v, &end);
				if (errno || *end || *v == ' ') {
					api_problem(c, 400, "bad-request", NULL,
					            "%s must be a number, not \"%s\"", attrs[i].name, v);
					return -1;
				}
			}
		}
		int w = snprintf(q + n, size - n, "%s%s%s%s", n ? "&" : "", attrs[i].name,
		                 *v ? "=" : "", v);
		if (w < 0 || (size_t)w >= size - n) {
			api_problem(c, 400, "bad-request", NULL, "the attributes are too long");
			return -1;
		}
		n += (size_t)w;
	}
	if (!n) {
		api_problem(c, 400, "bad-request", NULL,
		            "give at least one of pmin, pmax, gt, lt, st, epmin, epmax");
		return -1;
	}
	return 0;
}

/* The payload of a Write or Create. JSON is kept in *j (the caller frees),
 * an encoded payload in *enc. */
static int write_payload(api_call *c, lwm2m_format fmt, const lwm2m_path *path,
                         dm_request *rq, uint8_t **enc, json_t **j)
{
	char ct[80], err[200] = "";
	api_content_type(c, ct, sizeof ct);
	for (size_t i = 0; i < sizeof raw_types / sizeof raw_types[0]; i++) {
		if (strcmp(ct, raw_types[i].ctype))
			continue;
		if (!c->len) {
			api_problem(c, 400, "bad-request", NULL, "the body is empty");
			return -1;
		}
		rq->format = raw_types[i].f;
		rq->payload = c->body;
		rq->len = c->len;
		return 0;
	}
	if (!api_ctype_is_json(ct)) {
		api_problem(c, 415, "unsupported-media-type", NULL,
		            "%s is not a content type for writes: use application/json or one of "
		            "application/vnd.oma.lwm2m+tlv, application/senml+json, "
		            "application/senml+cbor, text/plain, application/octet-stream", ct);
		return -1;
	}
	if (!(*j = api_body_json(c)))
		return -1;
	lwm2m_records recs;
	lwm2m_records_init(&recs);
	lwm2m_err e = lwm2m_records_from_json(*j, path, &recs, err, sizeof err);
	if (e != LWM2M_OK) {
		api_problem(c, 400, "bad-request", NULL, "the records do not fit %s: %s",
		            c->lw_path, err[0] ? err : lwm2m_strerror(e));
		lwm2m_records_free(&recs);
		return -1;
	}
	if (!recs.n) {
		api_problem(c, 400, "bad-request", NULL, "the body holds no records");
		lwm2m_records_free(&recs);
		return -1;
	}
	if (fmt == LWM2M_CF_NONE)
		fmt = LWM2M_CF_TLV;
	if (rq->op == DM_CREATE) {
		/* The instance the records name is the one the Create makes. */
		int inst = recs.rec[0].path.id[1];
		for (size_t i = 1; i < recs.n; i++)
			if (recs.rec[i].path.id[1] != inst)
				inst = -1;
		c->create_inst = inst;
	}
	size_t len = 0;
	e = lwm2m_encode(fmt, path, &recs, enc, &len);
	lwm2m_records_free(&recs);
	if (e != LWM2M_OK) {
		api_problem(c, 400, "bad-request", NULL, "cannot encode the records as %s for %s: %s",
		            lwm2m_format_name(fmt), c->lw_path, lwm2m_strerror(e));
		return -1;
	}
	rq->format = fmt;
	rq->payload = *enc;
	rq->len = len;
	return 0;
}

/* Execute arguments: text/plain, or JSON {"arguments": "..."}; may be empty. */
static int execute_payload(api_call *c, dm_request *rq, json_t **j)
{
	char ct[80];
	api_content_type(c, ct, sizeof ct);
	if (!c->len)
		return 0;
	size_t sp = 0;
	while (sp < c->len && (c->body[sp] == ' ' || c->body[sp] == '\n'))
		sp++;
	if (!strcmp(ct, "application/json") ||
	    (api_ctype_is_json(ct) && sp < c->len && c->body[sp] == '{')) {
		const char *args = NULL;
		json_error_t jerr;
		if (!(*j = api_body_json(c)))
			return -1;
		if (json_unpack_ex(*j, &jerr, JSON_STRICT, "{s:s}", "arguments", &args)) {
			api_problem(c, 400, "bad-request", NULL,
			            "an Execute body in JSON is {\"arguments\": \"...\"}: %s", jerr.text);
			return -1;
		}
		rq->payload = (const uint8_t *)args;
		rq->len = strlen(args);
	} else if (!ct[0] || !strcmp(ct, "text/plain") ||
	           !strcmp(ct, "application/x-www-form-urlencoded")) {
		rq->payload = c->body;
		rq->len = c->len;
	} else {
		api_problem(c, 415, "unsupported-media-type", NULL,
		            "Execute arguments are text/plain or application/json, not %s", ct);
		return -1;
	}
	if (rq->len)
		rq->format = LWM2M_CF_TEXT;
	return 0;
}

/* The engine sends one request at a time per device and says QUEUED for
 * the ones behind it too. When another call of ours waits on this device,
 * the device is awake and busy: wait rather than answer 202. */
static int busy_with_us(api *a, const char *ep)
{
	for (api_call *w = a->waiting; w; w = w->wnext) {
		const char *wep = api_param(w, "ep");
		if (wep && !strcmp(wep, ep))
			return 1;
	}
	return 0;
}

void h_lwm2m(api_call *c)
{
	api *a = c->a;
	const char *ep = api_param(c, "ep"), *ps = api_param(c, "path");
	const char *fs = api_query(c, "format");
	lwm2m_path path;
	lwm2m_format fmt = LWM2M_CF_NONE;
	dm_request rq;
	uint8_t *enc = NULL;
	json_t *j = NULL;
	char query[256];
	int ms, found = 0;
	int64_t id = 0;

	memset(&rq, 0, sizeof rq);
	if (!ps || lwm2m_path_parse(ps, strlen(ps), &path) != LWM2M_OK || path.len == 0) {
		api_problem(c, 400, "bad-request", NULL,
		            "\"%s\" is not an LwM2M path obj[/inst[/res[/ri]]] (ids 0..65534)",
		            ps ? ps : "");
		return;
	}
	lwm2m_path_format(&path, c->lw_path, sizeof c->lw_path);
	if (parse_timeout(c, &ms))
		return;
	if (fs && (fmt = lwm2m_format_from_name(fs)) == LWM2M_CF_NONE) {
		api_problem(c, 400, "bad-request", NULL,
		            "format \"%s\" is not one of tlv, senml-json, senml-cbor, text, opaque, "
		            "lwm2m-json, cbor", fs);
		return;
	}
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
		if (ops[i].arg != c->route->arg || strcmp(ops[i].method, c->method))
			continue;
		if (ops[i].exact && ops[i].min != path.len)
			continue;
		if (path.len < ops[i].min || path.len > ops[i].max) {
			api_problem(c, 400, "bad-request", NULL,
			            "%s is done on %s, not on %s",
			            dm_op_name(ops[i].op), ops[i].where, c->lw_path);
			return;
		}
		rq.op = ops[i].op;
		found = 1;
		break;
	}
	if (!found) {
		api_problem(c, 400, "bad-request", NULL,
		            "POST on a resource instance (%s) is not an LwM2M operation",
		            c->lw_path);
		return;
	}
	c->lw_op = rq.op;
	rq.path = path;
	rq.format = LWM2M_CF_NONE;
	rq.accept = LWM2M_CF_NONE;
	rq.origin = c->tok.name[0] ? c->tok.name : NULL;
	switch (rq.op) {
	case DM_READ:
	case DM_OBSERVE:
		rq.accept = fmt;
		break;
	case DM_WRITE:
	case DM_WRITE_PARTIAL:
	case DM_CREATE:
		if (write_payload(c, fmt, &path, &rq, &enc, &j))
			goto out;
		break;
	case DM_EXECUTE:
		if (execute_payload(c, &rq, &j))
			goto out;
		break;
	case DM_WRITE_ATTRIBUTES:
		if (attributes_query(c, query, sizeof query))
			goto out;
		rq.query = query;
		break;
	default:
		break;
	}

	int rc = dm_submit(a->e, ep, &rq, on_result, c, &id);
	if (c->got_result)
		goto out;   /* answered synchronously; the response is set */
	switch (rc) {
	case DM_SUBMIT_NO_DEVICE:
		api_problem(c, 404, "not-registered", json_pack("{ss}", "endpoint", ep),
		            "endpoint \"%s\" is not registered", ep);
		goto out;
	case DM_SUBMIT_BAD:
		api_problem(c, 400, "bad-request", NULL,
		            "the request engine refused %s %s (payload too large, or the path "
		            "does not fit the operation)", dm_op_name(rq.op), c->lw_path);
		goto out;
	case DM_SUBMIT_QUEUED:
	case DM_SUBMIT_SENT:
		break;
	default:
		api_problem(c, 500, "internal", NULL, "the request could not be stored: %s",
		            db_errmsg(a->d));
		goto out;
	}
	c->req_id = id;
	if ((rc == DM_SUBMIT_QUEUED && !busy_with_us(a, ep)) || ms == 0 ||
	    a->nwaiting >= API_MAX_WAITING) {
		/* Not waiting: the outcome lands in GET /requests/{id}. */
		dm_detach(a->e, id);
		c->got_result = 1;
		set_location(c, "/api/v1/requests/%lld", (long long)id);
		api_reply_json(c, 202, json_pack("{sIssss}", "request_id", (json_int_t)id,
		                                  "state", rc == DM_SUBMIT_QUEUED ? "queued" : "sent",
		                                  "location", c->location ? c->location : ""));
		goto out;
	}
	c->timer = loop_timer_add(a->l, ms, on_timeout, c);
	if (!c->timer) {
		dm_detach(a->e, id);
		c->got_result = 1;
		api_problem(c, 500, "internal", json_pack("{sI}", "request_id", (json_int_t)id),
		            "cannot start the wait timer; request %lld goes on", (long long)id);
		goto out;
	}
	api_call_suspend(c);
out:
	free(enc);
	json_decref(j);
}
