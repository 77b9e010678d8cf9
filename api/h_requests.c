/*
 * h_requests.c: GET /requests/{id} (a device-management request and its
 * outcome, decoded) and DELETE /requests/{id} (cancel a queued one).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_int.h"

static json_t *request_json(const db_request *r)
{
	char code[8];
	json_t *j = json_pack("{sIsssssssssosososo}",
		"id", (json_int_t)r->id, "endpoint", r->endpoint,
		"op", dm_op_name(r->op), "path", r->path,
		"state", db_req_state_name(r->state),
		"created_at", api_time(r->created_at),
		"expires_at", api_time(r->expires_at),
		"sent_at", api_time(r->sent_at),
		"done_at", api_time(r->done_at));
	if (!j)
		return NULL;
	json_object_set_new(j, "code", r->coap_code
	                    ? json_string(api_coap_code(r->coap_code, code, sizeof code))
	                    : json_null());
	if (r->state == DB_REQ_DONE)
		api_add_payload(j, r->op, r->path, r->resp_len ? r->resp_format : -1,
		                r->resp, r->resp_len);
	json_object_set_new(j, "error", r->error[0] ? json_string(r->error) : json_null());
	json_object_set_new(j, "origin", r->origin[0] ? json_string(r->origin) : json_null());
	return j;
}

/* Reads request {id} into r; on failure a problem is set and -1 returned. */
static int load(api_call *c, db_request *r, int64_t *idp)
{
	const char *s = api_param(c, "id");
	int64_t id = api_parse_id(s);
	memset(r, 0, sizeof *r);
	*idp = id;
	if (id < 0) {
		api_problem(c, 404, "not-found", NULL, "no request with id \"%s\"", s ? s : "");
		return -1;
	}
	db_rc rc = db_request_get(c->a->d, id, r);
	if (rc == DB_NOT_FOUND) {
		api_problem(c, 404, "not-found", NULL, "no request with id %lld", (long long)id);
		return -1;
	}
	if (rc != DB_OK) {
		api_problem(c, 500, "internal", NULL, "cannot read request %lld: %s",
		            (long long)id, db_errmsg(c->a->d));
		return -1;
	}
	return 0;
}

void h_request_get(api_call *c)
{
	db_request r;
	int64_t id;
	if (load(c, &r, &id))
		return;
	api_reply_json(c, 200, request_json(&r));
	db_request_clear(&r);
}

void h_request_delete(api_call *c)
{
	db_request r;
	int64_t id;
	if (load(c, &r, &id))
		return;
	if (r.state != DB_REQ_QUEUED || dm_cancel(c->a->e, id) != 0) {
		/* Read again: the state may have moved on meanwhile. */
		db_request_clear(&r);
		if (load(c, &r, &id))
			return;
		api_problem(c, 409, "conflict",
		            json_pack("{ss}", "state", db_req_state_name(r.state)),
		            "request %lld is %s, not queued: only queued requests can be cancelled",
		            (long long)id, db_req_state_name(r.state));
		db_request_clear(&r);
		return;
	}
	db_request_clear(&r);
	if (load(c, &r, &id))
		return;
	api_reply_json(c, 200, request_json(&r));
	db_request_clear(&r);
}
