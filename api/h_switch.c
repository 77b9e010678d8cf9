/*
 * h_switch.c: switching and staging over REST: POST /devices/{ep}/switch,
 * POST /devices/{ep}/stage, DELETE /devices/{ep}/stage/{carrier}; the job
 * JSON every job route answers with; and what GET /devices/{ep} shows of
 * the 507 instances nusimd wrote. The engine (server/switch.h) decides;
 * this file maps its answers to HTTP once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_int.h"
#include "server/switch.h"
#include "db/db_switch.h"
#include "crypto/package.h"

void api_set_switch(api *a, struct sw *s, struct evbus *bus)
{
	a->sw = s;
	a->bus = bus;
	api_events_attach(a);
}

json_t *api_job_json(db *d, const db_job *j, int with_transitions)
{
	json_t *o = json_pack("{sIsssssssssssssisssbsisbsisssIsoso}",
		"id", (json_int_t)j->id, "kind", j->kind, "endpoint", j->endpoint,
		"carrier", j->carrier, "state", j->state,
		"from_iccid", j->from_iccid, "to_iccid", j->to_iccid,
		"instance", j->instance, "eid", j->eid,
		"final", j->final != 0, "attempts", j->attempts,
		"retryable", j->retryable != 0,
		"load_sent", j->load_sent, "origin", j->origin,
		"campaign_id", (json_int_t)j->campaign_id,
		"created_at", api_time(j->created_at),
		"updated_at", api_time(j->updated_at));
	if (!o)
		return NULL;
	json_object_set_new(o, "want_iccid", j->want_iccid[0]
	                    ? json_string(j->want_iccid) : json_null());
	json_object_set_new(o, "result_code", j->result_code >= 0
	                    ? json_integer(j->result_code) : json_null());
	json_object_set_new(o, "result", j->result_code >= 0
	                    ? json_string(pkg_result_str(j->result_code))
	                    : json_null());
	json_object_set_new(o, "error", j->error[0] ? json_string(j->error)
	                                            : json_null());
	json_object_set_new(o, "deadline", api_time(j->deadline));
	char loc[48];
	snprintf(loc, sizeof loc, "/api/v1/jobs/%lld", (long long)j->id);
	json_object_set_new(o, "location", json_string(loc));
	if (with_transitions) {
		db_transition *t = NULL;
		size_t n = 0;
		json_t *arr = json_array();
		if (db_job_transitions(d, j->id, &t, &n) == DB_OK)
			for (size_t i = 0; i < n; i++)
				json_array_append_new(arr, json_pack("{sssIss}",
					"state", t[i].state, "at_ms", (json_int_t)t[i].at_ms,
					"detail", t[i].detail));
		free(t);
		json_object_set_new(o, "transitions", arr);
	}
	return o;
}

json_t *api_staged_json(db *d, const char *ep)
{
	db_instance *in = NULL;
	size_t n = 0;
	json_t *arr = json_array();
	if (db_inst_list(d, ep, &in, &n) != DB_OK)
		return arr;
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, json_pack("{sisssssssI}",
			"instance", in[i].instance, "iccid", in[i].iccid,
			"carrier", in[i].carrier, "role", in[i].role,
			"job_id", (json_int_t)in[i].job_id));
	free(in);
	return arr;
}

/* Answers the engine's refusal once, with the status each rc means. */
void api_switch_problem(api_call *c, int rc, int64_t job_id, const char *err)
{
	switch (rc) {
	case SW_ERR_NO_DEVICE:
		api_problem(c, 404, "not-found", NULL, "%s", err);
		break;
	case SW_ERR_ACTIVE: {
		char loc[48];
		snprintf(loc, sizeof loc, "/api/v1/jobs/%lld", (long long)job_id);
		api_problem(c, 409, "job-active", json_pack("{sIss}", "job_id",
		            (json_int_t)job_id, "job", loc), "%s", err);
		break;
	}
	case SW_ERR_STAGED:
	case SW_ERR_FINAL:
		api_problem(c, 409, "conflict", NULL, "%s", err);
		break;
	case SW_ERR_UNKNOWN_CARRIER:
		api_problem(c, 422, "unknown-carrier", NULL, "%s", err);
		break;
	case SW_ERR_EMPTY_POOL:
		api_problem(c, 422, "empty-pool", NULL, "%s", err);
		break;
	case SW_ERR_BAD:
		api_problem(c, 422, "validation-failed", NULL, "%s", err);
		break;
	case SW_ERR_NOT_FOUND:
		api_problem(c, 404, "not-found", NULL, "%s", err);
		break;
	case SW_ERR_NO_PKI:
		api_problem(c, 503, "unavailable", NULL, "%s", err);
		break;
	default:
		api_problem(c, 500, "internal", NULL, "%s", err);
		break;
	}
}

int api_need_switch(api_call *c)
{
	if (c->a->sw)
		return 0;
	api_problem(c, 503, "unavailable", NULL, "the switch engine is not running");
	return -1;
}

/* POST /devices/{ep}/switch and /stage (arg: 1 = stage). */
static void start(api_call *c, const char *kind)
{
	char err[256] = "";
	int64_t id = 0;
	if (api_need_switch(c))
		return;
	json_t *j = api_body_json(c);
	if (!j)
		return;
	json_t *car = json_object_get(j, "carrier"), *ic = json_object_get(j, "iccid");
	if (!json_is_object(j) || (car && !json_is_string(car)) ||
	    (ic && !json_is_string(ic)) || (!car == !ic)) {
		api_problem(c, 422, "validation-failed", NULL, "the body must be {\"carrier\": "
		            "\"...\"} or {\"iccid\": \"...\"}");
		json_decref(j);
		return;
	}
	if (!strcmp(kind, "stage") && ic) {
		api_problem(c, 422, "validation-failed", NULL, "stage takes a carrier");
		json_decref(j);
		return;
	}
	int rc = sw_start(c->a->sw, kind, api_param(c, "ep"),
	                  json_string_value(car), json_string_value(ic),
	                  c->tok.name, 0, &id, err, sizeof err);
	json_decref(j);
	if (rc != SW_OK) {
		api_switch_problem(c, rc, id, err);
		return;
	}
	db_job r;
	if (db_job_get(c->a->d, id, &r) != DB_OK) {
		api_problem(c, 500, "internal", NULL, "job %lld vanished", (long long)id);
		return;
	}
	char loc[48];
	snprintf(loc, sizeof loc, "/api/v1/jobs/%lld", (long long)id);
	free(c->location);
	c->location = strdup(loc);
	api_reply_json(c, 202, api_job_json(c->a->d, &r, 1));
}

void h_switch_post(api_call *c)
{
	start(c, "switch");
}

void h_stage_post(api_call *c)
{
	start(c, "stage");
}

/* DELETE /devices/{ep}/stage/{carrier} */
void h_stage_delete(api_call *c)
{
	char err[256] = "";
	if (api_need_switch(c))
		return;
	int rc = sw_unstage(c->a->sw, api_param(c, "ep"), api_param(c, "carrier"),
	                    c->tok.name, err, sizeof err);
	if (rc != SW_OK)
		api_switch_problem(c, rc, 0, err);
	else
		api_reply_empty(c, 204);
}
